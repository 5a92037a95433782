import ChineseAnalysis
import Disclosure
import Foundation
import Glibc
import Xapian

/// What one indexing run did (or, with `dryRun`, would do).
public struct IndexSummary: Sendable, Equatable {
    public struct Failure: Sendable, Equatable {
        public var path: String
        public var reason: String
    }

    public var added: [String] = []
    public var updated: [String] = []
    public var unchanged: [String] = []
    public var removed: [String] = []
    public var failed: [Failure] = []
    /// Records written in this run.
    public var records = 0
    /// Bytes of source text parsed and indexed in this run.
    public var bytes = 0
    /// Source documents in the database after the run.
    public var documents = 0
    public var seconds = 0.0
    /// Whether the run rebuilt everything because the schema changed.
    public var rebuilt = false
    public var dryRun = false

    public init() {}
}

public struct IndexOptions: Sendable {
    /// Keep the records of files that no longer exist.
    public var keepMissing = false
    /// Report what would change without writing.
    public var dryRun = false
    /// Threads that read, parse and analyze files; one more writes.
    public var workers = max(1, ProcessInfo.processInfo.activeProcessorCount)
    /// Files between commits: a crash loses at most this many files' work.
    public var filesPerCommit = 200
    /// Called on the writing thread after each file.
    public var progress: (@Sendable (IndexProgress) -> Void)?
    /// Domain names to learn besides the index's own and its changed files': the shards of a
    /// sharded index all learn every shard's names, so that they share one vocabulary.
    public var sharedDomainNames: Set<String> = []
    /// Files whose records are removed although they still exist: they moved to another shard.
    public var movedAway: Set<String> = []
    /// The version of the fiscal vocabulary the daemon will expand queries with, recorded in the
    /// index (`Schema.Metadata.fiscalVocabulary`); nil leaves the recorded one as it is.
    public var vocabularyVersion: String?

    public init() {}
}

/// Where a run is, for progress displays.
public struct IndexProgress: Sendable {
    public var filesDone: Int
    public var filesTotal: Int
    public var bytesDone: Int
    public var bytesTotal: Int
    public var records: Int
    public var seconds: Double
}

/// Writes parsed disclosures into the Xapian database. Files are read, parsed and analyzed on
/// several threads and written by one (Xapian allows one writer); a second indexer on the same
/// database fails at once with `IndexError.locked`.
///
/// A run reads changed files twice: first to learn the domain names they bring (so that every
/// record of the run is analyzed with the same vocabulary, which is stored with the index for the
/// daemon), then to write their records.
public final class Indexer {
    public let databasePath: String
    private let lexicon: Lexicon
    /// The side store kept in step with the writer during a run.
    private var side: SideStoreWriter?

    public init(databasePath: String, lexicon: Lexicon) {
        self.databasePath = databasePath
        self.lexicon = lexicon
    }

