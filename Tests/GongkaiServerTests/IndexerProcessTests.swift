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

    @Test func anIndexerKilledMidRunLeavesAServableDatabaseAndARerunCompletesIt() throws {
        let corpus = try largeCorpus(copies: 15)
        let scratch = (corpus as NSString).deletingLastPathComponent
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let killed = scratch + "/killed.db", reference = scratch + "/reference.db"

        let indexer = try startIndexer(["index", "--db", killed, "--commit-every", "3", "--workers", "2", corpus])
        // Kill it once something is committed and before it has finished.
        let deadline = Date().addingTimeInterval(120)
        while indexer.isRunning, Date() < deadline, ((try? recordCount(killed)) ?? 0) == 0 { usleep(20_000) }
        #expect(indexer.isRunning, "the indexer finished before it could be killed; make the corpus larger")
        kill(indexer.processIdentifier, SIGKILL)
        indexer.waitUntilExit()

        let partial = try recordCount(killed)
        #expect(partial > 0)
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/xapian-check") {
            let check = Process()
            check.executableURL = URL(fileURLWithPath: "/usr/bin/xapian-check")
            check.arguments = [killed]
            check.standardOutput = FileHandle.nullDevice
            try check.run()
            check.waitUntilExit()
            #expect(check.terminationStatus == 0)
        }
        let rerun = try runGongkai(["index", "--db", killed, corpus])
        #expect(rerun.status == 0, "\(rerun.stderr)")
        let complete = try runGongkai(["index", "--db", reference, corpus])
        #expect(complete.status == 0)
        #expect(try recordCount(killed) == recordCount(reference))
        #expect(try recordCount(killed) > partial)
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
