import ChineseAnalysis
import Disclosure
import Foundation
import Xapian

/// What a sharded index splits its files by.
public enum ShardKey: String, Sendable, CaseIterable {
    case district
    case year

    /// Where a document whose district or year is unknown goes.
    public static let fallbackShard = "unknown"

    /// The shard of a document: the district in pinyin (`xicheng`) or the year (`2023`). ASCII, so
    /// that a shard's name also serves as a systemd instance name and in a URL.
    func shard(for info: DocumentInfo) -> String {
        switch self {
        case .district:
            // Another city's district may share a Beijing district's name (长春市朝阳区): it gets
            // a name of its own.
            let beijing = info.city == nil || info.city == BeijingDistricts.city
            return info.district.map { Self.shardName(forDistrict: beijing ? $0 : info.city! + $0) } ?? Self.fallbackShard
        case .year: return info.year.map(String.init) ?? Self.fallbackShard
        }
    }

    static func shardName(forDistrict district: String) -> String {
        // A district missing from the table still gets a stable ASCII name.
        BeijingDistricts.all.first { $0.name == district }?.pinyin
            ?? "x" + district.utf8.map { String($0, radix: 16) }.joined()
    }
}

/// The files of a sharded index under its `--db` folder:
/// - `shards/<name>/`: one Gongkai database per shard, same schema as an unsharded index;
/// - `shards.stub`: a Xapian stub database (`auto shards/<name>` lines) that opens them all as one,
///   for the daemon and for Xapian's own tools;
/// - `shards.json`: the key and the shard names, for the next indexing run.
public struct ShardLayout: Sendable {
    public let root: String

    public init(root: String) {
        self.root = root
    }

    public var stubPath: String { root + "/shards.stub" }
    var manifestPath: String { root + "/shards.json" }

    func databasePath(_ shard: String) -> String { root + "/shards/" + shard }

    /// Whether `root` holds an unsharded database (which sharding would sit beside, not replace).
    var holdsUnshardedDatabase: Bool {
        FileManager.default.fileExists(atPath: root + "/iamglass")
    }

    /// The key and shards of the sharded index at `root`, or nil when there is none.
    public func read() throws -> (key: ShardKey, shards: [String])? {
        guard let data = FileManager.default.contents(atPath: manifestPath) else { return nil }
        let manifest = try JSONValue.parse(Array(data))
        guard let key = manifest["shard_by"]?.stringValue.flatMap(ShardKey.init(rawValue:)),
              case .array(let names)? = manifest["shards"] else {
            throw ShardingError.badManifest(manifestPath)
        }
        return (key, names.compactMap(\.stringValue))
    }

    /// Writes the stub, then the manifest, each replacing the old one at once.
    func write(key: ShardKey, shards: [String]) throws {
        let stub = shards.map { "auto shards/\($0)\n" }.joined()
        try Data(stub.utf8).write(to: URL(fileURLWithPath: stubPath), options: .atomic)
        let manifest = JSONValue.object([("shard_by", .string(key.rawValue)), ("shards", .array(shards.map(JSONValue.string)))])
        try Data((manifest.serialized() + "\n").utf8).write(to: URL(fileURLWithPath: manifestPath), options: .atomic)
    }
}

public enum ShardingError: Error, CustomStringConvertible, Equatable {
    case keyMismatch(String, stored: ShardKey, requested: ShardKey)
    case unshardedDatabase(String)
    case badManifest(String)

    public var description: String {
        switch self {
        case .keyMismatch(let root, let stored, let requested):
            return "\(root) is sharded by \(stored.rawValue), not \(requested.rawValue); index into a new folder to change the key"
        case .unshardedDatabase(let root):
            return "\(root) holds an unsharded index; index into a new folder to shard"
        case .badManifest(let path):
            return "\(path) is not a shard manifest"
        }
    }
}

/// Writes one database per shard under a folder. Each file is routed by its district or year,
/// then every shard is written by an ordinary `Indexer` with the shard's files. Re-running is
/// incremental per shard; a file whose district or year changed moves to its new shard.
public final class ShardedIndexer {
    public let layout: ShardLayout
    public let key: ShardKey
    private let lexicon: Lexicon

    public init(root: String, key: ShardKey, lexicon: Lexicon) {
        layout = ShardLayout(root: root)
        self.key = key
        self.lexicon = lexicon
    }

