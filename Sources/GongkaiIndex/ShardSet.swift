import Foundation
import Xapian

/// Where one shard is: a database folder, or a database served by `xapian-tcpsrv`.
public enum ShardLocation: Sendable, Hashable, CustomStringConvertible {
    case local(String)
    case remote(host: String, port: UInt16)

    public var description: String {
        switch self {
        case .local(let path): return path
        case .remote(let host, let port): return "tcp://\(host):\(port)"
        }
    }

    /// The shards `spec` names: `tcp://HOST:PORT`; a sharded index's folder (its `shards.stub`); a
    /// Xapian stub file (its lines); or a database folder or single-file database.
    public static func resolve(_ spec: String) throws -> [ShardLocation] {
        if spec.hasPrefix("tcp://") { return [try remote(String(spec.dropFirst("tcp://".count)), spec: spec)] }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: spec, isDirectory: &isDirectory) else {
            throw ShardSpecError("no such shard, stub file or folder: \(spec)")
        }
        if isStubFile(spec) { return try stub(at: spec) }
        let layout = ShardLayout(root: spec)
        if isDirectory.boolValue && FileManager.default.fileExists(atPath: layout.stubPath) { return try stub(at: layout.stubPath) }
        return [.local(spec)]
    }

    /// Whether `path` names several databases: a sharded index's folder or a stub file.
    public static func isShardSet(_ path: String) -> Bool {
        isStubFile(path) || FileManager.default.fileExists(atPath: ShardLayout(root: path).stubPath)
    }

    /// A file that is not a database of its own (a compacted single-file one starts with Glass's
    /// magic) is read as a stub, as Xapian does.
    static func isStubFile(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue,
              let file = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? file.close() }
        let start = (try? file.read(upToCount: singleFileMagic.count)) ?? Data()
        return Array(start) != singleFileMagic
    }

    private static let singleFileMagic = Array("\u{0F}\u{0D}Xapian Glass".utf8)

    /// Reads a stub file in Xapian 1.4's format: `auto PATH` or `glass PATH` (relative to the
    /// stub's folder; `auto` may name another stub) and `remote HOST:PORT`; `#` starts a comment.
    /// A stub that lists no database is refused: it would answer every search with an error.
    static func stub(at path: String, depth: Int = 0) throws -> [ShardLocation] {
        guard depth < 8 else { throw ShardSpecError("\(path): stub files nest deeper than 8 levels") }
        guard let data = FileManager.default.contents(atPath: path) else { throw ShardSpecError("cannot read \(path)") }
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
        let locations = try String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline).flatMap { raw -> [ShardLocation] in
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { return [] }
            let parts = line.split(separator: " ", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2 else { throw ShardSpecError("\(path): cannot read the line '\(line)'") }
            switch parts[0] {
            case "auto", "glass":
                let target = parts[1].hasPrefix("/") ? parts[1] : folder.appendingPathComponent(parts[1]).path
                return parts[0] == "auto" && isStubFile(target) ? try stub(at: target, depth: depth + 1) : [.local(target)]
            case "remote" where !parts[1].hasPrefix(":"):
                return [try remote(parts[1], spec: line)]
            default:
                throw ShardSpecError("\(path): '\(line)' is not a database folder or a remote tcp database")
            }
        }
        guard !locations.isEmpty else { throw ShardSpecError("\(path) is a stub file that lists no database") }
        return locations
    }

    private static func remote(_ address: String, spec: String) throws -> ShardLocation {
        guard let colon = address.lastIndex(of: ":"), let port = UInt16(address[address.index(after: colon)...]),
              colon > address.startIndex else {
            throw ShardSpecError("\(spec): a remote shard is HOST:PORT")
        }
        return .remote(host: String(address[..<colon]), port: port)
    }
}

public struct ShardSpecError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// What a search does when a shard does not answer.
public enum ShardPolicy: String, Sendable, CaseIterable {
    /// Answers from the shards that answer, with a warning naming each missing one.
    case partial
    /// Answers with a `shard_unavailable` error.
    case fail
}

/// A search could not be answered because shards are down.
public struct ShardUnavailableError: Error, CustomStringConvertible {
    public let description: String
}

