import ChineseAnalysis
import Disclosure
import Foundation
import Testing
@testable import GongkaiIndex

/// Facet counts and sums against brute force over every parsed record, and the side store's
/// answers against Xapian's matcher (what remote shards run).
@Suite(.serialized) struct FacetCorrectnessTests {
    struct Parsed {
        let record: Record
        let info: DocumentInfo
        /// Title and text normalised, spaces dropped: what a substring query must be found in.
        let text: String
    }

    static let fixture: (scratch: Scratch, records: [Parsed]) = {
        let scratch = try! Scratch()
        _ = try! index(scratch)
        let analyzer = try! ChineseAnalysis.Analyzer.standard()
        var records: [Parsed] = []
        for name in try! FileManager.default.contentsOfDirectory(atPath: scratch.corpus).sorted() {
            let document = try! DisclosureParser().parseFile(atPath: scratch.corpus + "/" + name)
            for record in document.records {
                let text = analyzer.normalize(record.title + "\n" + record.text).filter { $0 != " " }
                records.append(Parsed(record: record, info: document.info, text: text))
            }
        }
        return (scratch, records)
    }()

    struct Case: Sendable, CustomStringConvertible {
        let query: String
        let filters: [FieldName: [String]]
        let expected: @Sendable (Parsed) -> Bool
        var description: String { query + " \(filters)" }
    }

    static func hasCode(_ prefix: String) -> @Sendable (Parsed) -> Bool {
        { parsed in parsed.record.codes.contains { $0.code.hasPrefix(prefix) && [3, 5, 7].contains(prefix.count) } }
    }

    static let cases: [Case] = [
        Case(query: "视频会议", filters: [:]) { $0.text.contains("视频会议") },
        Case(query: "\"政府信息公开\"", filters: [:]) { $0.text.contains("政府信息公开") },
        // Words whose records skip the phrase check (they hold the word term), beside those that do not.
        Case(query: "政务服务", filters: [:]) { $0.text.contains("政务服务") },
        Case(query: "运行维护", filters: [.kind: ["budget"]]) { $0.text.contains("运行维护") && $0.info.kind == .budget },
        Case(query: "满意度", filters: [.district: ["西城区"]]) { $0.text.contains("满意度") && $0.info.district == "西城区" },
        Case(query: "费", filters: [.year: ["2022", "2023"]]) { $0.text.contains("费") && [2022, 2023].contains($0.info.year ?? 0) },
        Case(query: "", filters: [.type: ["line_item"]]) { $0.record.type == .lineItem },
        Case(query: "code:201", filters: [:], expected: hasCode("201")),
        Case(query: "code:20103", filters: [.kind: ["budget"]]) { hasCode("20103")($0) && $0.info.kind == .budget },
        Case(query: "code:2010301", filters: [:], expected: hasCode("2010301")),
        Case(query: "运维 OR 维护", filters: [:]) { $0.text.contains("运维") || $0.text.contains("维护") },
        Case(query: "项目 -服务", filters: [:]) { $0.text.contains("项目") && !$0.text.contains("服务") },
        Case(query: "year:2021..2022", filters: [:]) { (2021...2022).contains($0.info.year ?? 0) },
        Case(query: "", filters: [:]) { _ in true },
    ]

    static let facetNames = ["district", "year", "kind", "type", "department", "code:类", "code:款", "code:项", "project"]

    @Test(arguments: cases)
    func countsAndSumsAreThoseOfBruteForce(_ example: Case) throws {
        let (scratch, records) = Self.fixture
        let request = SearchRequest(query: example.query, filters: example.filters,
                                    facets: try Self.facetNames.map(FacetRequest.named), sumAmounts: true, limit: 0)
        let response = try search(scratch, request)
        let matching = records.filter(example.expected)
        #expect(response.totalExact && response.total == matching.count, "\(example)")
        let expectedSum = matching.reduce(Int64(0)) { $0 + ($1.record.primaryAmount.map { AmountSum.millionths(ofWanYuan: $0.wanYuan) } ?? 0) }
        #expect(response.sum?.millionths == expectedSum, "\(example)")

        for facet in response.facets {
            let spec = Schema.facets.first { $0.name == facet.name }!
            var counts: [String: Int] = [:]
            var sums: [String: Int64] = [:]
            for parsed in matching {
                guard let value = spec.value(RecordFields(record: parsed.record, info: parsed.info)) else { continue }
                counts[value, default: 0] += 1
                sums[value, default: 0] += parsed.record.primaryAmount.map { AmountSum.millionths(ofWanYuan: $0.wanYuan) } ?? 0
            }
            let answered = Dictionary(uniqueKeysWithValues: facet.values.map { value in
                (value.name.map { spec.rendering == .project ? value.value + "\t" + $0 : value.value } ?? value.value, value)
            })
            let shown = counts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.prefix(100)
            #expect(Set(answered.keys) == Set(shown.map(\.key)), "\(example) \(facet.name)")
            for (value, count) in shown {
                #expect(answered[value]?.count == count, "\(example) \(facet.name) \(value)")
                #expect(answered[value]?.sum?.millionths == sums[value], "\(example) \(facet.name) \(value)")
            }
        }
    }

    @Test(arguments: cases)
    func theSideStoreAndXapiansMatcherFindTheSameRecords(_ example: Case) throws {
        let (scratch, _) = Self.fixture
        let request = SearchRequest(query: example.query, filters: example.filters,
                                    facets: try Self.facetNames.map(FacetRequest.named), limit: 1000)
        let side = try Searcher(databasePath: scratch.database, analyzers: sharedAnalyzers)
        let xapian = try Searcher(databasePath: scratch.database, analyzers: sharedAnalyzers)
        xapian.usesSideStore = false
        var explained = request
        explained.explain = true
        #expect(try side.search(explained).explanation?.engine == "side store")
        let a = try side.search(request), b = try xapian.search(request)
        #expect(a.total == b.total, "\(example)")
        if b.total <= 1000 { #expect(Set(a.hits.map(\.id)) == Set(b.hits.map(\.id)), "\(example)") }
        #expect(a.facets.map { "\($0.name) \($0.values)" } == b.facets.map { "\($0.name) \($0.values)" }, "\(example)")
        // Ranked alike: the same best hit, where there is a clear best.
        let top = try side.search(SearchRequest(query: example.query, filters: example.filters, limit: 3, explain: true))
        let topX = try xapian.search(SearchRequest(query: example.query, filters: example.filters, limit: 3, explain: true))
        if let first = top.hits.first?.record.type, let firstX = topX.hits.first?.record.type, !example.query.isEmpty {
            #expect(first == firstX, "\(example): the best hit's type")
        }
    }

    /// A request matching everything shows its first records in docid order, as Xapian's matcher
    /// does, from any offset.
    @Test func everythingShowsItsFirstRecordsInDocidOrder() throws {
        let (scratch, _) = Self.fixture
        let side = try Searcher(databasePath: scratch.database, analyzers: sharedAnalyzers)
        let xapian = try Searcher(databasePath: scratch.database, analyzers: sharedAnalyzers)
        xapian.usesSideStore = false
        for offset in [0, 3, 40] {
            let request = SearchRequest(query: "", facets: [try FacetRequest.named("district")], offset: offset, limit: 7)
            let a = try side.search(request), b = try xapian.search(request)
            #expect(a.hits.count == 7)
            #expect(a.hits.map(\.id) == b.hits.map(\.id), "offset \(offset)")
        }
    }
}
