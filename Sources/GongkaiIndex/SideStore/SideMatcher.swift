import ChineseAnalysis
import CSideStore
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
/// `BM25Weight` computes them (k1 = 1, b = 0.5), plus the record-type prior, so that an answer
/// ranks as Xapian would rank it.
struct SideMatcher {
    let index: SideIndex
    let statistics: RankingStatistics
    let deadline: ContinuousClock.Instant?

    /// Matching records: sorted docids and, when `weighted`, their weights.
    struct Matches {
        var docids: [UInt32] = []
        var weights: [Double] = []
    }

    /// The matches of `query` over all segments, deleted documents left out.
    func run(_ query: MatchQuery, weighted: Bool) throws -> Matches {
        var result = Matches()
        let shared = EvaluationState(statistics: statistics, deadline: deadline)
        var deletions = DeletionCursor(index.deleted)
        for (s, segment) in index.segments.enumerated() {
            let evaluator = SegmentEvaluator(segment: segment, segmentIndex: s, index: index, shared: shared)
            let docs = try evaluator.evaluate(query, weighted: weighted, within: nil)
            let base = segment.firstDocid - 1
            result.docids.reserveCapacity(result.docids.count + docs.ids.count)
            if weighted { result.weights.reserveCapacity(result.docids.count + docs.ids.count) }
            for i in docs.ids.indices {
                let docid = docs.ids[i] + base
                if deletions.isDeleted(docid) { continue }
                result.docids.append(docid)
                if weighted { result.weights.append(docs.weights.isEmpty ? 0 : docs.weights[i]) }
            }
        }
        return result
    }
}

/// What the segments of one request share: statistics, the deadline, and the expansion budget.
final class EvaluationState {
    let statistics: RankingStatistics
    let deadline: ContinuousClock.Instant?
    var expansion = ExpansionBudget()
    var documentFrequencies: [String: Int] = [:]
    private var checks = 0

    init(statistics: RankingStatistics, deadline: ContinuousClock.Instant?) {
        self.statistics = statistics
        self.deadline = deadline
    }

    /// Reading the clock costs; every 64th check reads it.
    func checkDeadline(force: Bool = false) throws {
        checks &+= 1
        guard let deadline, force || checks & 63 == 0 else { return }
        if ContinuousClock.now > deadline { throw SearchDeadlineExceeded() }
    }

    func spend(_ count: Int, prefix: String) throws {
        try expansion.spend(count, prefix: prefix)
    }

    func frequency(_ term: String) -> Int {
        if let known = documentFrequencies[term] { return known }
        let df = statistics.documentFrequency(term)
        documentFrequencies[term] = df
        return df
    }
}

/// Character prefixes expanded so far in a request, bounded so that one request cannot ask for
/// unbounded work (`的* OR 局* OR …`).
struct ExpansionBudget {
    static let maximum = 20_000
    var terms = 0

    mutating func spend(_ count: Int, prefix: String) throws {
        terms += count
        if terms > Self.maximum {
            throw QueryError("the query's characters expand to more than \(Self.maximum) index terms (at '\(prefix.dropFirst())'); use longer words")
        }
    }
}

/// Sorted relative docids of one segment with their weights (empty `weights`: all zero).
struct Docs {
    var ids: [UInt32] = []
    var weights: [Double] = []

    static let none = Docs()
}

/// One term's postings in one segment: docids and wdf decoded (only of the blocks that can hold
/// a wanted docid) and, when asked for, where each document's positions lie (read when needed:
/// a phrase reads only its candidates'). Immutable once decoded.
final class TermPostings {
    let list: PostingList
    let docids: [UInt32]
    /// Per document; empty for a term without wdf (a boolean term).
    let wdf: [UInt32]
    /// Per document (kept positions only): its block's packed positions, their width, and the
    /// index of its first position there.
    let rowData: [UnsafePointer<UInt8>?]
    let rowWidth: [UInt8]
    let rowFirst: [UInt32]
    /// The blocks decoded, and the row of each one's first document.
    private let blocks: [Int32]
    private let blockRows: [UInt32]

