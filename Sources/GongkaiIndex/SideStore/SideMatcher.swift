import Disclosure
import Foundation

/// Statistics the weights are computed from: over one index, or over every shard of a sharded one
/// so that shards rank as one index.
struct RankingStatistics {
    let records: Int
    let averageLength: Double
    /// Documents holding a term, over everything searched.
    let documentFrequency: (String) -> Int
}

/// The search took longer than its budget.
public struct SearchDeadlineExceeded: Error, CustomStringConvertible {
    public var description: String { "the search took longer than its budget" }
}

/// Runs a `MatchQuery` over one side index: every match, with BM25 weights as Xapian's default
/// `BM25Weight` computes them (k1 = 1, b = 0.5), plus the record-type prior.
struct SideMatcher {
    let index: SideIndex
    let statistics: RankingStatistics
    let deadline: ContinuousClock.Instant?
    /// Index terms a request may expand character prefixes into; more is refused.
    static let maximumExpansion = 20_000

    /// Matching records: sorted docids and, when `weighted`, their weights.
    struct Matches {
        var docids: [UInt32] = []
        var weights: [Double] = []
    }

    /// The matches of `query` over all segments, deleted documents left out.
    func run(_ query: MatchQuery, weighted: Bool) throws -> Matches {
        var result = Matches()
        var expansion = ExpansionBudget()
        var dfCache: [String: Int] = [:]
        var deletedCursor = 0
        for (s, segment) in index.segments.enumerated() {
            var evaluator = SegmentEvaluator(segment: segment, segmentIndex: s, index: index, statistics: statistics,
                                             deadline: deadline, expansion: expansion, documentFrequencies: dfCache)
            let docs = try evaluator.evaluate(query, weighted: weighted)
            expansion = evaluator.expansion
            dfCache = evaluator.documentFrequencies
            let base = segment.firstDocid - 1
            result.docids.reserveCapacity(result.docids.count + docs.ids.count)
            for (i, relative) in docs.ids.enumerated() {
                let docid = relative + base
                while deletedCursor < index.deleted.count && index.deleted[deletedCursor] < docid { deletedCursor += 1 }
                if deletedCursor < index.deleted.count && index.deleted[deletedCursor] == docid { continue }
                result.docids.append(docid)
                if weighted { result.weights.append(docs.weights.isEmpty ? 0 : docs.weights[i]) }
            }
        }
        return result
    }
}

/// Character prefixes expanded so far in a request.
struct ExpansionBudget {
    var terms = 0

    mutating func spend(_ count: Int, prefix: String) throws {
        terms += count
        if terms > SideMatcher.maximumExpansion {
            throw QueryError("the query's characters expand to more than \(SideMatcher.maximumExpansion) index terms (at '\(prefix.dropFirst())'); use longer words")
        }
    }
}

/// Sorted relative docids of one segment with their weights (empty `weights`: all zero).
struct Docs {
    var ids: [UInt32] = []
    var weights: [Double] = []

    static let none = Docs()
}

/// One segment's share of a query.
struct SegmentEvaluator {
    let segment: Segment
    let segmentIndex: Int
    let index: SideIndex
    let statistics: RankingStatistics
    let deadline: ContinuousClock.Instant?
    var expansion: ExpansionBudget
    var documentFrequencies: [String: Int]

    // Xapian's default BM25Weight: k1 = 1, k2 = 0, k3 = 1, b = 0.5, min_normlen = 0.5.
    private static let k1 = 1.0
    private static let b = 0.5
    private static let minimumNormalisedLength = 0.5

    init(segment: Segment, segmentIndex: Int, index: SideIndex, statistics: RankingStatistics,
         deadline: ContinuousClock.Instant?, expansion: ExpansionBudget, documentFrequencies: [String: Int]) {
        self.segment = segment
        self.segmentIndex = segmentIndex
        self.index = index
        self.statistics = statistics
        self.deadline = deadline
        self.expansion = expansion
        self.documentFrequencies = documentFrequencies
    }

    private func checkDeadline() throws {
        if let deadline, ContinuousClock.now > deadline { throw SearchDeadlineExceeded() }
    }

