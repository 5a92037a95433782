import Disclosure
import Foundation
import Xapian

/// Projects like a given one elsewhere: what `{"op": "similar"}` answers.
public struct SimilarProjects: Sendable {
    /// The record asked about.
    public var source: SearchHit
    /// The words that tell the source's project from the rest of the index (Xapian's ESet over
    /// the project's records), with their expansion weights, best first.
    public var terms: [(term: String, weight: Double)]
    /// One hit per other project (its best-matching project record), best first.
    public var similar: [SearchHit]
    public var revision: UInt64
    public var warnings: [String]
}

extension Searcher {
    /// Projects whose names and indicators resemble those of the record `id`'s project, in other
    /// districts and years, ranked. Xapian's relevance feedback picks the words: the project's
    /// records (project records and indicators, every year) are the relevant set, and its
    /// expansion set over word terms (not characters, codes or field terms) is searched for among
    /// project records, the project's own records left out. An unknown id throws `NotFoundError`.
    public func similarProjects(to id: String, limit: Int = 10, deadline: ContinuousClock.Instant? = nil) throws -> SimilarProjects {
        let catalog = try currentCatalog()
        var warnings = try source.availability()
        guard let (sourceDocid, hit) = try xapianMatches(of: .term(Schema.term(Schema.Prefix.uniqueID, id)), limit: 1, catalog: catalog, warnings: &warnings).first else {
            throw NotFoundError("no record with id \(id)")
        }
        var relevant = [(docid: sourceDocid, hit: hit)]
        var excluded: MatchQuery = .term(Schema.term(Schema.Prefix.uniqueID, id))
        if let key = hit.record.projectKey, let keyTerm = Schema.field(.projectKey).term(key.rawValue) {
            let types = [RecordType.project, .indicator].compactMap { Schema.field(.type).term($0.rawValue) }
            relevant = try xapianMatches(of: .filter(.term(keyTerm), .anyTerm(types)), limit: Self.maximumRelevant,
                                         catalog: catalog, warnings: &warnings)
            excluded = .term(keyTerm)
        }
        // Words of where and by whom the project is run (its department, unit, district, people,
        // classification names) would find its neighbours, not its likes; the indicator tables'
        // own headings (产出指标, 数量指标, 正向指标) are in every project's indicators.
        let place = (relevant.flatMap { match in
            let indicator = match.hit.record.indicator
            return [match.hit.info.department, match.hit.info.district, indicator?.level1, indicator?.level2, indicator?.direction]
                + match.hit.record.codes.map(\.name) + Self.placeFields.map { match.hit.record.fields[$0] }
        }.compactMap { $0 } + catalog.districts).distinctInOrder
        let terms = try source.combined.expand(relevant: relevant.map(\.docid), maxTerms: Self.expansionTerms) { term in
            Self.isWordTerm(term) && !place.contains { $0.contains(term) }
        }
        guard !terms.isEmpty else {
            return SimilarProjects(source: hit, terms: [], similar: [], revision: catalog.revision, warnings: warnings)
        }
        let projects = Schema.field(.type).term(RecordType.project.rawValue).map(MatchQuery.term) ?? .nothing
        let query = MatchQuery.andNot(.filter(.or(terms.map { .term($0.term) }), projects), excluded)
        let limit = max(1, min(limit, 100))
        // Several records of one project (one per year) may match; ask for more, keep one per project.
        let request = SearchRequest(limit: min(SearchRequest.maximumLimit, limit * 5), explain: true)
        let response = try run(CompiledQuery(query: query, parsed: nil, highlightWords: terms.map(\.term)),
                               request: request, catalog: catalog, deadline: deadline)
        var seen = Set<String>()
        let similar = response.hits.filter { hit in seen.insert(hit.record.projectKey?.rawValue ?? hit.id).inserted }
        return SimilarProjects(source: hit, terms: terms, similar: Array(similar.prefix(limit)),
                               revision: catalog.revision, warnings: warnings + response.warnings)
    }

    /// Fields of a project record that say where and by whom it is run (`ProjectDraft`'s keys).
    static let placeFields = ["unit", "department", "implementer", "responsible", "phone"]

    /// Relevant documents at most: every year's project record and indicators of one project.
    static let maximumRelevant = 500
    /// Words taken from the expansion set.
    static let expansionTerms = 24

    /// Word terms of the analyzer (segmented words, see Index/TOKENIZATION.md): no `#` character
    /// terms, no capital-prefixed field terms, no numbers or codes (a project code would find the
    /// project itself), at least two characters and some Chinese.
    static func isWordTerm(_ term: String) -> Bool {
        guard let first = term.unicodeScalars.first, first != "#", !("A"..."Z").contains(first), term.count >= 2 else { return false }
        var hasHan = false
        for scalar in term.unicodeScalars {
            if scalar.isASCII {
                if ("0"..."9").contains(scalar) || scalar == "\t" || scalar == "\n" { return false }
            } else if scalar.properties.isIdeographic {
                hasHan = true
            }
        }
        return hasHan
    }

    /// Documents matching `query` by Xapian's matcher (which knows the combined database's docids,
    /// as relevance feedback needs them), with their hits.
    private func xapianMatches(of query: MatchQuery, limit: Int, catalog: Catalog,
                               warnings: inout [String]) throws -> [(docid: UInt32, hit: SearchHit)] {
        var builder = XapianQueryBuilder(termsStartingWith: source.terms(startingWith:))
        var options = SearchOptions()
        options.limit = UInt32(clamping: limit)
        options.hitValueSlots = XapianSearch.hitValueSlots
        let (result, shardWarnings) = try source.search(try builder.build(query), options: options)
        warnings += shardWarnings
        let snippets = SnippetMaker(analyzer: catalog.analyzer, queryWords: [])
        return result.matches.compactMap { match in
            do {
                return (match.docid, try XapianSearch.hit(match, snippets: snippets))
            } catch {
                warnings.append("document \(match.docid) left out: \(error)")
                return nil
            }
        }
    }
}