    /// Decodes the postings; with `within`, only blocks that may hold one of its docids.
    /// `keepPositions` locates every document's positions now; `locatePositions(ofRows:)` later
    /// locates only the rows still wanted, and reads their wdf (`wantWdf` false without kept
    /// positions: `wdf` is empty).
    init(_ list: PostingList, within: [UInt32]?, keepPositions: Bool, wantWdf: Bool) {
        self.list = list
        // Which blocks: all, or those whose docid range (previous last, last] holds a wanted docid.
        var blocks: [Int32] = []
        blocks.reserveCapacity(list.blockCount)
        var blockRows: [UInt32] = []
        blockRows.reserveCapacity(list.blockCount)
        var rows = 0
        if let within {
            var wanted = 0
            var previous: UInt32 = 0
            for block in 0..<list.blockCount {
                let last = list.lastDocid(ofBlock: block)
                if within[wanted] <= previous {
                    // Gallop to the first wanted docid past the previous block.
                    var low = wanted, high = within.count
                    while low < high {
                        let mid = (low + high) / 2
                        if within[mid] <= previous { low = mid + 1 } else { high = mid }
                    }
                    wanted = low
                    if wanted == within.count { break }
                }
                if within[wanted] <= last {
                    blocks.append(Int32(block))
                    blockRows.append(UInt32(rows))
                    rows += list.documents(inBlock: block)
                }
                previous = last
            }
        } else {
            for block in 0..<list.blockCount {
                blocks.append(Int32(block))
                blockRows.append(UInt32(block * Segment.blockSize))
            }
            rows = list.count
        }
        self.blocks = blocks
        self.blockRows = blockRows
        let start = list.start.assumingMemoryBound(to: UInt8.self)
        let limit = list.limit.assumingMemoryBound(to: UInt8.self)
        let hasWdf = list.flags.contains(.wdf) && (wantWdf || keepPositions)
        // Both written whole by the kernel: not zeroed first.
        var decoded = 0
        let wdfBuffer = hasWdf ? UnsafeMutableBufferPointer<UInt32>.allocate(capacity: max(1, rows)) : nil
        defer { wdfBuffer?.deallocate() }
        docids = [UInt32](unsafeUninitializedCapacity: rows) { ids, count in
            decoded = gk_side_decode(start, limit, UInt32(list.count), list.flags.rawValue, blocks, blocks.count, ids.baseAddress,
                                     wdfBuffer?.baseAddress)
            count = decoded
        }
        let wdf = wdfBuffer.map { Array($0.prefix(decoded)) } ?? []
        self.wdf = wdf
        guard keepPositions && list.flags.contains(.positions) && decoded > 0 else {
            rowData = []
            rowWidth = []
            rowFirst = []
            return
        }
        let located = Self.locate(list, blocks: blocks, blockRows: blockRows, rows: Array(0..<UInt32(decoded)))
        rowData = located.data
        rowWidth = located.width
        rowFirst = located.first
    }

    /// The wdf of the documents at `rows` (sorted) and where their positions lie, for a phrase
    /// check: per row, its block's packed positions, their width and the index of its first
    /// position there.
    func locatePositions(ofRows rows: [UInt32]) -> (wdf: [UInt32], data: [UnsafePointer<UInt8>?], width: [UInt8], first: [UInt32]) {
        Self.locate(list, blocks: blocks, blockRows: blockRows, rows: rows)
    }

    private static func locate(_ list: PostingList, blocks: [Int32], blockRows: [UInt32], rows: [UInt32])
        -> (wdf: [UInt32], data: [UnsafePointer<UInt8>?], width: [UInt8], first: [UInt32]) {
        // Zeroed: a list without positions is left as it is, and reads as no positions.
        var wdf = [UInt32](repeating: 0, count: rows.count)
        var data = [UnsafePointer<UInt8>?](repeating: nil, count: rows.count)
        var width = [UInt8](repeating: 0, count: rows.count)
        var first = [UInt32](repeating: 0, count: rows.count)
        wdf.withUnsafeMutableBufferPointer { wdf in
            data.withUnsafeMutableBufferPointer { data in
                width.withUnsafeMutableBufferPointer { width in
                    first.withUnsafeMutableBufferPointer { first in
                        gk_side_locate_rows(list.start.assumingMemoryBound(to: UInt8.self), list.limit.assumingMemoryBound(to: UInt8.self),
                                            UInt32(list.count), list.flags.rawValue, blocks, blockRows, blocks.count, rows, rows.count,
                                            wdf.baseAddress, data.baseAddress, width.baseAddress, first.baseAddress)
                    }
                }
            }
        }
        return (wdf, data, width, first)
    }