    /// Indexes the files at `paths` (folders recursively). Unchanged files (same content hash) are
    /// skipped, changed ones have all their records replaced, and files that no longer exist lose
    /// their records unless `keepMissing`. A file that fails is reported and the rest indexed.
    public func run(paths: [String], options: IndexOptions = IndexOptions()) throws -> IndexSummary {
        let started = Date()
        let files = try SourceFiles.list(paths)
        var database: WritableDatabase? = try openDatabase()
        // Left by a parallel build that crashed; ours now that we hold the lock.
        try? FileManager.default.removeItem(atPath: databasePath + ".building")
        var state = try IndexState.load(database!)
        if let version = options.vocabularyVersion { state.fiscalVocabulary = version }
        var summary = IndexSummary()
        summary.dryRun = options.dryRun
        // An index written by another schema version cannot be patched file by file, nor one
        // whose side store is missing.
        side = try? openSideStore(database!)
        if (state.schemaVersion != nil && state.schemaVersion != Schema.version) || side == nil {
            summary.rebuilt = state.schemaVersion != nil || !state.manifest.isEmpty
            if options.dryRun {
                state.forgetEverything()
            } else {
                try deleteEverything(database!, state: &state)
                side = try openSideStore(database!, empty: true)
            }
        }

        // Pass 1: which files changed, and the names they bring.
        var changed: [String] = []
        var names = Set(state.domainNames).union(options.sharedDomainNames)
        let scanner = FileScanner(manifest: state.manifest)
        try ParallelMap.run(files, workers: options.workers, transform: scanner.scan) { _, outcome in
            switch outcome {
            case .unchanged(let path): summary.unchanged.append(path)
            case .failed(let path, let reason): summary.failed.append(.init(path: path, reason: reason))
            case .changed(let scan):
                if let clash = state.manifest.values.first(where: { $0.name == scan.entry.name && $0.path != scan.entry.path }) {
                    summary.failed.append(.init(path: scan.entry.path, reason: IndexError.duplicateFileName(scan.entry.name, clash.path).description))
                    return
                }
                changed.append(scan.entry.path)
                names.formUnion(scan.names)
                if options.dryRun {
                    if state.manifest[scan.entry.path] != nil { summary.updated.append(scan.entry.path) } else { summary.added.append(scan.entry.path) }
                    summary.records += scan.entry.records
                    summary.bytes += scan.entry.size
                }
            }
        }
        if options.dryRun {
            summary.removed = missingEntries(state, listed: Set(files), options: options).map(\.path)
            summary.documents = state.manifest.count + summary.added.count - summary.removed.count
            summary.seconds = Date().timeIntervalSince(started)
            return summary
        }

        // Pass 2: write the changed files' records.
        let learnedNames = names.sorted()
        let namesChanged = learnedNames != state.domainNames || state.domainVocabulary.isEmpty
        state.domainNames = learnedNames
        if changed.isEmpty {
            if namesChanged {
                state.domainVocabulary = Analyzer.learnedVocabulary(from: learnedNames, lexicon: lexicon).encoded()
            }
        } else {
            let analyzer = Analyzer(lexicon: lexicon, domainNames: state.domainNames)
            state.domainVocabulary = analyzer.vocabulary.encoded()
            let tracker = ProgressTracker(files: changed, started: started, report: options.progress)
            // A new database is built in parallel parts; an existing one is updated in place.
            if state.manifest.isEmpty && options.workers > 1 && changed.count >= options.workers * 4 {
                database = nil
                side = nil
                try buildInParallel(changed, analyzer: analyzer, workers: options.workers, state: &state,
                                    summary: &summary, tracker: tracker)
                database = try openDatabase()
                side = try openSideStore(database!)
            } else {
                try updateInPlace(changed, analyzer: analyzer, options: options, database: database!, state: &state,
                                  summary: &summary, tracker: tracker)
            }
        }

        for entry in missingEntries(state, listed: Set(files), options: options) {
            summary.removed.append(entry.path)
            try deleteRecords(ofFile: entry.name, in: database!)
            try database!.setMetadata(Schema.Metadata.filePrefix + entry.path, "")
            state.manifest[entry.path] = nil
        }
        try commit(database!, state: state)
        summary.documents = state.manifest.count
        summary.seconds = Date().timeIntervalSince(started)
        return summary
    }

    /// Indexed files whose records go: those that moved to another database (shard), and those
    /// that no longer exist unless they are to be kept.
    private func missingEntries(_ state: IndexState, listed: Set<String>, options: IndexOptions) -> [FileEntry] {
        state.manifest.values.sorted { $0.path < $1.path }.filter { entry in
            guard !listed.contains(entry.path) else { return false }
            if options.movedAway.contains(entry.path) { return true }
            return !options.keepMissing && !FileManager.default.fileExists(atPath: entry.path)
        }
    }

    /// One writer, fed by parallel preparation; commits every `filesPerCommit` files so a crash
    /// keeps what was committed.
    private func updateInPlace(_ changed: [String], analyzer: Analyzer, options: IndexOptions, database: WritableDatabase,
                               state: inout IndexState, summary: inout IndexSummary, tracker: ProgressTracker) throws {
        var sinceCommit = 0
        let preparer = FilePreparer(analyzer: analyzer)
        try ParallelMap.run(changed, workers: options.workers, transform: preparer.prepare) { index, outcome in
            switch outcome {
            case .failed(let path, let reason):
                summary.failed.append(.init(path: path, reason: reason))
                tracker.fileDone(index, records: 0)
            case .prepared(let file):
                if state.manifest[file.entry.path] != nil { summary.updated.append(file.entry.path) } else { summary.added.append(file.entry.path) }
                summary.records += file.entry.records
                summary.bytes += file.entry.size
                try write(file, to: database, state: &state)
                tracker.fileDone(index, records: file.entry.records)
                sinceCommit += 1
                if sinceCommit >= options.filesPerCommit {
                    try commit(database, state: state)
                    sinceCommit = 0
                }
            }
        }
    }

