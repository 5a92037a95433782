import ChineseAnalysis
import Foundation
import GongkaiIndex
import Logging
import NIOConcurrencyHelpers

/// The protocol's meaning, free of sockets: a request line in, a response line out. Holds one
/// searcher per worker thread, each with its own Xapian database handle.
public final class SearchService: Sendable {
    private let searchers: SearcherPool
    private let statistics = NIOLockedValueBox(Statistics())
    private let started = Date()
    private let logger: Logger

    public init(databasePath: String, analyzer: Analyzer, workers: Int, logger: Logger) throws {
        searchers = try SearcherPool(databasePath: databasePath, analyzer: analyzer, count: workers)
        self.logger = logger
    }

    /// Answers one request line. Never throws: every failure is an error response.
    public func respond(to line: some Collection<UInt8>) -> String {
        let clock = ContinuousClock.now
        let (id, decoded) = RequestDecoder.decode(line)
        var members: [(String, JSONValue)] = []
        if let id { members.append(("id", id)) }
        var failure: ProtocolError?
        switch decoded {
        case .failure(let error):
            failure = error
        case .success(let request):
            do {
                members += try answer(request, startedAt: clock)
            } catch let error as ProtocolError {
                failure = error
            } catch let error as QueryError {
                failure = ProtocolError("bad_query", error.message)
            } catch {
                failure = ProtocolError("internal", String(describing: error))
            }
        }
        let elapsed = clock.duration(to: .now)
        statistics.withLockedValue { $0.record(elapsed, failed: failure != nil) }
        if let failure {
            logger.warning("request failed", metadata: ["code": "\(failure.code)", "message": "\(failure.message)"])
            members.append(("ok", .bool(false)))
            members.append(("error", .object([("code", .string(failure.code)), ("message", .string(failure.message))])))
        } else {
            logger.debug("request served", metadata: ["ms": "\(Self.milliseconds(elapsed))"])
        }
        return JSONValue.object(members).serialized()
    }

    /// An error line for input that never became a request (an over-long line).
    public func errorLine(_ error: ProtocolError) -> String {
        statistics.withLockedValue { $0.record(.zero, failed: true) }
        logger.warning("request refused", metadata: ["code": "\(error.code)"])
        return JSONValue.object([
            ("ok", .bool(false)),
            ("error", .object([("code", .string(error.code)), ("message", .string(error.message))])),
        ]).serialized()
    }

    /// Makes every worker move to the newest revision on its next request (SIGHUP).
    public func reopen() {
        searchers.requestReopen()
    }

    private func answer(_ request: Request, startedAt clock: ContinuousClock.Instant) throws -> [(String, JSONValue)] {
        switch request {
        case .ping:
            return [("ok", .bool(true))]
        case .stats:
            let catalog = try searchers.withSearcher { try $0.currentCatalog() }
            let stats = statistics.withLockedValue { $0 }
            return [
                ("ok", .bool(true)),
                ("documents", .int(catalog.documentCount)),
                ("records", .int(catalog.recordCount)),
                ("revision", .int(Int(clamping: catalog.revision))),
                ("uptime_s", .double((Date().timeIntervalSince(started) * 10).rounded() / 10)),
                ("requests", .int(stats.requests)),
                ("errors", .int(stats.errors)),
                ("latency_ms", .object([("p50", .double(stats.percentile(0.50))), ("p99", .double(stats.percentile(0.99)))])),
            ]
        case .search(let search):
            let response = try searchers.withSearcher { try $0.search(search) }
            var members: [(String, JSONValue)] = [
                ("ok", .bool(true)),
                ("total", .int(response.total)),
            ]
            if !response.totalExact { members.append(("total_estimated", .bool(true))) }
            members.append(("hits", .array(response.hits)))
            if !response.facets.isEmpty {
                members.append(("facets", .object(response.facets.map { ($0.name, .array($0.values)) })))
            }
            if let explanation = response.explanation { members.append(("explain", explanation)) }
            members.append(("revision", .int(Int(clamping: response.revision))))
            members.append(("took_ms", .double(Self.milliseconds(clock.duration(to: .now)))))
            return members
        }
    }

    static func milliseconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return ((Double(seconds) * 1000 + Double(attoseconds) / 1e15) * 1000).rounded() / 1000
    }
}

/// Request counts and recent latencies, for `stats`.
struct Statistics {
    var requests = 0
    var errors = 0
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

    init(databasePath: String, analyzer: Analyzer, count: Int) throws {
        idle = try (0..<max(1, count)).map { _ in try Searcher(databasePath: databasePath, analyzer: analyzer) }
    }

    func requestReopen() {
        condition.lock()
        reopenGeneration += 1
        condition.unlock()
    }

    func withSearcher<T>(_ body: (Searcher) throws -> T) throws -> T {
        condition.lock()
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
