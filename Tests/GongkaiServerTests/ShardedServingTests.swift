import Foundation
import Glibc
import GongkaiIndex
import Testing

/// The daemon over shards served by real `xapian-tcpsrv` processes on 127.0.0.1 answers as it
/// does over the single index, and answers without the shard whose server stops.
@Suite(.serialized) struct ShardedServingTests {
    static let requestTimeout = 2.0

    /// Hits compared in runs of equal order (weight, and amount when sorted by it), each run as a
    /// set: Xapian breaks ties by document id, which differs between one database and shards.
    /// Limits are above every total, so no run is cut by the page.
    static let queries = [
        #"{"op":"search","q":"视频会议","facets":["district","year","type","department","project","code:项"],"limit":1000,"explain":true}"#,
        #"{"op":"search","q":"政务服务 OR 网络安全","facets":["district","year","kind"],"limit":1000,"explain":true}"#,
        #"{"op":"search","q":"满意度 year:2021..2022","filters":{"district":["西城区"]},"facets":["year","code:类"],"limit":1000,"explain":true}"#,
        #"{"op":"search","q":"type:project","sort":"-amount","facets":["district","project"],"limit":1000,"explain":true}"#,
        // Characters the query ends with expand to the terms they start, on every shard.
        #"{"op":"search","q":"局 OR 2023年","facets":["district","year"],"limit":1000}"#,
    ]

    @Test func shardsOnTwoServersAnswerAsTheSingleIndexAndADownShardIsReported() throws {
        let sharded = TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: sharded) }
        let indexed = try runGongkai(["index", "--db", sharded, "--shard-by", "year", TestPaths.corpus])
        try #require(indexed.status == 0, "\(indexed.stderr)")
        let shards = try #require(try ShardLayout(root: sharded).read()?.shards).map { sharded + "/shards/" + $0 }
        try #require(shards.count >= 3)
        // Two servers, each with part of the shards; the last shard stays local.
        let first = try ShardServer(databases: [shards[0]])
        var second = try ShardServer(databases: Array(shards[1..<(shards.count - 1)]))
        defer { first.stop(); second.stop() }
        let shardArguments = ["--shard", first.address, "--shard", second.address, "--shard", shards[shards.count - 1],
                              "--request-timeout", String(Self.requestTimeout)]

        let single = try DaemonProcess()
        defer { single.stop() }
        let daemon = try DaemonProcess(arguments: shardArguments)
        defer { daemon.stop() }
        let failing = try DaemonProcess(arguments: shardArguments + ["--shard-policy", "fail"])
        defer { failing.stop() }

        for query in Self.queries {
            let expected = try single.request(query), actual = try daemon.request(query)
            #expect(actual["total"] != nil && actual["total"] == expected["total"], "\(query)")
            #expect(actual["total_estimated"] == nil)
            #expect(actual["facets"] == expected["facets"], "\(query)")
            #expect(tieRuns(actual, query) == tieRuns(expected, query), "\(query)")
            #expect(actual["warnings"] == nil)
        }
        let page1 = try daemon.request(#"{"op":"search","q":"政务服务","limit":5}"#)
        let page2 = try daemon.request(#"{"op":"search","q":"政务服务","offset":5,"limit":5}"#)
        let both = try daemon.request(#"{"op":"search","q":"政务服务","limit":10}"#)
        #expect(ids(page1) + ids(page2) == ids(both) && ids(both).count == 10)

        second.stop()
        let query = #"{"op":"search","q":"","facets":["year"],"limit":0}"#
        let started = Date()
        let partial = try daemon.request(query)
        #expect(Date().timeIntervalSince(started) < Self.requestTimeout)
        guard case .array(let warnings)? = partial["warnings"] else {
            Issue.record("no warnings: \(partial.serialized())")
            return
        }
        #expect(warnings.count == 1 && warnings[0].stringValue?.hasPrefix("shard \(second.address) unavailable: ") == true)
        let full = try single.request(query)
        #expect(try #require(partial["total"]?.intValue) < full["total"]?.intValue ?? 0)
        let refused = try failing.request(query)
        #expect(refused["ok"] == .bool(false) && refused["error"]?["code"] == .string("shard_unavailable"))
        #expect(refused["error"]?["message"]?.stringValue?.contains(second.address) == true)

        // Back on the same port, the shard is searched again once the daemon has retried it.
        second = try ShardServer(databases: second.databases, port: second.port)
        let deadline = Date().addingTimeInterval(15)
        var recovered = try daemon.request(query)
        while recovered["warnings"] != nil && Date() < deadline {
            usleep(200_000)
            recovered = try daemon.request(query)
        }
        #expect(recovered["warnings"] == nil && recovered["total"] == full["total"])
    }

    /// `--db` takes a stub file as Xapian's tools do (here remote shards and a local one, in
    /// Xapian's format with a comment and CR LF line ends) and serves it as shards.
    @Test func aStubFileListingRemoteShardsIsServedAsDb() throws {
        let sharded = TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: sharded) }
        let indexed = try runGongkai(["index", "--db", sharded, "--shard-by", "district", TestPaths.corpus])
        try #require(indexed.status == 0, "\(indexed.stderr)")
        let shards = try #require(try ShardLayout(root: sharded).read()?.shards)
        try #require(shards.count >= 3)
        let servers = try shards.dropLast().map { try ShardServer(databases: [sharded + "/shards/" + $0]) }
        defer { for server in servers { server.stop() } }
        let stub = sharded + "/remote.stub"
        let lines = ["# shards on other machines"] + servers.map { "remote 127.0.0.1:\($0.port)" } + ["auto shards/\(shards.last!)"]
        try (lines.joined(separator: "\r\n") + "\r\n").write(toFile: stub, atomically: true, encoding: .utf8)

        let single = try DaemonProcess()
        defer { single.stop() }
        let daemon = try DaemonProcess(arguments: ["--db", stub, "--request-timeout", String(Self.requestTimeout)])
        defer { daemon.stop() }
        for query in Self.queries {
            let expected = try single.request(query), actual = try daemon.request(query)
            #expect(actual["total"] != nil && actual["total"] == expected["total"], "\(query)")
            #expect(actual["facets"] == expected["facets"], "\(query)")
            #expect(actual["warnings"] == nil)
        }
        #expect(try daemon.request(#"{"op":"stats"}"#)["documents"] == .int(4))
    }

    func ids(_ response: JSONValue) -> [String] {
        guard case .array(let hits)? = response["hits"] else { return [] }
        return hits.compactMap { $0["id"]?.stringValue }
    }

    /// Hit ids in runs of equal order key, each run sorted and led by its key.
    func tieRuns(_ response: JSONValue, _ query: String) -> [String] {
        guard case .array(let hits)? = response["hits"] else { return [] }
        var runs: [(key: String, ids: [String])] = []
        for hit in hits {
            let amount = query.contains(#""sort""#) ? hit["amount"]?.serialized() ?? "" : ""
            let key = (hit["weight"]?.serialized() ?? "") + "|" + amount
            if runs.last?.key != key { runs.append((key, [])) }
            runs[runs.count - 1].ids.append(hit["id"]?.stringValue ?? "")
        }
        return runs.map { $0.key + " " + $0.ids.sorted().joined(separator: ",") }
    }
}

