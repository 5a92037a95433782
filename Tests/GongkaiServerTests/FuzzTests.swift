import ChineseAnalysis
import Foundation
import GongkaiIndex
import GongkaiServer
import Logging
import Testing

/// Seeded random and mutated requests through the request decoder, the query parser and, for a
/// share of them, the whole service over a real index. Deterministic, so a crash reproduces.
extension DaemonTests {
    @Suite struct Fuzz {
        static let inputCount = 100_000
        /// One input in this many also goes through `SearchService.respond`.
        static let serviceShare = 50

        static let seeds: [String] = [
            #"{"id":1,"op":"search","q":"视频会议","filters":{"district":["西城区"],"year":[2023]},"facets":["district","code:类"],"sort":"-amount","offset":0,"limit":10,"explain":true}"#,
            #"{"op":"search","q":"(法律 OR 顾问) -诉讼 year:2021..2023 amount:100..500","limit":1000}"#,
            #"{"op":"search","q":"\"政府网站\" NOT 三公 department:政务服务管理局 code:20103","filters":{"kind":"budget","type":["project","passage"]}}"#,
            #"{"op":"stats","id":"x"}"#,
            #"{"op":"ping","id":[1,{"a":null}]}"#,
            #"{"op":"search","q":"project:11010222T000000417336 unit:% amount:1000000元..","facets":["year","kind","type","department","project","code:款","code:项"]}"#,
            #"{"op":"project","code":"11010222T000000417336"}"#,
            #"{"op":"project","name":"2022年政务公开评估考核服务","district":"西城"}"#,
            #"{"op":"similar","id":"001_1a6cbd115fe7ae86.txt:311","limit":3}"#,
        ]
        static let fragments: [String] = [
            "{", "}", "[", "]", "\"", ":", ",", "\\", "\\u", "\\ud83d\\ude00", "\\u0000", "null", "true", "-0", "1e999", "-1",
            "9223372036854775808", "0.5", "(", ")", "（", "）", "“", "”", " OR ", " AND ", " NOT ", "-", "year:", "district:",
            "amount:..", "code:", "::", "经费", "视频会议", "\u{FEFF}", "\u{2028}", "é", "\n", "\t",
        ]
        static let queryWords = ["视频会议", "经费", "OR", "AND", "NOT", "-", "(", ")", "（", "）", "\"", "“", "year:2023", "year:2021..",
                                 "year:abc", "district:西城|朝阳", "kind:预算", "type:project", "code:201", "amount:100..500",
                                 "amount:元..", "unit:%", "colour:red", "：", "a", "||", "&&", "project:", "department:局"]

        @Test func hundredThousandRandomAndMutatedRequestsCrashNothing() throws {
            let databasePath = TestPaths.temporaryDirectory() + "/db"
            try TemplateIndex.copy(to: databasePath)
            defer { try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: databasePath).deletingLastPathComponent().path) }
            let service = try SearchService(databasePath: databasePath, analyzers: AnalyzerCache(lexicon: try Lexicon.loadDefault(), vocabulary: try FiscalVocabulary.loadDefault()), workers: 1,
                                            logger: Logger(label: "fuzz", factory: { _ in SwiftLogNoOpLogHandler() }))
            var random = SplitMix64(seed: 2024)
            var decoded = 0, refused = 0, parsedQueries = 0, served = 0
            for index in 0..<Self.inputCount {
                let input: [UInt8]
                switch index % 4 {
                case 0: input = Self.randomBytes(&random)
                case 1, 2: input = Self.mutated(Array(Self.seeds[Int(random.next() % UInt64(Self.seeds.count))].utf8), &random)
                default:
                    let query = Self.randomQuery(&random)
                    if (try? QueryLanguage().parse(query)) != nil { parsedQueries += 1 }
                    input = Array(#"{"op":"search","q":\#(JSONValue.string(query).serialized()),"facets":["district"]}"#.utf8)
                }
                switch RequestDecoder.decode(input).request {
                case .success: decoded += 1
                case .failure(let error):
                    refused += 1
                    #expect(!error.code.isEmpty && !error.message.isEmpty)
                }
                if index % Self.serviceShare == 0 {
                    let answer = parsed(service.respond(to: input))
                    #expect(answer?["ok"] != nil, "input \(index): \(String(decoding: input, as: UTF8.self).prefix(200))")
                    served += 1
                }
            }
            print("fuzz: \(Self.inputCount) inputs, \(decoded) decoded, \(refused) refused, \(parsedQueries) queries parsed, \(served) through the service")
            #expect(decoded > Self.inputCount / 10 && refused > Self.inputCount / 10)
            #expect(served == Self.inputCount / Self.serviceShare)
        }

        static func randomBytes(_ random: inout SplitMix64) -> [UInt8] {
            (0..<Int(random.next() % 200)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        }

        /// A valid request with a few random edits: bytes changed, fragments inserted, pieces cut or doubled.
        static func mutated(_ seed: [UInt8], _ random: inout SplitMix64) -> [UInt8] {
            var bytes = seed
            for _ in 0..<(1 + Int(random.next() % 4)) {
                let at = Int(random.next() % UInt64(bytes.count + 1))
                switch random.next() % 5 {
                case 0 where at < bytes.count: bytes[at] = UInt8(truncatingIfNeeded: random.next())
                case 1: bytes.insert(contentsOf: Array(fragments[Int(random.next() % UInt64(fragments.count))].utf8), at: at)
                case 2 where at < bytes.count: bytes.removeSubrange(at..<min(bytes.count, at + Int(random.next() % 16)))
                case 3 where at < bytes.count: bytes.insert(contentsOf: bytes[at..<min(bytes.count, at + Int(random.next() % 32))], at: at)
                default: bytes.insert(contentsOf: String(repeating: "[", count: Int(random.next() % 64)).utf8, at: at)
                }
            }
            return bytes
        }

        static func randomQuery(_ random: inout SplitMix64) -> String {
            (0..<Int(random.next() % 24)).map { _ in
                let word = queryWords[Int(random.next() % UInt64(queryWords.count))]
                return random.next() % 3 == 0 ? word : word + " "
            }.joined()
        }
    }
}