/// Shards searched as one, shared by every worker of a daemon: where they are, how long a remote
/// one may take, the policy, and which shards are down. A down shard is tried again in the
/// background, at most every `retryInterval`, while requests come in; once it answers, every
/// worker takes it back on its next request.
public final class ShardSet: Sendable {
    public let locations: [ShardLocation]
    public let policy: ShardPolicy
    /// Milliseconds a remote operation may take. A search that fails on a hung shard, the
    /// reconnection that finds which one, and the search again without it must fit in a request's
    /// budget, so each gets under a third of it.
    let operationTimeout: UInt32
    let connectTimeout: UInt32
    let retryInterval: TimeInterval
    let health = ShardHealth()

    public init(locations: [ShardLocation], policy: ShardPolicy = .partial, requestTimeout: Double,
                retryInterval: TimeInterval = 3) {
        self.locations = locations
        self.policy = policy
        operationTimeout = UInt32(max(50, requestTimeout * 300))
        connectTimeout = min(1000, operationTimeout)
        self.retryInterval = retryInterval
    }

    func open(_ index: Int) throws -> Database {
        switch locations[index] {
        case .local(let path):
            return try Database(path: path)
        case .remote(let host, let port):
            return try Database(host: host, port: port, timeoutMilliseconds: operationTimeout,
                                connectTimeoutMilliseconds: connectTimeout)
        }
    }

    /// Tries the down shards that are due, each on a background thread.
    func retryDueShards() {
        for index in health.claimRetries(interval: retryInterval) {
            DispatchQueue.global().async { [self] in
                do {
                    _ = try open(index)
                    health.markUp(index)
                } catch {
                    health.retryFailed(index, reason: Self.reason(error))
                }
            }
        }
    }

    func warning(_ index: Int, reason: String) -> String {
        "shard \(locations[index]) unavailable: \(reason)"
    }

    static func reason(_ error: Error) -> String {
        (error as? XapianError)?.description ?? String(describing: error)
    }
}

/// Which shards are down and why, shared by the workers. `generation` grows with every change, so
/// that a worker knows when to rebuild its combined database.
final class ShardHealth: @unchecked Sendable {
    // All state is guarded by `lock`.
    private let lock = NSLock()
    private var outages: [Int: Outage] = [:]
    private var generation = 0

    private struct Outage {
        var reason: String
        var lastAttempt: Date
        var retrying = false
    }

    /// The generation and, per down shard, why it is down.
    func snapshot() -> (generation: Int, down: [Int: String]) {
        lock.withLock { (generation, outages.mapValues(\.reason)) }
    }

    func markDown(_ index: Int, reason: String) {
        lock.withLock {
            if outages[index] == nil { generation += 1 }
            outages[index] = Outage(reason: reason, lastAttempt: Date())
        }
    }

    func markUp(_ index: Int) {
        lock.withLock {
            if outages.removeValue(forKey: index) != nil { generation += 1 }
        }
    }

    func retryFailed(_ index: Int, reason: String) {
        lock.withLock {
            outages[index]?.reason = reason
            outages[index]?.lastAttempt = Date()
            outages[index]?.retrying = false
        }
    }

    /// The down shards last tried over `interval` ago and not being tried now; the caller tries them.
    func claimRetries(interval: TimeInterval) -> [Int] {
        lock.withLock {
            let now = Date()
            let due = outages.filter { !$0.value.retrying && now.timeIntervalSince($0.value.lastAttempt) >= interval }.keys
            for index in due { outages[index]?.retrying = true }
            return Array(due)
        }
    }
}

/// One worker's connections to a shard set: a handle per shard that answers, combined into one
/// database, so that Xapian ranks with global statistics, counts facets over all shards and
/// paginates the merged matches. When an operation fails, every shard is reconnected; those that
/// do not answer are left out (and reported down to all workers) and the operation is tried again.
final class ShardedDatabase: SearchSource {
    private let shards: ShardSet
    private var handles: [Database?]
    private(set) var combined: Database
    private var seenGeneration = -1
    private var down: [Int: String] = [:]
    /// Set when the shards searched changed, so that the catalog is read again.
    private var catalogStale = false

    init(_ shards: ShardSet) throws {
        self.shards = shards
        handles = Array(repeating: nil, count: shards.locations.count)
        combined = try Database(combining: [])
        try syncWithHealth()
    }

