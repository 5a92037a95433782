import Disclosure
import Xapian

/// A search answered from side stores: every match found by `SideMatcher`, counted and summed in
/// the columns, the top ones ranked by weight (or sorted by a column), and only their document
/// data read from Xapian. Shards (one side store each) rank with statistics over all of them.
struct SideSearch {
    let catalog: Catalog
    let sideSet: SideSet
    /// Per side, the database its hits' data is read from.
    let parts: [Database]
    let request: SearchRequest
    let compiled: CompiledQuery
    let snippets: SnippetMaker
    let deadline: ContinuousClock.Instant?

    var sides: [SideIndex] { sideSet.sides }

    /// One match, where it is and what orders it.
    struct Candidate {
        var side: Int
        var docid: UInt32
        var weight: Double
        /// The sort column's value; nil sorts last whatever the direction.
        var key: Int64?
    }

    /// Ranking statistics over every side, so that shards rank as one index.
    private var rankingStatistics: RankingStatistics {
        let records = sideSet.recordCount
        return RankingStatistics(
            records: records, averageLength: records > 0 ? max(1, Double(sideSet.totalLength) / Double(records)) : 1,
            documentFrequency: sideSet.documentFrequency)
    }

    /// Every match in the request's order, without reading documents: exports read them a page at
    /// a time with `hit(_:)`.
    func orderedMatches() throws -> [Candidate] {
        let statistics = rankingStatistics
        let weighted = request.sort == .relevance
        let matches = try sides.map {
            try SideMatcher(index: $0, statistics: statistics, deadline: deadline).run(compiled.query, weighted: weighted)
        }
        return topCandidates(matches, count: matches.reduce(0) { $0 + $1.docids.count }, weighted: weighted)
    }

    func run() throws -> SearchResponse {
        let records = sideSet.recordCount
        let statistics = rankingStatistics
        let weighted = request.sort == .relevance && request.limit > 0
        // The facets of everything are counted in advance; the hits of everything need no weights,
        // and in docid order (relevance, all weights equal) only the first ones are looked at.
        let matchesEverything = compiled.query == .all
        let firstRecordsOnly = matchesEverything && request.sort == .relevance
        var matches: [SideMatcher.Matches] = []
        if !matchesEverything || (request.limit > 0 && !firstRecordsOnly) {
            for side in sides {
                matches.append(try SideMatcher(index: side, statistics: statistics, deadline: deadline)
                    .run(compiled.query, weighted: weighted && !matchesEverything))
            }
        }
        let total = matchesEverything ? records : matches.reduce(0) { $0 + $1.docids.count }

        // Facets and sums.
        let facetIndices = request.facets.map { facet in Schema.facets.firstIndex(of: facet.spec)! }
        var tallies: [FacetTally]
        var totalSum = AmountSum()
        if matchesEverything {
            tallies = facetIndices.map { sideSet.allRecords[$0] }
            // Every record has a type: the type facet's sums add up to the sum of everything.
            if request.sumAmounts { totalSum.millionths = sideSet.allRecords[SideIndex.typeFacet].sums.reduce(0, &+) }
        } else {
            tallies = facetIndices.map { FacetTally(size: sideSet.values[$0].count) }
            if !facetIndices.isEmpty || request.sumAmounts {
                for s in sides.indices { count(matches[s].docids, side: s, facets: facetIndices, into: &tallies, sum: &totalSum) }
            }
        }
        let facets = request.facets.enumerated().map { f, facet in
            topValues(facet, facet: facetIndices[f], tally: tallies[f])
        }

        // The page of hits.
        var hits: [SearchHit] = []
        var warnings: [String] = []
        if request.limit > 0 {
            let count = min(request.offset + request.limit, total)
            let top = firstRecordsOnly ? firstRecords(count) : topCandidates(matches, count: count, weighted: weighted && !matchesEverything)
            for candidate in top.dropFirst(request.offset) {
                if let deadline, ContinuousClock.now > deadline { throw SearchDeadlineExceeded() }
                do {
                    hits.append(try hit(candidate))
                } catch let error as StoredRecord.DecodeError {
                    warnings.append("document \(candidate.docid) left out: \(error)")
                }
            }
        }
        var explanation: Explanation?
        if request.explain {
            explanation = Explanation(parsed: compiled.parsed?.description ?? "", compiled: compiled.query.description,
                                      engine: "side store")
        }
        return SearchResponse(total: total, totalExact: true, hits: hits, facets: facets,
                              sum: request.sumAmounts ? totalSum : nil, explanation: explanation,
                              revision: catalog.revision, warnings: warnings)
    }

