import ChineseAnalysis
import Foundation
import Testing
import Xapian
@testable import GongkaiIndex

/// A scratch copy of the sample corpus and a database beside it.
struct Scratch {
    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Index/corpus").path

    let directory: String
    var corpus: String { directory + "/corpus" }
    var database: String { directory + "/db" }

    init() throws {
        directory = NSTemporaryDirectory() + "gongkai-index-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Self.corpus, toPath: corpus)
    }

    func file(_ prefix: String) throws -> String {
        let name = try FileManager.default.contentsOfDirectory(atPath: corpus).first { $0.hasPrefix(prefix) }!
        return corpus + "/" + name
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: directory)
    }
}

/// Loaded once: the dictionary takes a while.
let sharedAnalyzers = AnalyzerCache(lexicon: try! Lexicon.loadDefault(), vocabulary: try! FiscalVocabulary.loadDefault())

func index(_ scratch: Scratch, _ configure: (inout IndexOptions) -> Void = { _ in }) throws -> IndexSummary {
    var options = IndexOptions()
    configure(&options)
    return try Indexer(databasePath: scratch.database, lexicon: try sharedAnalyzers.lexicon()).run(paths: [scratch.corpus], options: options)
}

func search(_ scratch: Scratch, _ request: SearchRequest) throws -> SearchResponse {
    try Searcher(databasePath: scratch.database, analyzers: sharedAnalyzers).search(request)
}

func hitIDs(_ response: SearchResponse) throws -> [String] {
    response.hits.map(\.id)
}