    /// The positions of the document at `row` (kept positions only).
    func positions(row: Int) -> [UInt32] {
        guard row < rowData.count, let data = rowData[row] else { return [] }
        return [UInt32](unsafeUninitializedCapacity: Int(wdf[row])) { out, count in
            gk_side_read_positions(data, list.limit.assumingMemoryBound(to: UInt8.self), UInt32(rowWidth[row]), rowFirst[row],
                                   wdf[row], out.baseAddress)
            count = Int(wdf[row])
        }
    }
}

/// One segment's share of a query.
final class SegmentEvaluator {
    let segment: Segment
    let segmentIndex: Int
    let index: SideIndex
    let shared: EvaluationState

    // Xapian's default BM25Weight: k1 = 1, k2 = 0, k3 = 1, b = 0.5, min_normlen = 0.5.
    private static let k1 = 1.0
    private static let b = 0.5
    private static let minimumNormalisedLength = 0.5
    private let inverseAverageLength: Double

    init(segment: Segment, segmentIndex: Int, index: SideIndex, shared: EvaluationState) {
        self.segment = segment
        self.segmentIndex = segmentIndex
        self.index = index
        self.shared = shared
        inverseAverageLength = 1 / shared.statistics.averageLength
    }

    /// The matches of `query` in this segment; with `within`, only those among its docids.
    func evaluate(_ query: MatchQuery, weighted: Bool, within: [UInt32]?) throws -> Docs {
        try shared.checkDeadline(force: true)
        switch query {
        case .nothing:
            return .none
        case .all:
            return within.map { Docs(ids: $0) } ?? allDocuments()
        case .term(let term):
            guard let t = segment.find(term) else { return .none }
            // The wdf only weighs: an unweighted term (a count, a filter) decodes docids alone.
            let postings = TermPostings(segment.postings(t), within: within, keepPositions: false, wantWdf: weighted)
            var docs = within.map { Self.intersectIDs(postings.docids, $0) } ?? Docs(ids: postings.docids)
            if weighted && postings.list.flags.contains(.wdf) {
                let weight = termWeight(documentFrequency: Double(shared.frequency(term)))
                docs.weights = weights(of: docs.ids, in: postings, termWeight: weight)
            }
            return docs
        case .anyWithPrefix(let prefix):
            let part = try prefixPostings(prefix, within: within, wantPositions: false, weighted: weighted, asSynonym: true)
            return Docs(ids: part.docids, weights: part.weights)
        case .phrase(let parts):
            return try phrase(parts, weighted: weighted, within: within)
        case .and(let parts):
            var result: Docs?
            // Cheapest first: every later part only needs looking at among what is left.
            for part in ordered(parts) {
                let docs = try evaluate(part, weighted: weighted, within: result?.ids ?? within)
                result = result.map { Self.intersect($0, docs, keepRightWeights: true) } ?? docs
                if result!.ids.isEmpty { return .none }
            }
            return result ?? .none
        case .or(let parts):
            var result = Docs.none
            for part in parts {
                result = Self.union(result, try evaluate(part, weighted: weighted, within: within))
            }
            return result
        case .andNot(let left, let right):
            let keep = try evaluate(left, weighted: weighted, within: within)
            if keep.ids.isEmpty { return .none }
            return Self.subtract(keep, try evaluate(right, weighted: false, within: keep.ids))
        case .andMaybe(let left, .typePrior):
            var docs = try evaluate(left, weighted: weighted, within: within)
            if weighted { addTypePrior(&docs) }
            return docs
        case .andMaybe(let left, let right):
            let docs: Docs
            if case .phrase(let parts) = left, let word = Self.provingWord(right, phrase: parts) {
                // The records that hold the query's word hold its phrase: only the others' positions
                // are read. All of the word's records: the phrase check walks them beside its
                // candidates, so narrowing them first would only cost a pass over `within`.
                let proven = segment.find(word).map { TermPostings(segment.postings($0), within: nil, keepPositions: false, wantWdf: false).docids } ?? []
                docs = try phrase(parts, weighted: weighted, within: within, proven: proven)
            } else {
                docs = try evaluate(left, weighted: weighted, within: within)
            }
            guard weighted, !docs.ids.isEmpty else { return docs }
            return Self.addWeights(docs, from: try evaluate(right, weighted: true, within: docs.ids))
        case .filter(let left, let right):
            // The filter first, as a rule: it is boolean and cheap to read, and the text (phrase
            // positions, weights) then only needs looking at among its matches. A filter that
            // matches far more than the text is read only among the text's matches.
            if cost(right) <= 8 * cost(left) {
                let allowed = try evaluate(right, weighted: false, within: within)
                if allowed.ids.isEmpty { return .none }
                return try evaluate(left, weighted: weighted, within: allowed.ids)
            }
            let docs = try evaluate(left, weighted: weighted, within: within)
            if docs.ids.isEmpty { return .none }
            return Self.intersect(docs, try evaluate(right, weighted: false, within: docs.ids), keepRightWeights: false)
        case .scaled(let inner, let factor):
            var docs = try evaluate(inner, weighted: weighted && factor != 0, within: within)
            if weighted {
                if factor == 0 {
                    docs.weights = []
                } else if !docs.weights.isEmpty {
                    for i in docs.weights.indices { docs.weights[i] *= factor }
                }
            }
            return docs
        case .range(let bound):
            return range(bound, within: within)
        case .typePrior:
            var docs = within.map { Docs(ids: $0) } ?? allDocuments()
            addTypePrior(&docs)
            return docs
        }
    }

