import Foundation
import GongkaiIndex
import GongkaiServer
import Testing

/// Every test that runs daemons, one after another: they measure time and share two cores.
@Suite(.serialized) struct DaemonTests {}

extension DaemonTests {
    @Suite struct Load {
        static let queries = [
            #"{"op":"search","q":"视频会议","facets":["district","year"]}"#,
            #"{"op":"search","q":"三公经费","limit":20}"#,
            #"{"op":"search","q":"(法律 OR 顾问) -诉讼","sort":"-amount"}"#,
            #"{"op":"search","q":"district:西城 year:2023 type:project","facets":["code:类"]}"#,
            #"{"op":"search","q":"\"政府网站\"","limit":5,"offset":1}"#,
            #"{"op":"search","q":"运维","filters":{"kind":["budget"]},"facets":["department"]}"#,
            #"{"op":"search","q":"amount:100..","sort":"amount","limit":3}"#,
            #"{"op":"ping"}"#,
        ]

        @Test func concurrentClientsGetTheSameAnswersAsOneClient() throws {
            // Without the result cache, so that every request is searched concurrently.
            let daemon = try DaemonProcess(arguments: ["--cache-entries", "0"])
            defer { daemon.stop() }
            let single = try daemon.client()
            let expected = try Self.queries.map { withoutTiming(try single.request($0)) }
            for answer in expected { #expect(parsed(answer)?["ok"] == .bool(true), "\(answer.prefix(200))") }

            let mismatches = LockedList()
            let errors = onThreads(32) { thread in
                let client = try daemon.client()
                for round in 0..<200 {
                    let index = (thread + round) % Self.queries.count
                    let answer = withoutTiming(try client.request(Self.queries[index]))
                    if answer != expected[index] { mismatches.append("thread \(thread) round \(round): \(answer.prefix(200))") }
                }
            }
            #expect(errors.isEmpty, "\(errors.prefix(3))")
            #expect(mismatches.items.isEmpty, "\(mismatches.items.count) differing answers, e.g. \(mismatches.items.prefix(2))")
            let stats = try daemon.request(#"{"op":"stats"}"#)
            #expect(stats["errors"] == .int(0))
            #expect((stats["requests"]?.intValue ?? 0) >= 32 * 200 + Self.queries.count)
        }

        @Test func servesMoreThan256OpenConnectionsAtOnce() throws {
            let daemon = try DaemonProcess()
            defer { daemon.stop() }
            let clients = try (0..<300).map { _ in try daemon.client() }
            // Everyone asks before anyone reads: all 300 are open and waiting together.
            for (i, client) in clients.enumerated() { try client.send(line: #"{"id":\#(i),"op":"search","q":"项目"}"#) }
            let stats = try daemon.request(#"{"op":"stats"}"#)
            #expect((stats["connections"]?.intValue ?? 0) >= 301)
            for (i, client) in clients.enumerated() {
                let answer = parsed(try client.readLine())
                #expect(answer?["id"] == .int(i))
                #expect(answer?["ok"] == .bool(true))
            }
        }

        @Test func pipelinedRequestsAreAnsweredInOrder() throws {
            let daemon = try DaemonProcess()
            defer { daemon.stop() }
            let client = try daemon.client()
            let lines = (0..<200).map { #"{"id":\#($0),"op":"search","q":"\#(["经费", "项目", "会议"][$0 % 3])"}"# }
            try client.send(bytes: Array(lines.map { $0 + "\n" }.joined().utf8))
            for i in 0..<200 { #expect(parsed(try client.readLine())?["id"] == .int(i)) }
        }

        /// The indexer commits a new revision while 8 clients query: nothing fails, and the new
        /// text is found within a second of the commit.
        @Test func reindexDuringLoadFailsNothingAndServesTheNewRevision() throws {
            let corpus = TestPaths.temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: corpus) }
            for file in try FileManager.default.contentsOfDirectory(atPath: TestPaths.corpus) {
                try FileManager.default.copyItem(atPath: TestPaths.corpus + "/" + file, toPath: corpus + "/" + file)
            }
            let daemon = try DaemonProcess(corpus: corpus)
            defer { daemon.stop() }
            let before = try daemon.request(#"{"op":"stats"}"#)
            let newText = #"{"op":"search","q":"萤火虫观测站"}"#
            #expect(try daemon.request(newText)["total"] == .int(0))

            let stopped = Flag()
            let failures = LockedList()
            let loadDone = DispatchGroup()
            loadDone.enter()
            Thread {
                let errors = onThreads(8) { thread in
                    let client = try daemon.client()
                    var count = 0
                    while !stopped.isSet {
                        let answer = try client.request(Load.queries[(thread + count) % Load.queries.count])
                        if parsed(answer)?["ok"] != .bool(true) { failures.append(answer) }
                        count += 1
                    }
                }
                for error in errors { failures.append(error) }
                loadDone.leave()
            }.start()
            defer {
                stopped.set()
                loadDone.wait()
            }

            let source = try String(contentsOfFile: corpus + "/004_00c192bc11a47879.txt", encoding: .utf8)
            try (source + "\n西城区萤火虫观测站建设项目，用于夜间生态监测。\n").write(toFile: corpus + "/005_firefly.txt", atomically: true, encoding: .utf8)
            let indexed = try runGongkai(["index", "--db", daemon.databasePath, corpus])
            #expect(indexed.status == 0, "\(indexed.stderr)")
            let committed = Date()
            var found = false
            while !found && Date().timeIntervalSince(committed) < 1 {
                found = (try daemon.request(newText)["total"]?.intValue ?? 0) > 0
                if !found { usleep(20_000) }
            }
            #expect(found, "the new text was not found within 1 s of the commit")
            let after = try daemon.request(#"{"op":"stats"}"#)
            #expect((after["revision"]?.intValue ?? 0) > (before["revision"]?.intValue ?? .max))
            #expect(after["documents"] == .int(5))
            usleep(300_000)
            stopped.set()
            loadDone.wait()
            #expect(failures.items.isEmpty, "\(failures.items.prefix(3))")
        }
    }
}
