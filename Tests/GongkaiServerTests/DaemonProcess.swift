import Foundation
import GongkaiIndex
import GongkaiServer

/// Paths of the checkout and of the binaries the tests run.
enum TestPaths {
    static let checkout = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let corpus = checkout.appendingPathComponent("Index/corpus").path

    /// The `gongkai` binary built beside the test bundle.
    static var gongkai: String {
        let buildDirectory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        var candidate = buildDirectory
        // The test runner may be inside a `.xctest` bundle folder.
        while !candidate.path.isEmpty && candidate.path != "/" {
            let binary = candidate.appendingPathComponent("gongkai").path
            if FileManager.default.isExecutableFile(atPath: binary) { return binary }
            candidate.deleteLastPathComponent()
        }
        return buildDirectory.appendingPathComponent("gongkai").path
    }

    static func temporaryDirectory() -> String {
        let path = NSTemporaryDirectory() + "gongkai-test-" + UUID().uuidString.prefix(8)
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}

/// Runs a `gongkai` command to completion and returns its exit status and output.
@discardableResult
func runGongkai(_ arguments: [String], environment: [String: String] = [:]) throws -> (status: Int32, stdout: String, stderr: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: TestPaths.gongkai)
    process.arguments = arguments
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let stdout = out.fileHandleForReading.readDataToEndOfFile()
    let stderr = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self))
}

/// A real daemon process on a real socket, over a freshly indexed copy of the sample corpus.
final class DaemonProcess {
    let directory: String
    let databasePath: String
    let socketPath: String
    let process = Process()

    init(corpus: String = TestPaths.corpus, extraArguments: [String] = []) throws {
        directory = TestPaths.temporaryDirectory()
        databasePath = directory + "/db"
        socketPath = directory + "/gongkai.sock"
        let indexed = try runGongkai(["index", "--db", databasePath, corpus])
        guard indexed.status == 0 else { throw TestFailure("index failed: \(indexed.stderr)") }
        try start(extraArguments: extraArguments)
    }

    func start(extraArguments: [String] = []) throws {
        process.executableURL = URL(fileURLWithPath: TestPaths.gongkai)
        process.arguments = ["serve", "--db", databasePath, "--socket", socketPath, "--log-level", "error"] + extraArguments
        try process.run()
        try waitUntilAnswering()
    }

    func waitUntilAnswering(timeout: TimeInterval = 20) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let client = try? SocketClient(socketPath: socketPath), (try? client.request(#"{"op":"ping"}"#)) != nil { return }
            guard process.isRunning else { throw TestFailure("daemon exited with \(process.terminationStatus)") }
            usleep(20_000)
        }
        throw TestFailure("daemon did not answer within \(timeout) s")
    }

    func client() throws -> SocketClient {
        try SocketClient(socketPath: socketPath)
    }

    /// Sends one request and parses the answer.
    func request(_ line: String) throws -> JSONValue {
        try JSONValue.parse(Array(try client().request(line).utf8))
    }

    func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(atPath: directory)
    }

    deinit { stop() }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
