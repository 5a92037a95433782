/// A search as the daemon and the library take it, already type-checked.
public struct SearchRequest: Sendable, Hashable {
    /// The query string in the search language; empty matches everything (filtered).
    public var query = ""
    /// Filters as `filters` in a request: values of one field OR together, fields AND.
    public var filters: [FilterField: [String]] = [:]
    public var facets: [FacetRequest] = []
    public var offset = 0
    public var limit = 10
    public var sort: SortOrder = .relevance
    /// Return the parsed query too.
    public var explain = false

    public static let maximumLimit = 1000
    public static let maximumOffset = 100_000

    public init(query: String = "", filters: [FilterField: [String]] = [:], facets: [FacetRequest] = [],
                offset: Int = 0, limit: Int = 10, sort: SortOrder = .relevance, explain: Bool = false) {
        self.query = query
        self.filters = filters
        self.facets = facets
        self.offset = offset
        self.limit = limit
        self.sort = sort
        self.explain = explain
    }
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
}

/// A facet to count: a field, and for `code` the level (类 3 digits, 款 5, 项 7).
public struct FacetRequest: Sendable, Equatable, Hashable {
    public enum Field: String, Sendable {
        case district, year, kind, type, department, project, code
    }

    public var field: Field
    /// For `code`: 3, 5 or 7.
    public var codeDigits: Int
    /// Most values to return, most frequent first.
    public var limit: Int

    public init(field: Field, codeDigits: Int = 3, limit: Int = 100) {
        self.field = field
        self.codeDigits = codeDigits
        self.limit = limit
    }

    /// The name the response uses for this facet: the request's own spelling.
    public var name: String {
        field == .code ? "code:" + (codeDigits == 3 ? "类" : codeDigits == 5 ? "款" : "项") : field.rawValue
    }

    /// `district`, `year`, …, `code` (类), `code:类`/`code:款`/`code:项` or `code:3`/`code:5`/`code:7`.
    public static func named(_ text: String) throws -> FacetRequest {
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        guard let first = parts.first, let field = Field(rawValue: first.lowercased()) else {
            throw QueryError("unknown facet '\(text)'; facets are district, year, kind, type, department, project, code:类, code:款, code:项")
        }
        guard parts.count == 2 else { return FacetRequest(field: field) }
        guard field == .code else { throw QueryError("only the code facet takes a level, not '\(text)'") }
        let levels = ["类": 3, "款": 5, "项": 7, "3": 3, "5": 5, "7": 7, "1": 3, "2": 5]
        guard let digits = levels[parts[1]] else {
            throw QueryError("code facet level must be 类, 款 or 项, not '\(parts[1])'")
        }
        return FacetRequest(field: .code, codeDigits: digits)
    }

    var slot: UInt32 {
        switch field {
        case .district: return Schema.Slot.district
        case .year: return Schema.Slot.year
        case .kind: return Schema.Slot.kind
        case .type: return Schema.Slot.type
        case .department: return Schema.Slot.department
        case .project: return Schema.Slot.project
        case .code:
            return codeDigits == 3 ? Schema.Slot.functionClass : codeDigits == 5 ? Schema.Slot.functionSection : Schema.Slot.functionItem
        }
    }
}

/// A search's answer, ready to serialise.
public struct SearchResponse: Sendable {
    public var total: Int
    /// False when `total` is Xapian's estimate rather than an exact count.
    public var totalExact: Bool
    /// Hit objects (stored fields plus snippet), already JSON.
    public var hits: [JSONValue]
    public var facets: [(name: String, values: [JSONValue])]
    /// The parsed query and its Xapian form, when asked for.
    public var explanation: JSONValue?
    public var revision: UInt64
    /// Shards left out of the answer, and why.
    public var warnings: [String] = []
    /// Whether the answer came from the result cache.
    public var cached = false
}
