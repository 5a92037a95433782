import Foundation
import GongkaiIndex
import Testing

/// One folder mixing text, PDF, HTML and XLSX files, through the real binary: indexed together,
/// PDF hits naming their page, a file that fails reported with its reason while the rest are indexed.
extension DaemonTests {
    @Suite struct MixedFormats {
        static let fixtures = TestPaths.checkout.appendingPathComponent("Index/fixtures").path

        /// A folder with the sample corpus's 000 as text, 002 as PDF, 001 as HTML and 004 as XLSX.
        static func mixedCorpus(extra: [String] = []) throws -> String {
            let directory = TestPaths.temporaryDirectory() + "/mixed"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: TestPaths.corpus + "/000_c0013659a1ffb08b.txt", toPath: directory + "/000_c0013659a1ffb08b.txt")
            for name in ["002_e3bab72684dbaaaa.pdf", "001_1a6cbd115fe7ae86.html", "004_00c192bc11a47879.xlsx"] + extra {
                try FileManager.default.copyItem(atPath: fixtures + "/" + name, toPath: directory + "/" + name)
            }
            return directory
        }

        @Test func pdfHitsNameTheirPageAndEveryFormatIsSearched() throws {
            let daemon = try DaemonProcess(corpus: try Self.mixedCorpus())
            defer { daemon.stop() }
            let stats = try daemon.request(#"{"op":"stats"}"#)
            #expect(stats["documents"] == .int(4))
            let answer = try daemon.request(#"{"op":"search","q":"政务服务大厅综合窗口服务","filters":{"type":["project"]},"limit":20}"#)
            guard case .array(let hits)? = answer["hits"] else { Issue.record("no hits: \(answer)"); return }
            let fromPDF = hits.filter { $0["source"]?["file"] == .string("002_e3bab72684dbaaaa.pdf") }
            #expect(!fromPDF.isEmpty)
            for hit in fromPDF {
                #expect((hit["source"]?["page"]?.intValue ?? 0) >= 1)
                #expect(hit["district"] == .string("朝阳区"))
                #expect(hit["level"] == .string("district"))
                #expect(hit["city"] == .string("北京市"))
            }
            let xlsx = try daemon.request(#"{"op":"search","q":"区政府网站运维项目","filters":{"type":["project"]},"limit":5}"#)
            if case .array(let list)? = xlsx["hits"], let first = list.first {
                #expect(first["source"]?["file"] == .string("004_00c192bc11a47879.xlsx"))
                #expect(first["title"] == .string("丰台区2021年区政府网站运维项目"))
            } else {
                Issue.record("no hits from the workbook")
            }
            let html = try daemon.request(#"{"op":"search","q":"视频会议","filters":{"district":["西城区"]},"limit":5}"#)
            if case .array(let list)? = html["hits"], let first = list.first {
                #expect(first["source"]?["file"] == .string("001_1a6cbd115fe7ae86.html"))
                #expect(first["source"]?["page"] == nil)
            } else {
                Issue.record("no hits from the HTML page")
            }
        }

        @Test func aFileThatFailsIsReportedAndTheRestIndexed() throws {
            let corpus = try Self.mixedCorpus(extra: ["scan.pdf", "encrypted.pdf"])
            let database = TestPaths.temporaryDirectory() + "/db"
            defer { try? FileManager.default.removeItem(atPath: (corpus as NSString).deletingLastPathComponent) }
            let run = try runGongkai(["index", "--db", database, "--json", corpus])
            #expect(run.status == 1)
            let summary = try JSONValue.parse(Array(run.stdout.utf8))
            #expect(summary["documents"] == .int(4))
            guard case .array(let failed)? = summary["failed"] else { Issue.record("no failures: \(run.stdout)"); return }
            let reasons = Dictionary(uniqueKeysWithValues: failed.compactMap { failure in
                failure["path"]?.stringValue.map { (($0 as NSString).lastPathComponent, failure["reason"]?.stringValue ?? "") }
            })
            #expect(reasons.keys.sorted() == ["encrypted.pdf", "scan.pdf"])
            #expect(reasons["scan.pdf"]?.contains("without a text layer") == true)
            #expect(reasons["encrypted.pdf"]?.contains("needs a password") == true)
        }

        @Test func parseJSONLinesCarryTheirDocumentsFields() throws {
            let run = try runGongkai(["parse", "--json", Self.fixtures + "/002_e3bab72684dbaaaa.pdf"])
            #expect(run.status == 0)
            let lines = run.stdout.split(separator: "\n")
            #expect(lines.count > 100)
            for line in lines {
                let record = try JSONValue.parse(Array(line.utf8))
                #expect(record["file"] == .string("002_e3bab72684dbaaaa.pdf"))
                #expect(record["format"] == .string("pdf"))
                #expect(record["district"] == .string("朝阳区"))
                #expect(record["year"] == .int(2026))
                #expect(record["kind"] == .string("budget"))
                #expect(record["department"] == .string("北京市朝阳区政务服务管理局"))
                #expect(record["level"] == .string("district"))
                #expect(record["city"] == .string("北京市"))
                #expect((record["page"]?.intValue ?? 0) >= 1)
            }
        }

        @Test func parseRefusesAFIFOAtOnce() throws {
            let fifo = TestPaths.temporaryDirectory() + "/fifo"
            #expect(mkfifo(fifo, 0o600) == 0)
            let run = try runGongkai(["parse", fifo])
            #expect(run.status == 1)
            #expect(run.stderr.contains("not a regular file (a FIFO)"))
        }
    }
}
