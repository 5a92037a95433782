import ArgumentParser
import ChineseAnalysis
import GongkaiIndex

/// `gongkai index`: parse disclosures and write them into the Xapian database.
struct IndexCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "index",
        abstract: "Index disclosure files and folders (recursively) into a Xapian database."
    )

    @Option(help: "The database folder (created if missing). Default: $GONGKAI_DB or ./gongkai.db")
    var db: String = Defaults.database

    @Flag(help: "Keep the records of files that no longer exist.")
    var keepMissing = false

    @Argument(help: "Files and folders to index.")
    var paths: [String]

    func run() throws {
        let indexer = Indexer(databasePath: db, analyzer: Analyzer())
        let summary: IndexSummary
        do {
            summary = try indexer.run(paths: paths, keepMissing: keepMissing)
        } catch {
            printError("gongkai index: \(error)")
            throw ExitCode(2)
        }
        for failure in summary.failed {
            printError("gongkai index: \(failure.path): \(failure.reason)")
        }
        print("""
            indexed \(db): \(summary.added.count) added, \(summary.updated.count) updated, \
            \(summary.unchanged.count) unchanged, \(summary.removed.count) removed, \(summary.failed.count) failed; \
            \(summary.records) records from \(summary.bytes) bytes in \(String(format: "%.2f", summary.seconds)) s; \
            \(summary.documents) documents in the index
            """)
        if !summary.failed.isEmpty { throw ExitCode(1) }
    }
}
