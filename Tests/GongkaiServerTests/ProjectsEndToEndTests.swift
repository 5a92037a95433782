import Disclosure
import ChineseAnalysis
import Foundation
import GongkaiIndex
import GongkaiServer
import Logging
import Testing

/// Project timelines, similar projects and exports through the real binary and socket.
extension DaemonTests {
    @Suite struct Projects {
        @Test func aProjectsTimelineHasTheIssuesShape() throws {
            let daemon = try DaemonProcess()
            defer { daemon.stop() }
            let answer = try daemon.request(#"{"id":7,"op":"project","code":"11010222T000000417336"}"#)
            #expect(answer["id"] == .int(7) && answer["ok"] == .bool(true))
            #expect(answer["project"]?["key"] == .string("code:11010222T000000417336"))
            #expect(answer["project"]?["code"] == .string("11010222T000000417336"))
            #expect(answer["project"]?["name"] == .string("西城区视频会议系统运行维护项目"))
            #expect(answer["project"]?["district"] == .string("西城区"))
            guard case .array(let timeline)? = answer["timeline"], let entry = timeline.first else {
                Issue.record("no timeline: \(answer.serialized())")
                return
            }
            #expect(timeline.count == 1)
            #expect(entry["year"] == .int(2023) && entry["kind"] == .string("budget"))
            #expect(entry["amount"]?["value"]?.doubleValue == 270.8 && entry["amount"]?["unit"] == .string("万元"))
            #expect(entry["department"] == .string("北京市西城区人民政府办公室"))
            #expect(entry["by"] == .string("code"))
            #expect(entry["source"]?["file"] == .string("001_1a6cbd115fe7ae86.txt") && (entry["source"]?["line"]?.intValue ?? 0) > 0)
            guard case .array(let indicators)? = entry["indicators"] else { Issue.record("no indicators"); return }
            #expect(indicators.count == 28 && indicators.allSatisfy { $0["source"]?["line"]?.intValue != nil })

            let final = try daemon.request(#"{"op":"project","name":"政管局党费返还留成党建经费","district":"丰台"}"#)
            guard case .array(let years)? = final["timeline"], let spent = years.first else { Issue.record("\(final.serialized())"); return }
            #expect(spent["kind"] == .string("final") && spent["by"] == .string("name"))
            #expect(spent["amount"]?["value"]?.doubleValue == 0.38 && spent["amount"]?["label"] == .string("全年执行数"))
            #expect(spent["execution"]?["rate_percent"]?.doubleValue == 76.21)
            #expect(spent["execution"]?["printed_rate"] == .string("76%"))
            #expect(spent["execution"]?["budget_from"] == .string("final"))
        }

        /// Unknown ids and codes get `not_found`, malformed requests `bad_request`; the daemon keeps serving.
        @Test func badInputGetsNotFoundOrBadRequestAndTheDaemonKeepsServing() throws {
            let daemon = try DaemonProcess()
            defer { daemon.stop() }
            let client = try daemon.client()
            let cases: [(String, String)] = [
                (#"{"op":"project","code":"11010222T000000000000"}"#, "not_found"),
                (#"{"op":"project","name":"从未有过的项目"}"#, "not_found"),
                (#"{"op":"project","key":"name:西城区/某局/某项目"}"#, "not_found"),
                (#"{"op":"similar","id":"nothing.txt:1"}"#, "not_found"),
                (#"{"op":"project"}"#, "bad_request"),
                (#"{"op":"project","code":5}"#, "bad_request"),
                (#"{"op":"project","code":""}"#, "bad_request"),
                (#"{"op":"project","code":"11010222T000000417336","name":"x"}"#, "bad_request"),
                (#"{"op":"project","code":"11010222T000000417336","district":"西城"}"#, "bad_request"),
                (#"{"op":"project","key":"west:1"}"#, "bad_request"),
                (#"{"op":"project","code":"1","colour":"red"}"#, "bad_request"),
                (#"{"op":"project","name":"预留机动费","district":"火星区"}"#, "bad_query"),
                (#"{"op":"similar"}"#, "bad_request"),
                (#"{"op":"similar","id":3}"#, "bad_request"),
                (#"{"op":"similar","id":"001_1a6cbd115fe7ae86.txt:311","limit":0}"#, "bad_request"),
                (#"{"op":"export","q":"year:abc"}"#, "bad_query"),
                (#"{"op":"export","limit":5}"#, "bad_request"),
            ]
            for (line, code) in cases {
                let answer = try JSONValue.parse(Array(try client.request(line).utf8))
                #expect(answer["ok"] == .bool(false), "\(line)")
                #expect(answer["error"]?["code"] == .string(code), "\(line): \(answer.serialized())")
                #expect(answer["error"]?["message"]?.stringValue?.isEmpty == false)
            }
            let ping = try JSONValue.parse(Array(try client.request(#"{"op":"ping"}"#).utf8))
            #expect(ping["ok"] == .bool(true))
            let similar = try JSONValue.parse(Array(try client.request(#"{"id":"s","op":"similar","hit":"001_1a6cbd115fe7ae86.txt:311"}"#).utf8))
            #expect(similar["id"] == .string("s") && similar["ok"] == .bool(true))
            guard case .array(let hits)? = similar["similar"] else { Issue.record("\(similar.serialized())"); return }
            #expect(!hits.isEmpty && hits.allSatisfy { $0["type"] == .string("project") && $0["project_key"] != similar["source"]?["project_key"] })
        }

        /// An export streams one line per match and a summary: exactly `total` rows.
        @Test func anExportOverTheSocketStreamsEveryMatchThenASummary() throws {
            let daemon = try DaemonProcess()
            defer { daemon.stop() }
            let client = try daemon.client()
            let total = try JSONValue.parse(Array(try client.request(#"{"op":"search","q":"type:project","limit":0}"#).utf8))["total"]?.intValue
            try client.send(line: #"{"id":"e","op":"export","q":"type:project","sort":"year"}"#)
            var rows: [JSONValue] = []
            var summary: JSONValue?
            while summary == nil {
                let line = try JSONValue.parse(Array(try client.readLine().utf8))
                if let row = line["row"] {
                    #expect(line["id"] == .string("e"))
                    rows.append(row)
                } else {
                    summary = line
                }
            }
            #expect(total == SampleCorpus.projects && rows.count == SampleCorpus.projects)
            #expect(summary?["ok"] == .bool(true) && summary?["total"]?.intValue == SampleCorpus.projects && summary?["rows"]?.intValue == SampleCorpus.projects)
            let years = rows.compactMap { $0["year"]?.intValue }
            #expect(years == years.sorted() && years.count == SampleCorpus.projects)
            #expect(rows.allSatisfy { row in
                guard case .object(let members) = row else { return false }
                return members.map(\.0) == ExportRow.columns
            })
            // The connection serves the next request after the stream.
            #expect(try JSONValue.parse(Array(try client.request(#"{"op":"ping"}"#).utf8))["ok"] == .bool(true))
        }

        /// `gongkai search --export csv` writes the header, then every match, RFC 4180 quoted;
        /// each row's file and line lead back to the source text.
        @Test func theCommandLineExportsCSVWithProvenance() throws {
            let daemon = try DaemonProcess()
            defer { daemon.stop() }
            let exported = try runGongkai(["search", "--socket", daemon.socketPath, "--export", "csv", "type:project"])
            #expect(exported.status == 0, "\(exported.stderr)")
            let records = CSVReader.records(exported.stdout)
            #expect(exported.stdout.hasPrefix("id,type,title,district,year,kind,department,project_code,project_key,codes,amount_wan,file,line,page\r\n"))
            #expect(records.count == SampleCorpus.projects + 1 && records.dropFirst().allSatisfy { $0.count == ExportRow.columns.count })
            for record in records.dropFirst() {
                let lines = try String(contentsOfFile: TestPaths.corpus + "/" + record[11], encoding: .utf8).components(separatedBy: "\n")
                let line = try #require(Int(record[12]))
                let printed = lines[(line - 1)..<min(lines.count, line + 3)].joined().filter { !$0.isWhitespace }
                #expect(printed.contains(String(record[2].filter { !$0.isWhitespace }.prefix(6))), "\(record[0])")
            }
            let excel = try runGongkai(["search", "--socket", daemon.socketPath, "--export", "csv", "--excel", "视频会议"])
            #expect(excel.status == 0 && excel.stdout.hasPrefix("\u{FEFF}id,type,"))
            let jsonl = try runGongkai(["search", "--socket", daemon.socketPath, "--export", "jsonl", "视频会议"])
            let lines = jsonl.stdout.split(separator: "\n")
            #expect(jsonl.status == 0 && lines.count == CSVReader.records(excel.stdout).count - 1)
            #expect(lines.allSatisfy { (try? JSONValue.parse(Array($0.utf8)))?["file"] != nil })
            let refused = try runGongkai(["search", "--socket", daemon.socketPath, "--export", "csv", "year:abc"])
            #expect(refused.status == 1 && refused.stderr.contains("year"))
        }

        @Test func theCommandLinePrintsATimelineAndSimilarProjects() throws {
            let daemon = try DaemonProcess()
            defer { daemon.stop() }
            let timeline = try runGongkai(["project", "--socket", daemon.socketPath, "11010222T000000417336"])
            #expect(timeline.status == 0, "\(timeline.stderr)")
            #expect(timeline.stdout.contains("西城区视频会议系统运行维护项目") && timeline.stdout.contains("270.8"))
            #expect(timeline.stdout.contains("001_1a6cbd115fe7ae86.txt:"))
            let byName = try runGongkai(["project", "--socket", daemon.socketPath, "--district", "西城", "预留机动费"])
            #expect(byName.status == 0 && byName.stdout.contains("other projects of that name"))
            let missing = try runGongkai(["project", "--socket", daemon.socketPath, "11010222T000000000000"])
            #expect(missing.status == 1 && missing.stderr.contains("no project"))
            let similar = try runGongkai(["similar", "--socket", daemon.socketPath, "004_00c192bc11a47879.txt:340"])
            #expect(similar.status == 0 && similar.stdout.contains("1. "))
        }

        /// A client that goes away in the middle of an export costs nothing after it: the daemon
        /// stops producing rows and keeps serving.
        @Test func aClientThatLeavesMidExportStopsIt() throws {
            // Copies of the sample corpus under other names: an export bigger than the socket's buffers.
            let corpus = TestPaths.temporaryDirectory() + "/corpus"
            try FileManager.default.createDirectory(atPath: corpus, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: corpus).deletingLastPathComponent().path) }
            for copy in 0..<4 {
                for name in try FileManager.default.contentsOfDirectory(atPath: TestPaths.corpus) {
                    try FileManager.default.copyItem(atPath: TestPaths.corpus + "/" + name, toPath: corpus + "/\(copy)-" + name)
                }
            }
            let daemon = try DaemonProcess(corpus: corpus)
            defer { daemon.stop() }
            let total = try daemon.request(#"{"op":"search","limit":0}"#)["total"]?.intValue ?? 0
            #expect(total == 4 * SampleCorpus.records)
            do {
                let leaving = try daemon.client()
                try leaving.send(line: #"{"op":"export"}"#)
                _ = try leaving.readLine()
            }  // closed here
            let deadline = Date().addingTimeInterval(5)
            var exports: JSONValue?
            while Date() < deadline {
                exports = try daemon.request(#"{"op":"stats"}"#)["exports"]
                if exports?["abandoned"]?.intValue == 1 { break }
                usleep(20_000)
            }
            #expect(exports?["abandoned"]?.intValue == 1, "\(exports?.serialized() ?? "")")
            #expect((exports?["rows"]?.intValue ?? total) < total)
            #expect(try daemon.request(#"{"op":"ping"}"#)["ok"] == .bool(true))
        }
    }
}

/// Over remote shards (Xapian's matcher, no side store) the same timelines, vocabulary
/// expansions, similar projects and exports.
extension ShardedServingTests {
    @Test func projectsVocabularyAndExportsWorkOverRemoteShards() throws {
        let sharded = TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: sharded) }
        let indexed = try runGongkai(["index", "--db", sharded, "--shard-by", "district", TestPaths.corpus])
        try #require(indexed.status == 0, "\(indexed.stderr)")
        let shards = try #require(try ShardLayout(root: sharded).read()?.shards).map { sharded + "/shards/" + $0 }
        let server = try ShardServer(databases: [shards[0]])
        let others = try ShardServer(databases: Array(shards.dropFirst()))
        defer { server.stop(); others.stop() }
        let single = try DaemonProcess()
        defer { single.stop() }
        let remote = try DaemonProcess(arguments: ["--shard", server.address, "--shard", others.address])
        defer { remote.stop() }

        for query in [#"{"op":"search","q":"三公经费","limit":1000,"explain":true}"#, #"{"op":"search","q":"行政运行","limit":1000,"explain":true}"#] {
            let expected = try single.request(query), actual = try remote.request(query)
            #expect(actual["total"] != nil && actual["total"] == expected["total"], "\(query)")
            #expect(actual["explain"]?["expansions"] == expected["explain"]?["expansions"] && actual["explain"]?["expansions"] != nil)
            #expect(actual["explain"]?["engine"] == .string("xapian"))
        }
        for query in [#"{"op":"project","code":"11010222T000000417336"}"#, #"{"op":"project","name":"政管局党费返还留成党建经费"}"#] {
            let expected = try single.request(query), actual = try remote.request(query)
            #expect(actual["ok"] == .bool(true) && actual["project"] == expected["project"], "\(query)")
            #expect(actual["timeline"] == expected["timeline"], "\(query)")
        }
        let similar = try remote.request(#"{"op":"similar","id":"001_1a6cbd115fe7ae86.txt:309"}"#)
        guard case .array(let hits)? = similar["similar"] else { Issue.record("\(similar.serialized())"); return }
        #expect(!hits.isEmpty && hits.allSatisfy { $0["project_key"] != .string("code:11010222T000000417336") })
        let local = try single.request(#"{"op":"similar","id":"001_1a6cbd115fe7ae86.txt:309"}"#)
        #expect(similar["terms"] == local["terms"], "\(similar["terms"]?.serialized() ?? "") vs \(local["terms"]?.serialized() ?? "")")

        let client = try remote.client()
        try client.send(line: #"{"op":"export","q":"type:project"}"#)
        var rows = 0
        while true {
            let line = try JSONValue.parse(Array(try client.readLine().utf8))
            if line["row"] != nil { rows += 1; continue }
            #expect(line["ok"] == .bool(true) && line["rows"] == .int(rows) && line["total"] == .int(rows))
            break
        }
        #expect(rows == SampleCorpus.projects)
    }
}

/// The export's producer, in process: it stops at the first line the client cannot take.
@Suite struct ExportStreamTests {
    /// A client that takes `capacity` lines, then is gone.
    /// Used by the one thread that runs the stream.
    final class LeavingClient: LineSink, @unchecked Sendable {
        let capacity: Int
        var attempts = 0
        var finished = false
        init(capacity: Int) { self.capacity = capacity }
        func write(_ line: String) -> Bool {
            attempts += 1
            return attempts <= capacity
        }
        func finish() { finished = true }
    }

    @Test func theProducerStopsAtTheFirstLineTheClientCannotTake() throws {
        let databasePath = TestPaths.temporaryDirectory() + "/db"
        try TemplateIndex.copy(to: databasePath)
        defer { try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: databasePath).deletingLastPathComponent().path) }
        let service = try SearchService(databasePath: databasePath,
                                        analyzers: AnalyzerCache(lexicon: try Lexicon.loadDefault(), vocabulary: try FiscalVocabulary.loadDefault()),
                                        workers: 1, logger: Logger(label: "export", factory: { _ in SwiftLogNoOpLogHandler() }))
        guard case .stream(let stream) = service.reply(to: Array(#"{"op":"export"}"#.utf8), ticket: RequestTicket(number: "t", budget: .seconds(5))) else {
            Issue.record("an export is not streamed")
            return
        }
        let client = LeavingClient(capacity: 5)
        stream.produce(client)
        #expect(client.attempts == 6 && !client.finished)
        let stats = parsed(service.respond(to: Array(#"{"op":"stats"}"#.utf8)))
        #expect(stats?["exports"]?["abandoned"] == .int(1) && stats?["exports"]?["rows"] == .int(5))
        // In process, without a stream, the lines come joined: every row and the summary.
        let lines = service.respond(to: Array(#"{"op":"export","q":"type:project"}"#.utf8)).split(separator: "\n")
        #expect(lines.count == SampleCorpus.projects + 1 && parsed(String(lines.last!))?["rows"] == .int(SampleCorpus.projects))
    }
}

/// Reads RFC 4180 CSV (quoted fields may hold commas, quotes and line breaks) into records.
enum CSVReader {
    static func records(_ text: String) -> [[String]] {
        var records: [[String]] = []
        var record: [String] = []
        var field = ""
        var quoted = false
        var chars = Array(text.hasPrefix("\u{FEFF}") ? String(text.dropFirst()) : text)
        chars.append("\r\n")
        var index = 0
        while index < chars.count {
            let c = chars[index]
            if quoted {
                if c == "\"" {
                    if index + 1 < chars.count && chars[index + 1] == "\"" { field.append("\""); index += 1 } else { quoted = false }
                } else {
                    field.append(c)
                }
            } else if c == "\"" {
                quoted = true
            } else if c == "," {
                record.append(field)
                field = ""
            } else if c == "\r\n" || c == "\n" {
                record.append(field)
                field = ""
                if record != [""] { records.append(record) }
                record = []
            } else {
                field.append(c)
            }
            index += 1
        }
        return records
    }
}

/// What the parser makes of the sample corpus, so that counts follow the parser.
enum SampleCorpus {
    static let parsed: [Record] = {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: TestPaths.corpus)) ?? []
        return names.flatMap { (try? DisclosureParser().parseFile(atPath: TestPaths.corpus + "/" + $0).records) ?? [] }
    }()
    static let records = parsed.count
    static let projects = parsed.filter { $0.type == .project }.count
}
