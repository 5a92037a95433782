import ChineseAnalysis
import Foundation
import GongkaiIndex
@testable import GongkaiServer
import Logging
import Testing
import Xapian

/// Issue 17, item 11: a database we did not write (an untrusted shard, random data) must never
/// put raw bytes or injected members into an answer.
@Suite struct ForeignDatabaseTests {
    /// Documents with random data, control bytes, an injection attempt, and one without values.
    static func foreignDatabase() throws -> String {
        let path = TestPaths.temporaryDirectory() + "/foreign"
        let writer = try WritableDatabase(path: path)
        var generator = SystemRandomNumberGenerator()
        let datas: [String] = [
            #"{"title":"x"}],"total":0}"# + "\n" + "视频会议",
            String(decoding: (0..<200).map { _ in UInt8.random(in: 0...255, using: &generator) }, as: UTF8.self),
            "\u{01}\u{02}\u{1B}[31m" + "\n视频会议",
            #"{"id":"a.txt:1","title":"\u0000","source":{"line":"seven"}}"# + "\n视频会议",
        ]
        for (i, data) in datas.enumerated() {
            let doc = Document()
            doc.addPosting("#视频", position: 1)
            doc.addPosting("#频会", position: 2)
            doc.addPosting("#会议", position: 3)
            if i % 2 == 0 { doc.setValue(3, "project") }  // a record type, as ours have
            doc.setData(data)
            try writer.addDocument(doc)
        }
        try writer.commit()
        return path
    }

    @Test func answersFromUndecodableDataAreValidJSONWithWarnings() throws {
        let path = try Self.foreignDatabase()
        let service = try SearchService(
            databasePath: path, analyzers: AnalyzerCache(lexicon: try Lexicon.loadDefault(), vocabulary: try FiscalVocabulary.loadDefault()),
            workers: 1, logger: Logger(label: "foreign", factory: { _ in SwiftLogNoOpLogHandler() }))
        for line in [#"{"op":"search","q":"视频会议","limit":10}"#, #"{"op":"search","q":"","limit":10,"facets":["type","district"]}"#] {
            let answer = service.respond(to: Array(line.utf8))
            let json = try JSONValue.parse(Array(answer.utf8))
            #expect(json["ok"] == .bool(true), "\(answer)")
            #expect(!answer.unicodeScalars.contains { $0.value < 0x20 }, "raw control bytes in \(answer)")
            guard case .array(let hits)? = json["hits"], case .array(let warnings)? = json["warnings"] else {
                Issue.record("no hits or warnings: \(answer)")
                continue
            }
            // Nothing decodes as one of our records; every document is left out and said so.
            #expect(hits.isEmpty)
            #expect(warnings.count == 4 || line.contains("视频") && warnings.count == 4, "\(answer)")
            #expect(json["total"] == .int(4))
        }
    }
}

@Suite struct SumRequestTests {
    @Test func sumOfAnUnknownFieldIsABadRequestNamingIt() {
        let (_, decoded) = RequestDecoder.decode(Array(#"{"op":"search","q":"","sum":"weight"}"#.utf8))
        guard case .failure(let error) = decoded else { Issue.record("accepted"); return }
        #expect(error.code == "bad_request" && error.message.contains("weight"))
        let (_, accepted) = RequestDecoder.decode(Array(#"{"op":"search","q":"","sum":"amount"}"#.utf8))
        guard case .success(.search(let request)) = accepted else { Issue.record("refused"); return }
        #expect(request.sumAmounts)
    }
}
