import ChineseAnalysis
import Disclosure
import Foundation
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
        let database = try openDatabase()
        var state = try IndexState.load(database)
        var summary = IndexSummary()
        summary.dryRun = options.dryRun
        // An index written by another schema version cannot be patched file by file.
        if state.schemaVersion != nil && state.schemaVersion != Schema.version {
            summary.rebuilt = true
            if options.dryRun {
                state.forgetEverything()
            } else {
                try deleteEverything(database, state: &state)
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

        // Pass 2: write the changed files' records.
        if !options.dryRun { state.domainNames = names.sorted() }
        if !options.dryRun && !changed.isEmpty {
            let analyzer = Analyzer(lexicon: lexicon, domainNames: state.domainNames)
            let sizes = changed.map { SourceFiles.size($0) }
            var progress = IndexProgress(filesDone: 0, filesTotal: changed.count, bytesDone: 0,
                                         bytesTotal: sizes.reduce(0, +), records: 0, seconds: 0)
            var sinceCommit = 0
            let preparer = FilePreparer(analyzer: analyzer)
            try ParallelMap.run(changed, workers: options.workers, transform: preparer.prepare) { index, outcome in
                progress.filesDone += 1
                progress.bytesDone += sizes[index]
                switch outcome {
                case .failed(let path, let reason):
                    summary.failed.append(.init(path: path, reason: reason))
                case .prepared(let file):
                    if state.manifest[file.entry.path] != nil { summary.updated.append(file.entry.path) } else { summary.added.append(file.entry.path) }
                    summary.records += file.entry.records
                    summary.bytes += file.entry.size
                    progress.records += file.entry.records
                    try write(file, to: database, state: &state)
                    sinceCommit += 1
                    if sinceCommit >= options.filesPerCommit {
                        try commit(database, state: state)
                        sinceCommit = 0
                    }
                }
                progress.seconds = Date().timeIntervalSince(started)
                options.progress?(progress)
            }
        }

        let listed = Set(files)
        for entry in state.manifest.values.sorted(by: { $0.path < $1.path }) where !listed.contains(entry.path) {
            let gone = !FileManager.default.fileExists(atPath: entry.path)
            guard options.movedAway.contains(entry.path) || (gone && !options.keepMissing) else { continue }
            summary.removed.append(entry.path)
            if options.dryRun { continue }
            try database.deleteDocuments(term: Schema.term(Schema.Prefix.file, entry.name))
            try database.setMetadata(Schema.Metadata.filePrefix + entry.path, "")
            state.manifest[entry.path] = nil
        }
        if options.dryRun {
            summary.documents = state.manifest.count + summary.added.count - summary.removed.count
        } else {
            try commit(database, state: state)
            summary.documents = state.manifest.count
        }
        summary.seconds = Date().timeIntervalSince(started)
        return summary
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
            try database.deleteDocuments(term: Schema.term(Schema.Prefix.file, file.entry.name))
            for record in file.documents {
                try database.replaceDocument(uniqueTerm: record.uniqueTerm, record.document)
            }
            try database.setMetadata(Schema.Metadata.filePrefix + file.entry.path, file.entry.encoded)
        } catch let error as XapianError {
            // A database error is not the file's fault: stop rather than fail every file.
            throw IndexError.database(error.description)
        }
        state.manifest[file.entry.path] = file.entry
        for (code, name) in file.codeNames where state.codeNames[code] == nil { state.codeNames[code] = name }
    }

    private func deleteEverything(_ database: WritableDatabase, state: inout IndexState) throws {
        for entry in state.manifest.values {
            try database.deleteDocuments(term: Schema.term(Schema.Prefix.file, entry.name))
            try database.setMetadata(Schema.Metadata.filePrefix + entry.path, "")
        }
        state.forgetEverything()
    }

    private func commit(_ database: WritableDatabase, state: IndexState) throws {
        do {
            try database.setMetadata(Schema.Metadata.schemaVersion, Schema.version)
            try database.setMetadata(Schema.Metadata.documentCount, String(state.manifest.count))
            let names = JSONValue.object(state.codeNames.keys.sorted().map { ($0, .string(state.codeNames[$0]!)) })
            try database.setMetadata(Schema.Metadata.codeNames, names.serialized())
            try database.setMetadata(Schema.Metadata.domainNames, DomainNames.encode(state.domainNames))
            try database.commit()
        } catch let error as XapianError {
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

    mutating func forgetEverything() {
        manifest.removeAll()
        codeNames.removeAll()
        domainNames.removeAll()
    }

    static func load(_ database: WritableDatabase) throws -> IndexState {
        let version = try database.metadata(Schema.Metadata.schemaVersion)
        var manifest: [String: FileEntry] = [:]
        for key in try database.metadataKeys(prefix: Schema.Metadata.filePrefix) {
            let path = String(key.dropFirst(Schema.Metadata.filePrefix.count))
            if let entry = FileEntry(path: path, encoded: try database.metadata(key)) { manifest[path] = entry }
        }
        var codeNames: [String: String] = [:]
        let stored = try database.metadata(Schema.Metadata.codeNames)
        if case .object(let members)? = try? JSONValue.parse(Array(stored.utf8)) {
            for (code, value) in members { codeNames[code] = value.stringValue }
        }
        return IndexState(schemaVersion: version.isEmpty ? nil : version, manifest: manifest, codeNames: codeNames,
                          domainNames: DomainNames.decode(try database.metadata(Schema.Metadata.domainNames)))
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
            let name = (path as NSString).lastPathComponent
            let document = parser.parse(text: try TextDecoding.decode(bytes), fileName: name)
            let entry = FileEntry(path: path, name: name, hash: hash, size: bytes.count, records: document.records.count)
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
    struct Document {
        var uniqueTerm: String
        var document: Xapian.Document
    }

    var entry: FileEntry
    var documents: [Document]
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
            let name = (path as NSString).lastPathComponent
            let document = parser.parse(text: try TextDecoding.decode(bytes), fileName: name)
            let entry = FileEntry(path: path, name: name, hash: ContentHash.fnv1a64(bytes), size: bytes.count,
                                  records: document.records.count)
            var codeNames = document.codeNames
            for record in document.records {
                for code in record.codes { if let name = code.name, codeNames[code.code] == nil { codeNames[code.code] = name } }
            }
            let documents: [PreparedFile.Document] = document.records.enumerated().map { ordinal, record in
                let made = RecordDocument.make(record: record, ordinal: ordinal, document: document, analyzer: analyzer)
                return PreparedFile.Document(uniqueTerm: Schema.term(Schema.Prefix.uniqueID, made.id), document: made.document)
            }
            return .prepared(PreparedFile(entry: entry, documents: documents, codeNames: codeNames))
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

    static func size(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.intValue ?? 0
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