    /// The `limit` most frequent values of a tally, ties in byte order of the values.
    private func topValues(_ request: FacetRequest, facet: Int, tally: FacetTally) -> FacetResult {
        let ranks = sideSet.ranks[facet]
        var heap = BoundedHeap<Int>(capacity: request.limit) { a, b in
            tally.counts[a] != tally.counts[b] ? tally.counts[a] > tally.counts[b] : ranks[a] < ranks[b]
        }
        for ordinal in tally.counts.indices.dropFirst() where tally.counts[ordinal] > 0 { heap.insert(ordinal) }
        let entries = heap.sorted().map { ordinal in
            (value: sideSet.values[facet][ordinal], count: tally.counts[ordinal], sum: self.request.sumAmounts ? tally.sums[ordinal] : nil)
        }
        return facetValues(request, counts: entries, catalog: catalog)
    }

    /// Counts the facets of the matches (sorted docids of side `side`) from their segments'
    /// columns, a column at a time; adds up the amounts when sums were asked for.
    private func count(_ docids: [UInt32], side s: Int, facets: [Int], into tallies: inout [FacetTally], sum: inout AmountSum) {
        let side = sides[s]
        var begin = 0
        for (g, segment) in side.segments.enumerated() {
            let end = segment.firstDocid + UInt32(segment.span)
            var stop = begin
            while stop < docids.count && docids[stop] < end { stop += 1 }
            let slice = docids[begin..<stop]
            begin = stop
            if slice.isEmpty { continue }
            let first = segment.firstDocid
            let amounts = segment.amountColumn
            for f in facets.indices {
                let map = sideSet.segmentMaps[facets[f]][s][g]
                let column = segment.column(facets[f])
                tallies[f].counts.withUnsafeMutableBufferPointer { counts in
                    map.withUnsafeBufferPointer { map in
                        for docid in slice { counts[Int(map[column[Int(docid - first)]])] += 1 }
                    }
                }
                guard request.sumAmounts else { continue }
                tallies[f].sums.withUnsafeMutableBufferPointer { sums in
                    for docid in slice {
                        let index = Int(docid - first)
                        if amounts[index] != Int64.min { sums[Int(map[column[index]])] &+= amounts[index] }
                    }
                }
            }
            if request.sumAmounts {
                for docid in slice where amounts[Int(docid - first)] != Int64.min { sum.millionths &+= amounts[Int(docid - first)] }
            }
        }
    }

    /// Where a docid's columns are: its segment and its index there.
    private func locate(_ docid: UInt32, in side: SideIndex) -> (segment: Int, index: Int)? {
        var low = 0, high = side.segments.count
        while low < high {
            let mid = (low + high) / 2
            if side.segments[mid].firstDocid + UInt32(side.segments[mid].span) <= docid { low = mid + 1 } else { high = mid }
        }
        guard low < side.segments.count, docid >= side.segments[low].firstDocid else { return nil }
        return (low, Int(docid - side.segments[low].firstDocid))
    }

    /// The first `count` records of every side, in docid order: what a request matching everything
    /// shows first by relevance, without listing every record.
    private func firstRecords(_ count: Int) -> [Candidate] {
        var out: [Candidate] = []
        for (s, side) in sides.enumerated() {
            var deletions = DeletionCursor(side.deleted)
            for segment in side.segments {
                let types = segment.column(SideIndex.typeFacet)
                for index in 0..<segment.span where types[index] != 0 {
                    if out.count == count { return out }
                    let docid = segment.firstDocid + UInt32(index)
                    if deletions.isDeleted(docid) { continue }
                    out.append(Candidate(side: s, docid: docid, weight: 0))
                }
            }
        }
        return out
    }

