import ChineseAnalysis
import Dispatch
import Foundation
import Synchronization
import Xapian

/// Builds a new database on several threads. Xapian allows one writer per database, and adding
/// documents is most of an indexer's work, so each worker writes its own part databases (without
/// fsync, see `buildKey`) and Xapian's compactor merges the parts into one, as `xapian-compact`
/// would. A worker starts a new part every `filesPerPart` files: each flush of buffered postings
/// merges into the part's B-trees, which costs more the bigger they grow, while the compactor
/// merges any number of parts in one pass. (2,000 generated documents on 2 cores: 83 s with one
/// part per worker, 74–76 s with parts of 100–250 files, 79 s with 500.)
///
/// A worker commits its part every `filesPerCommit / workers` files, whole files only (its
/// changes go in transactions), so a killed build has committed all but at most
/// `filesPerCommit` files. The next build takes over the committed parts of the files it is
/// given (same path and content hash) and indexes only the rest.
struct ParallelBuild {
    /// Folder for the parts and the merged result; removed by the caller when the build is
    /// done or fails (a killed build leaves it to be taken over).
    let staging: String
    let analyzer: Analyzer
    let workers: Int
    var filesPerPart = 100
    var filesPerCommit = 200

    /// Metadata key of a part: the build it belongs to. Not in the merged database.
    static let buildKeyName = "gongkai:build"

    /// What a part must have been written with to be taken over: this schema, this analyzer,
    /// and this boot of the machine. Parts are written without fsync, which a killed process
    /// does not hurt (its writes are in the page cache), but a crash of the machine may have
    /// torn them.
    var buildKey: String {
        let bootID = (try? String(contentsOfFile: "/proc/sys/kernel/random/boot_id", encoding: .utf8)) ?? UUID().uuidString
        return ContentHash.fnv1a64(Array("\(Schema.version)\n\(bootID)\n\(analyzer.vocabulary.encoded())".utf8))
    }

    struct Result {
        /// Per input file, in input order.
        var outcomes: [FileOutcome]
        /// The merged database, with every file's manifest entry in its metadata.
        var mergedPath: String
        /// The merged database's side-store segment (nil when no part holds a record).
        var sideSegmentPath: String?
        var codeNames: [String: String]
    }

    enum FileOutcome: Sendable {
        case written(FileEntry)
        /// Committed by an earlier, killed build and taken over.
        case resumed(FileEntry)
        case failed(String, String)
    }

    /// Writes `files` (as scanned: path and content hash) into parts and merges them. `onFile`
    /// is called after each file, one call at a time, with the file's position in `files`.
    func run(files: [FileEntry], onFile: @escaping @Sendable (Int, FileOutcome) -> Void) throws -> Result {
        let key = buildKey
        let earlier = takeOverParts(of: files, buildKey: key)
        let shared = SharedBuildState(outcomes: earlier.outcomes, codeNames: earlier.codeNames, firstPart: earlier.nextPart)
        for (index, outcome) in earlier.outcomes.enumerated() where outcome != nil { onFile(index, outcome!) }
        let preparer = FilePreparer(analyzer: analyzer)
        let commitEvery = max(1, filesPerCommit / max(1, workers))

        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            do {
                var part: Part?
                while let index = shared.nextFile() {
                    if part == nil { part = try Part(path: shared.newPartPath(in: staging), buildKey: key) }
                    let outcome: FileOutcome
                    switch preparer.prepare(files[index].path) {
                    case .failed(let path, let reason):
                        outcome = .failed(path, reason)
                    case .prepared(let file):
                        try part!.add(file)
                        outcome = .written(file.entry)
                    }
                    shared.finish(index, outcome, onFile)
                    try part!.fileDone(commitEvery: commitEvery)
                    if part!.files == filesPerPart {
                        try part!.commit()
                        shared.addCodeNames(part!.codeNames)
                        part = nil
                    }
                }
                if let part {
                    try part.commit()
                    shared.addCodeNames(part.codeNames)
                }
            } catch {
                shared.fail(error)
            }
        }
        if let error = shared.error { throw error }

