import Disclosure
import Foundation
import Glibc

/// Finds, reads and scans source files.
enum SourceFiles {
    /// Regular files at `paths`, folders searched recursively, hidden entries skipped; absolute,
    /// sorted, without duplicates. Anything else found (a FIFO, a socket, a device) is reported
    /// in `refused`: reading it could block forever or never end.
    static func list(_ paths: [String]) throws -> (files: [String], refused: [IndexSummary.Failure]) {
        let manager = FileManager.default
        var files = Set<String>()
        var refused: [String: String] = [:]
        func consider(_ path: String) {
            switch kind(path) {
            case .regular: files.insert(path)
            case .other(let what): refused[path] = "not a regular file (\(what))"
            case .directory, .missing: break
            }
        }
        for path in paths {
            let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
            switch kind(absolute) {
            case .missing:
                throw IndexError.noSuchPath(path)
            case .directory:
                // A folder given through a symbolic link is walked where it leads (Foundation's
                // walker does not enter a link), its files named under the path given.
                let target = URL(fileURLWithPath: absolute).resolvingSymlinksInPath().path
                guard let walker = manager.enumerator(atPath: target) else { continue }
                while let relative = walker.nextObject() as? String {
                    if relative.split(separator: "/").contains(where: { $0.hasPrefix(".") }) { continue }
                    consider(absolute + "/" + relative)
                }
            case .regular, .other:
                consider(absolute)
            }
        }
        return (files.sorted(), refused.keys.sorted().map { IndexSummary.Failure(path: $0, reason: refused[$0]!) })
    }

    private enum Kind {
        case regular, directory, missing
        case other(String)
    }

    /// What a path leads to, through symbolic links.
    private static func kind(_ path: String) -> Kind {
        var info = stat()
        guard stat(path, &info) == 0 else { return .missing }
        switch info.st_mode & S_IFMT {
        case S_IFREG: return .regular
        case S_IFDIR: return .directory
        case S_IFIFO: return .other("a FIFO")
        case S_IFSOCK: return .other("a socket")
        case S_IFCHR, S_IFBLK: return .other("a device")
        default: return .other("an unknown kind of file")
        }
    }

    /// The whole file, through the one reader of source files (`DisclosureParser.readFile`): read(2)
    /// again when a signal interrupts it (the indexer runs under service managers and test runners
    /// whose signals can arrive at any time), regular files only (a FIFO put where a listed file
    /// was must not block), and a binary of no known format refused from its start.
    static func read(_ path: String) throws -> [UInt8] {
        try DisclosureParser.readFile(atPath: path)
    }

    /// The file's records, and its manifest entry.
    static func parse(_ bytes: [UInt8], path: String, hash: String, parser: DisclosureParser) throws
        -> (document: ParsedDocument, entry: FileEntry)
    {
        let name = (path as NSString).lastPathComponent
        let document = try parser.parse(bytes: bytes, fileName: name)
        return (document, FileEntry(path: path, name: name, hash: hash, size: bytes.count, records: document.records.count))
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

/// What the scan learns of a changed file.
struct FileScan: Sendable {
    var entry: FileEntry
    var names: Set<String>
    /// District, year, …: what a sharded index routes the file by.
    var info: DocumentInfo
}

/// The first pass over a run's files: each is hashed, and those that changed are parsed for the
/// domain names they bring (every record of a run is analyzed with one vocabulary, learned
/// before any is written) and for what a sharded index routes them by. An `Indexer` takes a
/// scan made by its caller, so that a sharded run scans each file once for all its shards.
struct Scan: Sendable {
    var unchanged: [String] = []
    var changed: [FileScan] = []
    var failed: [IndexSummary.Failure] = []
    /// The files the run was given: indexed files outside it are kept while they exist.
    var listed: Set<String> = []

    /// Scans `files` on `workers` threads against the `manifest` of what is indexed.
    static func of(_ files: [String], manifest: [String: FileEntry], workers: Int) throws -> Scan {
        var scan = Scan(listed: Set(files))
        let scanner = FileScanner(manifest: manifest)
        try ParallelMap.run(files, workers: workers, transform: scanner.scan) { _, outcome in
            switch outcome {
            case .unchanged(let path): scan.unchanged.append(path)
            case .changed(let file): scan.changed.append(file)
            case .failed(let path, let reason): scan.failed.append(.init(path: path, reason: reason))
            }
        }
        return scan
    }
}

enum ScanOutcome: Sendable {
    case unchanged(String)
    case changed(FileScan)
    case failed(String, String)
}

/// Reads and hashes a file and, when it changed, parses it. Safe to call from several threads.
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