    /// The word term of a phrase's bonus (the query's one word) when every record holding it holds
    /// the phrase.
    private static func provingWord(_ bonus: MatchQuery, phrase parts: [MatchQuery.PhrasePart]) -> String? {
        var inner = bonus
        if case .scaled(let query, _) = bonus { inner = query }
        guard case .term(let word) = inner else { return nil }
        var bigrams: [String] = []
        for part in parts {
            guard case .term(let term) = part else { return nil }
            bigrams.append(term)
        }
        return Analyzer.wordTermHoldsPhrase(word, bigrams: bigrams) ? word : nil
    }

    /// Cheap parts first in an AND: terms and phrases by their rarest term, other parts after.
    private func ordered(_ parts: [MatchQuery]) -> [MatchQuery] {
        let costs = parts.map(cost)
        return parts.indices.sorted { costs[$0] != costs[$1] ? costs[$0] < costs[$1] : $0 < $1 }.map { parts[$0] }
    }

    /// About how many of the segment's records `query` matches, from document frequencies.
    private func cost(_ query: MatchQuery) -> Int {
        switch query {
        case .term(let term): return segment.find(term).map(segment.documentFrequency) ?? 0
        case .phrase(let parts):
            return parts.map { part -> Int in
                if case .term(let term) = part { return segment.find(term).map(segment.documentFrequency) ?? 0 }
                return segment.span
            }.min() ?? 0
        case .nothing: return 0
        case .and(let parts): return parts.map(cost).min() ?? 0
        case .or(let parts): return min(segment.span, parts.reduce(0) { $0 + cost($1) })
        case .filter(let a, let b): return min(cost(a), cost(b))
        case .andNot(let a, _), .andMaybe(let a, _), .scaled(let a, _): return cost(a)
        case .all, .typePrior, .range, .anyWithPrefix: return segment.span
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

    /// Xapian's BM25 term weight (times k1 + 1) for a term held by `df` records.
    private func termWeight(documentFrequency df: Double) -> Double {
        let n = Double(max(1, shared.statistics.records))
        var ratio = (n - df + 0.5) / (df + 0.5)
        if ratio < 2 { ratio = ratio * 0.5 + 1 }
        return log(ratio) * (Self.k1 + 1)
    }

    /// Xapian's `BM25Weight::get_sumpart`.
    @inline(__always)
    private func bm25(wdf: UInt32, relative: UInt32, termWeight: Double) -> Double {
        guard wdf > 0 else { return 0 }
        let length = Double(segment.length(Int(relative) - 1))
        let normalised = max(length * inverseAverageLength, Self.minimumNormalisedLength)
        let w = Double(wdf)
        return termWeight * (w / (Self.k1 * (normalised * Self.b + (1 - Self.b)) + w))
    }

    /// The weights of `ids` (a subset of the postings' docids, in order).
    private func weights(of ids: [UInt32], in postings: TermPostings, termWeight: Double) -> [Double] {
        var out: [Double] = []
        out.reserveCapacity(ids.count)
        var row = 0
        for id in ids {
            while postings.docids[row] < id { row += 1 }
            out.append(bm25(wdf: postings.wdf[row], relative: id, termWeight: termWeight))
        }
        return out
    }

    /// The document frequency Xapian estimates for an OR of terms: independence, pairwise from
    /// the rarest up (as its OR tree is built), rounded at each step.
    private func orFrequency(_ frequencies: [Int]) -> Double {
        let n = Double(max(1, shared.statistics.records))
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

    // MARK: Character prefixes

    /// The union of the postings of every term starting with `prefix`: wdf added up, positions
    /// merged, weights added up (Xapian's OR inside a phrase) or, `asSynonym`, one weight for the
    /// added-up wdf (Xapian's OP_SYNONYM).
    private func prefixPostings(_ prefix: String, within: [UInt32]?, wantPositions: Bool, weighted: Bool,
                                asSynonym: Bool) throws -> MergedPart {
        let terms = segment.terms(withPrefix: prefix)
        try shared.spend(terms.count, prefix: prefix)
        // Dense accumulators over the segment's docids: unions of many lists are common here (的).
        var wdfSum = [UInt32](repeating: 0, count: segment.span + 1)
        var weightSum = weighted && !asSynonym ? [Double](repeating: 0, count: segment.span + 1) : []
        var placed: [(docid: UInt32, position: UInt32)] = []
        var frequencies: [Int] = []
        for t in terms {
            try shared.checkDeadline()
            let postings = TermPostings(segment.postings(t), within: within, keepPositions: wantPositions, wantWdf: true)
            let df = shared.frequency(segment.term(t))
            frequencies.append(df)
            let weight = weight(forPrefixTermOf: df, weighted: weighted && !asSynonym)
            var k = 0
            for row in postings.docids.indices {
                let docid = postings.docids[row]
                if let within {
                    while k < within.count && within[k] < docid { k += 1 }
                    if k == within.count { break }
                    if within[k] != docid { continue }
                }
                // A term without wdf (boolean) still holds the document.
                let wdf = postings.wdf.isEmpty ? 1 : postings.wdf[row]
                wdfSum[Int(docid)] &+= wdf
                if !weightSum.isEmpty { weightSum[Int(docid)] += bm25(wdf: wdf, relative: docid, termWeight: weight) }
                if wantPositions {
                    for position in postings.positions(row: row) { placed.append((docid, position)) }
                }
            }
        }
        var result = MergedPart()
        for docid in 1...max(1, segment.span) where docid < wdfSum.count && wdfSum[docid] > 0 {
            result.docids.append(UInt32(docid))
            result.wdf.append(wdfSum[docid])
        }
        if weighted {
            if asSynonym {
                let weight = termWeight(documentFrequency: orFrequency(frequencies))
                result.weights = result.docids.indices.map { bm25(wdf: result.wdf[$0], relative: result.docids[$0], termWeight: weight) }
            } else {
                result.weights = result.docids.map { weightSum[Int($0)] }
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

    private func weight(forPrefixTermOf df: Int, weighted: Bool) -> Double {
        weighted ? termWeight(documentFrequency: Double(df)) : 0
    }

    /// A prefix's merged postings with their positions laid out per document.
    struct MergedPart {
        var docids: [UInt32] = []
        var wdf: [UInt32] = []
        var positions: [UInt32] = []
        var starts: [Int] = []
        var weights: [Double] = []
    }

    // MARK: Phrases

    /// Records holding the parts at consecutive positions.
    /// `proven`: sorted docids known to hold the phrase, whose positions need no reading.
    private func phrase(_ parts: [MatchQuery.PhrasePart], weighted: Bool, within: [UInt32]?,
                        proven: [UInt32] = []) throws -> Docs {
        if parts.count == 1 {
            switch parts[0] {
            case .term(let term): return try evaluate(.term(term), weighted: weighted, within: within)
            case .anyWithPrefix(let prefix):
                let part = try prefixPostings(prefix, within: within, wantPositions: false, weighted: weighted, asSynonym: false)
                return Docs(ids: part.docids, weights: part.weights)
            }
        }
        // The rarest term first narrows what the others decode.
        var candidates = within
        var terms: [TermPostings?] = Array(repeating: nil, count: parts.count)
        var merged: [MergedPart?] = Array(repeating: nil, count: parts.count)
        var termWeights = [Double](repeating: 0, count: parts.count)
        func frequency(_ part: MatchQuery.PhrasePart) -> Int {
            if case .term(let term) = part { return segment.find(term).map(segment.documentFrequency) ?? 0 }
            return Int.max
        }
        let frequencies = parts.map(frequency)
        for p in parts.indices.sorted(by: { frequencies[$0] < frequencies[$1] }) {
            try shared.checkDeadline(force: true)
            let ids: [UInt32]
            switch parts[p] {
            case .term(let term):
                guard let t = segment.find(term) else { return .none }
                // Decoded once: the candidates left at the end are among these docids (they lie in
                // blocks that held a candidate then). Their positions are located at the end.
                let postings = TermPostings(segment.postings(t), within: candidates, keepPositions: false, wantWdf: false)
                if weighted { termWeights[p] = termWeight(documentFrequency: Double(shared.frequency(term))) }
                terms[p] = postings
                ids = postings.docids
            case .anyWithPrefix(let prefix):
                let part = try prefixPostings(prefix, within: candidates, wantPositions: true, weighted: weighted, asSynonym: false)
                merged[p] = part
                ids = part.docids
            }
            candidates = candidates.map { Self.intersectIDs(ids, $0).ids } ?? ids
            if candidates!.isEmpty { return .none }
        }
        let docs = try withExtendedLifetime((terms, merged)) { () throws -> Docs in
            try verifyPositions(candidates!, proven: proven, terms: terms, merged: merged, termWeights: termWeights,
                                weighted: weighted)
        }
        return docs
    }

    /// One term part of a phrase at the candidates (which it all holds): row c is candidate c.
    private struct CandidateRows {
        var wdf: [UInt32]
        var data: [UnsafePointer<UInt8>?]
        var width: [UInt8]
        var first: [UInt32]

        init(_ postings: TermPostings, candidates: [UInt32]) {
            let docids = postings.docids
            let rows = [UInt32](unsafeUninitializedCapacity: candidates.count) { rows, count in
                gk_side_find_rows(docids, docids.count, candidates, candidates.count, rows.baseAddress)
                count = candidates.count
            }
            (wdf, data, width, first) = postings.locatePositions(ofRows: rows)
        }
    }

    /// The candidates (docids every part holds) whose parts stand at consecutive positions, with
    /// their weights: the sum of the parts' (Xapian weighs a phrase by its terms).
    private func verifyPositions(_ candidates: [UInt32], proven: [UInt32], terms: [TermPostings?], merged: [MergedPart?],
                                 termWeights: [Double], weighted: Bool) throws -> Docs {
        let count = terms.count
        // Written by the kernel before they are read: not zeroed first.
        let matchBuffer = UnsafeMutableBufferPointer<UInt32>.allocate(capacity: max(1, candidates.count))
        let rowBuffer = UnsafeMutableBufferPointer<UInt32>.allocate(capacity: max(1, candidates.count * count))
        defer { matchBuffer.deallocate(); rowBuffer.deallocate() }
        // A term part's positions, located for the candidates only (its row c is candidate c):
        // most decoded documents were dropped by the other parts.
        let located = terms.map { postings in postings.map { CandidateRows($0, candidates: candidates) } }
        // Room for the first part's positions in any one document.
        let room = (located[0].map { Int($0.wdf.max() ?? 0) } ?? merged[0]!.positions.count) + 1
        var scratch = [UInt32](repeating: 0, count: room)
        // The C kernel reads the parts through pointers into arrays that `located` and `merged`
        // own and nothing mutates while it runs.
        let found: Int = withExtendedLifetime((terms, located, merged)) {
            let parts = (0..<count).map { p -> gk_phrase_part in
                if let rows = located[p], let postings = terms[p] {
                    return gk_phrase_part(
                        docids: candidates.withUnsafeBufferPointer { $0.baseAddress }, count: candidates.count,
                        wdf: rows.wdf.withUnsafeBufferPointer { $0.baseAddress },
                        row_data: rows.data.withUnsafeBufferPointer { $0.baseAddress.map { UnsafePointer(OpaquePointer($0)) } },
                        row_width: rows.width.withUnsafeBufferPointer { $0.baseAddress },
                        row_first: rows.first.withUnsafeBufferPointer { $0.baseAddress },
                        limit: postings.list.limit.assumingMemoryBound(to: UInt8.self), positions: nil, starts: nil)
                }
                let part = merged[p]!
                return gk_phrase_part(
                    docids: part.docids.withUnsafeBufferPointer { $0.baseAddress }, count: part.docids.count,
                    wdf: part.wdf.withUnsafeBufferPointer { $0.baseAddress }, row_data: nil, row_width: nil, row_first: nil,
                    limit: nil, positions: part.positions.withUnsafeBufferPointer { $0.baseAddress },
                    starts: part.starts.withUnsafeBufferPointer { $0.baseAddress })
            }
            return parts.withUnsafeBufferPointer { parts in
                scratch.withUnsafeMutableBufferPointer { scratch in
                    gk_phrase_check(parts.baseAddress, count, candidates, candidates.count, proven, proven.count,
                                    matchBuffer.baseAddress, rowBuffer.baseAddress, scratch.baseAddress)
                }
            }
        }
        try shared.checkDeadline(force: true)
        var docs = Docs(ids: Array(matchBuffer.prefix(found)))
        let rows = rowBuffer
        if weighted {
            docs.weights = (0..<found).map { m in
                var weight = 0.0
                for p in 0..<count {
                    let row = Int(rows[m * count + p])
                    if let located = located[p] {
                        weight += bm25(wdf: located.wdf[row], relative: docs.ids[m], termWeight: termWeights[p])
                    } else {
                        weight += merged[p]!.weights[row]
                    }
                }
                return weight
            }
        }
        return docs
    }

    // MARK: Columns

    private func addTypePrior(_ docs: inout Docs) {
        let types = segment.column(SideIndex.typeFacet)
        let weights = index.recordTypes[segmentIndex].map { type in type.flatMap { MatchQuery.typeWeights[$0] } ?? 0 }
        if docs.weights.isEmpty { docs.weights = Array(repeating: 0, count: docs.ids.count) }
        for i in docs.ids.indices { docs.weights[i] += weights[types[Int(docs.ids[i]) - 1]] }
    }

    private func range(_ bound: MatchQuery.RangeBound, within: [UInt32]?) -> Docs {
        let types = segment.column(SideIndex.typeFacet)
        let accepts: (Int) -> Bool
        switch bound {
        case .year(let low, let high):
            let column = segment.column(SideIndex.yearFacet)
            let accepted = index.years[segmentIndex].map { year in year.map { (low ?? Int.min) <= $0 && $0 <= (high ?? Int.max) } ?? false }
            accepts = { accepted[column[$0]] }
        case .amount(let low, let high):
            let amounts = segment.amountColumn
            let lowest = low ?? Int64.min + 1, highest = high ?? Int64.max
            accepts = { amounts[$0] != Int64.min && amounts[$0] >= lowest && amounts[$0] <= highest }
        }
        var docs = Docs()
        if let within {
            for id in within where accepts(Int(id) - 1) { docs.ids.append(id) }
        } else {
            for i in 0..<segment.span where types[i] != 0 && accepts(i) { docs.ids.append(UInt32(i + 1)) }
        }
        return docs
    }

    // MARK: Sorted-set operations

    /// The docids of `a` that are in `b`.
    static func intersectIDs(_ a: [UInt32], _ b: [UInt32]) -> Docs {
        var out = Docs()
        out.ids.reserveCapacity(min(a.count, b.count))
        // Much shorter on one side: gallop through the longer one.
        if a.count * 16 < b.count || b.count * 16 < a.count {
            let (short, long) = a.count < b.count ? (a, b) : (b, a)
            var low = 0
            for x in short {
                var step = 1
                while low + step < long.count && long[low + step] < x { low += step; step *= 2 }
                var high = min(low + step, long.count)
                while low < high {
                    let mid = (low + high) / 2
                    if long[mid] < x { low = mid + 1 } else { high = mid }
                }
                if low == long.count { break }
                if long[low] == x { out.ids.append(x) }
            }
            return out
        }
        var i = 0, j = 0
        while i < a.count && j < b.count {
            let x = a[i], y = b[j]
            if x < y { i += 1 } else if y < x { j += 1 } else { out.ids.append(x); i += 1; j += 1 }
        }
        return out
    }

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
