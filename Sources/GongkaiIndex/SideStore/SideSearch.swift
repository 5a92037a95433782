import Disclosure
import Xapian

/// A search answered from side stores: every match found by `SideMatcher`, counted and summed in
/// the columns, the top ones ranked by weight (or sorted by a column), and only their document
/// data read from Xapian. Shards (one side store each) rank with statistics over all of them.
struct SideSearch {
    let catalog: Catalog
    let sides: [SideIndex]
    /// Per side, the database its hits' data is read from.
    let parts: [Database]
    let request: SearchRequest
    let compiled: CompiledQuery
    let snippets: SnippetMaker
    let deadline: ContinuousClock.Instant?

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
        let records = sides.reduce(0) { $0 + $1.recordCount }
        let length = sides.reduce(0) { $0 + $1.totalLength }
        return RankingStatistics(
            records: records, averageLength: records > 0 ? max(1, Double(length) / Double(records)) : 1,
            documentFrequency: { term in sides.reduce(0) { $0 + $1.documentFrequency(term) } })
    }

    /// Every match in the request's order, without reading documents: exports read them a page at
    /// a time with `hit(_:)`.
    func orderedMatches() throws -> [Candidate] {
        let statistics = rankingStatistics
        let weighted = request.sort == .relevance
        let matches = try sides.map {
            try SideMatcher(index: $0, statistics: statistics, deadline: deadline).run(compiled.query, weighted: weighted)
        }
        return try topCandidates(matches, count: matches.reduce(0) { $0 + $1.docids.count })
    }

    func run() throws -> SearchResponse {
        let records = sides.reduce(0) { $0 + $1.recordCount }
        let statistics = rankingStatistics
        let weighted = request.sort == .relevance && request.limit > 0
        let matchesEverything = compiled.query == .all
        var matches: [SideMatcher.Matches] = []
        for side in sides {
            if matchesEverything && !weighted && request.limit == 0 {
                matches.append(SideMatcher.Matches())  // counts come from the precomputed tallies
            } else {
                matches.append(try SideMatcher(index: side, statistics: statistics, deadline: deadline).run(compiled.query, weighted: weighted))
            }
        }
        let total = matchesEverything ? records : matches.reduce(0) { $0 + $1.docids.count }

        // Facets and sums.
        var tallies: [[FacetTally]] = []  // per side, per requested facet
        var totalSum = AmountSum()
        let facetIndices = request.facets.map { facet in Schema.facets.firstIndex(of: facet.spec)! }
        for (s, side) in sides.enumerated() {
            if matchesEverything {
                tallies.append(facetIndices.map { side.allRecordsFacets[$0] })
                if request.sumAmounts {
                    let types = side.allRecordsFacets[SideIndex.typeFacet]
                    totalSum.millionths &+= types.sums.reduce(0, &+)
                }
                continue
            }
            var sideTallies = facetIndices.map { FacetTally(size: side.facetValues[$0].count) }
            if !facetIndices.isEmpty || request.sumAmounts {
                try count(matches[s].docids, in: side, facets: facetIndices, into: &sideTallies, sum: &totalSum)
            }
            tallies.append(sideTallies)
        }
        let facets = request.facets.enumerated().map { f, facet -> FacetResult in
            var merged: [String: (count: Int, sum: Int64)] = [:]
            for (s, side) in sides.enumerated() {
                let tally = tallies[s][f]
                for ordinal in tally.counts.indices.dropFirst() where tally.counts[ordinal] > 0 {
                    let value = side.facetValues[facetIndices[f]][ordinal]
                    merged[value, default: (0, 0)].count += tally.counts[ordinal]
                    merged[value]!.sum &+= tally.sums[ordinal]
                }
            }
            return facetValues(facet, counts: merged.map { ($0.key, $0.value.count, request.sumAmounts ? $0.value.sum : nil) },
                               catalog: catalog)
        }

        // The page of hits.
        var hits: [SearchHit] = []
        var warnings: [String] = []
        if request.limit > 0 {
            var all = matches
            if matchesEverything && all.allSatisfy({ $0.docids.isEmpty }) {
                all = try sides.map { try SideMatcher(index: $0, statistics: statistics, deadline: deadline).run(.all, weighted: false) }
            }
            let wanted = min(request.offset + request.limit, total)
            let top = try topCandidates(all, count: wanted)
            for candidate in top.dropFirst(request.offset) {
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

    /// Counts the facets of the matches (sorted docids) from the columns of their segments.
    private func count(_ docids: [UInt32], in side: SideIndex, facets: [Int], into tallies: inout [FacetTally],
                       sum: inout AmountSum) throws {
        var cursor = 0
        for (s, segment) in side.segments.enumerated() {
            let end = segment.firstDocid + UInt32(segment.span)
            let columns = facets.map { segment.column($0) }
            let maps = facets.map { side.ordinalMaps[$0][s] }
            let amounts = segment.amountColumn
            while cursor < docids.count && docids[cursor] < end {
                let index = Int(docids[cursor] - segment.firstDocid)
                let amount = amounts[index]
                if request.sumAmounts && amount != Int64.min { sum.millionths &+= amount }
                for f in facets.indices {
                    let ordinal = Int(maps[f][columns[f][index]])
                    tallies[f].counts[ordinal] += 1
                    if amount != Int64.min { tallies[f].sums[ordinal] &+= amount }
                }
                cursor += 1
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

    /// The first `count` candidates in the requested order.
    private func topCandidates(_ matches: [SideMatcher.Matches], count: Int) throws -> [Candidate] {
        guard count > 0 else { return [] }
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
            var cursor = 0
            for (g, segment) in side.segments.enumerated() {
                let end = segment.firstDocid + UInt32(segment.span)
                let years = side.years[g]
                let yearColumn = segment.column(SideIndex.yearFacet)
                while cursor < docids.count && docids[cursor] < end {
                    let index = Int(docids[cursor] - segment.firstDocid)
                    var key: Int64?
                    switch request.sort {
                    case .relevance: break
                    case .amountAscending, .amountDescending: key = segment.amount(index)
                    case .yearAscending, .yearDescending: key = years[yearColumn[index]].map(Int64.init)
                    }
                    heap.insert(Candidate(side: s, docid: docids[cursor], weight: weights.isEmpty ? 0 : weights[cursor], key: key))
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
        return SearchHit(id: decoded.id, fileName: decoded.fileName, record: decoded.record, info: documentInfo(facetValue: value),
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
