import Foundation
import GongkaiIndex
import GongkaiServer
import Testing

/// The walking skeleton through the real binary: index → serve → query over a real socket.
extension DaemonTests {
    @Suite struct EndToEnd {
        @Test func searchFindsTheXichengVideoConferenceProjectsWithSourceLines() throws {
            let daemon = try DaemonProcess()
            defer { daemon.stop() }
            let response = try daemon.request(#"{"id":"a1","op":"search","q":"视频会议","filters":{"district":["西城"]},"facets":["district","year","kind","type"],"limit":50}"#)
            #expect(response["id"] == .string("a1"))
            #expect(response["ok"] == .bool(true))
            guard case .array(let hits)? = response["hits"] else { Issue.record("no hits array"); return }
            #expect(!hits.isEmpty)
            for hit in hits {
                #expect(hit["district"] == .string("西城区"))
                #expect(hit["source"]?["file"] == .string("001_1a6cbd115fe7ae86.txt"))
                #expect((hit["source"]?["line"]?.intValue ?? 0) > 0)
            }
            let titlesAndSnippets = hits.compactMap { ($0["title"]?.stringValue ?? "") + ($0["snippet"]?.stringValue ?? "") }
            #expect(titlesAndSnippets.contains { $0.contains("西城区视频会议系统运行维护项目") || $0.contains("西城区<b>视频会议</b>系统运行维护项目") })
            #expect(response["facets"]?["district"] == .array([.object([("value", .string("西城区")), ("count", .int(hits.count))])]))
        }

        @Test func malformedRequestsGetErrorsAndTheConnectionStaysUsable() throws {
            let daemon = try DaemonProcess()
            defer { daemon.stop() }
            let client = try daemon.client()
            let badLines = [
                "this is not json",
                #"{"op":"fly"}"#,
                #"{"op":"search","limit":"ten"}"#,
                #"["op","search"]"#,
                #"{"op":"search","q":"year:abc"}"#,
                #"{"op":"search","q":"\"unbalanced"}"#,
                #"{"op":"search","q":"colour:red"}"#,
            ]
            for line in badLines {
                let answer = try JSONValue.parse(Array(try client.request(line).utf8))
                #expect(answer["ok"] == .bool(false), "\(line)")
                #expect(answer["error"]?["code"]?.stringValue?.isEmpty == false)
                #expect(answer["error"]?["message"]?.stringValue?.isEmpty == false)
            }
            let good = try JSONValue.parse(Array(try client.request(#"{"id":2,"op":"search","q":"三公经费"}"#).utf8))
            #expect(good["ok"] == .bool(true))
            #expect(good["id"] == .int(2))
            #expect((good["total"]?.intValue ?? 0) > 0)
        }

        @Test func statsCountsDocumentsRecordsAndRevision() throws {
            let daemon = try DaemonProcess()
            defer { daemon.stop() }
            let stats = try daemon.request(#"{"op":"stats"}"#)
            #expect(stats["ok"] == .bool(true))
            #expect(stats["documents"] == .int(4))
            #expect((stats["records"]?.intValue ?? 0) > 100)
            #expect((stats["revision"]?.intValue ?? 0) >= 1)
        }

        @Test func reindexingUnchangedFilesAddsNoDuplicates() throws {
            let daemon = try DaemonProcess()
            defer { daemon.stop() }
            let before = try daemon.request(#"{"op":"stats"}"#)
            let again = try runGongkai(["index", "--db", daemon.databasePath, TestPaths.corpus])
            #expect(again.status == 0)
            #expect(again.stdout.contains("4 unchanged"))
            let after = try daemon.request(#"{"op":"stats"}"#)
            #expect(after["records"] == before["records"])
            #expect(after["documents"] == .int(4))
        }

        @Test func searchClientNumbersHitsFromTheOffset() throws {
            let daemon = try DaemonProcess()
            defer { daemon.stop() }
            let all = try runGongkai(["search", "--socket", daemon.socketPath, "--limit", "5", "经费"])
            let page = try runGongkai(["search", "--socket", daemon.socketPath, "--offset", "3", "--limit", "2", "经费"])
            #expect(all.status == 0 && page.status == 0)
            func numbered(_ text: String) -> [String] {
                text.split(separator: "\n").filter { $0.first?.isNumber == true && $0.contains(". [") }.map(String.init)
            }
            #expect(numbered(page.stdout).map { $0.prefix(3) } == ["4. ", "5. "], "\(page.stdout)")
            #expect(numbered(page.stdout) == Array(numbered(all.stdout).suffix(2)))
        }

        @Test func theLimitErrorNamesTheRealCap() throws {
            let daemon = try DaemonProcess()
            defer { daemon.stop() }
            let message = try daemon.request(#"{"op":"search","limit":-1}"#)["error"]?["message"]?.stringValue ?? ""
            #expect(message.contains("1000") && !message.contains("9223372036854775807"), "\(message)")
            let empty = try daemon.request(#"{"op":"search","q":"()"}"#)
            #expect(empty["error"]?["message"] == .string("empty brackets in query"))
        }

        @Test func searchClientPrintsHitsAndFailsClearlyWithoutDaemon() throws {
            let daemon = try DaemonProcess()
            defer { daemon.stop() }
            let found = try runGongkai(["search", "--socket", daemon.socketPath, "视频会议", "--district", "西城区"])
            #expect(found.status == 0)
            #expect(found.stdout.contains("001_1a6cbd115fe7ae86.txt:"))
            let missing = try runGongkai(["search", "--socket", daemon.directory + "/nobody.sock", "视频会议"])
            #expect(missing.status != 0)
            #expect(missing.stderr.contains("cannot connect"))
        }
    }
}
