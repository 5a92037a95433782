import Foundation
import GongkaiIndex
import Logging
import NIOConcurrencyHelpers

/// One request on its way through the daemon: its number for the logs, its time budget, and
/// the `id` the client gave it once decoded, so that a timeout answer carries it too.
public final class RequestTicket: Sendable {
    /// `connection.request`, e.g. `12.3`.
    public let number: String
    public let budget: Duration
    let deadline: ContinuousClock.Instant
    private let decodedID = NIOLockedValueBox<JSONValue?>(nil)

    public init(number: String, budget: Duration) {
        self.number = number
        self.budget = budget
        deadline = .now + budget
    }

    var clientID: JSONValue? {
        get { decodedID.withLockedValue { $0 } }
        set { decodedID.withLockedValue { $0 = newValue } }
    }
}

/// What a daemon serves: one database, or shards searched as one.
public enum ServedIndex: Sendable {
    case database(String)
    case shards(ShardSet)
}

/// The protocol's meaning, free of sockets: a request line in, a response line out. Holds one
/// searcher per worker thread, each with its own Xapian database handle.
public final class SearchService: Sendable {
    /// Threads that may search at once; the daemon sizes its worker pool to this.
    public let workerCount: Int
    /// Past this a request is answered with a `timeout` error.
    public let requestTimeout: Duration
    private let searchers: SearcherPool
    private let cache: ResultCache
    private let statistics = NIOLockedValueBox(Statistics())
    private let started = ContinuousClock.now
    private let logger: Logger

    public convenience init(databasePath: String, analyzers: AnalyzerCache, workers: Int, requestTimeout: Duration = .seconds(5), logger: Logger) throws {
        try self.init(index: .database(databasePath), analyzers: analyzers, workers: workers, requestTimeout: requestTimeout, logger: logger)
    }

    /// `cacheEntries`: answers kept for repeated searches of the served revision (0: none).
    public init(index: ServedIndex, analyzers: AnalyzerCache, workers: Int, requestTimeout: Duration = .seconds(5),
                cacheEntries: Int = 1024, logger: Logger) throws {
        workerCount = max(1, workers)
        self.requestTimeout = requestTimeout
        cache = ResultCache(capacity: cacheEntries)
        // Xapian stops counting matches (check_at_least) at half the budget, leaving time to answer.
        searchers = try SearcherPool(index: index, analyzers: analyzers, count: workerCount,
                                     timeLimit: Self.seconds(requestTimeout) / 2, cache: cacheEntries > 0 ? cache : nil)
        self.logger = logger
    }

    /// Answers one request line. Never throws: every failure is an error response.
    public func respond(to line: some Collection<UInt8>) -> String {
        respond(to: line, ticket: RequestTicket(number: "-", budget: requestTimeout))
    }

    public func respond(to line: some Collection<UInt8>, ticket: RequestTicket) -> String {
        let start = ContinuousClock.now
        let (id, decoded) = RequestDecoder.decode(line)
        ticket.clientID = id
        var members: [(String, JSONValue)] = []
        if let id { members.append(("id", id)) }
        var op = "-"
        var failure: ProtocolError?
        switch decoded {
        case .failure(let error):
            failure = error
        case .success(let request):
            op = request.op
            do {
                members += try answer(request, startedAt: start)
            } catch let error as ProtocolError {
                failure = error
            } catch let error as QueryError {
                failure = ProtocolError("bad_query", error.message)
            } catch let error as ShardUnavailableError {
                failure = ProtocolError("shard_unavailable", error.description)
            } catch {
                failure = ProtocolError("internal", String(describing: error))
            }
        }
        if failure == nil && ContinuousClock.now > ticket.deadline { failure = Self.timeout(ticket) }
        let elapsed = start.duration(to: .now)
        statistics.withLockedValue { $0.record(elapsed, failed: failure != nil) }
        var metadata: Logger.Metadata = ["request": "\(ticket.number)", "op": "\(op)", "ms": "\(Self.milliseconds(elapsed))"]
        if let failure {
            metadata["code"] = "\(failure.code)"
            metadata["message"] = "\(failure.message)"
            logger.warning("request failed", metadata: metadata)
            return Self.errorResponse(failure, id: id)
        }
        if case .int(let total)? = members.first(where: { $0.0 == "total" })?.1 { metadata["total"] = "\(total)" }
        logger.debug("request", metadata: metadata)
        return JSONValue.object(members).serialized()
    }

    /// An error line for input that never became a request (an over-long line). Counted and logged.
    public func errorLine(_ error: ProtocolError, ticket: RequestTicket) -> String {
        statistics.withLockedValue { $0.record(.zero, failed: true) }
        logger.warning("request refused", metadata: ["request": "\(ticket.number)", "code": "\(error.code)", "message": "\(error.message)"])
        return Self.errorResponse(error, id: ticket.clientID)
    }

    /// The answer sent when a request overruns its budget while its worker is still busy. Not
    /// counted here: the worker counts it as a timeout when it finishes.
    public func timeoutLine(ticket: RequestTicket) -> String {
        Self.errorResponse(Self.timeout(ticket), id: ticket.clientID)
    }

    /// Makes every worker move to the newest revision on its next request (SIGHUP).
    public func reopen() {
        searchers.requestReopen()
    }

    func connectionOpened(_ id: Int) {
        statistics.withLockedValue { $0.connections += 1 }
        logger.trace("connection opened", metadata: ["connection": "\(id)"])
    }

    func connectionClosed(_ id: Int) {
        statistics.withLockedValue { $0.connections -= 1 }
        logger.trace("connection closed", metadata: ["connection": "\(id)"])
    }

