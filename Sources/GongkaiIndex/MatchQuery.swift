import Disclosure

/// What a search matches and how it ranks, independent of the engine that runs it: the side
/// store's matcher and Xapian (remote shards) run the same tree with the same matches. Terms are
/// index terms (content terms from the analyzer, or prefixed field terms).
indirect enum MatchQuery: Sendable, Equatable, CustomStringConvertible {
    /// Every record.
    case all
    case nothing
    case term(String)
    /// Any term starting with the text: a Han character, whatever follows it. Ranks as one term.
    case anyWithPrefix(String)
    /// Terms (or any term with a prefix) at consecutive positions.
    case phrase([PhrasePart])
    case and([MatchQuery])
    case or([MatchQuery])
    /// Matches of the first that match none of the second.
    case andNot(MatchQuery, MatchQuery)
    /// Matches of the first; those that also match the second weigh more.
    case andMaybe(MatchQuery, MatchQuery)
    /// Matches of the first that match the second, weighed by the first only.
    case filter(MatchQuery, MatchQuery)
    /// The weight of the inner query times a factor (0: a boolean condition).
    case scaled(MatchQuery, Double)
    /// A year or amount between bounds (nil: open); matches without weight.
    case range(RangeBound)
    /// Every record, weighed by its type: researchers look for projects first.
    case typePrior

    enum PhrasePart: Sendable, Equatable, CustomStringConvertible {
        case term(String)
        case anyWithPrefix(String)

        var description: String {
            switch self {
            case .term(let term): return term
            case .anyWithPrefix(let prefix): return prefix + "*"
            }
        }
    }

    /// A range over a field's value slot.
    enum RangeBound: Sendable, Equatable, CustomStringConvertible {
        case year(low: Int?, high: Int?)
        /// Millionths of 万元.
        case amount(low: Int64?, high: Int64?)

        var description: String {
            switch self {
            case .year(let low, let high): return "year:\(low.map(String.init) ?? "")..\(high.map(String.init) ?? "")"
            case .amount(let low, let high):
                return "amount:\(low.map { AmountSum(millionths: $0).decimalText } ?? "")..\(high.map { AmountSum(millionths: $0).decimalText } ?? "")"
            }
        }
    }

    /// Researchers look for projects first, then budget lines and indicators, then prose: a weight
    /// by record type added to the text match. Text matches weigh about 20–35 for a typical query,
    /// so a project that matches comes before the indicators and passages that repeat its name,
    /// while relevance still orders hits within a type.
    static let typeWeights: [RecordType: Double] = [.project: 15, .lineItem: 5, .indicator: 4, .passage: 0]

    var description: String {
        switch self {
        case .all: return "<all>"
        case .nothing: return "<nothing>"
        case .term(let term): return term
        case .anyWithPrefix(let prefix): return prefix + "*"
        case .phrase(let parts): return "\"" + parts.map(\.description).joined(separator: " ") + "\""
        case .and(let parts): return "(" + parts.map(\.description).joined(separator: " AND ") + ")"
        case .or(let parts): return "(" + parts.map(\.description).joined(separator: " OR ") + ")"
        case .andNot(let a, let b): return "(\(a) AND_NOT \(b))"
        case .andMaybe(let a, let b): return "(\(a) AND_MAYBE \(b))"
        case .filter(let a, let b): return "(\(a) FILTER \(b))"
        case .scaled(let inner, let factor): return "\(factor == 0 ? "0" : String(factor)) * \(inner)"
        case .range(let bound): return bound.description
        case .typePrior: return "<type prior>"
        }
    }
}