    mutating func evaluate(_ query: MatchQuery, weighted: Bool) throws -> Docs {
        try checkDeadline()
        switch query {
        case .nothing:
            return .none
        case .all:
            return allDocuments()
        case .term(let term):
            guard let t = segment.find(term) else { return .none }
            return try termDocs(t, term: term, weighted: weighted)
        case .anyWithPrefix(let prefix):
            return try synonym(prefix: prefix, weighted: weighted)
        case .phrase(let parts):
            return try phrase(parts, weighted: weighted)
        case .and(let parts):
            var result: Docs?
            // Smallest first: every later part only needs checking against what is left.
            for part in try ordered(parts) {
                let docs = try evaluate(part, weighted: weighted)
                result = result.map { Self.intersect($0, docs, keepRightWeights: true) } ?? docs
                if result!.ids.isEmpty { return .none }
            }
            return result ?? .none
        case .or(let parts):
            var result = Docs.none
            for part in parts {
                result = Self.union(result, try evaluate(part, weighted: weighted))
            }
            return result
        case .andNot(let left, let right):
            let keep = try evaluate(left, weighted: weighted)
            if keep.ids.isEmpty { return .none }
            return Self.subtract(keep, try evaluate(right, weighted: false))
        case .andMaybe(let left, .typePrior):
            var docs = try evaluate(left, weighted: weighted)
            if weighted { addTypePrior(&docs) }
            return docs
        case .andMaybe(let left, let right):
            let docs = try evaluate(left, weighted: weighted)
            guard weighted, !docs.ids.isEmpty else { return docs }
            return Self.addWeights(docs, from: try evaluate(right, weighted: true))
        case .filter(let left, let right):
            let docs = try evaluate(left, weighted: weighted)
            if docs.ids.isEmpty { return .none }
            return Self.intersect(docs, try evaluate(right, weighted: false), keepRightWeights: false)
        case .scaled(let inner, let factor):
            var docs = try evaluate(inner, weighted: weighted && factor != 0)
            if weighted {
                if factor == 0 {
                    docs.weights = []
                } else if !docs.weights.isEmpty {
                    let f = Double(factor)
                    for i in docs.weights.indices { docs.weights[i] *= f }
                }
            }
            return docs
        case .range(let bound):
            return range(bound)
        case .typePrior:
            var docs = allDocuments()
            addTypePrior(&docs)
            return docs
        }
    }

    /// Cheap parts first in an AND: terms by frequency, other parts after.
    private func ordered(_ parts: [MatchQuery]) throws -> [MatchQuery] {
        parts.enumerated().sorted { a, b in
            let costA = cost(a.element), costB = cost(b.element)
            return costA != costB ? costA < costB : a.offset < b.offset
        }.map(\.element)
    }

    private func cost(_ query: MatchQuery) -> Int {
        switch query {
        case .term(let term): return segment.find(term).map(segment.documentFrequency) ?? 0
        case .phrase(let parts):
            return parts.map { part -> Int in
                if case .term(let term) = part { return segment.find(term).map(segment.documentFrequency) ?? 0 }
                return Int.max / 4
            }.min() ?? 0
        case .nothing: return 0
        default: return Int.max / 2
        }
    }

    private func allDocuments() -> Docs {
        let types = segment.column(SideIndex.typeFacet)
        var docs = Docs()
        docs.ids.reserveCapacity(segment.span)
        for index in 0..<segment.span where types[index] != 0 { docs.ids.append(UInt32(index + 1)) }
        return docs
    }

    // MARK: Weights

    private mutating func frequency(_ term: String) -> Int {
        if let known = documentFrequencies[term] { return known }
        let df = statistics.documentFrequency(term)
        documentFrequencies[term] = df
        return df
    }

    /// Xapian's BM25 term weight (times k1 + 1) for a term held by `df` records.
    private func termWeight(documentFrequency df: Double) -> Double {
        let n = Double(max(1, statistics.records))
        var ratio = (n - df + 0.5) / (df + 0.5)
        if ratio < 2 { ratio = ratio * 0.5 + 1 }
        return log(ratio) * (Self.k1 + 1)
    }

