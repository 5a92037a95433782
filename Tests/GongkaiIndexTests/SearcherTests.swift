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
        #expect(try search(scratch, SearchRequest(query: "（、）")).total == everything)
    }

    @Test func snippetsMarkTheMatchAndReadAsOneLine() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        _ = try index(scratch)
        let response = try search(scratch, SearchRequest(query: "视频会议", limit: 20))
        let snippets = try hits(response).compactMap { $0["snippet"]?.stringValue }
        #expect(!snippets.isEmpty)
        #expect(snippets.allSatisfy { $0.contains("<b>视频会议</b>") && !$0.contains("\n") && !$0.contains("\t") })
    }
}
