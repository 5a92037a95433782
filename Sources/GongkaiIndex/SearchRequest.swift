/// A search as the daemon and the library take it, already type-checked.
public struct SearchRequest: Sendable, Hashable {
    /// The query string in the search language; empty matches everything (filtered).
    public var query = ""
    /// Filters as `filters` in a request: values of one field OR together, fields AND.
    public var filters: [FieldName: [String]] = [:]
    public var facets: [FacetRequest] = []
    /// Add up the matches' primary amounts: in total, and per facet value.
    public var sumAmounts = false
    public var offset = 0
    public var limit = 10
    public var sort: SortOrder = .relevance
    /// Return the parsed query too.
    public var explain = false

    public static let maximumLimit = 1000
    public static let maximumOffset = 100_000

    public init(query: String = "", filters: [FieldName: [String]] = [:], facets: [FacetRequest] = [],
                sumAmounts: Bool = false, offset: Int = 0, limit: Int = 10, sort: SortOrder = .relevance,
                explain: Bool = false) {
        self.query = query
        self.filters = filters
        self.facets = facets
        self.sumAmounts = sumAmounts
        self.offset = offset
        self.limit = limit
        self.sort = sort
        self.explain = explain
    }

    /// The fields `sum` accepts.
    public static let summableFields = ["amount"]
}

public enum SortOrder: String, Sendable, Hashable, CaseIterable {
    case relevance
    case amountAscending = "amount"
    case amountDescending = "-amount"
    case yearAscending = "year"
    case yearDescending = "-year"

    /// Accepts `amount`, `amount:asc`, `amount:desc`, `-amount`, `year`, `year:desc`, `relevance`.
    public static func named(_ text: String) throws -> SortOrder {
        switch text.lowercased() {
        case "", "relevance": return .relevance
        case "amount", "amount:asc", "+amount": return .amountAscending
        case "-amount", "amount:desc": return .amountDescending
        case "year", "year:asc", "+year": return .yearAscending
        case "-year", "year:desc": return .yearDescending
        default:
            throw QueryError("sort must be relevance, amount, -amount, year or -year, not '\(text)'")
        }
    }

    var isDescending: Bool { self == .amountDescending || self == .yearDescending }
}

/// A facet to count, and how many of its values to return.
public struct FacetRequest: Sendable, Hashable {
    public var spec: FacetSpec
    /// Most values to return, most frequent first.
    public var limit: Int

    public init(_ spec: FacetSpec, limit: Int = 100) {
        self.spec = spec
        self.limit = limit
    }

    /// The name the response uses for this facet.
    public var name: String { spec.name }

    /// A facet by its name in the schema (`district`, `code:类`, …); the code facet's level may also
    /// be written `code` (类), `code:3`/`code:5`/`code:7` or `code:1`/`code:2`.
    public static func named(_ text: String) throws -> FacetRequest {
        let aliases = ["code": "code:类", "code:3": "code:类", "code:1": "code:类", "code:5": "code:款", "code:2": "code:款",
                       "code:7": "code:项"]
        let lowered = text.lowercased()
        let name = aliases[lowered] ?? lowered
        guard let spec = Schema.facets.first(where: { $0.name == name }) else {
            if lowered.hasPrefix("code:") {
                throw QueryError("code facet level must be 类, 款 or 项, not '\(text.dropFirst(5))'")
            }
            throw QueryError("unknown facet '\(text)'; facets are " + Schema.facets.map(\.name).joined(separator: ", "))
        }
        return FacetRequest(spec)
    }
}