    /// Xapian's `BM25Weight::get_sumpart`.
    @inline(__always)
    private func bm25(wdf: UInt32, relative: UInt32, termWeight: Double) -> Double {
        guard wdf > 0 else { return 0 }
        let length = Double(segment.length(Int(relative) - 1))
        let normalised = max(length / statistics.averageLength, Self.minimumNormalisedLength)
        let w = Double(wdf)
        return termWeight * (w / (Self.k1 * (normalised * Self.b + (1 - Self.b)) + w))
    }

    /// The document frequency Xapian estimates for an OR of terms: independence, pairwise from
    /// the rarest up (as its OR tree is built), rounded at each step.
    private func orFrequency(_ frequencies: [Int]) -> Double {
        let n = Double(max(1, statistics.records))
        var heap = frequencies.map(Double.init).sorted()
        guard !heap.isEmpty else { return 0 }
        while heap.count > 1 {
            let a = heap.removeFirst(), b = heap.removeFirst()
            let combined = (a + b - a * b / n + 0.5).rounded(.down)
            let at = heap.firstIndex { $0 > combined } ?? heap.count
            heap.insert(combined, at: at)
        }
        return heap[0]
    }

    private mutating func termDocs(_ t: Int, term: String, weighted: Bool) throws -> Docs {
        let list = segment.postings(t)
        var docs = Docs()
        var wdf: [UInt32] = [], positions: [UInt32] = [], starts: [Int] = []
        list.decode(into: &docs.ids, wdf: &wdf, positions: &positions, positionStarts: &starts, wantWdf: weighted, wantPositions: false)
        if weighted && list.flags.contains(.wdf) {
            let weight = termWeight(documentFrequency: Double(frequency(term)))
            docs.weights = docs.ids.indices.map { bm25(wdf: wdf[$0], relative: docs.ids[$0], termWeight: weight) }
        }
        return docs
    }

    /// The terms of this segment starting with `prefix`.
    private mutating func expand(_ prefix: String) throws -> Range<Int> {
        let range = segment.terms(withPrefix: prefix)
        try expansion.spend(range.count, prefix: prefix)
        return range
    }

    /// Any term with the prefix, weighed as one term whose wdf is their sum (Xapian's OP_SYNONYM).
    private mutating func synonym(prefix: String, weighted: Bool) throws -> Docs {
        let part = try prefixPostings(prefix, wantPositions: false, weighted: weighted, asSynonym: true)
        return Docs(ids: part.docids, weights: part.weights)
    }

    /// One position of a phrase: its documents with wdf, positions and (weighted) weights.
    private struct PartPostings {
        var docids: [UInt32] = []
        var wdf: [UInt32] = []
        var positions: [UInt32] = []
        var starts: [Int] = []
        var weights: [Double] = []
    }

    private mutating func phrasePart(_ part: MatchQuery.PhrasePart, wantPositions: Bool, weighted: Bool) throws -> PartPostings {
        switch part {
        case .term(let term):
            var result = PartPostings()
            guard let t = segment.find(term) else { return result }
            segment.postings(t).decode(into: &result.docids, wdf: &result.wdf, positions: &result.positions,
                                       positionStarts: &result.starts, wantWdf: true, wantPositions: wantPositions)
            if weighted {
                let weight = termWeight(documentFrequency: Double(frequency(term)))
                result.weights = result.docids.indices.map { bm25(wdf: result.wdf[$0], relative: result.docids[$0], termWeight: weight) }
            }
            return result
        case .anyWithPrefix(let prefix):
            // Inside a phrase Xapian takes an OR of the terms: each weighs on its own.
            return try prefixPostings(prefix, wantPositions: wantPositions, weighted: weighted, asSynonym: false)
        }
    }