    public func run(paths: [String], options: IndexOptions = IndexOptions()) throws -> IndexSummary {
        let started = Date()
        // Held for the whole run, beside each shard's own: another sharded run would route
        // against shard states this one is changing.
        let lock = try IndexLock(databasePath: layout.root)
        let existing = try layout.read()
        if let existing, existing.key != key {
            throw ShardingError.keyMismatch(layout.root, stored: existing.key, requested: key)
        }
        if layout.holdsUnshardedDatabase { throw ShardingError.unshardedDatabase(layout.root) }
        let listing = try SourceFiles.list(paths)
        var states: [String: IndexState] = [:]
        for shard in existing?.shards ?? [] { states[shard] = try loadState(shard) }
        let routing = try route(listing.files, states: states, workers: options.workers)

        try FileManager.default.createDirectory(atPath: layout.root + "/shards", withIntermediateDirectories: true)
        var summary = IndexSummary()
        summary.dryRun = options.dryRun
        summary.failed = listing.refused + routing.failed
        let shards = Set(states.keys).union(routing.scans.keys).sorted()
        for shard in shards {
            var shardOptions = options
            shardOptions.sharedDomainNames = routing.names
            shardOptions.movedAway = routing.movedAway[shard] ?? []
            let indexer = Indexer(databasePath: layout.databasePath(shard), lexicon: lexicon)
            summary.absorb(try indexer.run(scanned: routing.scans[shard] ?? Scan(), options: shardOptions))
        }
        // A file that moved was removed from one shard and added to another: for the user it was updated.
        let moved = Set(summary.removed).intersection(summary.added)
        summary.removed.removeAll(where: moved.contains)
        summary.added.removeAll(where: moved.contains)
        summary.updated += moved.sorted()
        if !options.dryRun {
            try unifyCodeNames(shards)
            try layout.write(key: key, shards: shards)
        }
        summary.seconds = Date().timeIntervalSince(started)
        withExtendedLifetime(lock) {}
        return summary
    }

    /// Gives every shard the code names of all of them. A shard server serving several shards as
    /// one (`xapian-tcpsrv A B`) shows only its first database's metadata, so each shard must carry
    /// what the daemon needs for the whole index, as it does the domain names.
    private func unifyCodeNames(_ shards: [String]) throws {
        var union: [String: String] = [:]
        for shard in shards { CodeNames.merge(try loadState(shard).codeNames, into: &union) }
        let encoded = CodeNames.encode(union)
        for shard in shards where FileManager.default.fileExists(atPath: layout.databasePath(shard)) {
            try IndexError.mappingDatabaseErrors(at: layout.databasePath(shard)) {
                let database = try WritableDatabase(path: layout.databasePath(shard))
                guard try database.metadata(Schema.Metadata.codeNames) != encoded else { return }
                try database.setMetadata(Schema.Metadata.codeNames, encoded)
                // The new revision keeps the side store of the old one.
                let revision = try database.revision() + 1
                let side = try SideStoreWriter(layout: SideStoreLayout(databasePath: layout.databasePath(shard)),
                                               revision: revision - 1, databaseIsEmpty: database.documentCount == 0)
                try side.prepareCommit(revision: revision)
                try database.commit()
                side.committed(revision: revision)
            }
        }
    }

    private func loadState(_ shard: String) throws -> IndexState {
        let path = layout.databasePath(shard)
        guard FileManager.default.fileExists(atPath: path) else { return .empty }
        return try IndexError.mappingDatabaseErrors(at: path) { try IndexState.load(try WritableDatabase(path: path)) }
    }

    /// Where each file goes this run: each shard's part of the one scan of all files.
    struct Routing {
        var scans: [String: Scan] = [:]
        /// Per shard, files it holds that now belong to another.
        var movedAway: [String: Set<String>] = [:]
        /// Every shard's domain names and those of the changed files: the one vocabulary of all shards.
        var names: Set<String> = []
        var failed: [IndexSummary.Failure] = []
    }

    /// An unchanged file stays in the shard that holds it; a changed one goes by its district or
    /// year. A file that cannot be read stays where it is (its records kept) and is reported
    /// here.
    private func route(_ files: [String], states: [String: IndexState], workers: Int) throws -> Routing {
        var routing = Routing()
        var holder: [String: String] = [:]
        var manifest: [String: FileEntry] = [:]
        for (shard, state) in states {
            routing.names.formUnion(state.domainNames)
            for (path, entry) in state.manifest {
                holder[path] = shard
                manifest[path] = entry
            }
        }
        // Record ids are `<file name>:<ordinal>`, so names must be unique across all shards.
        var pathsByName = Dictionary(manifest.values.map { ($0.name, $0.path) }) { first, _ in first }
        let scan = try Scan.of(files, manifest: manifest, workers: workers)
        routing.failed = scan.failed
        for path in scan.unchanged {
            routing.scans[holder[path]!, default: Scan()].unchanged.append(path)
            routing.scans[holder[path]!]!.listed.insert(path)
        }
        for file in scan.changed {
            let path = file.entry.path
            if let other = pathsByName[file.entry.name], other != path {
                routing.failed.append(.init(path: path, reason: IndexError.duplicateFileName(file.entry.name, other).description))
                continue
            }
            pathsByName[file.entry.name] = path
            let shard = key.shard(for: file.info)
            routing.scans[shard, default: Scan()].changed.append(file)
            routing.scans[shard]!.listed.insert(path)
            routing.names.formUnion(file.names)
            if let previous = holder[path], previous != shard { routing.movedAway[previous, default: []].insert(path) }
        }
        return routing
    }
}