    func refresh() throws -> Bool {
        try recovering {
            let changed = try combined.reopen()
            return changed || catalogStale
        }
    }

    var parts: [Database] { handles.compactMap { $0 } }

    var allPartsLocal: Bool {
        shards.locations.allSatisfy { if case .local = $0 { return true } else { return false } }
    }

    /// Which shards are searched, and the local ones' revisions (Xapian's remote backend does
    /// not report one).
    func signature() throws -> [UInt64] {
        catalogStale = false
        return try recovering {
            try handles.map { handle in
                guard let handle else { return UInt64.max }
                return handle.path == nil ? 0 : try handle.revision()
            }
        }
    }

    func terms(startingWith prefix: String) throws -> [String] {
        try recovering { try combined.allTerms(prefix: prefix) }
    }

    func search(_ query: Query, options: SearchOptions) throws -> (result: SearchResult, warnings: [String]) {
        try recovering {
            let warnings = try availability()
            return (try combined.search(query, options: options), warnings)
        }
    }

    /// Warnings naming the shards left out; throws when the policy or the outage allows no answer.
    func availability() throws -> [String] {
        let warnings = down.keys.sorted().map { shards.warning($0, reason: down[$0]!) }
        guard handles.contains(where: { $0 != nil }) else {
            throw ShardUnavailableError(description: "no shard answers: " + warnings.joined(separator: "; "))
        }
        if shards.policy == .fail && !warnings.isEmpty {
            throw ShardUnavailableError(description: warnings.joined(separator: "; "))
        }
        return warnings
    }

    /// Runs `body`; when it fails, reconnects and tries again, without the shards that no longer
    /// answer. A failure no lost shard explains is thrown after one more try on fresh
    /// connections (xapian-tcpsrv closes connections idle for a minute).
    private func recovering<T>(_ body: () throws -> T) throws -> T {
        var triedFreshConnections = false
        while true {
            try syncWithHealth()
            do {
                return try body()
            } catch let error as XapianError {
                if try !reconnect() {
                    if triedFreshConnections { throw error }
                    triedFreshConnections = true
                }
            }
        }
    }

    /// Takes in the workers' shared view of which shards are down: drops their handles and opens
    /// those back up.
    private func syncWithHealth() throws {
        shards.retryDueShards()
        let snapshot = shards.health.snapshot()
        guard snapshot.generation != seenGeneration else { return }
        for index in handles.indices {
            if snapshot.down[index] != nil {
                handles[index] = nil
            } else if handles[index] == nil {
                do {
                    handles[index] = try shards.open(index)
                } catch {
                    shards.health.markDown(index, reason: ShardSet.reason(error))
                }
            }
        }
        try recombine()
    }

    /// Opens every answering shard anew, in parallel so that hung shards cost one timeout
    /// together: a connection that failed mid-search may hold half an answer. Returns whether a
    /// shard was lost.
    private func reconnect() throws -> Bool {
        let live = handles.indices.filter { handles[$0] != nil }
        let opened = OpenResults(count: live.count)
        let shards = self.shards
        DispatchQueue.concurrentPerform(iterations: live.count) { slot in
            opened.set(slot, Result { try shards.open(live[slot]) })
        }
        var lost = false
        for (slot, index) in live.enumerated() {
            switch opened.results[slot]! {
            case .success(let database):
                handles[index] = database
            case .failure(let error):
                handles[index] = nil
                shards.health.markDown(index, reason: ShardSet.reason(error))
                lost = true
            }
        }
        try recombine()
        return lost
    }

    private func recombine() throws {
        let snapshot = shards.health.snapshot()
        // Another worker may have marked a shard down meanwhile.
        for index in snapshot.down.keys { handles[index] = nil }
        combined = try Database(combining: handles.compactMap { $0 })
        seenGeneration = snapshot.generation
        down = snapshot.down
        catalogStale = true
    }
}

/// Databases opened on several threads at once, each into its own slot.
private final class OpenResults: @unchecked Sendable {
    // Each slot is written by one thread, and read after all have finished.
    private let lock = NSLock()
    private(set) var results: [Result<Database, Error>?]

    init(count: Int) {
        results = Array(repeating: nil, count: count)
    }

    func set(_ slot: Int, _ result: Result<Database, Error>) {
        lock.withLock { results[slot] = result }
    }
}