    /// The first `count` candidates in the requested order.
    private func topCandidates(_ matches: [SideMatcher.Matches], count: Int, weighted: Bool) -> [Candidate] {
        guard count > 0 else { return [] }
        if request.sort == .relevance && !weighted {
            // Equal weights: the order is the docids'.
            var out: [Candidate] = []
            for (s, side) in matches.enumerated() {
                for docid in side.docids.prefix(count - out.count) { out.append(Candidate(side: s, docid: docid, weight: 0)) }
                if out.count == count { break }
            }
            return out
        }
        let descending = request.sort.isDescending
        // Whether a comes before b in the answer.
        func precedes(_ a: Candidate, _ b: Candidate) -> Bool {
            switch request.sort {
            case .relevance:
                if a.weight != b.weight { return a.weight > b.weight }
            default:
                switch (a.key, b.key) {
                case let (x?, y?) where x != y: return descending ? x > y : x < y
                case (nil, _?): return false
                case (_?, nil): return true
                default: break
                }
            }
            return a.side != b.side ? a.side < b.side : a.docid < b.docid
        }
        var heap = BoundedHeap<Candidate>(capacity: count, precedes: precedes)
        for (s, side) in sides.enumerated() {
            let docids = matches[s].docids
            let weights = matches[s].weights
            if request.sort == .relevance {
                for i in docids.indices { heap.insert(Candidate(side: s, docid: docids[i], weight: weights.isEmpty ? 0 : weights[i])) }
                continue
            }
            var cursor = 0
            for (g, segment) in side.segments.enumerated() {
                let end = segment.firstDocid + UInt32(segment.span)
                let years = side.years[g]
                let yearColumn = segment.column(SideIndex.yearFacet)
                while cursor < docids.count && docids[cursor] < end {
                    let index = Int(docids[cursor] - segment.firstDocid)
                    let key: Int64?
                    switch request.sort {
                    case .amountAscending, .amountDescending: key = segment.amount(index)
                    default: key = years[yearColumn[index]].map(Int64.init)
                    }
                    heap.insert(Candidate(side: s, docid: docids[cursor], weight: 0, key: key))
                    cursor += 1
                }
            }
        }
        return heap.sorted()
    }

    func hit(_ candidate: Candidate) throws -> SearchHit {
        let side = sides[candidate.side]
        guard let (s, index) = locate(candidate.docid, in: side) else {
            throw StoredRecord.DecodeError(description: "not in the side store")
        }
        let segment = side.segments[s]
        func value(_ name: String) -> String? {
            let facet = Schema.facets.firstIndex { $0.name == name }!
            let ordinal = Int(side.ordinalMaps[facet][s][Int(segment.ordinal(facet, index))])
            return ordinal == 0 ? nil : side.facetValues[facet][ordinal]
        }
        guard let type = value("type").flatMap(RecordType.init(rawValue:)) else {
            throw StoredRecord.DecodeError(description: "no record type")
        }
        let data: [UInt8]
        do {
            data = try parts[candidate.side].documentData(candidate.docid)
        } catch let error as XapianError {
            throw StoredRecord.DecodeError(description: "its data cannot be read: \(error)")
        }
        let decoded = try StoredRecord.decode(data, type: type)
        let info = documentInfo(facetValue: value)
        return SearchHit(id: decoded.id, fileName: decoded.fileName, record: decoded.record.withProjectKey(in: info), info: info,
                         snippet: snippets.snippet(for: decoded.record.text),
                         weight: request.explain ? candidate.weight : nil)
    }
}

/// The best `capacity` elements of a stream by `precedes`, in a heap whose root is the worst kept.
struct BoundedHeap<Element> {
    let capacity: Int
    let precedes: (Element, Element) -> Bool
    private var items: [Element] = []

    init(capacity: Int, precedes: @escaping (Element, Element) -> Bool) {
        self.capacity = capacity
        self.precedes = precedes
        items.reserveCapacity(min(capacity, 4096))
    }

    mutating func insert(_ element: Element) {
        if items.count < capacity {
            items.append(element)
            siftUp(items.count - 1)
        } else if let worst = items.first, precedes(element, worst) {
            items[0] = element
            siftDown(0)
        }
    }

    /// Kept elements, best first.
    func sorted() -> [Element] { items.sorted(by: precedes) }

    // The root is the element every other precedes: the worst.
    private mutating func siftUp(_ start: Int) {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            guard precedes(items[parent], items[child]) else { return }
            items.swapAt(parent, child)
            child = parent
        }
    }

    private mutating func siftDown(_ start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1, right = left + 1
            var worst = parent
            if left < items.count && precedes(items[worst], items[left]) { worst = left }
            if right < items.count && precedes(items[worst], items[right]) { worst = right }
            if worst == parent { return }
            items.swapAt(parent, worst)
            parent = worst
        }
    }
}
