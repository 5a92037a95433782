import Foundation
import Glibc
import GongkaiIndex
@testable import GongkaiServer
import Testing
import Xapian

/// The Debian package from `Scripts/package`, installed by dpkg with its maintainer scripts into
/// a scratch root that stands for a fresh machine (dpkg --root --force-script-chrootless: the
/// scripts run with DPKG_ROOT set; no systemd needed), then run as systemd would run it: the
/// units' own ExecStart lines, as the gongkai user, the daemon handed its socket.
///
/// The package holds the test's debug binary (`--binary`), not a release build: building one
/// here would take minutes. That binary needs the Swift toolchain's libraries, which this
/// machine has; the release package links them in.
@Suite(.serialized, .enabled(if: canInstallPackages, "installing with dpkg into a scratch root needs root, dpkg and setpriv"))
struct PackageTests {
    /// Built once for the suite.
    static let package: Result<String, TestFailure> = {
        let out = TestPaths.temporaryDirectory() + "/deb"
        let built = run(TestPaths.checkout.appendingPathComponent("Scripts/package").path,
                        ["--binary", TestPaths.gongkai, "--out", out, "--compression", "none"])
        guard built.status == 0, let deb = built.stdout.split(separator: "\n").last.map(String.init), deb.hasSuffix(".deb") else {
            return .failure(TestFailure("Scripts/package failed: \(built.stderr)"))
        }
        return .success(deb)
    }()

    @Test func thePackageHoldsWhatDebianExpectsWhereItExpectsIt() throws {
        let deb = try Self.package.get()
        let listing = Self.run("/usr/bin/dpkg-deb", ["--contents", deb]).stdout
        for path in ["./usr/bin/gongkai", "./usr/share/gongkai/dictionaries/lexicon.bin", "./usr/share/gongkai/dictionaries/jieba-words.txt",
                     "./usr/share/doc/gongkai/SCHEMA.md", "./usr/share/doc/gongkai/copyright", "./usr/share/doc/gongkai/changelog.gz",
                     "./lib/systemd/system/gongkai.socket", "./lib/systemd/system/gongkai.service",
                     "./lib/systemd/system/gongkai-index.service", "./lib/systemd/system/gongkai-index.timer",
                     "./lib/systemd/system/gongkai-shard@.service", "./usr/lib/sysusers.d/gongkai.conf"] {
            #expect(listing.contains(" \(path)\n"), "\(path) is not in the package")
        }
        #expect(!listing.contains("./usr/local/"))
        let depends = Self.run("/usr/bin/dpkg-deb", ["--field", deb, "Depends"]).stdout
        for dependency in ["libxapian30", "libjemalloc2", "libc6", "libstdc++6", "poppler-utils"] {
            #expect(depends.contains(dependency), "Depends: \(depends)")
        }
    }