@Suite struct IndexerTests {
    @Test func secondRunOverAnUnchangedCorpusChangesNothing() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let first = try index(scratch)
        #expect(first.added.count == 4 && first.failed.isEmpty && first.records > 1000)
        let second = try index(scratch)
        #expect(second.added.isEmpty && second.updated.isEmpty && second.removed.isEmpty)
        #expect(second.unchanged.count == 4 && second.records == 0 && second.documents == 4)
        #expect(try search(scratch, SearchRequest()).total == first.records)
    }

    /// `gongkai-index.timer` re-runs the indexer hourly: a run that changes nothing must not
    /// make the daemon reopen (and empty its result cache) for a new revision.
    @Test func anUnchangedRerunCommitsNothingAndKeepsTheRevision() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        _ = try index(scratch)
        let before = try Database(path: scratch.database).revision()
        _ = try index(scratch)
        _ = try index(scratch) { $0.workers = 1 }
        #expect(try Database(path: scratch.database).revision() == before)

        let sharded = scratch.directory + "/sharded"
        let indexer = ShardedIndexer(root: sharded, key: .district, lexicon: try sharedAnalyzers.lexicon())
        _ = try indexer.run(paths: [scratch.corpus])
        let shards = try #require(try ShardLayout(root: sharded).read()).shards
        let revisions = try shards.map { try Database(path: sharded + "/shards/" + $0).revision() }
        _ = try indexer.run(paths: [scratch.corpus])
        #expect(try shards.map { try Database(path: sharded + "/shards/" + $0).revision() } == revisions)
    }

    @Test func aRunIsRefusedWhileAnotherHoldsTheDatabase() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        var held: IndexLock? = try IndexLock(databasePath: scratch.database + "/")
        #expect(throws: IndexError.locked(scratch.database)) { try index(scratch) }
        #expect(held != nil)
        held = nil
        #expect(try index(scratch).added.count == 4)
    }

    /// Two files of one name would share record ids (`<file name>:<ordinal>`), also when both
    /// are new in the same run.
    @Test func twoNewFilesOfOneNameAreNotBothIndexed() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let original = try scratch.file("002_")
        let twinFolder = scratch.corpus + "/elsewhere"
        try FileManager.default.createDirectory(atPath: twinFolder, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: original, toPath: twinFolder + "/" + (original as NSString).lastPathComponent)
        let summary = try index(scratch) { $0.workers = 1 }
        #expect(summary.added.count == 4)
        #expect(summary.failed.count == 1 && summary.failed.first?.reason.contains("same name") == true)
    }

    /// A file moved to another folder keeps its name, and with it its record ids: one run
    /// removes it from its old path and adds it at the new one.
    @Test func aFileMovedToAnotherFolderIsReindexedInOneRun() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let first = try index(scratch)
        let old = try scratch.file("002_")
        let folder = scratch.corpus + "/moved"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let new = folder + "/" + (old as NSString).lastPathComponent
        try FileManager.default.moveItem(atPath: old, toPath: new)
        let moved = try index(scratch)
        #expect(moved.failed.isEmpty && moved.added == [new] && moved.removed == [old] && moved.documents == 4)
        #expect(try search(scratch, SearchRequest()).total == first.records)
    }

    @Test func editingOneFileReplacesExactlyItsRecords() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let first = try index(scratch)
        let path = try scratch.file("002_")
        let before = try search(scratch, SearchRequest(filters: [.district: ["朝阳区"]])).total
        var text = try String(contentsOfFile: path, encoding: .utf8)
        text += "\n新增段落：朝阳区测试用的独特词语蓝鲸计划。\n"
        try text.write(toFile: path, atomically: true, encoding: .utf8)

        let second = try index(scratch)
        #expect(second.updated == [path] && second.added.isEmpty && second.unchanged.count == 3)
        let after = try search(scratch, SearchRequest(filters: [.district: ["朝阳区"]])).total
        #expect(after == before + 1)
        #expect(try search(scratch, SearchRequest()).total == first.records + 1)
        #expect(try search(scratch, SearchRequest(query: "蓝鲸计划")).total == 1)
    }

    @Test func deletingOneFileRemovesItsRecordsUnlessKept() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        _ = try index(scratch)
        let path = try scratch.file("004_")
        let fengtai = try search(scratch, SearchRequest(filters: [.district: ["丰台"]])).total
        #expect(fengtai > 0)
        let total = try search(scratch, SearchRequest()).total
        try FileManager.default.removeItem(atPath: path)

        let kept = try index(scratch) { $0.keepMissing = true }
        #expect(kept.removed.isEmpty && kept.documents == 4)
        let dry = try index(scratch) { $0.dryRun = true }
        #expect(dry.removed == [path])
        #expect(try search(scratch, SearchRequest()).total == total)

        let removed = try index(scratch)
        #expect(removed.removed == [path] && removed.documents == 3)
        #expect(try search(scratch, SearchRequest(filters: [.district: ["丰台"]])).total == 0)
        #expect(try search(scratch, SearchRequest()).total == total - fengtai)
    }

    @Test func dryRunWritesNothing() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let dry = try index(scratch) { $0.dryRun = true }
        #expect(dry.added.count == 4 && dry.records > 1000)
        #expect(try search(scratch, SearchRequest()).total == 0)
    }

    @Test func anUnreadableFileIsReportedAndTheRestIndexed() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let binary = scratch.corpus + "/picture.png"
        try Data([0x89, 0x50, 0x4E, 0x47, 0x00, 0x00, 0x1A, 0x0A]).write(to: URL(fileURLWithPath: binary))
        let summary = try index(scratch)
        #expect(summary.failed.map(\.path) == [binary])
        #expect(summary.failed.first?.reason.contains("unsupported format: a PNG image") == true)
        #expect(summary.added.count == 4)
    }

    @Test func anIndexOfAnotherSchemaVersionIsRebuilt() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let first = try index(scratch)
        do {
            let writer = try WritableDatabase(path: scratch.database)
            try writer.setMetadata(Schema.Metadata.schemaVersion, "0")
            try writer.commit()
        }
        let second = try index(scratch)
        #expect(second.rebuilt && second.added.count == 4 && second.records == first.records)
        #expect(try search(scratch, SearchRequest()).total == first.records)
    }

    @Test func parallelAndSerialRunsWriteTheSameRecords() throws {
        let parallel = try Scratch(), serial = try Scratch()
        defer { parallel.remove(); serial.remove() }
        let a = try index(parallel) { $0.workers = 4; $0.filesPerCommit = 1 }
        let b = try index(serial) { $0.workers = 1 }
        #expect(a.records == b.records)
        let request = SearchRequest(query: "视频会议", facets: [try FacetRequest.named("type")], limit: 1000)
        #expect(Set(try hitIDs(search(parallel, request))) == Set(try hitIDs(search(serial, request))))
    }
}

