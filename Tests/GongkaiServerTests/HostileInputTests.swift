import Foundation
import Glibc
import GongkaiIndex
@testable import GongkaiServer
import Testing

extension DaemonTests {
    @Suite struct HostileInput {
        static let ping = #"{"id":"after","op":"ping"}"#

        static let hostileLines: [(name: String, bytes: [UInt8])] = [
            ("invalid UTF-8 in a string", Array(#"{"op":"search","q":""#.utf8) + [0xFF, 0xFE, 0xC0, 0x80] + Array(#""}"#.utf8)),
            ("invalid UTF-8 outside strings", [0x7B, 0xFF, 0x7D]),
            ("raw NUL in a string", Array(#"{"op":"search","q":"a"#.utf8) + [0] + Array(#"b"}"#.utf8)),
            ("escaped NUL in the query", Array(#"{"op":"search","q":"经费\u0000项目"}"#.utf8)),
            ("NUL alone", [0, 0, 0]),
            ("huge integer", Array(#"{"op":"search","limit":123456789012345678901234567890}"#.utf8)),
            ("huge exponent", Array(#"{"op":"search","offset":1e400}"#.utf8)),
            ("negative offset", Array(#"{"op":"search","offset":-1}"#.utf8)),
            ("huge limit is capped", Array(#"{"op":"search","q":"项目","limit":9007199254740991}"#.utf8)),
            ("deeply nested arrays", Array(String(repeating: "[", count: 100_000).utf8)),
            ("deeply nested filters", Array((#"{"op":"search","filters":{"district":"# + String(repeating: "[", count: 40) + String(repeating: "]", count: 40) + "}}").utf8)),
            ("op of the wrong type", Array(#"{"op":5}"#.utf8)),
            ("q of the wrong type", Array(#"{"op":"search","q":["视频"]}"#.utf8)),
            ("facets of the wrong type", Array(#"{"op":"search","facets":"district"}"#.utf8)),
            ("filters of the wrong type", Array(#"{"op":"search","filters":[1,2]}"#.utf8)),
            ("filter values of the wrong type", Array(#"{"op":"search","filters":{"year":[{"a":1}]}}"#.utf8)),
            ("unknown filter", Array(#"{"op":"search","filters":{"colour":"red"}}"#.utf8)),
            ("too many filter values", Array((#"{"op":"search","filters":{"year":["# + (0..<300).map(String.init).joined(separator: ",") + "]}}").utf8)),
            ("not an object", Array("null".utf8)),
            ("a bare string", Array(#""search""#.utf8)),
            ("empty line", []),
            ("only spaces", Array("   \t ".utf8)),
            ("duplicate members", Array(#"{"op":"search","op":"ping"}"#.utf8)),
            ("lone surrogate", Array(#"{"op":"search","q":"\ud800"}"#.utf8)),
            ("trailing garbage", Array(#"{"op":"ping"} {"op":"ping"}"#.utf8)),
            ("query over 4096 bytes", Array((#"{"op":"search","q":""# + String(repeating: "经", count: 1400) + #""}"#).utf8)),
            ("brackets nested 40 deep", Array((#"{"op":"search","q":""# + String(repeating: "(", count: 40) + "项目" + String(repeating: ")", count: 40) + #""}"#).utf8)),
            ("unbalanced brackets", Array(#"{"op":"search","q":"((项目 OR 经费"}"#.utf8)),
            ("an OR list as long as allowed", Array((#"{"op":"search","q":""# + (0..<680).map { "w\($0)" }.joined(separator: " OR ").prefix(4090) + #""}"#).utf8)),
            ("CRLF line", Array(#"{"op":"ping"}"#.utf8) + [0x0D]),
        ]

        @Test func everyHostileLineGetsAnAnswerAndTheConnectionKeepsWorking() throws {
            let daemon = try DaemonProcess()
            defer { daemon.stop() }
            let client = try daemon.client()
            for (name, bytes) in Self.hostileLines {
                try client.send(bytes: bytes + [0x0A])
                let answer = parsed(try client.readLine())
                #expect(answer?["ok"] != nil, "\(name): not a JSON answer")
                if answer?["ok"] == .bool(false) {
                    #expect(answer?["error"]?["code"]?.stringValue?.isEmpty == false, "\(name)")
                }
                #expect(try client.request(Self.ping) == #"{"id":"after","ok":true}"#, "\(name)")
            }
            var garbage = SplitMix64(seed: 6)
            for _ in 0..<20 {
                try client.send(bytes: (0..<4096).map { _ in UInt8(truncatingIfNeeded: garbage.next()) } + [0x0A])
                // Newlines inside the garbage make several lines: skip to the answer of the ping.
                try client.send(line: Self.ping)
                while try client.readLine() != #"{"id":"after","ok":true}"# {}
            }
            let stats = try daemon.request(#"{"op":"stats"}"#)
            #expect((stats["errors"]?.intValue ?? 0) >= 20)
        }

        @Test func overLongLineIsAnsweredThenTheConnectionClosed() throws {
            let daemon = try DaemonProcess()
            defer { daemon.stop() }
            let client = try daemon.client()
            let line = #"{"op":"search","q":""# + String(repeating: "a", count: Daemon.maximumLineLength) + #""}"#
            // The daemon may close before all of it is sent; only its answer matters.
            try? client.send(line: line)
            let answer = parsed(try client.readLine())
            #expect(answer?["error"]?["code"] == .string("line_too_long"))
            #expect(isClosedByPeer(client))
            // One byte under the limit is still a line.
            let fits = try daemon.client()
            try fits.send(line: #"{"op":"ping","id":""# + String(repeating: "b", count: Daemon.maximumLineLength - 25) + #""}"#)
            #expect(parsed(try fits.readLine())?["ok"] == .bool(true))
        }

        @Test func connectChurnAndHalfLinesLeaveNothingBehind() throws {
            let daemon = try DaemonProcess()
            defer { daemon.stop() }
            let errors = onThreads(8) { thread in
                for round in 0..<250 {
                    let client = try daemon.client()
                    switch round % 3 {
                    case 0: break
                    case 1: try client.send(bytes: Array(#"{"op":"search","q":"半"#.utf8))
                    default: try client.send(line: #"{"op":"search","q":"经费"}"#)
                    }
                }
            }
            #expect(errors.isEmpty, "\(errors.prefix(3))")
            #expect(try daemon.request(Self.ping)["ok"] == .bool(true))
            // Every one of the 2000 connections is gone again: only the asking one is open.
            #expect(try daemon.openConnections(awaiting: 1) == 1)
        }

        @Test func halfClosedClientStillGetsItsAnswers() throws {
            let daemon = try DaemonProcess()
            defer { daemon.stop() }
            let client = try daemon.client()
            try client.send(bytes: Array("{\"id\":1,\"op\":\"ping\"}\n{\"id\":2,\"op\":\"search\",\"q\":\"经费\"}\n{\"id\":3,\"op\":\"ping\"}".utf8))
            client.finishSending()
            #expect(try client.readLine() == #"{"id":1,"ok":true}"#)
            #expect(parsed(try client.readLine())?["id"] == .int(2))
            // The last request needs no newline: the end of input ends it.
            #expect(try client.readLine() == #"{"id":3,"ok":true}"#)
            #expect(isClosedByPeer(client))

            // Half a request at the end is answered as what it is.
            let halfway = try daemon.client()
            try halfway.send(bytes: Array(#"{"id":4,"op":"#.utf8))
            halfway.finishSending()
            #expect(parsed(try halfway.readLine())?["error"]?["code"] == .string("bad_json"))
            #expect(isClosedByPeer(halfway))
        }

        @Test func idleConnectionsTimeOutAndBusyOnesDoNot() throws {
            let daemon = try DaemonProcess(arguments: ["--idle-timeout", "1"])
            defer { daemon.stop() }
            let idle = try SocketClient(socketPath: daemon.socketPath, timeoutSeconds: 5)
            let active = try daemon.client()
            for _ in 0..<8 {
                usleep(250_000)
                #expect(try active.request(Self.ping) == #"{"id":"after","ok":true}"#)
            }
            #expect(isClosedByPeer(idle))
        }

        @Test func slowRequestIsAnsweredWithATimeoutAndOthersAreServed() throws {
            let daemon = try DaemonProcess(arguments: ["--request-timeout", "0.01"])
            defer { daemon.stop() }
            let client = try daemon.client()
            let heavy = #"{"id":"slow","op":"search","limit":1000,"sort":"-amount","explain":true,"facets":["district","year","kind","type","department","project","code:类","code:款","code:项"]}"#
            let answer = parsed(try client.request(heavy))
            #expect(answer?["id"] == .string("slow"))
            #expect(answer?["error"]?["code"] == .string("timeout"))
            // Another connection is served while the worker finishes the slow one; this one's
            // next request waits for that worker within its own budget, and is answered in order.
            #expect(try daemon.client().request(Self.ping) == #"{"id":"after","ok":true}"#)
            #expect(parsed(try client.request(Self.ping))?["id"] == .string("after"))
            // The timed-out request is counted when its worker finishes, which may be after the ping.
            var errors = 0
            for _ in 0..<100 where errors == 0 {
                errors = try daemon.request(#"{"op":"stats"}"#)["errors"]?.intValue ?? 0
                if errors == 0 { usleep(20_000) }
            }
            #expect(errors >= 1)
        }
    }
}

/// A small deterministic random generator, so that every run sends the same input.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
