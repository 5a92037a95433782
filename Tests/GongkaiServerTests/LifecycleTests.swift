import Foundation
import Glibc
import GongkaiIndex
@testable import GongkaiServer
import Testing

extension DaemonTests {
    @Suite struct Lifecycle {
        /// Clients loop and pipeline while SIGTERM arrives: every answer received is whole and
        /// valid, everything pipelined before the signal is answered, and the daemon exits 0.
        @Test func sigtermDuringLoadAnswersWhatWasSentAndExitsZero() throws {
            let daemon = try DaemonProcess()
            defer { daemon.stop() }
            let invalid = LockedList()
            let loopsDone = DispatchGroup()
            loopsDone.enter()
            Thread {
                let errors = onThreads(6) { thread in
                    let client = try daemon.client()
                    for round in 0... {
                        // The daemon closes the connection once it drains: the loop ends there.
                        guard let answer = try? client.request(Load.queries[(thread + round) % Load.queries.count]) else { return }
                        if parsed(answer)?["ok"] != .bool(true) { invalid.append(answer) }
                    }
                }
                for error in errors { invalid.append(error) }
                loopsDone.leave()
            }.start()
            // More than the daemon reads ahead (64 queued): most of it still waits in the kernel at SIGTERM.
            let pipelined = 1000
            let pipelining = try (0..<3).map { _ in try daemon.client() }
            for client in pipelining {
                let lines = (0..<pipelined).map { #"{"id":\#($0),"op":"search","q":"经费","limit":1}"# + "\n" }
                try client.send(bytes: Array(lines.joined().utf8))
            }
            usleep(50_000)
            kill(daemon.pid, SIGTERM)

            let clients = Unchecked(value: pipelining)
            let missing = onThreads(pipelining.count) { index in
                for id in 0..<pipelined {
                    let answer = parsed(try clients.value[index].readLine())
                    guard answer?["id"] == .int(id), answer?["ok"] == .bool(true) else {
                        throw TestFailure("answer \(id): \(String(describing: answer))")
                    }
                }
            }
            #expect(missing.isEmpty, "\(missing)")
            #expect(daemon.waitForExit(timeout: 15) == 0)
            loopsDone.wait()
            #expect(invalid.items.isEmpty, "\(invalid.items.prefix(3))")
            #expect(!FileManager.default.fileExists(atPath: daemon.socketPath))
        }

        @Test func staleSocketIsReclaimedAndALiveOneRefused() throws {
            let directory = TestPaths.temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let path = directory + "/gongkai.sock"
            // A crash leaves the file behind with nobody listening.
            close(try boundSocket(path, type: SOCK_STREAM))
            let first = try DaemonProcess(socketPath: path)
            defer { first.stop() }
            #expect(try first.request(#"{"op":"ping"}"#)["ok"] == .bool(true))

            let second = try DaemonProcess(waitForAnswer: false, socketPath: path)
            defer { second.stop() }
            #expect(second.waitForExit(timeout: 20) == 1)
            #expect(second.stderr.contains("another daemon is already answering on \(path)"), "\(second.stderr)")
            #expect(try first.request(#"{"op":"ping"}"#)["ok"] == .bool(true))

            let file = directory + "/not-a-socket"
            _ = FileManager.default.createFile(atPath: file, contents: Data("keep me".utf8))
            let third = try DaemonProcess(waitForAnswer: false, socketPath: file)
            defer { third.stop() }
            #expect(third.waitForExit(timeout: 20) == 1)
            #expect(third.stderr.contains("is not a socket"))
            #expect(FileManager.default.contents(atPath: file) == Data("keep me".utf8))
        }

        @Test func socketPathsUpToTheLinuxLimitServeAndOthersFailClearly() throws {
            let directory = TestPaths.temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: directory) }
            // 107 bytes: the longest Linux takes (NIO's own bind stops at 103).
            let longest = directory + "/" + String(repeating: "s", count: UnixAddress.maximumPathLength - directory.utf8.count - 1)
            #expect(longest.utf8.count == 107)
            let daemon = try DaemonProcess(socketPath: longest)
            defer { daemon.stop() }
            #expect(try daemon.request(#"{"op":"ping"}"#)["ok"] == .bool(true))
            #expect(daemon.terminate() == 0)

            let tooLong = try DaemonProcess(waitForAnswer: false, socketPath: longest + "s")
            defer { tooLong.stop() }
            #expect(tooLong.waitForExit(timeout: 20) == 1)
            #expect(tooLong.stderr.contains("the path is 108 bytes; a Unix socket path is at most 107"), "\(tooLong.stderr)")

            let noFolder = try DaemonProcess(waitForAnswer: false, socketPath: directory + "/missing/gongkai.sock")
            defer { noFolder.stop() }
            #expect(noFolder.waitForExit(timeout: 20) == 1)
            #expect(noFolder.stderr.contains("the folder \(directory)/missing does not exist"), "\(noFolder.stderr)")
            #expect(!noFolder.stderr.contains("bind(descriptor"))
        }