    /// Installed, the indexer unit indexes the corpus and the daemon, socket-activated as the
    /// units say, answers a search from the installed dictionaries.
    @Test func theInstalledDaemonStartedAsItsUnitSaysAnswersASearch() throws {
        let machine = try ScratchMachine()
        defer { machine.remove() }
        try machine.dpkg(["--install", try Self.package.get()])
        let user = try machine.gongkaiUser()
        let state = machine.root + "/var/lib/gongkai"
        #expect(try FileManager.default.attributesOfItem(atPath: state)[.ownerAccountID] as? UInt == UInt(user.uid))
        #expect(FileManager.default.fileExists(atPath: state + "/db/iamglass"), "postinst creates an empty index to serve")
        let enabled = try? FileManager.default.destinationOfSymbolicLink(atPath: machine.root + "/etc/systemd/system/sockets.target.wants/gongkai.socket")
        #expect(enabled == "/lib/systemd/system/gongkai.socket", "postinst enables the socket")

        try machine.addCorpus()
        let indexed = try machine.runUnit("gongkai-index.service", as: user)
        #expect(indexed.status == 0, "\(indexed.stderr)")

        let daemon = try machine.startDaemon(as: user)
        defer { daemon.stop() }
        let answer = parsed(try SocketClient(socketPath: daemon.socketPath).request(#"{"id":1,"op":"search","q":"视频会议","limit":1}"#))
        #expect(answer?["ok"] == .bool(true), "\(String(describing: answer))")
        if case .int(let total)? = answer?["total"] { #expect(total > 0) } else { Issue.record("no total: \(String(describing: answer))") }
        #expect(daemon.terminate() == 0)
    }

    /// Removing keeps the index and the corpus; reinstalling serves them again unchanged;
    /// purging deletes the index but keeps the administrator's documents and the user.
    @Test func removalAndReinstallKeepTheDatabaseAndTheCorpus() throws {
        let machine = try ScratchMachine()
        defer { machine.remove() }
        let deb = try Self.package.get()
        try machine.dpkg(["--install", deb])
        let user = try machine.gongkaiUser()
        try machine.addCorpus()
        #expect(try machine.runUnit("gongkai-index.service", as: user).status == 0)
        let database = machine.root + "/var/lib/gongkai/db"
        let corpus = machine.root + "/var/lib/gongkai/corpus"
        let revision = try Database(path: database).revision()
        let documents = try FileManager.default.contentsOfDirectory(atPath: corpus).sorted()

        try machine.dpkg(["--remove", "gongkai"])
        #expect(!FileManager.default.fileExists(atPath: machine.root + "/usr/bin/gongkai"))
        #expect(!FileManager.default.fileExists(atPath: machine.root + "/lib/systemd/system/gongkai.service"))
        #expect(try Database(path: database).revision() == revision)
        #expect(try FileManager.default.contentsOfDirectory(atPath: corpus).sorted() == documents)

        try machine.dpkg(["--install", deb])
        #expect(try Database(path: database).revision() == revision)
        let daemon = try machine.startDaemon(as: user)
        defer { daemon.stop() }
        let stats = parsed(try SocketClient(socketPath: daemon.socketPath).request(#"{"op":"stats"}"#))
        #expect(stats?["documents"] == .int(documents.count))
        #expect(daemon.terminate() == 0)

        let purged = try machine.dpkg(["--purge", "gongkai"])
        #expect(!FileManager.default.fileExists(atPath: database))
        #expect(try FileManager.default.contentsOfDirectory(atPath: corpus).sorted() == documents)
        #expect(purged.stderr.contains("kept /var/lib/gongkai/corpus"), "\(purged.stderr)")
        #expect(try String(contentsOfFile: machine.root + "/etc/passwd", encoding: .utf8).contains("\ngongkai:"))
    }

    static func run(_ tool: String, _ arguments: [String], environment: [String: String] = [:]) -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        guard (try? process.run()) != nil else { return (127, "", "cannot run \(tool)") }
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self))
    }
}

let canInstallPackages = geteuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/dpkg")
    && FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv")

/// A scratch root standing for a fresh Debian machine: an empty dpkg database, and this
/// machine's account files (so that the package's user is added as on a real system).
struct ScratchMachine {
    let root: String

    init() throws {
        root = TestPaths.temporaryDirectory() + "/root"
        let manager = FileManager.default
        for folder in ["var/lib/dpkg/info", "var/lib/dpkg/updates", "var/lib/dpkg/triggers", "var/log", "etc", "run"] {
            try manager.createDirectory(atPath: root + "/" + folder, withIntermediateDirectories: true)
        }
        for file in ["var/lib/dpkg/status", "var/lib/dpkg/available"] { _ = manager.createFile(atPath: root + "/" + file, contents: nil) }
        for file in ["passwd", "group", "shadow", "gshadow", "login.defs"] where manager.fileExists(atPath: "/etc/" + file) {
            var text = try String(contentsOfFile: "/etc/" + file, encoding: .utf8)
            // A fresh machine has no gongkai account yet, whatever this one has.
            text = text.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.hasPrefix("gongkai:") }.joined(separator: "\n")
            try text.write(toFile: root + "/etc/" + file, atomically: false, encoding: .utf8)
        }
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: (root as NSString).deletingLastPathComponent)
    }

    /// dpkg on the scratch root, maintainer scripts included; the dependencies are this
    /// machine's, which the scratch database does not list.
    @discardableResult
    func dpkg(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let result = PackageTests.run("/usr/bin/dpkg", ["--root=\(root)", "--force-script-chrootless", "--force-depends"] + arguments)
        guard result.status == 0 else { throw TestFailure("dpkg \(arguments.joined(separator: " ")): \(result.stderr)") }
        return result
    }