/// A `xapian-tcpsrv` serving databases on 127.0.0.1, in its own process group: it forks a child
/// per connection, and stopping the server must stop those too.
final class ShardServer {
    let databases: [String]
    let port: UInt16
    private var pid: pid_t = 0

    var address: String { "tcp://127.0.0.1:\(port)" }

    /// On `port`, or on a free one found now (tried again should another process take it first).
    init(databases: [String], port: UInt16? = nil) throws {
        self.databases = databases
        for _ in 0..<5 {
            let candidate = try port ?? Self.freePort()
            if let pid = try Self.start(databases, port: candidate) {
                self.port = candidate
                self.pid = pid
                return
            }
        }
        throw TestFailure("xapian-tcpsrv did not start")
    }

    func stop() {
        guard pid > 0 else { return }
        kill(-pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        pid = 0
    }

    deinit { stop() }

    /// The server's pid once it accepts connections, or nil when it exited (its port was taken).
    private static func start(_ databases: [String], port: UInt16) throws -> pid_t? {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP))
        posix_spawnattr_setpgroup(&attributes, 0)
        let arguments = ["xapian-tcpsrv", "--quiet", "--interface", "127.0.0.1", "--port", String(port)] + databases
        let cArguments = arguments.map { strdup($0) } + [nil]
        defer { cArguments.forEach { free($0) } }
        var pid = pid_t()
        let result = posix_spawnp(&pid, "xapian-tcpsrv", nil, &attributes, cArguments, environ)
        guard result == 0 else { throw TestFailure("cannot run xapian-tcpsrv: \(String(cString: strerror(result)))") }
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid { return nil }
            if accepts(port) { return pid }
            usleep(20_000)
        }
        kill(-pid, SIGKILL)
        waitpid(pid, nil, 0)
        return nil
    }

    private static func accepts(_ port: UInt16) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = loopback(port)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }

    private static func freePort() throws -> UInt16 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = loopback(0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw TestFailure("no free port: \(String(cString: strerror(errno)))") }
        return UInt16(bigEndian: address.sin_port)
    }

    private static func loopback(_ port: UInt16) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return address
    }
}
