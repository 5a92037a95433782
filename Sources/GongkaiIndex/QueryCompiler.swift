import ChineseAnalysis

/// A query string and request filters turned into one engine-independent `MatchQuery`.
struct CompiledQuery {
    var query: MatchQuery
    var parsed: QueryNode?
    /// The query's positive words and phrases (and what they were expanded to), for snippets.
    var highlightWords: [String]
    /// What each expanded query word also searched for, for `explain`.
    var expansions: [(word: String, alternatives: [String])] = []
}

/// Maps the search language onto index terms. Top-level field filters become a boolean FILTER
/// (values of one field OR together, fields AND), words rank through the analyzer's terms plus a
/// prior by record type, and negated parts are subtracted.
struct QueryCompiler {
    let analyzer: Analyzer
    let resolver: FilterResolver
    /// What words also search for (fiscal vocabulary, classification names); nil for nothing.
    /// Expanding here, not with Xapian's synonym table, works over remote shards too.
    var expansion: QueryExpansion?

    func compile(query text: String, filters: [FieldName: [String]]) throws -> CompiledQuery {
        let parsed = try QueryLanguage().parse(text)
        var topLevel: [QueryNode] = []
        if case .and(let parts)? = parsed { topLevel = parts } else if let parsed { topLevel = [parsed] }

        var fieldValues: [FieldName: [String]] = [:]
        var ranked: [QueryNode] = []
        var excluded: [QueryNode] = []
        for part in topLevel {
            switch part {
            case .field(let name, let value): fieldValues[try FieldName.named(name), default: []].append(value)
            case .not(let inner): excluded.append(inner)
            default: ranked.append(part)
            }
        }
        for (field, values) in filters { fieldValues[field, default: []] += values }

        let rankedQueries = try ranked.compactMap(compileNode)
        let excludedQueries = try excluded.compactMap(compileNode)
        // Words of punctuation or emoji only are left out beside searchable ones; a query made of
        // nothing else must not match everything.
        if !(ranked.isEmpty && excluded.isEmpty) && rankedQueries.isEmpty && excludedQueries.isEmpty {
            throw QueryError("the query '\(text)' holds nothing searchable (no Chinese character, letter or digit)")
        }
        var query: MatchQuery = rankedQueries.isEmpty ? .all : .andMaybe(Self.and(rankedQueries), .typePrior)
        let filterGroups = try fieldValues.keys.sorted { $0.rawValue < $1.rawValue }.map { field in
            Self.or(try fieldValues[field]!.map { try resolver.query(field, $0) })
        }
        if !filterGroups.isEmpty {
            query = .filter(query, Self.and(filterGroups))
        }
        if !excludedQueries.isEmpty {
            query = .andNot(query, Self.or(excludedQueries))
        }
        let expansions = parsed.map(words)?.compactMap { word in
            expand(word).map { (word: word, alternatives: $0.words + $0.codes.map { "code:" + $0 }) }
        } ?? []
        let highlighted = ranked.flatMap(Self.positiveTexts)
        return CompiledQuery(query: query, parsed: parsed,
                             highlightWords: highlighted + highlighted.flatMap { expand($0)?.words ?? [] },
                             expansions: expansions)
    }

    /// The words (not phrases: those are meant exactly) of a query, in order, without repeats.
    private func words(_ node: QueryNode) -> [String] {
        switch node {
        case .word(let text): return [text]
        case .phrase, .field: return []
        case .and(let parts), .or(let parts): return parts.flatMap(words).distinctInOrder
        case .not(let inner): return words(inner)
        }
    }

    private func expand(_ word: String) -> (words: [String], codes: [String])? {
        expansion?.expand(analyzer.normalize(word))
    }

    /// A word's query, OR what the word also finds: the vocabulary's words, and the records coded
    /// with the classification codes those names stand for (a boolean condition).
    private func expanded(_ query: MatchQuery, word: String) -> MatchQuery {
        guard let found = expand(word) else { return query }
        let alternatives = found.words.compactMap { analyzer.query(for: $0).map(Self.matchQuery) }
        let codes = found.codes.compactMap(Schema.field(.code).term)
        return Self.or([query] + alternatives + (codes.isEmpty ? [] : [.scaled(.anyTerm(codes), 0)]))
    }

    /// The query for a node, or nil when it holds nothing searchable (a word of punctuation only),
    /// so that it neither matches everything nor nothing where it stands.
    private func compileNode(_ node: QueryNode) throws -> MatchQuery? {
        switch node {
        case .word(let text):
            return analyzer.query(for: text).map { expanded(Self.matchQuery($0), word: text) }
        case .phrase(let text):
            return analyzer.query(for: text).map(Self.matchQuery)
        case .field(let name, let value):
            // A filter inside OR/brackets: matches like a filter, adds no weight.
            return .scaled(try resolver.query(FieldName.named(name), value), 0)
        case .and(let parts):
            var positive: [MatchQuery] = []
            var negative: [MatchQuery] = []
            for part in parts {
                if case .not(let inner) = part {
                    if let query = try compileNode(inner) { negative.append(query) }
                } else if let query = try compileNode(part) {
                    positive.append(query)
                }
            }
            if positive.isEmpty && negative.isEmpty { return nil }
            let base = positive.isEmpty ? MatchQuery.all : Self.and(positive)
            return negative.isEmpty ? base : .andNot(base, Self.or(negative))
        case .or(let parts):
            let alternatives = try parts.compactMap(compileNode)
            return alternatives.isEmpty ? nil : Self.or(alternatives)
        case .not(let inner):
            return try compileNode(inner).map { .andNot(.all, $0) }
        }
    }

    /// The analyzer's term query as a match query; one to one.
    static func matchQuery(_ termQuery: TermQuery) -> MatchQuery {
        switch termQuery {
        case .term(let term): return .term(term)
        case .anyStartingWith(let prefix): return .anyWithPrefix(prefix)
        case .phrase(let parts):
            return .phrase(parts.map { part in
                switch part {
                case .term(let term): return .term(term)
                case .anyStartingWith(let prefix): return .anyWithPrefix(prefix)
                default: preconditionFailure("a phrase holds terms and prefixes only: \(part)")
                }
            })
        case .all(let parts): return and(parts.map(matchQuery))
        case .any(let parts): return or(parts.map(matchQuery))
        case .boosted(let inner, let factor): return .scaled(matchQuery(inner), factor)
        case .withBonus(let query, let bonus): return .andMaybe(matchQuery(query), matchQuery(bonus))
        }
    }

    static func and(_ parts: [MatchQuery]) -> MatchQuery { parts.count == 1 ? parts[0] : .and(parts) }
    static func or(_ parts: [MatchQuery]) -> MatchQuery { parts.count == 1 ? parts[0] : .or(parts) }

    private static func positiveTexts(_ node: QueryNode) -> [String] {
        switch node {
        case .word(let text), .phrase(let text): return [text]
        case .and(let parts), .or(let parts): return parts.flatMap(positiveTexts)
        case .field, .not: return []
        }
    }
}
