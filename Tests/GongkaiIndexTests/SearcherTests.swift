import ChineseAnalysis
import Disclosure
import Foundation
import Testing
@testable import GongkaiIndex

@Suite struct SearcherTests {
    @Test func wordsOfPunctuationOnlyNeitherWidenNorEmptyAQuery() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        _ = try index(scratch)
        let everything = try search(scratch, SearchRequest()).total
        let video = try search(scratch, SearchRequest(query: "视频会议")).total
        #expect(video > 0 && video < everything)
        #expect(try search(scratch, SearchRequest(query: "、 OR 视频会议")).total == video)
        #expect(try search(scratch, SearchRequest(query: "视频会议 -、")).total == video)
    }

    /// Issue 17, item 12: a query with nothing indexable used to match every record.
    @Test(arguments: ["😀", "。", "!!!", "\"\"", "(。)", "（、）", "district:西城区 😀", "NOT 。"])
    func aQueryOfNothingSearchableIsRefusedNotEverything(query: String) throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        _ = try index(scratch)
        #expect(throws: QueryError.self) { try search(scratch, SearchRequest(query: query)) }
    }

    @Test func snippetsMarkTheMatchAndReadAsOneLine() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        _ = try index(scratch)
        let response = try search(scratch, SearchRequest(query: "视频会议", limit: 20))
        let snippets = response.hits.map(\.snippet)
        #expect(!snippets.isEmpty)
        #expect(snippets.allSatisfy { $0.contains("<b>视频会议</b>") && !$0.contains("\n") && !$0.contains("\t") })
    }
}

@Suite struct CharacterQueryTests {
    /// Records whose text (title, newline, text; normalised, spaces dropped) contains `needle`.
    static func recordsContaining(_ needle: String, in corpus: String, analyzer: ChineseAnalysis.Analyzer) throws -> Int {
        let parser = DisclosureParser()
        var count = 0
        for name in try FileManager.default.contentsOfDirectory(atPath: corpus) {
            for record in try parser.parseFile(atPath: corpus + "/" + name).records {
                let text = analyzer.normalize(record.title + "\n" + record.text).filter { $0 != " " }
                if text.contains(needle) { count += 1 }
            }
        }
        return count
    }

    /// A character the query ends with, or holds alone, is a bigram's first half in most texts:
    /// the searcher expands it to every term it starts, and finds exactly the records holding it.
    @Test(arguments: ["局", "费", "2023年", "年度", "服务对象满意度", "万元", "元"])
    func findsExactlyTheRecordsContainingTheText(query: String) throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        _ = try index(scratch)
        let analyzer = try ChineseAnalysis.Analyzer.standard()
        let expected = try Self.recordsContaining(analyzer.normalize(query), in: scratch.corpus, analyzer: analyzer)
        let found = try search(scratch, SearchRequest(query: "\"\(query)\"", limit: 1000))
        #expect(expected > 0)
        #expect(found.totalExact && found.total == expected, "\(query)")
    }
}

/// Issue 17, item 14, and sums: small things a user runs into.
@Suite struct RangeAndSortTests {
    @Test func reversedRangesAreRefusedWithTheRightOrder() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        _ = try index(scratch)
        for query in ["year:2023..2021", "amount:500..100"] {
            do {
                _ = try search(scratch, SearchRequest(query: query))
                Issue.record("\(query) answered")
            } catch let error as QueryError {
                #expect(error.message.contains("reversed"), "\(error.message)")
            }
        }
    }

    /// Records without an amount come last whichever way amounts are sorted.
    @Test(arguments: [GongkaiIndex.SortOrder.amountAscending, .amountDescending])
    func sortingByAmountPutsRecordsWithoutOneLast(order: GongkaiIndex.SortOrder) throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        _ = try index(scratch)
        let hits = try search(scratch, SearchRequest(query: "满意度", limit: 1000, sort: order)).hits
        let amounts = hits.map { $0.record.primaryAmount?.wanYuan }
        let firstMissing = amounts.firstIndex(where: { $0 == nil }) ?? amounts.count
        #expect(firstMissing > 0 && firstMissing < amounts.count, "the query should hold records with and without amounts")
        #expect(amounts[firstMissing...].allSatisfy { $0 == nil })
        let present = amounts[..<firstMissing].map { $0! }
        #expect(present == (order == .amountAscending ? present.sorted() : present.sorted(by: >)))
    }
}