@Suite struct ParallelBuildTests {
    /// Workers start a new part every few files; the compactor merges all of them into one
    /// database holding every file's records and manifest entry.
    @Test func manyPartsMergeIntoOneDatabase() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let samples = try FileManager.default.contentsOfDirectory(atPath: scratch.corpus).sorted()
        var files: [String] = []
        for copy in 0..<3 {
            for sample in samples {
                let path = "\(scratch.corpus)/c\(copy)_\(sample)"
                try FileManager.default.copyItem(atPath: scratch.corpus + "/" + sample, toPath: path)
                files.append(path)
            }
        }
        var build = ParallelBuild(staging: scratch.directory + "/staging", analyzer: Analyzer(lexicon: try sharedAnalyzers.lexicon()), workers: 2)
        build.filesPerPart = 2
        let result = try build.run(files: try Scan.of(files, manifest: [:], workers: 2).changed.map(\.entry)) { _, _ in }
        let parts = try FileManager.default.contentsOfDirectory(atPath: scratch.directory + "/staging").filter { $0.hasPrefix("part-") }
        #expect(parts.count >= files.count / build.filesPerPart)

        var records = 0
        for outcome in result.outcomes {
            guard case .written(let entry) = outcome else { Issue.record("\(outcome)"); continue }
            records += entry.records
        }
        let merged = try Database(path: result.mergedPath)
        #expect(Int(try merged.documentCount()) == records)
        #expect(try merged.metadataKeys(prefix: Schema.Metadata.filePrefix).count == files.count)
    }
}

@Suite struct StoredVocabularyTests {
    /// The daemon rebuilds the indexer's analyzer from the stored vocabulary, without learning
    /// the names again, and gets the same terms.
    @Test func theStoredVocabularyRebuildsTheSameAnalyzer() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        _ = try index(scratch)
        let state = try IndexState.load(try WritableDatabase(path: scratch.database))
        #expect(state.domainNames.count > 50)
        #expect(!state.domainVocabulary.isEmpty)
        let fromVocabulary = try AnalyzerCache(lexicon: try sharedAnalyzers.lexicon(), vocabulary: sharedAnalyzers.vocabulary)
            .analyzer(domainNames: state.domainNames, vocabulary: state.domainVocabulary)
        let learned = Analyzer(lexicon: try sharedAnalyzers.lexicon(), domainNames: state.domainNames)
        let text = try String(contentsOfFile: scratch.corpus + "/001_1a6cbd115fe7ae86.txt", encoding: .utf8)
        for line in text.split(separator: "\n").prefix(300) {
            #expect(fromVocabulary.indexTerms(String(line)) == learned.indexTerms(String(line)))
        }
    }
}

@Suite struct ParallelSideStoreTests {
    /// The side store of a parallel build follows the compactor's renumbering: every docid it
    /// answers with is the record Xapian holds under it.
    @Test func aParallelBuildsSideStoreAnswersAsXapiansMatcher() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let samples = try FileManager.default.contentsOfDirectory(atPath: scratch.corpus).sorted()
        for copy in 0..<3 {
            for sample in samples {
                try FileManager.default.copyItem(atPath: scratch.corpus + "/" + sample, toPath: "\(scratch.corpus)/c\(copy)_\(sample)")
            }
        }
        let summary = try index(scratch) { $0.workers = 2 }
        #expect(summary.added.count == 16 && summary.failed.isEmpty)
        let side = try Searcher(databasePath: scratch.database, analyzers: sharedAnalyzers)
        let xapian = try Searcher(databasePath: scratch.database, analyzers: sharedAnalyzers)
        xapian.usesSideStore = false
        for query in ["视频会议", "code:201", "", "满意度 type:indicator"] {
            let request = SearchRequest(query: query, facets: [try FacetRequest.named("district")], limit: 1000, explain: true)
            let a = try side.search(request), b = try xapian.search(request)
            #expect(a.explanation?.engine == "side store")
            #expect(a.total == b.total && a.total > 0, "\(query)")
            #expect(a.hits.map(\.id) == b.hits.map(\.id), "\(query)")
            #expect(a.warnings.isEmpty, "\(query)")
        }
    }
}