    /// The union of the postings of every term starting with `prefix`: wdf added up, positions
    /// merged, weights added up (or, `asSynonym`, one weight for the added-up wdf).
    private mutating func prefixPostings(_ prefix: String, wantPositions: Bool, weighted: Bool, asSynonym: Bool) throws -> PartPostings {
        let terms = try expand(prefix)
        var wdfSum: [UInt32: UInt32] = [:]
        var weightSum: [UInt32: Double] = [:]
        var placed: [(docid: UInt32, position: UInt32)] = []
        var docids: [UInt32] = [], wdf: [UInt32] = [], positions: [UInt32] = [], starts: [Int] = []
        var frequencies: [Int] = []
        for t in terms {
            try checkDeadline()
            let list = segment.postings(t)
            list.decode(into: &docids, wdf: &wdf, positions: &positions, positionStarts: &starts,
                        wantWdf: true, wantPositions: wantPositions)
            let df = frequency(segment.term(t))
            frequencies.append(df)
            let weight = weighted && !asSynonym ? termWeight(documentFrequency: Double(df)) : 0
            wdfSum.reserveCapacity(wdfSum.count + docids.count)
            for (i, docid) in docids.enumerated() {
                wdfSum[docid, default: 0] += wdf[i]
                if weighted && !asSynonym { weightSum[docid, default: 0] += bm25(wdf: wdf[i], relative: docid, termWeight: weight) }
                if wantPositions {
                    for k in starts[i]..<starts[i + 1] { placed.append((docid, positions[k])) }
                }
            }
        }
        var result = PartPostings()
        result.docids = wdfSum.keys.sorted()
        result.wdf = result.docids.map { wdfSum[$0]! }
        if weighted {
            if asSynonym {
                let weight = termWeight(documentFrequency: orFrequency(frequencies))
                result.weights = result.docids.indices.map { bm25(wdf: result.wdf[$0], relative: result.docids[$0], termWeight: weight) }
            } else {
                result.weights = result.docids.map { weightSum[$0]! }
            }
        }
        if wantPositions {
            placed.sort { $0.docid != $1.docid ? $0.docid < $1.docid : $0.position < $1.position }
            var k = 0
            for docid in result.docids {
                result.starts.append(result.positions.count)
                while k < placed.count && placed[k].docid == docid {
                    result.positions.append(placed[k].position)
                    k += 1
                }
            }
            result.starts.append(result.positions.count)
        }
        return result
    }

    /// Records holding the parts at consecutive positions.
    private mutating func phrase(_ parts: [MatchQuery.PhrasePart], weighted: Bool) throws -> Docs {
        var postings: [PartPostings] = []
        for part in parts {
            let p = try phrasePart(part, wantPositions: parts.count > 1, weighted: weighted)
            if p.docids.isEmpty { return .none }
            postings.append(p)
        }
        // Candidates: records holding every part.
        let order = postings.indices.sorted { postings[$0].docids.count < postings[$1].docids.count }
        var cursors = [Int](repeating: 0, count: postings.count)
        var docs = Docs()
        let rarest = postings[order[0]]
        candidates: for (i0, docid) in rarest.docids.enumerated() {
            var rows = [Int](repeating: 0, count: postings.count)
            rows[order[0]] = i0
            for p in order.dropFirst() {
                let list = postings[p].docids
                var c = cursors[p]
                // Gallop to the first docid not below the candidate.
                var step = 1
                while c + step < list.count && list[c + step] < docid { c += step; step *= 2 }
                while c < list.count && list[c] < docid { c += 1 }
                cursors[p] = c
                guard c < list.count else { break candidates }
                guard list[c] == docid else { continue candidates }
                rows[p] = c
            }
            if postings.count > 1 && !Self.positionsFollow(postings, rows: rows) { continue }
            docs.ids.append(docid)
            if weighted {
                var weight = 0.0
                for p in postings.indices { weight += postings[p].weights[rows[p]] }
                docs.weights.append(weight)
            }
        }
        return docs
    }

    /// Whether the first part has a position p such that part i has p + i.
    private static func positionsFollow(_ postings: [PartPostings], rows: [Int]) -> Bool {
        let first = postings[0]
        for k in first.starts[rows[0]]..<first.starts[rows[0] + 1] {
            let base = first.positions[k]
            var all = true
            for i in 1..<postings.count {
                let p = postings[i]
                let want = base + UInt32(i)
                var found = false
                for j in p.starts[rows[i]]..<p.starts[rows[i] + 1] where p.positions[j] >= want {
                    found = p.positions[j] == want
                    break
                }
                if !found { all = false; break }
            }
            if all { return true }
        }
        return false
    }