    /// Builds the whole database in parallel parts, merges them, and puts the result in place of
    /// the (empty) database. Until the swap, the empty database is what readers see; a crash
    /// before it leaves that empty database and a staging folder the next run removes.
    private func buildInParallel(_ changed: [String], analyzer: Analyzer, workers: Int, state: inout IndexState,
                                 summary: inout IndexSummary, tracker: ProgressTracker) throws {
        let staging = databasePath + ".building"
        defer { try? FileManager.default.removeItem(atPath: staging) }
        let build = ParallelBuild(staging: staging, analyzer: analyzer, workers: workers)
        let result: ParallelBuild.Result
        do {
            result = try build.run(files: changed) { index, outcome in
                if case .written(let entry) = outcome { tracker.fileDone(index, records: entry.records) } else { tracker.fileDone(index, records: 0) }
            }
        } catch let error as XapianError {
            throw IndexError.database(error.description)
        }
        for outcome in result.outcomes {
            switch outcome {
            case .failed(let path, let reason):
                summary.failed.append(.init(path: path, reason: reason))
            case .written(let entry):
                summary.added.append(entry.path)
                summary.records += entry.records
                summary.bytes += entry.size
                state.manifest[entry.path] = entry
            }
        }
        CodeNames.merge(result.codeNames, into: &state.codeNames)
        do {
            let merged = try WritableDatabase(path: result.mergedPath)
            let mergedSide = try SideStoreWriter(layout: SideStoreLayout(databasePath: result.mergedPath),
                                                 revision: try merged.revision(), databaseIsEmpty: true)
            try mergedSide.adopt(segmentAt: result.sideSegmentPath)
            try commit(merged, state: state, side: mergedSide)
        } catch let error as XapianError {
            throw IndexError.database(error.description)
        }
        // The swap: readers that reopen see the new database; a second indexer is kept out by
        // the lock until this indexer's writer is closed, which the caller did.
        let old = staging + "/old"
        try FileManager.default.moveItem(atPath: databasePath, toPath: old)
        try FileManager.default.moveItem(atPath: result.mergedPath, toPath: databasePath)
    }

    /// The side store of the database's revision; with `empty`, a new empty one.
    private func openSideStore(_ database: WritableDatabase, empty: Bool = false) throws -> SideStoreWriter {
        do {
            return try SideStoreWriter(layout: SideStoreLayout(databasePath: databasePath), revision: try database.revision(),
                                       databaseIsEmpty: empty || database.documentCount == 0)
        } catch let error as XapianError {
            throw IndexError.database(error.description)
        }
    }

    /// Deletes a file's records from the database and the side store.
    private func deleteRecords(ofFile name: String, in database: WritableDatabase) throws {
        let term = Schema.term(Schema.Prefix.file, name)
        side?.delete(try database.docids(term: term))
        try database.deleteDocuments(term: term)
    }

    private func openDatabase() throws -> WritableDatabase {
        do {
            return try WritableDatabase(path: databasePath)
        } catch let error as XapianError where error.type == "DatabaseLockError" {
            throw IndexError.locked(databasePath)
        } catch let error as XapianError {
            throw IndexError.database(error.description)
        }
    }

    private func write(_ file: PreparedFile, to database: WritableDatabase, state: inout IndexState) throws {
        do {
            // Every record id of a file starts with its name, so once the file's old records are
            // gone no new record can replace one: adding skips the unique-term lookup.
            try deleteRecords(ofFile: file.entry.name, in: database)
            for record in file.records {
                try side?.add(record, docid: try database.addDocument(record.document))
            }
            try database.setMetadata(Schema.Metadata.filePrefix + file.entry.path, file.entry.encoded)
        } catch let error as XapianError {
            // A database error is not the file's fault: stop rather than fail every file.
            throw IndexError.database(error.description)
        }
        state.manifest[file.entry.path] = file.entry
        CodeNames.merge(file.codeNames, into: &state.codeNames)
    }

    private func deleteEverything(_ database: WritableDatabase, state: inout IndexState) throws {
        for entry in state.manifest.values {
            try database.deleteDocuments(term: Schema.term(Schema.Prefix.file, entry.name))
            try database.setMetadata(Schema.Metadata.filePrefix + entry.path, "")
        }
        // Records of files the manifest does not know (a side store that went missing) go too.
        for term in try database.allTerms(prefix: Schema.Prefix.file) { try database.deleteDocuments(term: term) }
        side?.removeEverything()
        state.forgetEverything()
    }