    func gongkaiUser() throws -> (uid: UInt32, gid: UInt32) {
        func id(_ file: String) throws -> UInt32 {
            let line = try String(contentsOfFile: root + "/etc/" + file, encoding: .utf8).split(separator: "\n").first { $0.hasPrefix("gongkai:") }
            guard let field = line?.split(separator: ":", omittingEmptySubsequences: false).dropFirst(2).first, let id = UInt32(field) else {
                throw TestFailure("no gongkai entry in \(root)/etc/\(file)")
            }
            return id
        }
        return (try id("passwd"), try id("group"))
    }

    /// The sample corpus put where the indexer unit reads it.
    func addCorpus() throws {
        for name in try FileManager.default.contentsOfDirectory(atPath: TestPaths.corpus) {
            try FileManager.default.copyItem(atPath: TestPaths.corpus + "/" + name, toPath: root + "/var/lib/gongkai/corpus/" + name)
        }
    }

    /// A unit's `key=` value, e.g. its ExecStart line.
    func unitSetting(_ unit: String, _ key: String) throws -> String {
        let text = try String(contentsOfFile: root + "/lib/systemd/system/" + unit, encoding: .utf8)
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(key + "=") }) else {
            throw TestFailure("\(unit) has no \(key)=")
        }
        return String(line.dropFirst(key.count + 1))
    }

    /// A unit's ExecStart with its absolute paths moved into the scratch root.
    func execStart(_ unit: String) throws -> [String] {
        try unitSetting(unit, "ExecStart").split(separator: " ").map { $0.hasPrefix("/") ? root + $0 : String($0) }
    }

    func runUnit(_ unit: String, as user: (uid: UInt32, gid: UInt32)) throws -> (status: Int32, stdout: String, stderr: String) {
        let command = try execStart(unit)
        #expect(FileManager.default.isExecutableFile(atPath: command[0]), "\(unit) runs \(command[0]), which the package does not install")
        return PackageTests.run("/usr/bin/setpriv", ["--reuid=\(user.uid)", "--regid=\(user.gid)", "--clear-groups"] + command)
    }

    /// gongkai.service's ExecStart, given a listening socket at gongkai.socket's ListenStream
    /// path and a readiness socket, as systemd would; returns once it said READY=1.
    func startDaemon(as user: (uid: UInt32, gid: UInt32)) throws -> ActivatedDaemon {
        let socketPath = root + (try unitSetting("gongkai.socket", "ListenStream"))
        try FileManager.default.createDirectory(atPath: (socketPath as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let listening = try boundSocket(socketPath, type: SOCK_STREAM)
        let notify = try boundSocket(root + "/run/notify", type: SOCK_DGRAM)
        // systemd's notification socket takes datagrams from the service's user.
        chmod(root + "/run/notify", 0o777)
        let command = try execStart("gongkai.service")
        #expect(FileManager.default.isExecutableFile(atPath: command[0]), "gongkai.service runs \(command[0]), which the package does not install")
        let pid = try spawnActivated(listening: listening, executable: command[0], arguments: Array(command.dropFirst()),
                                     environment: ["NOTIFY_SOCKET": root + "/run/notify", "LISTEN_FDNAMES": try unitSetting("gongkai.socket", "FileDescriptorName")],
                                     user: user)
        let daemon = ActivatedDaemon(pid: pid, socketPath: socketPath, descriptors: [listening, notify])
        var buffer = [UInt8](repeating: 0, count: 512)
        let count = buffer.withUnsafeMutableBytes { recv(notify, $0.baseAddress, $0.count, 0) }
        guard count > 0, String(decoding: buffer[..<count], as: UTF8.self) == "READY=1" else {
            daemon.stop()
            throw TestFailure("the installed daemon did not report READY=1")
        }
        return daemon
    }
}

/// A daemon spawned with a socket handed over; stopped once, its descriptors closed once.
final class ActivatedDaemon {
    let pid: pid_t
    let socketPath: String
    private var descriptors: [Int32]
    private var exited = false

    init(pid: pid_t, socketPath: String, descriptors: [Int32]) {
        self.pid = pid
        self.socketPath = socketPath
        self.descriptors = descriptors
    }

    /// SIGTERM, then the exit status (nil if it did not exit in time).
    func terminate() -> Int32? {
        kill(pid, SIGTERM)
        let status = exitStatus(of: pid, timeout: 15)
        exited = status != nil
        stop()
        return status
    }

    func stop() {
        if !exited {
            kill(pid, SIGKILL)
            _ = exitStatus(of: pid, timeout: 5)
            exited = true
        }
        descriptors.forEach { close($0) }
        descriptors = []
    }
}
