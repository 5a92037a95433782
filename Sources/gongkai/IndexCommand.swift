import ArgumentParser
import ChineseAnalysis
import Foundation
import GongkaiIndex
import Synchronization

/// `gongkai index`: parse disclosures and write them into the Xapian database.
struct IndexCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "index",
        abstract: "Index disclosure files and folders (recursively) into a Xapian database.",
        discussion: """
            Re-running skips unchanged files (same content), replaces the records of changed files and \
            removes those of files that are gone. Files that cannot be read are reported; the rest is indexed. \
            Exit status: 0 all indexed, 1 some files failed, 2 the run could not be done.
            """
    )

    @Option(help: "The database folder (created if missing). Default: $GONGKAI_DB or ./gongkai.db")
    var db: String = Defaults.database

    @Flag(help: "Keep the records of files that no longer exist.")
    var keepMissing = false

    @Flag(help: "Say what would change without writing anything.")
    var dryRun = false

    @Flag(help: "Print the summary as JSON.")
    var json = false

    @Option(help: "Threads reading and parsing files. Default: the number of cores.")
    var workers: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: "Files between commits, whether updating or building a new database: a crash (even SIGKILL) loses at most this many files' work, and readers only ever see whole files. A killed build of a new database is taken over by the next run.")
    var commitEvery = IndexOptions().filesPerCommit

    @Option(help: "Write one database per district or per year under --db (see the README). A sharded folder keeps its key when this is left out.")
    var shardBy: ShardKey?

    @Argument(help: "Files and folders to index.")
    var paths: [String]

    func run() throws {
        // Xapian flushes a writer's buffered postings every N documents (default 10,000). Our
        // records are small (~180 bytes of text), and with 1,000 the buffers stay in cache:
        // 300 generated documents index 1.2x faster on 2 cores in a quarter of the memory. Set
        // here, before any thread starts, because Xapian reads it from the environment; a
        // user's value wins.
        setenv("XAPIAN_FLUSH_THRESHOLD", "1000", 0)
        // A Xapian error C++ cannot catch (a write failing inside a flush, as on a full disk)
        // ends the run like any database error: a message, the staging folder removed, exit 2.
        UncaughtXapianError.exitOnUncaughtError(messagePrefix: "gongkai index", status: 2)
        var options = IndexOptions()
        options.keepMissing = keepMissing
        options.dryRun = dryRun
        options.workers = max(1, workers)
        options.filesPerCommit = max(1, commitEvery)
        options.progress = ProgressReporter.forStandardError().report
        let summary: IndexSummary
        do {
            options.vocabularyVersion = try FiscalVocabulary.loadDefault().version
            if let key = try shardBy ?? ShardLayout(root: db).read()?.key {
                summary = try ShardedIndexer(root: db, key: key, lexicon: try Lexicon.loadDefault()).run(paths: paths, options: options)
            } else {
                summary = try Indexer(databasePath: db, lexicon: try Lexicon.loadDefault()).run(paths: paths, options: options)
            }
        } catch {
            printError("gongkai index: \(error)")
            throw ExitCode(2)
        }
        ProgressReporter.finishLine()
        print(json ? SummaryFormatter.json(summary, db: db) : SummaryFormatter.text(summary, db: db))
        if !summary.failed.isEmpty { throw ExitCode(1) }
    }
}

/// The end-of-run summary, for people and for scripts.
enum SummaryFormatter {
    static func text(_ s: IndexSummary, db: String) -> String {
        var lines: [String] = []
        let verb = s.dryRun ? "would index" : "indexed"
        if s.rebuilt { lines.append("the index was written by another schema version or side-store format: \(s.dryRun ? "would rebuild" : "rebuilt") it") }
        let mb = Double(s.bytes) / 1_000_000
        let rate = s.seconds > 0 ? mb / s.seconds : 0
        let resumed = s.resumed > 0 ? " (\(s.resumed) taken over from a killed run)" : ""
        lines.append("""
            \(verb) \(db): \(s.added.count) added\(resumed), \(s.updated.count) updated, \(s.unchanged.count) unchanged, \
            \(s.removed.count) removed, \(s.failed.count) failed; \(s.records) records from \
            \(String(format: "%.1f", mb)) MB in \(String(format: "%.2f", s.seconds)) s (\(String(format: "%.2f", rate)) MB/s); \
            \(s.documents) documents in the index
            """)
        if s.dryRun {
            for (label, paths) in [("add", s.added), ("update", s.updated), ("remove", s.removed)] {
                lines += paths.map { "  \(label) \($0)" }
            }
        }
        lines += s.failed.map { "  failed \($0.path): \($0.reason)" }
        return lines.joined(separator: "\n")
    }

    static func json(_ s: IndexSummary, db: String) -> String {
        func list(_ paths: [String]) -> JSONValue { .array(paths.map(JSONValue.string)) }
        return JSONValue.object([
            ("db", .string(db)),
            ("dry_run", .bool(s.dryRun)),
            ("rebuilt", .bool(s.rebuilt)),
            ("added", list(s.added)),
            ("resumed", .int(s.resumed)),
            ("updated", list(s.updated)),
            ("unchanged", .int(s.unchanged.count)),
            ("removed", list(s.removed)),
            ("failed", .array(s.failed.map { .object([("path", .string($0.path)), ("reason", .string($0.reason))]) })),
            ("records", .int(s.records)),
            ("bytes", .int(s.bytes)),
            ("documents", .int(s.documents)),
            ("seconds", .double((s.seconds * 1000).rounded() / 1000)),
        ]).serialized()
    }
}

/// Progress on standard error: a bar redrawn in place on a terminal, a plain line now and then
/// otherwise (logs, CI).
struct ProgressReporter: Sendable {
    let isTerminal: Bool

    static func forStandardError() -> ProgressReporter {
        ProgressReporter(isTerminal: isatty(STDERR_FILENO) != 0)
    }

    static let drewBar = Flag()

    func report(_ p: IndexProgress) {
        let rate = p.seconds > 0 ? Double(p.bytesDone) / 1_000_000 / p.seconds : 0
        let remaining = rate > 0 ? Double(p.bytesTotal - p.bytesDone) / 1_000_000 / rate : 0
        let counts = "\(p.filesDone)/\(p.filesTotal) files  \(String(format: "%.1f", Double(p.bytesDone) / 1_000_000)) MB  \(p.records) records  \(String(format: "%.2f", rate)) MB/s"
        if isTerminal {
            let width = 24
            let filled = p.filesTotal > 0 ? width * p.filesDone / p.filesTotal : width
            let bar = String(repeating: "=", count: filled) + String(repeating: " ", count: width - filled)
            printError("\r[\(bar)] \(counts)  ETA \(Self.clock(remaining))   ", newline: false)
            Self.drewBar.set()
        } else if p.filesDone % 500 == 0 || p.filesDone == p.filesTotal {
            printError("progress: \(counts)")
        }
    }

    static func finishLine() {
        if drewBar.isSet { printError("") }
    }

    static func clock(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return String(format: "%d:%02d", s / 60, s % 60)
    }

    /// A flag set from the progress callback and read after the run.
    final class Flag: Sendable {
        private let value = Atomic(false)
        var isSet: Bool { value.load(ordering: .relaxed) }
        func set() { value.store(true, ordering: .relaxed) }
    }
}

extension ShardKey: ExpressibleByArgument {}
