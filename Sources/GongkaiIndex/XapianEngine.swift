import Xapian

/// `MatchQuery` as a Xapian query, for the engine that runs on Xapian's matcher: remote shards
/// (`xapian-tcpsrv` runs only Xapian's own query operators and match spies) and indexes without a
/// side store. Character prefixes are expanded from the index's term list.
struct XapianQueryBuilder {
    /// The index's terms that start with a text.
    let termsStartingWith: (String) throws -> [String]
    var expansion = ExpansionBudget()

    mutating func build(_ query: MatchQuery) throws -> Xapian.Query {
        switch query {
        case .all: return .matchAll
        case .nothing: return .matchNothing
        case .term(let term): return Xapian.Query(term: term)
        case .anyWithPrefix(let prefix):
            // One term for ranking, as the character was before it was split into bigrams.
            let terms = try expand(prefix)
            return terms.isEmpty ? .matchNothing : Xapian.Query(.synonym, terms)
        case .phrase(let parts):
            var positions: [Xapian.Query] = []
            for part in parts {
                switch part {
                case .term(let term):
                    positions.append(Xapian.Query(term: term))
                case .anyWithPrefix(let prefix):
                    // Xapian's phrases take terms or an OR of terms at a position.
                    let terms = try expand(prefix)
                    if terms.isEmpty { return .matchNothing }
                    positions.append(terms.count == 1 ? terms[0] : Xapian.Query(.or, terms))
                }
            }
            return positions.count == 1 ? positions[0] : Xapian.Query(.phrase, positions)
        case .and(let parts): return Xapian.Query(.and, try parts.map { try build($0) })
        case .or(let parts): return Xapian.Query(.or, try parts.map { try build($0) })
        case .andNot(let a, let b): return Xapian.Query(.andNot, [try build(a), try build(b)])
        case .andMaybe(let a, let b): return Xapian.Query(.andMaybe, [try build(a), try build(b)])
        case .filter(let a, let b): return Xapian.Query(.filter, [try build(a), try build(b)])
        case .scaled(let inner, let factor): return try build(inner).scaled(by: factor)
        case .range(.year(let low, let high)):
            return Xapian.Query(valueRange: Schema.yearSlot, low: low.map { Array(String($0).utf8) }, high: high.map { Array(String($0).utf8) })
        case .range(.amount(let low, let high)):
            return Xapian.Query(valueRange: Schema.amountSlot,
                                low: low.map { SortableSerialiser.serialise(AmountSum(millionths: $0).wanYuan) },
                                high: high.map { SortableSerialiser.serialise(AmountSum(millionths: $0).wanYuan) })
        case .typePrior:
            let weights = Dictionary(uniqueKeysWithValues: MatchQuery.typeWeights.map { ($0.key.rawValue, $0.value) })
            return Xapian.Query(valueWeights: Schema.typeSlot, weights, default: 0)
        }
    }

    private mutating func expand(_ prefix: String) throws -> [Xapian.Query] {
        let terms = try termsStartingWith(prefix)
        try expansion.spend(terms.count, prefix: prefix)
        return terms.map { Xapian.Query(term: $0) }
    }
}