    private func addTypePrior(_ docs: inout Docs) {
        let types = segment.column(SideIndex.typeFacet)
        let recordTypes = index.recordTypes[segmentIndex]
        let weights = recordTypes.map { type in Double(type.flatMap { MatchQuery.typeWeights[$0] } ?? 0) }
        if docs.weights.isEmpty { docs.weights = Array(repeating: 0, count: docs.ids.count) }
        for i in docs.ids.indices { docs.weights[i] += weights[types[Int(docs.ids[i]) - 1]] }
    }

    private func range(_ bound: MatchQuery.RangeBound) -> Docs {
        let types = segment.column(SideIndex.typeFacet)
        var docs = Docs()
        switch bound {
        case .year(let low, let high):
            let years = index.years[segmentIndex]
            let column = segment.column(SideIndex.yearFacet)
            let accepted = years.map { year in year.map { (low ?? Int.min) <= $0 && $0 <= (high ?? Int.max) } ?? false }
            for i in 0..<segment.span where types[i] != 0 && accepted[column[i]] { docs.ids.append(UInt32(i + 1)) }
        case .amount(let low, let high):
            let amounts = segment.amountColumn
            for i in 0..<segment.span where types[i] != 0 && amounts[i] != Int64.min {
                if amounts[i] >= (low ?? Int64.min + 1) && amounts[i] <= (high ?? Int64.max) { docs.ids.append(UInt32(i + 1)) }
            }
        }
        return docs
    }

    // MARK: Sorted-set operations

    static func intersect(_ a: Docs, _ b: Docs, keepRightWeights: Bool) -> Docs {
        var out = Docs()
        let weighted = !a.weights.isEmpty || (keepRightWeights && !b.weights.isEmpty)
        var i = 0, j = 0
        while i < a.ids.count && j < b.ids.count {
            let x = a.ids[i], y = b.ids[j]
            if x < y { i += 1 } else if y < x { j += 1 } else {
                out.ids.append(x)
                if weighted {
                    let left = a.weights.isEmpty ? 0 : a.weights[i]
                    let right = keepRightWeights && !b.weights.isEmpty ? b.weights[j] : 0
                    out.weights.append(left + right)
                }
                i += 1; j += 1
            }
        }
        return out
    }

    static func union(_ a: Docs, _ b: Docs) -> Docs {
        if a.ids.isEmpty { return b }
        if b.ids.isEmpty { return a }
        var out = Docs()
        let weighted = !a.weights.isEmpty || !b.weights.isEmpty
        var i = 0, j = 0
        func wa(_ i: Int) -> Double { a.weights.isEmpty ? 0 : a.weights[i] }
        func wb(_ j: Int) -> Double { b.weights.isEmpty ? 0 : b.weights[j] }
        while i < a.ids.count || j < b.ids.count {
            if j == b.ids.count || (i < a.ids.count && a.ids[i] < b.ids[j]) {
                out.ids.append(a.ids[i]); if weighted { out.weights.append(wa(i)) }; i += 1
            } else if i == a.ids.count || b.ids[j] < a.ids[i] {
                out.ids.append(b.ids[j]); if weighted { out.weights.append(wb(j)) }; j += 1
            } else {
                out.ids.append(a.ids[i]); if weighted { out.weights.append(wa(i) + wb(j)) }; i += 1; j += 1
            }
        }
        return out
    }

    static func subtract(_ a: Docs, _ b: Docs) -> Docs {
        guard !b.ids.isEmpty else { return a }
        var out = Docs()
        var j = 0
        for (i, x) in a.ids.enumerated() {
            while j < b.ids.count && b.ids[j] < x { j += 1 }
            if j < b.ids.count && b.ids[j] == x { continue }
            out.ids.append(x)
            if !a.weights.isEmpty { out.weights.append(a.weights[i]) }
        }
        return out
    }

    static func addWeights(_ a: Docs, from b: Docs) -> Docs {
        guard !b.ids.isEmpty, !b.weights.isEmpty else { return a }
        var out = a
        if out.weights.isEmpty { out.weights = Array(repeating: 0, count: a.ids.count) }
        var j = 0
        for (i, x) in a.ids.enumerated() {
            while j < b.ids.count && b.ids[j] < x { j += 1 }
            if j < b.ids.count && b.ids[j] == x { out.weights[i] += b.weights[j] }
        }
        return out
    }
}