    private static func timeout(_ ticket: RequestTicket) -> ProtocolError {
        ProtocolError("timeout", "request took longer than its budget of \(milliseconds(ticket.budget)) ms")
    }

    private static func errorResponse(_ error: ProtocolError, id: JSONValue?) -> String {
        var members: [(String, JSONValue)] = []
        if let id { members.append(("id", id)) }
        members.append(("ok", .bool(false)))
        members.append(("error", .object([("code", .string(error.code)), ("message", .string(error.message))])))
        return JSONValue.object(members).serialized()
    }

    private func answer(_ request: Request, startedAt start: ContinuousClock.Instant) throws -> [(String, JSONValue)] {
        switch request {
        case .ping:
            return [("ok", .bool(true))]
        case .stats:
            let catalog = try searchers.withSearcher { try $0.currentCatalog() }
            let stats = statistics.withLockedValue { $0 }
            let cached = cache.statistics
            return [
                ("ok", .bool(true)),
                ("documents", .int(catalog.documentCount)),
                ("records", .int(catalog.recordCount)),
                ("revision", .int(Int(clamping: catalog.revision))),
                ("uptime_s", .double((Self.seconds(started.duration(to: .now)) * 10).rounded() / 10)),
                ("requests", .int(stats.requests)),
                ("errors", .int(stats.errors)),
                ("connections", .int(stats.connections)),
                ("workers", .int(workerCount)),
                ("latency_ms", .object([("p50", .double(stats.percentile(0.50))), ("p99", .double(stats.percentile(0.99)))])),
                ("cache", .object([("entries", .int(cached.entries)), ("capacity", .int(cache.capacity)),
                                   ("hits", .int(cached.hits)), ("misses", .int(cached.misses))])),
            ]
        case .search(let search):
            let response = try searchers.withSearcher { try $0.search(search) }
            var members: [(String, JSONValue)] = [
                ("ok", .bool(true)),
                ("total", .int(response.total)),
            ]
            if !response.totalExact {
                members.append(("total_estimated", .bool(true)))
                // Facets count only the matches looked at; say so when the time limit cut that short.
                if !response.facets.isEmpty { members.append(("facets_estimated", .bool(true))) }
            }
            members.append(("hits", .array(response.hits)))
            if !response.facets.isEmpty {
                members.append(("facets", .object(response.facets.map { ($0.name, .array($0.values)) })))
            }
            if let explanation = response.explanation { members.append(("explain", explanation)) }
            if !response.warnings.isEmpty { members.append(("warnings", .array(response.warnings.map(JSONValue.string)))) }
            members.append(("revision", .int(Int(clamping: response.revision))))
            if response.cached { members.append(("cached", .bool(true))) }
            members.append(("took_ms", .double(Self.milliseconds(start.duration(to: .now)))))
            return members
        }
    }

    static func milliseconds(_ duration: Duration) -> Double {
        (seconds(duration) * 1_000_000).rounded() / 1000
    }

    static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}

extension Request {
    /// The name logs use.
    var op: String {
        switch self {
        case .search: return "search"
        case .stats: return "stats"
        case .ping: return "ping"
        }
    }
}

/// Request counts, open connections and recent latencies, for `stats`.
struct Statistics {
    var requests = 0
    var errors = 0
    var connections = 0
    /// The latest latencies in milliseconds, a ring of fixed size.
    private var recent: [Double] = []
    private var next = 0
    private static let window = 10_000

    mutating func record(_ duration: Duration, failed: Bool) {
        requests += 1
        if failed { errors += 1 }
        let ms = SearchService.milliseconds(duration)
        if recent.count < Self.window { recent.append(ms) } else { recent[next] = ms }
        next = (next + 1) % Self.window
    }

    func percentile(_ p: Double) -> Double {
        guard !recent.isEmpty else { return 0 }
        let sorted = recent.sorted()
        return sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.down)))]
    }
}

/// A fixed set of searchers, one per worker thread; a request borrows one for its duration.
final class SearcherPool: @unchecked Sendable {
    // All mutable state is guarded by `condition`; a searcher is used by one thread at a time.
    private let condition = NSCondition()
    private var idle: [Searcher]
    private var reopenGeneration = 0
    private var generations: [ObjectIdentifier: Int] = [:]

    init(index: ServedIndex, analyzers: AnalyzerCache, count: Int, timeLimit: Double, cache: ResultCache?) throws {
        idle = try (0..<max(1, count)).map { _ in
            let searcher: Searcher
            switch index {
            case .database(let path): searcher = try Searcher(databasePath: path, analyzers: analyzers)
            case .shards(let shards): searcher = try Searcher(shards: shards, analyzers: analyzers)
            }
            searcher.timeLimit = timeLimit
            searcher.cache = cache
            return searcher
        }
    }

    func requestReopen() {
        condition.lock()
        reopenGeneration += 1
        condition.unlock()
    }

    func withSearcher<T>(_ body: (Searcher) throws -> T) throws -> T {
        condition.lock()
        // Never waits when the pool has a searcher per worker thread; the lock keeps it correct otherwise.
        while idle.isEmpty { condition.wait() }
        let searcher = idle.removeLast()
        let id = ObjectIdentifier(searcher)
        let mustReopen = generations[id, default: 0] != reopenGeneration
        generations[id] = reopenGeneration
        condition.unlock()
        defer {
            condition.lock()
            idle.append(searcher)
            condition.signal()
            condition.unlock()
        }
        if mustReopen { _ = try searcher.currentCatalog(forceReopen: true) }
        return try body(searcher)
    }
}
