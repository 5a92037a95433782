import Foundation

/// Answers already computed for the revision being served, so that repeated searches (facet
/// browsing, dashboards, services asking the same thing) cost a lookup. Keys include the
/// revision: a new revision misses and old entries age out. Shared by all workers.
public final class ResultCache: @unchecked Sendable {
    struct Key: Hashable {
        var revision: UInt64
        /// The fiscal vocabulary's version: it decides what the query's words also search for.
        var vocabulary: String
        var request: SearchRequest
    }

    public struct Statistics: Sendable {
        public var entries: Int
        public var hits: Int
        public var misses: Int
    }

    // Everything below is guarded by `lock`.
    private let lock = NSLock()
    private var entries: [Key: (response: SearchResponse, lastUse: UInt64)] = [:]
    private var clock: UInt64 = 0
    private var hits = 0
    private var misses = 0
    public let capacity: Int
    /// Answers with more hits than this are not kept: they would crowd out many small ones.
    static let maximumHits = 200

    public init(capacity: Int) {
        self.capacity = max(0, capacity)
    }

    func lookup(_ key: Key) -> SearchResponse? {
        lock.lock()
        defer { lock.unlock() }
        clock += 1
        guard let entry = entries[key] else {
            misses += 1
            return nil
        }
        hits += 1
        entries[key]?.lastUse = clock
        return entry.response
    }

    func store(_ response: SearchResponse, for key: Key) {
        guard capacity > 0, response.hits.count <= Self.maximumHits, response.warnings.isEmpty else { return }
        lock.lock()
        defer { lock.unlock() }
        clock += 1
        if entries.count >= capacity {
            // Evict the least recently used eighth at once, so eviction is rare.
            let victims = entries.sorted { $0.value.lastUse < $1.value.lastUse }.prefix(max(1, capacity / 8))
            for (victim, _) in victims { entries[victim] = nil }
        }
        entries[key] = (response, clock)
    }

    public var statistics: Statistics {
        lock.lock()
        defer { lock.unlock() }
        return Statistics(entries: entries.count, hits: hits, misses: misses)
    }
}
