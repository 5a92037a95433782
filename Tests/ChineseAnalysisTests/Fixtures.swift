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
/// occurs, a phrase where its terms stand at consecutive positions.
func matches(_ query: TermQuery, _ terms: [IndexTerm]) -> Bool {
    switch query {
    case .term(let term):
        return terms.contains { $0.term == term }
    case .phrase(let phrase):
        var positions: [String: Set<UInt32>] = [:]
        for t in terms { positions[t.term, default: []].insert(t.position) }
        guard let first = positions[phrase[0]] else { return false }
        return first.contains { start in
            phrase.indices.allSatisfy { positions[phrase[$0]]?.contains(start + UInt32($0)) == true }
        }
    case .all(let parts):
        return parts.allSatisfy { matches($0, terms) }
    case .any(let parts):
        return parts.contains { matches($0, terms) }
    case .boosted(let inner, _):
        return matches(inner, terms)
    }
}

extension Analyzer {
    /// Whether the query side's query for `query` finds `text` by its index terms.
    func finds(_ query: String, in text: String) -> Bool {
        guard let q = self.query(for: query) else { return false }
        return matches(q, indexTerms(text))
    }

    /// Whether the boosted, word-aligned part of the query matches (whole-word ranking).
    func findsAsWords(_ query: String, in text: String) -> Bool {
        guard case .any(let parts)? = self.query(for: query), case .boosted(let words, _)? = parts.first else {
            return false
        }
        return matches(words, indexTerms(text))
    }

    func terms(_ text: String, at position: UInt32) -> Set<String> {
        Set(indexTerms(text).filter { $0.position == position }.map(\.term))
    }
}