    private func commit(_ database: WritableDatabase, state: IndexState, side: SideStoreWriter? = nil) throws {
        do {
            try database.setMetadata(Schema.Metadata.schemaVersion, Schema.version)
            try database.setMetadata(Schema.Metadata.documentCount, String(state.manifest.count))
            try database.setMetadata(Schema.Metadata.codeNames, CodeNames.encode(state.codeNames))
            try database.setMetadata(Schema.Metadata.domainNames, DomainNames.encode(state.domainNames))
            try database.setMetadata(Schema.Metadata.domainVocabulary, state.domainVocabulary)
            try database.setMetadata(Schema.Metadata.fiscalVocabulary, state.fiscalVocabulary)
            // The side store of the revision this commit makes is written first, so that a reader
            // of that revision finds it.
            let revision = try database.revision() + 1
            try (side ?? self.side)?.prepareCommit(revision: revision)
            try database.commit()
            (side ?? self.side)?.committed(revision: revision)
        } catch let error as XapianError {
            throw IndexError.database(error.description)
        } catch let error as SideStoreError {
            throw IndexError.database(error.description)
        }
    }
}

/// The database's own record of what it holds, kept in its metadata so that it commits
/// together with the records.
struct IndexState {
    var schemaVersion: String?
    var manifest: [String: FileEntry]
    var codeNames: [String: String]
    var domainNames: [String]
    /// `DomainVocabularyData.encoded()` of the analyzer learned from `domainNames`; empty when unknown.
    var domainVocabulary = ""
    /// The fiscal vocabulary's version; empty when unknown.
    var fiscalVocabulary = ""

    mutating func forgetEverything() {
        manifest.removeAll()
        codeNames.removeAll()
        domainNames.removeAll()
        domainVocabulary = ""
    }

    static func load(_ database: WritableDatabase) throws -> IndexState {
        let version = try database.metadata(Schema.Metadata.schemaVersion)
        var manifest: [String: FileEntry] = [:]
        for key in try database.metadataKeys(prefix: Schema.Metadata.filePrefix) {
            let path = String(key.dropFirst(Schema.Metadata.filePrefix.count))
            if let entry = FileEntry(path: path, encoded: try database.metadata(key)) { manifest[path] = entry }
        }
        let codeNames = CodeNames.decode(try database.metadata(Schema.Metadata.codeNames))
        return IndexState(schemaVersion: version.isEmpty ? nil : version, manifest: manifest, codeNames: codeNames,
                          domainNames: DomainNames.decode(try database.metadata(Schema.Metadata.domainNames)),
                          domainVocabulary: try database.metadata(Schema.Metadata.domainVocabulary),
                          fiscalVocabulary: try database.metadata(Schema.Metadata.fiscalVocabulary))
    }
}

/// Classification code names as printed. Documents print some names differently (`（室）` and
/// `(室)`); the smallest spelling wins so that the result does not depend on file order.
enum CodeNames {
    static func merge(_ names: [String: String], into target: inout [String: String]) {
        for (code, name) in names where target[code].map({ name < $0 }) ?? true { target[code] = name }
    }

    /// The metadata form: a JSON object, codes sorted.
    static func encode(_ names: [String: String]) -> String {
        JSONValue.object(names.keys.sorted().map { ($0, .string(names[$0]!)) }).serialized()
    }

    static func decode(_ stored: String) -> [String: String] {
        guard case .object(let members)? = try? JSONValue.parse(Array(stored.utf8)) else { return [:] }
        var names: [String: String] = [:]
        for (code, value) in members { if let name = value.stringValue { names[code] = name } }
        return names
    }
}

/// Progress across the files of pass 2, reported after each file.
final class ProgressTracker: @unchecked Sendable {
    // `progress` is guarded by `lock`; files finish on several threads in a parallel build.
    private let lock = NSLock()
    private var progress: IndexProgress
    private let sizes: [Int]
    private let started: Date
    private let report: (@Sendable (IndexProgress) -> Void)?

