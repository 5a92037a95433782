import ChineseAnalysis
import Xapian

/// A query string and request filters turned into one Xapian query.
struct CompiledQuery {
    var query: Xapian.Query
    var parsed: QueryNode?
    /// The query's positive words and phrases, for snippets.
    var highlightWords: [String]
}

/// Maps the search language onto Xapian. Top-level field filters become a boolean FILTER (values
/// of one field OR together, fields AND), words rank through the analyzer's terms, and negated
/// parts are subtracted.
struct QueryCompiler {
    let analyzer: Analyzer
    let resolver: FilterResolver
    /// The index's terms that start with a text (the analyzer's `.anyStartingWith`).
    let termsStartingWith: (String) throws -> [String]

    func compile(query text: String, filters: [FilterField: [String]]) throws -> CompiledQuery {
        let parsed = try QueryLanguage().parse(text)
        var topLevel: [QueryNode] = []
        if case .and(let parts)? = parsed { topLevel = parts } else if let parsed { topLevel = [parsed] }

        var fieldValues: [FilterField: [String]] = [:]
        var ranked: [QueryNode] = []
        var excluded: [QueryNode] = []
        for part in topLevel {
            switch part {
            case .field(let name, let value): fieldValues[try FilterField.named(name), default: []].append(value)
            case .not(let inner): excluded.append(inner)
            default: ranked.append(part)
            }
        }
        for (field, values) in filters { fieldValues[field, default: []] += values }

        let rankedQueries = try ranked.compactMap(compileNode)
        var query = rankedQueries.isEmpty ? Xapian.Query.matchAll : Xapian.Query(.and, rankedQueries)
        if !rankedQueries.isEmpty {
            query = Xapian.Query(.andMaybe, [query, Self.typePrior])
        }
        let filterGroups = try fieldValues.keys.sorted { $0.rawValue < $1.rawValue }.map { field in
            try orQuery(fieldValues[field]!.map { try filterQuery(resolver.condition(field, $0)) })
        }
        if !filterGroups.isEmpty {
            query = Xapian.Query(.filter, [query, filterGroups.count == 1 ? filterGroups[0] : Xapian.Query(.and, filterGroups)])
        }
        let excludedQueries = try excluded.compactMap(compileNode)
        if !excludedQueries.isEmpty {
            query = Xapian.Query(.andNot, [query, orQuery(excludedQueries)])
        }
        return CompiledQuery(query: query, parsed: parsed, highlightWords: ranked.flatMap(Self.positiveTexts))
    }

    /// Researchers look for projects first, then budget lines and indicators, then prose: a weight
    /// by record type added to the text match. Text matches weigh about 20–35 for a typical
    /// query, so a project that matches comes before the indicators and passages that repeat its
    /// name, while relevance still orders hits within a type.
    static var typePrior: Xapian.Query {
        Xapian.Query(valueWeights: Schema.Slot.type,
                     ["project": 15, "line_item": 5, "indicator": 4, "passage": 0], default: 0)
    }

    /// The Xapian query for a node, or nil when it holds nothing searchable (a word of
    /// punctuation only), so that it neither matches everything nor nothing where it stands.
    private func compileNode(_ node: QueryNode) throws -> Xapian.Query? {
        switch node {
        case .word(let text), .phrase(let text):
            return try analyzer.query(for: text).map(xapianQuery)
        case .field(let name, let value):
            // A filter inside OR/brackets: matches like a filter, adds no weight.
            return try filterQuery(resolver.condition(FilterField.named(name), value)).scaled(by: 0)
        case .and(let parts):
            var positive: [Xapian.Query] = []
            var negative: [Xapian.Query] = []
            for part in parts {
                if case .not(let inner) = part {
                    if let query = try compileNode(inner) { negative.append(query) }
                } else if let query = try compileNode(part) {
                    positive.append(query)
                }
            }
            if positive.isEmpty && negative.isEmpty { return nil }
            let base = positive.isEmpty ? Xapian.Query.matchAll : Xapian.Query(.and, positive)
            return negative.isEmpty ? base : Xapian.Query(.andNot, [base, orQuery(negative)])
        case .or(let parts):
            let alternatives = try parts.compactMap(compileNode)
            return alternatives.isEmpty ? nil : Xapian.Query(.or, alternatives)
        case .not(let inner):
            return try compileNode(inner).map { Xapian.Query(.andNot, [.matchAll, $0]) }
        }
    }

    private func xapianQuery(_ termQuery: TermQuery) throws -> Xapian.Query {
        switch termQuery {
        case .term(let term): return Xapian.Query(term: term)
        case .anyStartingWith(let prefix):
            // One term for ranking, as the character was before it was split into bigrams.
            let terms = try expansion(of: prefix)
            return terms.isEmpty ? .matchNothing : Xapian.Query(.synonym, terms)
        case .phrase(let parts):
            var positions: [Xapian.Query] = []
            for part in parts {
                switch part {
                case .term(let term):
                    positions.append(Xapian.Query(term: term))
                case .anyStartingWith(let prefix):
                    // Xapian's phrases take terms or an OR of terms at a position.
                    let terms = try expansion(of: prefix)
                    if terms.isEmpty { return .matchNothing }
                    positions.append(terms.count == 1 ? terms[0] : Xapian.Query(.or, terms))
                default:
                    preconditionFailure("a phrase holds terms and prefixes only: \(part)")
                }
            }
            return Xapian.Query(.phrase, positions)
        case .all(let parts): return Xapian.Query(.and, try parts.map(xapianQuery))
        case .any(let parts): return Xapian.Query(.or, try parts.map(xapianQuery))
        case .boosted(let inner, let factor): return try xapianQuery(inner).scaled(by: factor)
        case .withBonus(let query, let bonus): return Xapian.Query(.andMaybe, [try xapianQuery(query), try xapianQuery(bonus)])
        }
    }

    /// A term query for every index term that starts with `prefix`.
    private func expansion(of prefix: String) throws -> [Xapian.Query] {
        try termsStartingWith(prefix).map { Xapian.Query(term: $0) }
    }

    private func filterQuery(_ condition: FilterCondition) -> Xapian.Query {
        switch condition {
        case .anyTerm(let terms): return orQuery(terms.map { Xapian.Query(term: $0) })
        case .valueRange(let slot, let low, let high): return Xapian.Query(valueRange: slot, low: low, high: high)
        case .nothing: return .matchNothing
        }
    }

    private func orQuery(_ queries: [Xapian.Query]) -> Xapian.Query {
        queries.count == 1 ? queries[0] : Xapian.Query(.or, queries)
    }

    private static func positiveTexts(_ node: QueryNode) -> [String] {
        switch node {
        case .word(let text), .phrase(let text): return [text]
        case .and(let parts), .or(let parts): return parts.flatMap(positiveTexts)
        case .field, .not: return []
        }
    }
}
