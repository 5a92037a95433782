import Disclosure
import Foundation

/// One revision's side store, opened once and shared read-only by every worker: its segments,
/// the deleted docids, facet values numbered across segments, statistics for ranking, and the
/// facets of all records counted in advance (the empty query's answer).
final class SideIndex: @unchecked Sendable {
    // Immutable after init.
    let revision: UInt64
    let segments: [Segment]
    /// Deleted docids (sorted) of segments not yet rewritten without them.
    let deleted: [UInt32]
    /// Records in the revision.
    let recordCount: Int
    let totalLength: Int
    /// Per facet: the values behind global ordinals 1…n (index 0: no value).
    let facetValues: [[String]]
    /// Per facet, per segment: segment ordinal → global ordinal.
    let ordinalMaps: [[[UInt32]]]
    /// Per segment, per local type ordinal: the record type (nil for no value).
    let recordTypes: [[RecordType?]]
    /// Per segment, per local year ordinal: the year.
    let years: [[Int?]]
    /// Counts and sums of every facet over all records, per global ordinal.
    let allRecordsFacets: [FacetTally]

    static let typeFacet = Schema.facets.firstIndex { $0.name == "type" }!
    static let yearFacet = Schema.facets.firstIndex { $0.name == "year" }!

    /// The side store of `revision`, or nil when none was written for it.
    static func open(_ layout: SideStoreLayout, revision: UInt64) throws -> SideIndex? {
        guard let manifest = SideManifest.read(layout, revision: revision) else { return nil }
        let segments = try manifest.segments.map { try Segment(path: layout.path($0), facetCount: Schema.facets.count) }
        let deleted = try manifest.deleted.map { try DocidFile.read(layout.path($0)) } ?? []
        return SideIndex(revision: revision, segments: segments, deleted: deleted)
    }

    init(revision: UInt64, segments: [Segment], deleted: [UInt32]) {
        self.revision = revision
        self.segments = segments.sorted { $0.firstDocid < $1.firstDocid }
        self.deleted = deleted
        var facetValues: [[String]] = []
        var ordinalMaps: [[[UInt32]]] = []
        for facet in Schema.facets.indices {
            if self.segments.count == 1 {
                // One segment (the usual state after a merge): its ordinals are the global ones.
                let dictionary = self.segments[0].dictionaries[facet]
                facetValues.append([""] + dictionary)
                ordinalMaps.append([Array(0...UInt32(dictionary.count))])
                continue
            }
            var numbering = ValueNumbering(capacity: self.segments.reduce(0) { $0 + $1.dictionaries[facet].count })
            ordinalMaps.append(self.segments.map { segment in [0] + segment.dictionaries[facet].map { numbering.ordinal(of: $0) } })
            facetValues.append(numbering.values)
        }
        self.facetValues = facetValues
        self.ordinalMaps = ordinalMaps
        recordTypes = self.segments.map { [nil] + $0.dictionaries[Self.typeFacet].map(RecordType.init(rawValue:)) }
        years = self.segments.map { [nil] + $0.dictionaries[Self.yearFacet].map { Int($0) } }

        // Statistics and the facets of all records: the live rows of each segment, then a
        // column at a time over them.
        var records = 0
        var length = 0
        var tallies = Schema.facets.indices.map { FacetTally(size: facetValues[$0].count) }
        var deletions = DeletionCursor(deleted)
        for (s, segment) in self.segments.enumerated() {
            let types = segment.column(Self.typeFacet)
            var live: [Int] = []
            live.reserveCapacity(segment.span)
            for index in 0..<segment.span where types[index] != 0 {
                if deletions.isDeleted(segment.firstDocid + UInt32(index)) { continue }
                live.append(index)
                length += Int(segment.length(index))
            }
            records += live.count
            let amounts = segment.amountColumn
            for facet in Schema.facets.indices {
                tallies[facet].add(rows: live, column: segment.column(facet), ordinalMap: ordinalMaps[facet][s], amounts: amounts)
            }
        }
        recordCount = records
        totalLength = length
        allRecordsFacets = tallies
    }

    var averageLength: Double { recordCount > 0 ? max(1, Double(totalLength) / Double(recordCount)) : 1 }

    /// Documents in all segments that hold `term`.
    func documentFrequency(_ term: String) -> Int {
        segments.reduce(0) { sum, segment in sum + (segment.find(term).map(segment.documentFrequency) ?? 0) }
    }
}

/// Counts (and amount sums) per global ordinal of one facet.
struct FacetTally: Sendable {
    var counts: [Int]
    var sums: [Int64]

