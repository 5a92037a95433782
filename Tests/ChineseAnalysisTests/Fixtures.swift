import ChineseAnalysis

/// Names as the indexer collects them from the parsed documents in Index/corpus.
let corpusNames = [
    "行政运行", "一般公共服务支出", "机关事业单位基本养老保险缴费支出", "北京市西城区人民政府办公室",
    "北京市西城区政务服务管理局", "西城区", "西城区视频会议系统运行维护项目", "西城区视频会议系统设备备品备件",
    "西城区政府网站运行维护项目", "丰台区2020年“互联网+政务服务”一网通办项目",
    "朝阳区政务服务管理局等保定级备案以及等级测评服务",
]

/// One analyzer for all tests, as the daemon shares one.
let sharedAnalyzer: Analyzer = {
    do {
        return try Analyzer.standard(domainNames: corpusNames)
    } catch {
        fatalError("dictionaries: \(error)")
    }
}()

/// Evaluates a query against a text's index terms the way Xapian does: a term matches where it
/// occurs, a prefix where any term starting with it occurs, a phrase where its parts stand at
/// consecutive positions.
func matches(_ query: TermQuery, _ terms: [IndexTerm]) -> Bool {
    switch query {
    case .term, .anyStartingWith:
        return !positions(of: query, in: terms).isEmpty || terms.contains { $0.position == nil && covers(query, $0.term) }
    case .phrase(let parts):
        let partPositions = parts.map { positions(of: $0, in: terms) }
        return partPositions[0].contains { start in
            partPositions.indices.allSatisfy { partPositions[$0].contains(start + UInt32($0)) }
        }
    case .all(let parts):
        return parts.allSatisfy { matches($0, terms) }
    case .any(let parts):
        return parts.contains { matches($0, terms) }
    case .boosted(let inner, _):
        return matches(inner, terms)
    case .withBonus(let inner, _):
        return matches(inner, terms)
    }
}

/// Whether a `.term` or `.anyStartingWith` query stands for `term`.
private func covers(_ query: TermQuery, _ term: String) -> Bool {
    switch query {
    case .term(let t): return term == t
    case .anyStartingWith(let prefix): return term.hasPrefix(prefix)
    default: preconditionFailure("not a term query: \(query)")
    }
}

private func positions(of query: TermQuery, in terms: [IndexTerm]) -> Set<UInt32> {
    Set(terms.compactMap { covers(query, $0.term) ? $0.position : nil })
}

extension Analyzer {
    /// Whether the query side's query for `query` finds `text` by its index terms.
    func finds(_ query: String, in text: String) -> Bool {
        guard let q = self.query(for: query) else { return false }
        return matches(q, indexTerms(text))
    }

    /// Whether the query finds the text and its word bonus matches too (whole-word ranking).
    func findsAsWords(_ query: String, in text: String) -> Bool {
        guard case .withBonus(let recall, let bonus)? = self.query(for: query) else { return false }
        let terms = indexTerms(text)
        return matches(recall, terms) && matches(bonus, terms)
    }

    func terms(_ text: String, at position: UInt32?) -> Set<String> {
        Set(indexTerms(text).filter { $0.position == position }.map(\.term))
    }
}
