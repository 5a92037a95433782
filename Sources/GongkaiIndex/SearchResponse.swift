import Disclosure

/// A search's answer as typed values; the daemon turns it into JSON.
public struct SearchResponse: Sendable {
    public var total: Int
    /// False when `total` is an estimate rather than an exact count.
    public var totalExact: Bool
    public var hits: [SearchHit]
    public var facets: [FacetResult]
    /// The matches' primary amounts added up, when asked for.
    public var sum: AmountSum?
    /// False when facet counts (and sums) cover only the matches looked at before the time limit.
    public var facetsExact = true
    /// The parsed query and its forms, when asked for.
    public var explanation: Explanation?
    public var revision: UInt64
    /// Shards left out of the answer, and other things the answer cannot give, and why.
    public var warnings: [String] = []
    /// Whether the answer came from the result cache.
    public var cached = false
}

/// One matching record, decoded from what the index stores.
public struct SearchHit: Sendable {
    /// `<file name>:<ordinal>`, stable across re-indexing of an unchanged file.
    public var id: String
    public var fileName: String
    public var record: Record
    /// The record's document: district, year, kind, department, level.
    public var info: DocumentInfo
    /// An excerpt of the text around the query's words, matches marked `<b>…</b>`.
    public var snippet: String
    /// The match's weight, with `explain`.
    public var weight: Double?
}

/// The counts of one facet's values, most frequent first.
public struct FacetResult: Sendable {
    public var name: String
    public var values: [FacetValue]
}

public struct FacetValue: Sendable, Equatable {
    /// The value as stored: a district, a year's digits, a code, a project code.
    public var value: String
    /// Whether `value` is a number in answers (years).
    public var isNumber: Bool
    /// A name beside the value: a classification code's, or a project's beside its code.
    public var name: String?
    public var count: Int
    /// The primary amounts of the matches with this value, added up (when sums were asked for).
    public var sum: AmountSum?
}

/// An exact sum of amounts in 万元, kept as a whole number of millionths (0.01 元) so that adding
/// any number of figures never rounds.
public struct AmountSum: Sendable, Equatable, Hashable {
    public var millionths: Int64

    public init(millionths: Int64 = 0) {
        self.millionths = millionths
    }

    /// The fixed-point form of an amount in 万元, rounded to the nearest millionth.
    public static func millionths(ofWanYuan value: Double) -> Int64 {
        guard value.isFinite, abs(value) < 9e12 else { return 0 }
        return Int64((value * 1_000_000).rounded())
    }

    public mutating func add(wanYuan value: Double) {
        millionths &+= Self.millionths(ofWanYuan: value)
    }

    /// The sum in 万元 as a decimal numeral with at most six decimals (no binary rounding).
    public var decimalText: String {
        let negative = millionths < 0
        let magnitude = millionths.magnitude
        var fraction = String(magnitude % 1_000_000)
        fraction = String(repeating: "0", count: 6 - fraction.count) + fraction
        while fraction.last == "0" { fraction.removeLast() }
        return (negative ? "-" : "") + String(magnitude / 1_000_000) + (fraction.isEmpty ? "" : "." + fraction)
    }

    public var wanYuan: Double { Double(millionths) / 1_000_000 }
}

/// What `explain` shows of a query.
public struct Explanation: Sendable {
    /// The query as parsed, with its operators.
    public var parsed: String
    /// The query as the matcher runs it.
    public var compiled: String
    /// Fiscal-vocabulary and character expansions: what each query word also searched for.
    public var expansions: [(word: String, alternatives: [String])] = []
    /// Which engine answered: `side store` or `xapian`.
    public var engine: String
}