    init(size: Int) {
        counts = Array(repeating: 0, count: size)
        sums = Array(repeating: 0, count: size)
    }

    /// Adds the rows `rows` of a segment: their values in `column`, mapped by `ordinalMap`, and
    /// their amounts (`Int64.min`: none).
    mutating func add(rows: [Int], column: ColumnView, ordinalMap: [UInt32], amounts: UnsafePointer<Int64>) {
        counts.withUnsafeMutableBufferPointer { counts in
            sums.withUnsafeMutableBufferPointer { sums in
                ordinalMap.withUnsafeBufferPointer { map in
                    for row in rows {
                        let ordinal = Int(map[column[row]])
                        counts[ordinal] += 1
                        let amount = amounts[row]
                        if amount != Int64.min { sums[ordinal] &+= amount }
                    }
                }
            }
        }
    }

    mutating func merge(_ other: FacetTally, valuesOf mapping: (Int) -> Int) {
        for ordinal in other.counts.indices where other.counts[ordinal] > 0 {
            let target = mapping(ordinal)
            counts[target] += other.counts[ordinal]
            sums[target] &+= other.sums[ordinal]
        }
    }
}

/// The side indexes of every part of an index (one, or one per shard) with their facet values
/// numbered across all of them, so that counting needs no string work: per facet, each
/// segment's ordinals map straight to a merged ordinal, and merged values carry their rank in
/// byte order for ties. Built once per revision, with the facets of all records.
final class SideSet: @unchecked Sendable {
    // Immutable after init.
    let sides: [SideIndex]
    /// Per facet: merged ordinal → value (index 0: no value).
    let values: [[String]]
    /// Per facet: merged ordinal → rank of its value in byte order.
    let ranks: [[Int32]]
    /// Per facet, per side, per segment: segment ordinal → merged ordinal.
    let segmentMaps: [[[[UInt32]]]]
    /// Per facet: counts and sums of all records, by merged ordinal.
    let allRecords: [FacetTally]
    let recordCount: Int
    let totalLength: Int

    init(_ sides: [SideIndex]) {
        self.sides = sides
        recordCount = sides.reduce(0) { $0 + $1.recordCount }
        totalLength = sides.reduce(0) { $0 + $1.totalLength }
        if sides.count == 1 {
            // One part: its global ordinals are the merged ones.
            values = sides[0].facetValues
            ranks = values.map(ValueNumbering.byteRanks)
            segmentMaps = sides[0].ordinalMaps.map { [$0] }
            allRecords = sides[0].allRecordsFacets
            return
        }
        var values: [[String]] = [], ranks: [[Int32]] = [], segmentMaps: [[[[UInt32]]]] = [], allRecords: [FacetTally] = []
        for facet in Schema.facets.indices {
            var numbering = ValueNumbering(capacity: sides.reduce(0) { $0 + $1.facetValues[facet].count })
            let sideMaps: [[UInt32]] = sides.map { side in
                side.facetValues[facet].enumerated().map { ordinal, value in ordinal == 0 ? 0 : numbering.ordinal(of: value) }
            }
            let merged = numbering.values
            segmentMaps.append(sides.enumerated().map { s, side in
                side.ordinalMaps[facet].map { segmentMap in segmentMap.map { sideMaps[s][Int($0)] } }
            })
            var tally = FacetTally(size: merged.count)
            for (s, side) in sides.enumerated() {
                tally.merge(side.allRecordsFacets[facet]) { Int(sideMaps[s][$0]) }
            }
            values.append(merged)
            ranks.append(ValueNumbering.byteRanks(merged))
            allRecords.append(tally)
        }
        self.values = values
        self.ranks = ranks
        self.segmentMaps = segmentMaps
        self.allRecords = allRecords
    }

    /// Documents holding `term` in every part.
    func documentFrequency(_ term: String) -> Int {
        sides.reduce(0) { $0 + $1.documentFrequency(term) }
    }
}

/// Walks a side's deleted docids (sorted) alongside docids taken in ascending order.
struct DeletionCursor {
    private let deleted: [UInt32]
    private var next = 0

    init(_ deleted: [UInt32]) { self.deleted = deleted }

    /// Whether `docid`, no smaller than any asked about before, is deleted.
    @inline(__always) mutating func isDeleted(_ docid: UInt32) -> Bool {
        while next < deleted.count && deleted[next] < docid { next += 1 }
        return next < deleted.count && deleted[next] == docid
    }
}