        @Test func anEmptyStubFileIsRefusedAtStart() throws {
            let directory = TestPaths.temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let stub = directory + "/empty.stub"
            _ = FileManager.default.createFile(atPath: stub, contents: Data("# nothing here\n".utf8))
            for arguments in [["--db", stub], ["--shard", stub]] {
                // Started as a daemon, so that one that serves anyway is stopped, not waited for.
                let daemon = try DaemonProcess(arguments: arguments, waitForAnswer: false)
                defer { daemon.stop() }
                #expect(daemon.waitForExit(timeout: 20) == 1)
                #expect(daemon.stderr.contains("\(stub) is a stub file that lists no database"), "\(daemon.stderr)")
            }
        }

        @Test func aDeletedDatabaseIsReportedAsGoneBySearchesAndStats() throws {
            let daemon = try DaemonProcess()
            defer { daemon.stop() }
            let client = try daemon.client()
            #expect(parsed(try client.request(#"{"op":"search","q":"经费"}"#))?["ok"] == .bool(true))
            try FileManager.default.removeItem(atPath: daemon.databasePath)
            for request in [#"{"op":"search","q":"经费"}"#, #"{"op":"search","q":"视频会议","limit":1}"#, #"{"op":"stats"}"#, #"{"op":"search","q":"经费"}"#] {
                let answer = parsed(try client.request(request))
                #expect(answer?["error"]?["code"] == .string("index_unavailable"), "\(request): \(String(describing: answer))")
                #expect(answer?["error"]?["message"]?.stringValue?.contains("\(daemon.databasePath) is gone") == true)
            }
            #expect(try client.request(#"{"op":"ping"}"#) == #"{"ok":true}"#)
        }

        @Test(arguments: [("0000", [String](), 0o660), ("0077", ["--socket-mode", "0600"], 0o600), ("0002", ["--socket-mode", "0666"], 0o666)])
        func socketModeIsTheConfiguredOneWhateverTheUmask(umask: String, arguments: [String], mode: Int) throws {
            let daemon = try DaemonProcess(arguments: arguments, umask: umask)
            defer { daemon.stop() }
            let attributes = try FileManager.default.attributesOfItem(atPath: daemon.socketPath)
            #expect((attributes[.posixPermissions] as? Int) == mode)
        }

        /// Started as systemd would: the listening socket as descriptor 3, readiness on a datagram
        /// socket; SIGHUP reopens without stopping; SIGTERM says STOPPING=1 and leaves systemd's
        /// socket file alone.
        @Test func socketActivationAndReadinessNotification() throws {
            let directory = TestPaths.temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: directory) }
            try TemplateIndex.copy(to: directory + "/db")
            let socketPath = directory + "/activated.sock"
            let listening = try boundSocket(socketPath, type: SOCK_STREAM)
            let notify = try boundSocket(directory + "/notify", type: SOCK_DGRAM)
            defer { close(listening); close(notify) }
            let pid = try spawnActivated(
                listening: listening,
                arguments: ["serve", "--db", directory + "/db", "--socket", directory + "/unused.sock", "--log-level", "error"],
                environment: ["NOTIFY_SOCKET": directory + "/notify", "LISTEN_FDNAMES": "gongkai"])
            var status: Int32?
            defer {
                if status == nil {
                    kill(pid, SIGKILL)
                    _ = exitStatus(of: pid, timeout: 5)
                }
            }

            #expect(Self.receive(notify) == "READY=1")
            #expect(try SocketClient(socketPath: socketPath).request(#"{"id":7,"op":"ping"}"#) == #"{"id":7,"ok":true}"#)
            #expect(!FileManager.default.fileExists(atPath: directory + "/unused.sock"))
            kill(pid, SIGHUP)
            usleep(100_000)
            let stats = parsed(try SocketClient(socketPath: socketPath).request(#"{"op":"stats"}"#))
            #expect(stats?["documents"] == .int(4))

            kill(pid, SIGTERM)
            #expect(Self.receive(notify) == "STOPPING=1")
            status = exitStatus(of: pid, timeout: 15)
            #expect(status == 0)
            #expect(FileManager.default.fileExists(atPath: socketPath))
        }

        static func receive(_ fd: Int32) -> String? {
            var buffer = [UInt8](repeating: 0, count: 512)
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            return count > 0 ? String(decoding: buffer[..<count], as: UTF8.self) : nil
        }

        @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-analyze")))
        func systemdUnitsPassSystemdAnalyzeVerify() throws {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: TestPaths.checkout.appendingPathComponent("Scripts/verify-systemd").path)
            process.arguments = [TestPaths.gongkai]
            let output = Pipe()
            process.standardOutput = output
            process.standardError = output
            try process.run()
            let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            #expect(process.terminationStatus == 0, "\(text)")
        }
    }
}
