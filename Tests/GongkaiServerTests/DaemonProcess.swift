import Foundation
import Glibc
import GongkaiIndex
@testable import GongkaiServer

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

/// The sample corpus indexed once; daemons serve copies of it.
enum TemplateIndex {
    static let path: Result<String, TestFailure> = {
        let directory = TestPaths.temporaryDirectory() + "/template-db"
        guard let indexed = try? runGongkai(["index", "--db", directory, TestPaths.corpus]), indexed.status == 0 else {
            return .failure(TestFailure("indexing the sample corpus failed"))
        }
        return .success(directory)
    }()

    static func copy(to destination: String) throws {
        try FileManager.default.copyItem(atPath: try path.get(), toPath: destination)
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

/// A real daemon process on a real socket, over a copy of the indexed sample corpus (or a fresh
/// index of `corpus`). Started through `sh`, which sets the umask and then execs the daemon.
/// Shared by client threads, which only read its constants and send it signals.
final class DaemonProcess: @unchecked Sendable {
    let directory: String
    let databasePath: String
    let socketPath: String
    let process = Process()
    private let stderrFile: String

    /// `launcher`: a command that runs the daemon, e.g. `prlimit --nofile=64:64`.
    init(corpus: String? = nil, arguments: [String] = [], umask: String = "0022", waitForAnswer: Bool = true,
         socketPath: String? = nil, launcher: [String] = []) throws {
        directory = TestPaths.temporaryDirectory()
        databasePath = directory + "/db"
        self.socketPath = socketPath ?? directory + "/gongkai.sock"
        stderrFile = directory + "/stderr.log"
        if let corpus {
            let indexed = try runGongkai(["index", "--db", databasePath, corpus])
            guard indexed.status == 0 else { throw TestFailure("index failed: \(indexed.stderr)") }
        } else {
            try TemplateIndex.copy(to: databasePath)
        }
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "umask \(umask) && exec \"$0\" \"$@\""] + launcher + [TestPaths.gongkai,
                             "serve", "--db", databasePath, "--socket", self.socketPath, "--log-level", "error"] + arguments
        _ = FileManager.default.createFile(atPath: stderrFile, contents: nil)
        process.standardError = FileHandle(forWritingAtPath: stderrFile)
        try process.run()
        if waitForAnswer { try waitUntilAnswering() }
    }

    var pid: pid_t { process.processIdentifier }

    /// The daemon's resident memory in bytes (VmRSS).
    var residentBytes: Int {
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        return (Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0) * 1024
    }

    /// Seconds of CPU the daemon has used, user and system.
    var cpuSeconds: Double {
        let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
        // Fields after the command name, which is in brackets and may hold spaces.
        let fields = stat[(stat.lastIndex(of: ")").map { stat.index(after: $0) } ?? stat.startIndex)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }
    var stderr: String { (try? String(contentsOfFile: stderrFile, encoding: .utf8)) ?? "" }

    func waitUntilAnswering(timeout: TimeInterval = 20) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let client = try? SocketClient(socketPath: socketPath), (try? client.request(#"{"op":"ping"}"#)) != nil { return }
            guard process.isRunning else { throw TestFailure("daemon exited with \(process.terminationStatus): \(stderr)") }
            usleep(20_000)
        }
        throw TestFailure("daemon did not answer within \(timeout) s")
    }

    func client() throws -> SocketClient {
        try SocketClient(socketPath: socketPath)
    }

    /// Sends one request on a new connection and parses the answer.
    func request(_ line: String) throws -> JSONValue {
        try JSONValue.parse(Array(try client().request(line).utf8))
    }

    /// The open connections `stats` reports (counting the asking one) once they are down to
    /// `expected`, or the last count when they are not within `timeout`.
    func openConnections(awaiting expected: Int, timeout: TimeInterval = 5) throws -> Int {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let open = try request(#"{"op":"stats"}"#)["connections"]?.intValue ?? -1
            if open == expected || Date() > deadline { return open }
            usleep(20_000)
        }
    }

    /// SIGTERM, then the exit status (nil if it did not exit within the timeout).
    func terminate(timeout: TimeInterval = 15) -> Int32? {
        kill(pid, SIGTERM)
        return waitForExit(timeout: timeout)
    }

    func waitForExit(timeout: TimeInterval) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        return process.isRunning ? nil : process.terminationStatus
    }

    func stop() {
        if process.isRunning {
            kill(pid, SIGKILL)
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

/// Runs `body` on `count` threads at once (real threads: the clients block on sockets) and
/// returns the errors they threw.
func onThreads(_ count: Int, _ body: @escaping @Sendable (Int) throws -> Void) -> [String] {
    let group = DispatchGroup()
    let errors = LockedList()
    for index in 0..<count {
        group.enter()
        let thread = Thread {
            do { try body(index) } catch { errors.append("thread \(index): \(error)") }
            group.leave()
        }
        thread.stackSize = 1 << 20
        thread.start()
    }
    group.wait()
    return errors.items
}

/// A list appended to from several threads.
final class LockedList: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [String] = []

    func append(_ item: String) { lock.withLock { storage.append(item) } }
    var items: [String] { lock.withLock { storage } }
}

/// Hands a value that is not Sendable to threads that each use their own part of it.
struct Unchecked<Value>: @unchecked Sendable {
    let value: Value
}

/// A flag one thread raises and others watch.
final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var raised = false

    func set() { lock.withLock { raised = true } }
    var isSet: Bool { lock.withLock { raised } }
}

/// A response line without its timing, for comparing answers.
/// An answer without what differs between identical searches: the time taken and whether it
/// came from the result cache.
func withoutTiming(_ line: String) -> String {
    line.replacingOccurrences(of: #","took_ms":[0-9.e+-]+"#, with: "", options: .regularExpression)
        .replacingOccurrences(of: #","cached":true"#, with: "")
}

/// True when the daemon has closed the connection (not when the read merely timed out).
func isClosedByPeer(_ client: SocketClient) -> Bool {
    do {
        _ = try client.readLine()
        return false
    } catch ClientError.connectionClosed {
        return true
    } catch {
        return "\(error)".contains("reset by peer")
    }
}

/// The parsed answer, or nil when the line is not JSON.
func parsed(_ line: String) -> JSONValue? {
    try? JSONValue.parse(Array(line.utf8))
}

/// A Unix socket bound at `path` in the test process: a listening stream socket (as systemd
/// would pass it) or a datagram socket (as systemd's NOTIFY_SOCKET).
func boundSocket(_ path: String, type: __socket_type) throws -> Int32 {
    let fd = socket(AF_UNIX, Int32(type.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard fd >= 0, var address = UnixAddress(path: path), address.withSockaddr({ bind(fd, $0, $1) }) == 0 else {
        throw TestFailure("cannot bind \(path): \(String(cString: strerror(errno)))")
    }
    if type == SOCK_STREAM { listen(fd, 128) }
    var timeout = timeval(tv_sec: 20, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    return fd
}

/// Starts `gongkai` (or another `executable`) as systemd's socket activation does: `listening`
/// becomes descriptor 3, LISTEN_FDS=1 and LISTEN_PID is the daemon's own pid (sh sets it, then
/// execs in place), in the root folder as systemd's default working directory, and with
/// `user` (uid, gid) through setpriv, which execs in place too.
func spawnActivated(listening: Int32, executable: String = TestPaths.gongkai, arguments: [String], environment: [String: String],
                    user: (uid: UInt32, gid: UInt32)? = nil) throws -> pid_t {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    // dup2 clears close-on-exec on the copy; the test's own sockets are all close-on-exec.
    posix_spawn_file_actions_adddup2(&actions, listening, 3)
    let dropPrivileges = user.map { ["/usr/bin/setpriv", "--reuid=\($0.uid)", "--regid=\($0.gid)", "--clear-groups"] } ?? []
    let argv = dropPrivileges + ["/bin/sh", "-c", "cd / && export LISTEN_PID=$$ && exec \"$0\" \"$@\"", executable] + arguments
    var variables = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    variables["LISTEN_FDS"] = "1"
    let envp = variables.map { "\($0.key)=\($0.value)" }
    var pid = pid_t()
    let cArgv = argv.map { strdup($0) } + [nil]
    let cEnvp = envp.map { strdup($0) } + [nil]
    defer { (cArgv + cEnvp).forEach { free($0) } }
    let result = posix_spawn(&pid, argv[0], &actions, nil, cArgv, cEnvp)
    guard result == 0 else { throw TestFailure("posix_spawn: \(String(cString: strerror(result)))") }
    return pid
}

/// The exit status of a spawned child, or nil if it is still running at the deadline.
func exitStatus(of pid: pid_t, timeout: TimeInterval) -> Int32? {
    let deadline = Date().addingTimeInterval(timeout)
    var status: Int32 = 0
    while Date() < deadline {
        if waitpid(pid, &status, WNOHANG) == pid { return (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f) }
        usleep(10_000)
    }
    return nil
}
