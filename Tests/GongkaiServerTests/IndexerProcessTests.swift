import Foundation
import Glibc
import GongkaiIndex
import Testing
import Xapian

/// The indexer as a process: killed mid-run, and two at once.
@Suite(.serialized) struct IndexerProcessTests {
    /// Many renamed copies of the sample corpus, so that a run takes long enough to interrupt.
    func largeCorpus(copies: Int) throws -> String {
        let directory = TestPaths.temporaryDirectory() + "/corpus"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let samples = try FileManager.default.contentsOfDirectory(atPath: TestPaths.corpus).sorted()
        for copy in 0..<copies {
            for sample in samples {
                try FileManager.default.copyItem(atPath: TestPaths.corpus + "/" + sample, toPath: "\(directory)/c\(copy)_\(sample)")
            }
        }
        return directory
    }

    func startIndexer(_ arguments: [String], environment: [String: String] = [:]) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: TestPaths.gongkai)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    func recordCount(_ database: String) throws -> UInt32 {
        try Database(path: database).documentCount()
    }

    func expectConsistent(_ database: String) throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/xapian-check") else { return }
        let check = Process()
        check.executableURL = URL(fileURLWithPath: "/usr/bin/xapian-check")
        check.arguments = [database]
        check.standardOutput = FileHandle.nullDevice
        try check.run()
        check.waitUntilExit()
        #expect(check.terminationStatus == 0)
    }

    /// Kills an indexer once `interrupted` holds, checks that what it left is consistent, and
    /// reruns it. Returns the records left by the killed run and after the rerun.
    func killMidRun(database: String, corpus: String, interrupted: () -> Bool) throws -> (left: UInt32, final: UInt32) {
        let indexer = try startIndexer(["index", "--db", database, "--commit-every", "3", "--workers", "2", corpus])
        let deadline = Date().addingTimeInterval(120)
        while indexer.isRunning, Date() < deadline, !interrupted() { usleep(5_000) }
        #expect(indexer.isRunning, "the indexer finished before it could be killed; make the corpus larger")
        kill(indexer.processIdentifier, SIGKILL)
        indexer.waitUntilExit()

        let left = try recordCount(database)
        try expectConsistent(database)
        let rerun = try runGongkai(["index", "--db", database, corpus])
        #expect(rerun.status == 0, "\(rerun.stderr)")
        return (left, try recordCount(database))
    }

    /// An existing database is updated in place, committing every few files: a kill keeps the
    /// files committed so far.
    @Test func anIndexerKilledWhileUpdatingKeepsWhatItCommitted() throws {
        let corpus = try largeCorpus(copies: 15)
        let scratch = (corpus as NSString).deletingLastPathComponent
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let killed = scratch + "/killed.db", reference = scratch + "/reference.db"
        #expect(try runGongkai(["index", "--db", reference, corpus]).status == 0)
        #expect(try runGongkai(["index", "--db", killed, TestPaths.corpus]).status == 0)
        let before = try recordCount(killed)

        let (left, final) = try killMidRun(database: killed, corpus: corpus) {
            ((try? recordCount(killed)) ?? 0) > before
        }
        let uninterrupted = try recordCount(reference) + before
        #expect(left > before && left < uninterrupted)
        #expect(final == uninterrupted)
    }

    /// The files committed in the parts of a fresh build's staging folder.
    func committedInParts(_ staging: String) -> Int {
        let parts = ((try? FileManager.default.contentsOfDirectory(atPath: staging)) ?? []).filter { $0.hasPrefix("part-") }
        return parts.reduce(0) { count, part in
            count + ((try? Database(path: staging + "/" + part).metadataKeys(prefix: Schema.Metadata.filePrefix).count) ?? 0)
        }
    }

    /// A new database is built in parallel parts swapped in at the end. Workers commit their
    /// parts every few files, so a kill keeps that work: readers still see the empty database,
    /// and the next run takes the committed files over instead of indexing them again.
    @Test func anIndexerKilledWhileBuildingKeepsItsCommittedWorkForTheNextRun() throws {
        let corpus = try largeCorpus(copies: 15)
        let scratch = (corpus as NSString).deletingLastPathComponent
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let killed = scratch + "/killed.db", reference = scratch + "/reference.db"
        #expect(try runGongkai(["index", "--db", reference, corpus]).status == 0)

        let indexer = try startIndexer(["index", "--db", killed, "--commit-every", "4", "--workers", "2", corpus])
        let deadline = Date().addingTimeInterval(120)
        while indexer.isRunning, Date() < deadline, committedInParts(killed + ".building") < 8 { usleep(5_000) }
        #expect(indexer.isRunning, "the indexer finished before it could be killed; make the corpus larger")
        kill(indexer.processIdentifier, SIGKILL)
        indexer.waitUntilExit()
        let committed = committedInParts(killed + ".building")
        #expect(committed >= 8)
        #expect(try recordCount(killed) == 0)
        try expectConsistent(killed)

        let rerun = try runGongkai(["index", "--db", killed, "--json", corpus])
        #expect(rerun.status == 0, "\(rerun.stderr)")
        let summary = parsed(rerun.stdout)
        #expect(summary?["resumed"] == .int(committed), "\(rerun.stdout)")
        if case .array(let added)? = summary?["added"] { #expect(added.count == 60) } else { Issue.record("no added list: \(rerun.stdout)") }
        #expect(try recordCount(killed) == (try recordCount(reference)))
        #expect(!FileManager.default.fileExists(atPath: killed + ".building"))
        try expectConsistent(killed)
    }

    /// Files whose records are not what their manifest entry says: a reader would see them half
    /// indexed (old records gone and only some new ones there, or some old ones still there).
    func partlyIndexedFiles(_ database: Database) throws -> [String] {
        var partial: [String] = []
        for key in try database.metadataKeys(prefix: Schema.Metadata.filePrefix) {
            let fields = try database.metadata(key).split(separator: "\t", omittingEmptySubsequences: false)
            guard fields.count == 4, let records = UInt32(fields[2]) else { continue }
            let found = try database.termFrequency(Schema.Prefix.file + fields[3])
            if found != records { partial.append("\(fields[3]): \(found) of \(records)") }
        }
        return partial
    }

    /// Every file of a served index is updated while a reader polls: each revision it sees has
    /// every file whole, and the indexer commits every `--commit-every` files, no more often.
    @Test func readersSeeOnlyWholeFilesWhileAnUpdateCommitsEveryNFiles() throws {
        let corpus = try largeCorpus(copies: 10)
        let scratch = (corpus as NSString).deletingLastPathComponent
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let database = scratch + "/db"
        #expect(try runGongkai(["index", "--db", database, corpus]).status == 0)
        let files = try FileManager.default.contentsOfDirectory(atPath: corpus).sorted()
        for (number, file) in files.enumerated() {
            let handle = try #require(FileHandle(forWritingAtPath: corpus + "/" + file))
            handle.seekToEndOfFile()
            handle.write(Data("\n追加说明：第\(number)号文件的补充段落。\n".utf8))
            handle.closeFile()
        }
        let reader = try Database(path: database)
        let before = try reader.revision()

        // Xapian commits by itself every XAPIAN_FLUSH_THRESHOLD documents unless told not to;
        // a low threshold makes such commits land inside files.
        let indexer = try startIndexer(["index", "--db", database, "--commit-every", "7", "--workers", "2", corpus],
                                       environment: ["XAPIAN_FLUSH_THRESHOLD": "100"])
        var seen = Set<UInt64>()
        var partial: [String] = []
        func look() {
            do {
                try reader.reopen()
                seen.insert(try reader.revision())
                for file in try partlyIndexedFiles(reader) where partial.count < 5 { partial.append("revision \(try reader.revision()): \(file)") }
            } catch {
                // A revision can go while it is read (DatabaseModifiedError); the next look reopens.
            }
        }
        while indexer.isRunning {
            look()
            usleep(2_000)
        }
        look()
        #expect(indexer.terminationStatus == 0)
        #expect(partial.isEmpty, "\(partial)")
        #expect(seen.count > 1, "the reader saw no intermediate revision")
        // 40 files, a commit every 7: six commits, the last with the rest.
        #expect(try reader.revision() == before + 6)
        #expect(try partlyIndexedFiles(reader).isEmpty)
    }

    /// A small tmpfs fills during a fresh build. libxapian can throw where C++ only
    /// terminates (a write failing inside a flush, with many workers): the indexer must still
    /// exit 2 with the reason, remove its staging folder and leave the empty database readable.
    @Test(.enabled(if: TemporaryMount.isPossible, "mounting a tmpfs needs root (mount -t tmpfs)"))
    func aFullDiskDuringAFreshBuildExitsTwoAndCleansUp() throws {
        let corpus = try largeCorpus(copies: 15)
        let scratch = (corpus as NSString).deletingLastPathComponent
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        for size in ["3m", "6m", "10m", "16m"] {
            let mount = try TemporaryMount(at: scratch + "/disk-" + size, size: size)
            defer { mount.unmount() }
            let database = mount.path + "/db"
            let run = try runGongkai(["index", "--db", database, "--workers", "8", corpus],
                                     environment: ["XAPIAN_FLUSH_THRESHOLD": "100", "SWIFT_BACKTRACE": "enable=no"])
            #expect(run.status == 2, "\(size): exit \(run.status): \(run.stderr.suffix(400))")
            #expect(run.stderr.contains("No space left on device"), "\(size): \(run.stderr.suffix(400))")
            #expect(!FileManager.default.fileExists(atPath: database + ".building"), "\(size)")
            #expect(try recordCount(database) == 0)
        }
    }

    /// A FIFO among the files would block the indexer forever when opened: it is reported.
    @Test func aFIFOInTheCorpusIsReportedNotWaitedFor() throws {
        let scratch = TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let corpus = scratch + "/corpus"
        try FileManager.default.copyItem(atPath: TestPaths.corpus, toPath: corpus)
        #expect(mkfifo(corpus + "/pipe.txt", 0o644) == 0)
        let indexer = Process()
        indexer.executableURL = URL(fileURLWithPath: TestPaths.gongkai)
        indexer.arguments = ["index", "--db", scratch + "/db", corpus]
        let output = Pipe()
        indexer.standardOutput = output
        indexer.standardError = FileHandle.nullDevice
        try indexer.run()
        let deadline = Date().addingTimeInterval(60)
        while indexer.isRunning, Date() < deadline { usleep(20_000) }
        if indexer.isRunning {
            kill(indexer.processIdentifier, SIGKILL)
            indexer.waitUntilExit()
            Issue.record("the indexer was still waiting on the FIFO after 60 s")
            return
        }
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(indexer.terminationStatus == 1)
        #expect(text.contains("failed \(corpus)/pipe.txt: not a regular file (a FIFO)"), "\(text)")
        #expect(text.contains("4 added"), "\(text)")
    }

    /// A second indexer arrives while the first scans its files, or while it writes its
    /// parallel parts (when it holds no Xapian writer): either way it is refused at once with a
    /// clear message, and the first finishes.
    @Test(arguments: ["/iamglass", ".building/part-0/iamglass"])
    func aSecondIndexerIsRefusedAtOnceAndTheFirstFinishes(whenTheFirstHasWritten marker: String) throws {
        let corpus = try largeCorpus(copies: 15)
        let scratch = (corpus as NSString).deletingLastPathComponent
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let database = scratch + "/db"
        let first = try startIndexer(["index", "--db", database, corpus])
        defer { if first.isRunning { first.terminate(); first.waitUntilExit() } }
        let deadline = Date().addingTimeInterval(120)
        while first.isRunning, Date() < deadline, !FileManager.default.fileExists(atPath: database + marker) { usleep(5_000) }
        #expect(first.isRunning, "the first indexer finished before it wrote \(marker)")

        let started = Date()
        let second = try runGongkai(["index", "--db", database, TestPaths.corpus])
        #expect(second.status == 2)
        #expect(second.stderr.contains("another indexer is writing \(database)"), "\(second.stderr)")
        #expect(Date().timeIntervalSince(started) < 10)
        #expect(first.isRunning, "the second indexer's refusal came after the first had finished; make the corpus larger")

        first.waitUntilExit()
        #expect(first.terminationStatus == 0)
        #expect(try Database(path: database).metadata(Schema.Metadata.documentCount) == "60")
        #expect(!FileManager.default.fileExists(atPath: database + ".building"))
    }
}

/// A tmpfs of a given size, mounted for one test.
struct TemporaryMount {
    let path: String

    init(at path: String, size: String) throws {
        self.path = path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        guard Self.run("/bin/mount", ["-t", "tmpfs", "-o", "size=\(size)", "tmpfs", path]) else {
            throw TestFailure("cannot mount a tmpfs at \(path)")
        }
    }

    func unmount() {
        _ = Self.run("/bin/umount", [path])
    }

    /// Whether this process may mount (root, and mount allowed in this container).
    static let isPossible: Bool = {
        guard geteuid() == 0, let mount = try? TemporaryMount(at: TestPaths.temporaryDirectory() + "/probe", size: "1m") else { return false }
        mount.unmount()
        try? FileManager.default.removeItem(atPath: (mount.path as NSString).deletingLastPathComponent)
        return true
    }()

    private static func run(_ tool: String, _ arguments: [String]) -> Bool {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return false }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }
}