        let merged = staging + "/merged"
        let parts = earlier.partPaths + shared.partPaths
        if parts.isEmpty {
            _ = try WritableDatabase(path: merged, mode: .createOrOverwrite)
        } else {
            try compactDatabases(parts, into: merged)
        }
        return Result(outcomes: shared.outcomes.map { $0! }, mergedPath: merged,
                      sideSegmentPath: try mergeSideSegments(of: parts), codeNames: shared.codeNames)
    }

    /// One side-store segment for the merged database: the compactor renumbers the parts'
    /// documents consecutively, part after part, as their committed documents stand.
    private func mergeSideSegments(of parts: [String]) throws -> String? {
        var offset: UInt32 = 0
        var sources: [SegmentMerger.Source] = []
        for path in parts {
            let committed = Int(try Database(path: path).documentCount())
            guard committed > 0 else { continue }
            let segment = try Segment(path: path + Part.segmentSuffix, facetCount: Schema.facets.count)
            guard segment.span >= committed else {
                throw SideStoreError.corrupt("\(path) holds \(committed) documents, its side-store segment \(segment.span)")
            }
            sources.append(SegmentMerger.Source(segment: segment, offset: offset, span: committed))
            offset += UInt32(committed)
        }
        guard !sources.isEmpty else { return nil }
        let path = staging + "/merged" + Part.segmentSuffix
        try SegmentMerger.merge(sources, deleted: [], into: path, sync: true)
        return path
    }

    /// What an earlier build left that this one takes over.
    private struct Earlier {
        var outcomes: [FileOutcome?]
        var codeNames: [String: String] = [:]
        var partPaths: [String] = []
        var nextPart = 0
    }

    /// Keeps the committed parts of an earlier build of the same files with the same `buildKey`
    /// and clears everything else from the staging folder (creating it when missing).
    private func takeOverParts(of files: [FileEntry], buildKey: String) -> Earlier {
        var earlier = Earlier(outcomes: Array(repeating: nil, count: files.count))
        let manager = FileManager.default
        guard let names = try? manager.contentsOfDirectory(atPath: staging) else {
            try? manager.createDirectory(atPath: staging, withIntermediateDirectories: true)
            return earlier
        }
        let positions = Dictionary(files.enumerated().map { ($1.path, $0) }) { first, _ in first }
        for name in names {
            let path = staging + "/" + name
            guard let number = Self.partNumber(name), let part = try? Database(path: path),
                  (try? part.metadata(Self.buildKeyName)) == buildKey,
                  let committed = try? part.documentCount(),
                  committed == 0 || ((try? Segment(path: path + Part.segmentSuffix, facetCount: Schema.facets.count))?.span ?? -1) >= Int(committed),
                  let manifest = try? FileEntry.manifest(keys: part.metadataKeys(prefix: Schema.Metadata.filePrefix), value: part.metadata),
                  manifest.values.allSatisfy({ entry in
                      positions[entry.path].map { files[$0].hash == entry.hash && earlier.outcomes[$0] == nil } ?? false
                  })
            else {
                if !name.hasSuffix(Part.segmentSuffix) {
                    try? manager.removeItem(atPath: path)
                    try? manager.removeItem(atPath: path + Part.segmentSuffix)
                }
                continue
            }
            for entry in manifest.values { earlier.outcomes[positions[entry.path]!] = .resumed(entry) }
            CodeNames.merge(CodeNames.decode((try? part.metadata(Schema.Metadata.codeNames)) ?? ""), into: &earlier.codeNames)
            earlier.partPaths.append(path)
            earlier.nextPart = max(earlier.nextPart, number + 1)
        }
        return earlier
    }

    static func partNumber(_ name: String) -> Int? {
        name.hasPrefix("part-") ? Int(name.dropFirst(5)) : nil
    }

    /// One worker's part database being written. Its changes go in transactions that end at
    /// file boundaries, so that a commit (ours, never Xapian's automatic one) holds whole files
    /// and their manifest entries.
    fileprivate final class Part {
        /// The part's side-store segment sits beside it: `part-N.gks`.
        static let segmentSuffix = ".gks"

        let path: String
        let database: WritableDatabase
        let buildKey: String
        private(set) var files = 0
        private(set) var codeNames: [String: String] = [:]
        private var inTransaction = false
        private let segment = SegmentBuilder(firstDocid: 1)

        init(path: String, buildKey: String) throws {
            self.path = path
            database = try WritableDatabase(path: path, mode: .createOrOverwrite, noSync: true)
            self.buildKey = buildKey
        }

        func add(_ file: PreparedFile) throws {
            try beginIfNeeded()
            for record in file.records { segment.add(record, docid: try database.addDocument(record.document)) }
            try database.setMetadata(Schema.Metadata.filePrefix + file.entry.path, file.entry.encoded)
            CodeNames.merge(file.codeNames, into: &codeNames)
        }

        /// Counts a file done (written or failed) and commits every `commitEvery` files.
        func fileDone(commitEvery: Int) throws {
            files += 1
            if files % commitEvery == 0 { try commit() }
        }

        /// Writes the part's segment, then commits: a segment never holds fewer documents than
        /// its part has committed (a kill between the two leaves it with more, which the merge
        /// leaves out).
        func commit() throws {
            guard inTransaction else { return }
            try database.setMetadata(Schema.Metadata.codeNames, CodeNames.encode(codeNames))
            try segment.write(to: path + Self.segmentSuffix, sync: false)
            try database.commitTransaction()
            inTransaction = false
        }

        private func beginIfNeeded() throws {
            guard !inTransaction else { return }
            try database.beginTransaction()
            try database.setMetadata(ParallelBuild.buildKeyName, buildKey)
            inTransaction = true
        }
    }
}

