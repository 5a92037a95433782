import ChineseAnalysis
import Disclosure
import Foundation
import Xapian

/// What one indexing run did.
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
    /// Bytes of source text read and indexed in this run.
    public var bytes = 0
    /// Source documents in the database after the run.
    public var documents = 0
    public var seconds = 0.0

    public init() {}
}

/// The manifest entry of one indexed file, stored as database metadata so that a rerun can tell
/// unchanged files from changed ones in the same commit as their records.
struct FileEntry: Equatable {
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

/// Writes parsed disclosures into the Xapian database. One indexer writes at a time: Xapian's
/// lock makes a second one fail at once with a clear message.
public final class Indexer {
    public let databasePath: String
    private let parser = DisclosureParser()
    private let analyzer: Analyzer
    /// Files between commits: a crash loses at most this many files' work.
    public var filesPerCommit = 100

    public init(databasePath: String, analyzer: Analyzer) {
        self.databasePath = databasePath
        self.analyzer = analyzer
    }

    /// Indexes the files at `paths` (folders recursively). Files indexed before whose content is
    /// unchanged are skipped; changed files have all their records replaced; files that no longer
    /// exist lose their records unless `keepMissing`.
    public func run(paths: [String], keepMissing: Bool = false) throws -> IndexSummary {
        let started = Date()
        var summary = IndexSummary()
        let database: WritableDatabase
        do {
            database = try WritableDatabase(path: databasePath)
        } catch let error as XapianError where error.type == "DatabaseLockError" {
            throw IndexError.locked(databasePath)
        }
        var manifest = try loadManifest(database)
        var codeNames = try loadCodeNames(database)

        let files = try SourceFiles.list(paths)
        var sinceCommit = 0
        for path in files {
            do {
                let bytes = try SourceFiles.read(path)
                let hash = ContentHash.fnv1a64(bytes)
                let name = (path as NSString).lastPathComponent
                if let previous = manifest[path], previous.hash == hash, previous.size == bytes.count {
                    summary.unchanged.append(path)
                    continue
                }
                if let clash = manifest.values.first(where: { $0.name == name && $0.path != path }) {
                    throw IndexError.duplicateFileName(name, clash.path)
                }
                let text = try TextDecoding.decode(bytes)
                let document = parser.parse(text: text, fileName: name)
                for (code, name) in document.codeNames where codeNames[code] == nil { codeNames[code] = name }
                let isUpdate = manifest[path] != nil
                try database.deleteDocuments(term: Schema.term(Schema.Prefix.file, name))
                for (ordinal, record) in document.records.enumerated() {
                    let made = RecordDocument.make(record: record, ordinal: ordinal, document: document, analyzer: analyzer)
                    try database.replaceDocument(uniqueTerm: Schema.term(Schema.Prefix.uniqueID, made.id), made.document)
                    for code in record.codes {
                        if let name = code.name, codeNames[code.code] == nil { codeNames[code.code] = name }
                    }
                }
                let entry = FileEntry(path: path, name: name, hash: hash, size: bytes.count, records: document.records.count)
                try database.setMetadata(Schema.Metadata.filePrefix + path, entry.encoded)
                manifest[path] = entry
                if isUpdate { summary.updated.append(path) } else { summary.added.append(path) }
                summary.records += document.records.count
                summary.bytes += bytes.count
                sinceCommit += 1
                if sinceCommit >= filesPerCommit {
                    try commit(database, manifest: manifest, codeNames: codeNames)
                    sinceCommit = 0
                }
            } catch let error as XapianError {
                // A database error is not the file's fault: stop rather than report every file.
                throw IndexError.database(error.description)
            } catch {
                summary.failed.append(.init(path: path, reason: String(describing: error)))
            }
        }

        if !keepMissing {
            for entry in manifest.values.sorted(by: { $0.path < $1.path }) where !FileManager.default.fileExists(atPath: entry.path) {
                try database.deleteDocuments(term: Schema.term(Schema.Prefix.file, entry.name))
                try database.setMetadata(Schema.Metadata.filePrefix + entry.path, "")
                manifest[entry.path] = nil
                summary.removed.append(entry.path)
            }
        }
        try commit(database, manifest: manifest, codeNames: codeNames)
        summary.documents = manifest.count
        summary.seconds = Date().timeIntervalSince(started)
        return summary
    }

    private func commit(_ database: WritableDatabase, manifest: [String: FileEntry], codeNames: [String: String]) throws {
        try database.setMetadata(Schema.Metadata.schemaVersion, Schema.version)
        try database.setMetadata(Schema.Metadata.documentCount, String(manifest.count))
        let names = JSONValue.object(codeNames.keys.sorted().map { ($0, .string(codeNames[$0]!)) })
        try database.setMetadata(Schema.Metadata.codeNames, names.serialized())
        try database.commit()
    }

    private func loadManifest(_ database: WritableDatabase) throws -> [String: FileEntry] {
        var manifest: [String: FileEntry] = [:]
        for key in try database.metadataKeys(prefix: Schema.Metadata.filePrefix) {
            let path = String(key.dropFirst(Schema.Metadata.filePrefix.count))
            if let entry = FileEntry(path: path, encoded: try database.metadata(key)) {
                manifest[path] = entry
            }
        }
        return manifest
    }

    private func loadCodeNames(_ database: WritableDatabase) throws -> [String: String] {
        let stored = try database.metadata(Schema.Metadata.codeNames)
        guard !stored.isEmpty, case .object(let members)? = try? JSONValue.parse(Array(stored.utf8)) else { return [:] }
        var names: [String: String] = [:]
        for (code, value) in members { names[code] = value.stringValue }
        return names
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
            return "another indexer is writing \(path); wait for it to finish"
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
