import Foundation
import Synchronization

public struct IndexOptions: Sendable {
    /// Keep the records of files that no longer exist.
    public var keepMissing = false
    /// Report what would change without writing.
    public var dryRun = false
    /// Threads that read, parse and analyze files; one more writes.
    public var workers = max(1, ProcessInfo.processInfo.activeProcessorCount)
    /// Files between commits, on both the update and the fresh-build path: a crash loses at
    /// most this many files' work.
    public var filesPerCommit = 200
    /// Called after each file, one call at a time.
    public var progress: (@Sendable (IndexProgress) -> Void)?
    /// Domain names to learn besides the index's own and its changed files': the shards of a
    /// sharded index all learn every shard's names, so that they share one vocabulary.
    public var sharedDomainNames: Set<String> = []
    /// Files whose records are removed although they still exist: they moved to another shard.
    public var movedAway: Set<String> = []
    /// The version of the fiscal vocabulary the daemon will expand queries with, recorded in the
    /// index (`Schema.Metadata.fiscalVocabulary`); nil leaves the recorded one as it is.
    public var vocabularyVersion: String?

    public init() {}
}

/// What one indexing run did (or, with `dryRun`, would do).
public struct IndexSummary: Sendable, Equatable {
    public struct Failure: Sendable, Equatable {
        public var path: String
        public var reason: String
    }

    public var added: [String] = []
    public var updated: [String] = []
    public var unchanged: [String] = []
    public var removed: [String] = []
    public var failed: [Failure] = []
    /// Of `added`, the files a killed run had already committed to its staging folder, taken
    /// over instead of being indexed again.
    public var resumed = 0
    /// Records written in this run.
    public var records = 0
    /// Bytes of source text parsed and indexed in this run.
    public var bytes = 0
    /// Source documents in the database after the run.
    public var documents = 0
    public var seconds = 0.0
    /// Whether the run rebuilt everything because the schema or the side-store format changed.
    public var rebuilt = false
    public var dryRun = false

    public init() {}

    /// Adds one shard's run to the summary of all.
    mutating func absorb(_ part: IndexSummary) {
        added += part.added
        updated += part.updated
        unchanged += part.unchanged
        removed += part.removed
        failed += part.failed
        resumed += part.resumed
        records += part.records
        bytes += part.bytes
        documents += part.documents
        rebuilt = rebuilt || part.rebuilt
    }
}

/// Where a run is, for progress displays.
public struct IndexProgress: Sendable {
    public var filesDone: Int
    public var filesTotal: Int
    public var bytesDone: Int
    public var bytesTotal: Int
    public var records: Int
    public var seconds: Double
}

/// Progress across the files being written, reported after each file. Files finish on
/// several threads in a fresh build; reports go out one at a time.
final class ProgressTracker: Sendable {
    private let progress: Mutex<IndexProgress>
    private let sizes: [Int]
    private let started: Date
    private let report: (@Sendable (IndexProgress) -> Void)?

    init(sizes: [Int], started: Date, report: (@Sendable (IndexProgress) -> Void)?) {
        self.sizes = sizes
        self.started = started
        self.report = report
        progress = Mutex(IndexProgress(filesDone: 0, filesTotal: sizes.count, bytesDone: 0, bytesTotal: sizes.reduce(0, +),
                                       records: 0, seconds: 0))
    }

    func fileDone(_ index: Int, records: Int) {
        progress.withLock { progress in
            progress.filesDone += 1
            progress.bytesDone += sizes[index]
            progress.records += records
            progress.seconds = Date().timeIntervalSince(started)
            report?(progress)
        }
    }
}