    init(files: [String], started: Date, report: (@Sendable (IndexProgress) -> Void)?) {
        sizes = files.map { SourceFiles.size($0) }
        self.started = started
        self.report = report
        progress = IndexProgress(filesDone: 0, filesTotal: files.count, bytesDone: 0, bytesTotal: sizes.reduce(0, +),
                                 records: 0, seconds: 0)
    }

    func fileDone(_ index: Int, records: Int) {
        lock.lock()
        defer { lock.unlock() }
        progress.filesDone += 1
        progress.bytesDone += sizes[index]
        progress.records += records
        progress.seconds = Date().timeIntervalSince(started)
        report?(progress)
    }
}

/// The manifest entry of one indexed file.
struct FileEntry: Equatable, Sendable {
    var path: String
    var name: String
    var hash: String
    var size: Int
    var records: Int

    var encoded: String { "\(hash)\t\(size)\t\(records)\t\(name)" }

    init(path: String, name: String, hash: String, size: Int, records: Int) {
        self.path = path
        self.name = name
        self.hash = hash
        self.size = size
        self.records = records
    }

    init?(path: String, encoded: String) {
        let parts = encoded.split(separator: "\t", omittingEmptySubsequences: false)
        guard parts.count == 4, let size = Int(parts[1]), let records = Int(parts[2]) else { return nil }
        self.init(path: path, name: String(parts[3]), hash: String(parts[0]), size: size, records: records)
    }
}

/// What the first pass learns of a changed file.
struct FileScan: Sendable {
    var entry: FileEntry
    var names: Set<String>
    /// District, year, …: what a sharded index routes the file by.
    var info: DocumentInfo
}

enum ScanOutcome: Sendable {
    case unchanged(String)
    case changed(FileScan)
    case failed(String, String)
}

/// Reads and hashes a file and, when it changed, parses it for its domain names. Safe to call
/// from several threads at once.
struct FileScanner: Sendable {
    let manifest: [String: FileEntry]
    private let parser = DisclosureParser()

    init(manifest: [String: FileEntry]) {
        self.manifest = manifest
    }

    func scan(_ path: String) -> ScanOutcome {
        do {
            let bytes = try SourceFiles.read(path)
            let hash = ContentHash.fnv1a64(bytes)
            if let previous = manifest[path], previous.hash == hash, previous.size == bytes.count {
                return .unchanged(path)
            }
            let (document, entry) = try SourceFiles.parse(bytes, path: path, hash: hash, parser: parser)
            return .changed(FileScan(entry: entry, names: DomainNames.collect(from: document), info: document.info))
        } catch {
            return .failed(path, String(describing: error))
        }
    }
}

/// A changed file made ready for the writer on a worker thread.
enum PrepareOutcome: @unchecked Sendable {
    // The Xapian documents inside are built by one thread and handed whole to the writer.
    case prepared(PreparedFile)
    case failed(String, String)
}

struct PreparedFile {
    var entry: FileEntry
    var records: [IndexedRecord]
    var codeNames: [String: String]
}

/// Reads, parses and analyzes one file into Xapian documents. Safe to call from several threads.
struct FilePreparer: Sendable {
    let analyzer: Analyzer
    private let parser = DisclosureParser()

    init(analyzer: Analyzer) {
        self.analyzer = analyzer
    }

    func prepare(_ path: String) -> PrepareOutcome {
        do {
            let bytes = try SourceFiles.read(path)
            let (document, entry) = try SourceFiles.parse(bytes, path: path, hash: ContentHash.fnv1a64(bytes), parser: parser)
            var codeNames = document.codeNames
            for record in document.records {
                for code in record.codes { if let name = code.name { CodeNames.merge([code.code: name], into: &codeNames) } }
            }
            let records = document.records.enumerated().map { ordinal, record in
                RecordDocument.make(record: record, ordinal: ordinal, document: document, analyzer: analyzer)
            }
            return .prepared(PreparedFile(entry: entry, records: records, codeNames: codeNames))
        } catch {
            return .failed(path, String(describing: error))
        }
    }
}