/// What the workers of a parallel build share.
private final class SharedBuildState: Sendable {
    private struct State {
        var next = 0
        var outcomes: [ParallelBuild.FileOutcome?]
        var codeNames: [String: String]
        var error: (any Error)?
        var partPaths: [String] = []
        var nextPart: Int
    }

    private let state: Mutex<State>

    init(outcomes: [ParallelBuild.FileOutcome?], codeNames: [String: String], firstPart: Int) {
        state = Mutex(State(outcomes: outcomes, codeNames: codeNames, nextPart: firstPart))
    }

    var outcomes: [ParallelBuild.FileOutcome?] { state.withLock { $0.outcomes } }
    var codeNames: [String: String] { state.withLock { $0.codeNames } }
    var error: (any Error)? { state.withLock { $0.error } }
    var partPaths: [String] { state.withLock { $0.partPaths } }

    /// The next file to prepare (one no earlier build committed), or nil when all are taken or
    /// a worker failed.
    func nextFile() -> Int? {
        state.withLock { state in
            guard state.error == nil else { return nil }
            while state.next < state.outcomes.count, state.outcomes[state.next] != nil { state.next += 1 }
            guard state.next < state.outcomes.count else { return nil }
            state.next += 1
            return state.next - 1
        }
    }

    /// A path for one more part database under `staging`.
    func newPartPath(in staging: String) -> String {
        state.withLock { state in
            let path = "\(staging)/part-\(state.nextPart)"
            state.nextPart += 1
            state.partPaths.append(path)
            return path
        }
    }

    func finish(_ index: Int, _ outcome: ParallelBuild.FileOutcome, _ onFile: (Int, ParallelBuild.FileOutcome) -> Void) {
        state.withLock { state in
            state.outcomes[index] = outcome
            onFile(index, outcome)
        }
    }

    func addCodeNames(_ names: [String: String]) {
        state.withLock { CodeNames.merge(names, into: &$0.codeNames) }
    }

    func fail(_ failure: any Error) {
        state.withLock { state in
            if state.error == nil { state.error = failure }
        }
    }
}
