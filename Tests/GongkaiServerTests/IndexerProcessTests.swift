import Foundation
import Glibc
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

    func startIndexer(_ arguments: [String]) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: TestPaths.gongkai)
        process.arguments = arguments
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

    /// A new database is built in parallel parts swapped in at the end: a kill before the swap
    /// leaves the empty database, and the next run builds it.
    @Test func anIndexerKilledWhileBuildingLeavesTheEmptyDatabase() throws {
        let corpus = try largeCorpus(copies: 15)
        let scratch = (corpus as NSString).deletingLastPathComponent
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let killed = scratch + "/killed.db", reference = scratch + "/reference.db"
        #expect(try runGongkai(["index", "--db", reference, corpus]).status == 0)

        let (left, final) = try killMidRun(database: killed, corpus: corpus) {
            FileManager.default.fileExists(atPath: killed + ".building/part-0/iamglass")
        }
        #expect(left == 0)
        #expect(final == (try recordCount(reference)))
        #expect(!FileManager.default.fileExists(atPath: killed + ".building"))
    }

    @Test func aSecondIndexerFailsFastWithAClearMessage() throws {
        let corpus = try largeCorpus(copies: 15)
        let scratch = (corpus as NSString).deletingLastPathComponent
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let database = scratch + "/db"
        let first = try startIndexer(["index", "--db", database, corpus])
        defer { if first.isRunning { first.terminate(); first.waitUntilExit() } }
        while first.isRunning, !FileManager.default.fileExists(atPath: database + "/iamglass") { usleep(10_000) }
        #expect(first.isRunning)

        let started = Date()
        let second = try runGongkai(["index", "--db", database, TestPaths.corpus])
        #expect(second.status == 2)
        #expect(second.stderr.contains("another indexer is writing"))
        #expect(Date().timeIntervalSince(started) < 10)
    }
}