/// Runs `transform` over items on worker threads and hands each result, in input order, to
/// `consume` on the calling thread. At most a few results wait at a time, so memory stays
/// bounded whatever the number of items.
enum ParallelMap {
    static func run<Output>(_ items: [String], workers: Int, transform: @escaping @Sendable (String) -> Output,
                            consume: (Int, Output) throws -> Void) throws where Output: Sendable {
        let window = max(2, workers * 2)
        let channel = ResultWindow<Output>(capacity: window)
        let group = DispatchGroup()
        let queue = DispatchQueue(label: "gongkai.index.workers", attributes: .concurrent)
        for worker in 0..<max(1, workers) {
            queue.async(group: group) {
                var index = worker
                while index < items.count {
                    guard channel.waitForRoom(index) else { return }
                    channel.put(index, transform(items[index]))
                    index += max(1, workers)
                }
            }
        }
        defer {
            channel.cancel()
            group.wait()
        }
        for index in items.indices {
            try consume(index, channel.take(index))
        }
    }
}

/// Results keyed by input position; a worker may run at most `capacity` items ahead of the
/// consumer.
final class ResultWindow<Output: Sendable>: @unchecked Sendable {
    // All state is guarded by `condition`.
    private let condition = NSCondition()
    private var results: [Int: Output] = [:]
    private var consumed = 0
    private var cancelled = false
    private let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
    }

    /// Blocks until item `index` is within the window; false when the run was cancelled.
    func waitForRoom(_ index: Int) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while index >= consumed + capacity && !cancelled { condition.wait() }
        return !cancelled
    }

    func put(_ index: Int, _ output: Output) {
        condition.lock()
        results[index] = output
        condition.broadcast()
        condition.unlock()
    }

    func take(_ index: Int) -> Output {
        condition.lock()
        defer { condition.unlock() }
        while results[index] == nil { condition.wait() }
        consumed = index + 1
        condition.broadcast()
        return results.removeValue(forKey: index)!
    }

    func cancel() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        condition.unlock()
    }
}

public enum IndexError: Error, CustomStringConvertible, Equatable {
    case locked(String)
    case duplicateFileName(String, String)
    case database(String)
    case noSuchPath(String)

    public var description: String {
        switch self {
        case .locked(let path):
            return "another indexer is writing \(path); try again when it has finished"
        case .duplicateFileName(let name, let other):
            return "a different file with the same name \(name) is already indexed (\(other)); file names must be unique"
        case .database(let message):
            return "database error: \(message)"
        case .noSuchPath(let path):
            return "no such file or folder: \(path)"
        }
    }
}

/// Finds and reads source files.
enum SourceFiles {
    /// Regular files at `paths`, folders searched recursively, hidden entries skipped; absolute,
    /// sorted, without duplicates.
    static func list(_ paths: [String]) throws -> [String] {
        let manager = FileManager.default
        var files = Set<String>()
        for path in paths {
            let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
            var isDirectory: ObjCBool = false
            guard manager.fileExists(atPath: absolute, isDirectory: &isDirectory) else {
                throw IndexError.noSuchPath(path)
            }
            if !isDirectory.boolValue {
                files.insert(absolute)
                continue
            }
            guard let walker = manager.enumerator(atPath: absolute) else { continue }
            while let relative = walker.nextObject() as? String {
                if relative.split(separator: "/").contains(where: { $0.hasPrefix(".") }) { continue }
                let full = absolute + "/" + relative
                var isDir: ObjCBool = false
                if manager.fileExists(atPath: full, isDirectory: &isDir), !isDir.boolValue {
                    files.insert(full)
                }
            }
        }
        return files.sorted()
    }

    /// The size of the file a path leads to (through symbolic links).
    static func size(_ path: String) -> Int {
        var info = stat()
        return stat(path, &info) == 0 ? Int(info.st_size) : 0
    }

    /// The file's records, and its manifest entry.
    static func parse(_ bytes: [UInt8], path: String, hash: String, parser: DisclosureParser) throws
        -> (document: ParsedDocument, entry: FileEntry)
    {
        let name = (path as NSString).lastPathComponent
        // Text, HTML, PDF, XLSX or XLS: the parser tells them apart by content.
        let document = try parser.parse(bytes: bytes, fileName: name)
        return (document, FileEntry(path: path, name: name, hash: hash, size: bytes.count, records: document.records.count))
    }

    static func read(_ path: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DisclosureError.unreadable(path: path, reason: "cannot open")
        }
        return [UInt8](data)
    }
}

/// Content fingerprint for change detection (not for security).
enum ContentHash {
    static func fnv1a64(_ bytes: [UInt8]) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01B3
        }
        let hex = String(hash, radix: 16)
        return "fnv1a64:" + String(repeating: "0", count: 16 - hex.count) + hex
    }
}
