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
            var values = [""]
            var ordinalOf: [String: UInt32] = [:]
            var maps: [[UInt32]] = []
            for segment in self.segments {
                maps.append([0] + segment.dictionaries[facet].map { value in
                    if let ordinal = ordinalOf[value] { return ordinal }
                    values.append(value)
                    ordinalOf[value] = UInt32(values.count - 1)
                    return UInt32(values.count - 1)
                })
            }
            facetValues.append(values)
            ordinalMaps.append(maps)
        }
        self.facetValues = facetValues
        self.ordinalMaps = ordinalMaps
        recordTypes = self.segments.map { [nil] + $0.dictionaries[Self.typeFacet].map(RecordType.init(rawValue:)) }
        years = self.segments.map { [nil] + $0.dictionaries[Self.yearFacet].map { Int($0) } }

        // Statistics and the facets of all records, in one pass over the columns.
        var records = 0
        var length = 0
        var tallies = Schema.facets.indices.map { FacetTally(size: facetValues[$0].count) }
        var deletedCursor = 0
        for (s, segment) in self.segments.enumerated() {
            let types = segment.column(Self.typeFacet)
            let columns = Schema.facets.indices.map { segment.column($0) }
            for index in 0..<segment.span where types[index] != 0 {
                let docid = segment.firstDocid + UInt32(index)
                while deletedCursor < deleted.count && deleted[deletedCursor] < docid { deletedCursor += 1 }
                if deletedCursor < deleted.count && deleted[deletedCursor] == docid { continue }
                records += 1
                length += Int(segment.length(index))
                let amount = segment.amount(index)
                for facet in columns.indices {
                    let ordinal = Int(ordinalMaps[facet][s][columns[facet][index]])
                    tallies[facet].add(ordinal, amount: amount)
                }
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

    @inline(__always) mutating func add(_ ordinal: Int, amount: Int64?) {
        counts[ordinal] += 1
        if let amount { sums[ordinal] &+= amount }
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
        var values: [[String]] = [], ranks: [[Int32]] = [], segmentMaps: [[[[UInt32]]]] = [], allRecords: [FacetTally] = []
        for facet in Schema.facets.indices {
            var merged = [""]
            var ordinalOf: [String: UInt32] = [:]
            var sideMaps: [[UInt32]] = []
            for side in sides {
                sideMaps.append(side.facetValues[facet].enumerated().map { ordinal, value in
                    if ordinal == 0 { return 0 }
                    if let known = ordinalOf[value] { return known }
                    merged.append(value)
                    ordinalOf[value] = UInt32(merged.count - 1)
                    return UInt32(merged.count - 1)
                })
            }
            let order = merged.indices.dropFirst().sorted { merged[$0].utf8.lexicographicallyPrecedes(merged[$1].utf8) }
            var rank = [Int32](repeating: 0, count: merged.count)
            for (position, ordinal) in order.enumerated() { rank[ordinal] = Int32(position + 1) }
            segmentMaps.append(sides.enumerated().map { s, side in
                side.ordinalMaps[facet].map { segmentMap in segmentMap.map { sideMaps[s][Int($0)] } }
            })
            var tally = FacetTally(size: merged.count)
            for (s, side) in sides.enumerated() {
                tally.merge(side.allRecordsFacets[facet]) { Int(sideMaps[s][$0]) }
            }
            values.append(merged)
            ranks.append(rank)
            allRecords.append(tally)
        }
        self.values = values
        self.ranks = ranks
        self.segmentMaps = segmentMaps
        self.allRecords = allRecords
        recordCount = sides.reduce(0) { $0 + $1.recordCount }
        totalLength = sides.reduce(0) { $0 + $1.totalLength }
    }

    /// Documents holding `term` in every part.
    func documentFrequency(_ term: String) -> Int {
        sides.reduce(0) { $0 + $1.documentFrequency(term) }
    }
}
