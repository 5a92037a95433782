import ChineseAnalysis
import Foundation
import Xapian

/// Writes parsed disclosures into the Xapian database. Files are read, parsed and analyzed on
/// several threads and written by one (Xapian allows one writer); a second indexer on the same
/// database fails at once with `IndexError.locked`, for the whole run (`IndexLock`).
///
/// A run reads changed files twice: the scan (`Scan`) learns the domain names they bring, so
/// that every record of the run is analyzed with the same vocabulary (stored with the index
/// for the daemon); then they are parsed again to be written, on the update path
/// (`IndexWriter`) or, into an empty database, the parallel build (`ParallelBuild`). Readers
/// only ever see whole files: the update path commits whole files every `filesPerCommit`, and
/// a fresh build is swapped in when it is complete.
public final class Indexer {
    public let databasePath: String
    private let lexicon: Lexicon

    public init(databasePath: String, lexicon: Lexicon) {
        self.databasePath = databasePath
        self.lexicon = lexicon
    }

    /// Where a fresh build writes its parts; taken over by the next run after a kill.
    var stagingPath: String { URL(fileURLWithPath: databasePath).standardizedFileURL.path + ".building" }

    /// Indexes the files at `paths` (folders recursively). Unchanged files (same content hash) are
    /// skipped, changed ones have all their records replaced, and files that no longer exist lose
    /// their records unless `keepMissing`. A file that fails is reported and the rest indexed.
    public func run(paths: [String], options: IndexOptions = IndexOptions()) throws -> IndexSummary {
        let started = Date()
        let lock = try IndexLock(databasePath: databasePath)
        let listing = try SourceFiles.list(paths)
        let database = try openDatabase()
        let state = try IndexError.mappingDatabaseErrors { try IndexState.load(database) }
        var scan = try Scan.of(listing.files, manifest: try needsRebuild(state, database) ? [:] : state.manifest, workers: options.workers)
        scan.failed += listing.refused
        scan.listed.formUnion(listing.refused.map(\.path))
        return try withExtendedLifetime(lock) { try write(scan, database: database, state: state, options: options, started: started) }
    }

    /// Indexes files the caller has scanned against this database's manifest: a sharded run scans
    /// each file once for all its shards.
    func run(scanned: Scan, options: IndexOptions) throws -> IndexSummary {
        let started = Date()
        let lock = try IndexLock(databasePath: databasePath)
        let database = try openDatabase()
        let state = try IndexError.mappingDatabaseErrors { try IndexState.load(database) }
        var scan = scanned
        if try needsRebuild(state, database) && !scan.unchanged.isEmpty {
            // They were compared with a manifest that another schema version voids.
            let again = try Scan.of(scan.unchanged, manifest: [:], workers: options.workers)
            scan.unchanged = []
            scan.changed = (scan.changed + again.changed).sorted { $0.entry.path < $1.entry.path }
            scan.failed += again.failed
        }
        return try withExtendedLifetime(lock) { try write(scan, database: database, state: state, options: options, started: started) }
    }

    /// An index written by another schema version cannot be patched file by file, nor one whose
    /// side store of the current revision is missing or in an older format (written by an older
    /// build, or removed).
    private func needsRebuild(_ state: IndexState, _ database: WritableDatabase) throws -> Bool {
        if state.schemaVersion != nil && state.schemaVersion != Schema.version { return true }
        guard database.documentCount > 0 else { return false }
        let revision = try IndexError.mappingDatabaseErrors { try database.revision() }
        guard let manifest = SideManifest.read(sideLayout, revision: revision) else { return true }
        return !manifest.segments.allSatisfy { Segment.hasCurrentFormat(sideLayout.path($0)) }
    }

    private var sideLayout: SideStoreLayout { SideStoreLayout(databasePath: databasePath) }

    /// The side store in step with `database`; a new, empty one when the index is rebuilt.
    private func openSideStore(_ database: WritableDatabase, rebuilding: Bool) throws -> SideStoreWriter {
        try IndexError.mappingDatabaseErrors {
            try SideStoreWriter(layout: sideLayout, revision: try database.revision(),
                                databaseIsEmpty: rebuilding || database.documentCount == 0)
        }
    }

    private func write(_ scan: Scan, database opened: WritableDatabase, state loaded: IndexState, options: IndexOptions,
                       started: Date) throws -> IndexSummary {
        UncaughtXapianError.writing(databasePath)
        var state = loaded
        var summary = IndexSummary()
        summary.dryRun = options.dryRun
        summary.unchanged = scan.unchanged
        summary.failed = scan.failed
        summary.rebuilt = try needsRebuild(state, opened)
        if summary.rebuilt { state.forgetEverything() }

        let missing = missingEntries(state, listed: scan.listed, options: options)
        // Record ids are `<file name>:<ordinal>`: two files of one name would share them. A file
        // that is gone gives its name up (a file moved to another folder is removed and added).
        let leaving = Set(missing.map(\.path))
        var holders = Dictionary(state.manifest.values.filter { !leaving.contains($0.path) }.map { ($0.name, $0.path) }) { first, _ in first }
        var changed: [FileScan] = []
        var names = Set(state.domainNames).union(options.sharedDomainNames)
        for file in scan.changed {
            if let other = holders[file.entry.name], other != file.entry.path {
                summary.failed.append(.init(path: file.entry.path, reason: IndexError.duplicateFileName(file.entry.name, other).description))
                continue
            }
            holders[file.entry.name] = file.entry.path
            changed.append(file)
            names.formUnion(file.names)
        }

        if options.dryRun {
            for file in changed {
                if state.manifest[file.entry.path] != nil { summary.updated.append(file.entry.path) } else { summary.added.append(file.entry.path) }
                summary.records += file.entry.records
                summary.bytes += file.entry.size
            }
            summary.removed = missing.map(\.path)
            summary.documents = state.manifest.count + summary.added.count - summary.removed.count
            summary.seconds = Date().timeIntervalSince(started)
            return summary
        }

        // The state's own metadata changes when the schema or the learned names do; a run that
        // changes nothing commits nothing, and the served revision stays.
        var stateChanged = summary.rebuilt || state.schemaVersion == nil
        if let version = options.vocabularyVersion, version != state.fiscalVocabulary {
            state.fiscalVocabulary = version
            stateChanged = true
        }
        let learnedNames = names.sorted()
        if learnedNames != state.domainNames || (state.domainVocabulary.isEmpty && !learnedNames.isEmpty) {
            state.domainNames = learnedNames
            stateChanged = true
        }
        var writer = IndexWriter(database: opened, side: try openSideStore(opened, rebuilding: summary.rebuilt),
                                 filesPerCommit: options.filesPerCommit)
        let parallel = state.manifest.isEmpty && options.workers > 1 && changed.count >= options.workers * 4
        if !parallel {
            // Left by a killed fresh build that this run does not take over.
            try? FileManager.default.removeItem(atPath: stagingPath)
        }
        if changed.isEmpty {
            if stateChanged { state.domainVocabulary = Analyzer.learnedVocabulary(from: learnedNames, lexicon: lexicon).encoded() }
        } else {
            let analyzer = Analyzer(lexicon: lexicon, domainNames: state.domainNames)
            state.domainVocabulary = analyzer.vocabulary.encoded()
            let tracker = ProgressTracker(sizes: changed.map(\.entry.size), started: started, report: options.progress)
            if parallel {
                writer = try buildInParallel(changed.map(\.entry), analyzer: analyzer, options: options,
                                             state: &state, summary: &summary, tracker: tracker)
                stateChanged = false
            } else {
                if summary.rebuilt {
                    for entry in loaded.manifest.values { try writer.forget(entry) }
                    // Records no manifest names (of a side store that went missing) go too.
                    try writer.forgetUnlisted()
                    writer.side.removeEverything()
                }
                // Before the writes: a moved file's new records carry the name of its old ones.
                try remove(missing, writer: writer, state: &state, summary: &summary)
                try updateInPlace(changed.map(\.entry.path), analyzer: analyzer, options: options, writer: writer,
                                  state: &state, summary: &summary, tracker: tracker)
            }
        }

        if changed.isEmpty { try remove(missing, writer: writer, state: &state, summary: &summary) }
        if writer.hasChanges || (stateChanged && !writer.hasCommitted) { try writer.commit(state) }
        summary.documents = state.manifest.count
        summary.seconds = Date().timeIntervalSince(started)
        return summary
    }

    /// Indexed files whose records go: those that moved to another database (shard), and those
    /// that no longer exist unless they are to be kept.
    private func missingEntries(_ state: IndexState, listed: Set<String>, options: IndexOptions) -> [FileEntry] {
        state.manifest.values.sorted { $0.path < $1.path }.filter { entry in
            guard !listed.contains(entry.path) else { return false }
            if options.movedAway.contains(entry.path) { return true }
            return !options.keepMissing && !FileManager.default.fileExists(atPath: entry.path)
        }
    }

    private func remove(_ entries: [FileEntry], writer: IndexWriter, state: inout IndexState, summary: inout IndexSummary) throws {
        for entry in entries {
            summary.removed.append(entry.path)
            try writer.remove(entry, state: &state)
        }
    }

    /// One writer, fed by parallel preparation.
    private func updateInPlace(_ changed: [String], analyzer: Analyzer, options: IndexOptions, writer: IndexWriter,
                               state: inout IndexState, summary: inout IndexSummary, tracker: ProgressTracker) throws {
        let preparer = FilePreparer(analyzer: analyzer)
        try ParallelMap.run(changed, workers: options.workers, transform: preparer.prepare) { index, outcome in
            switch outcome {
            case .failed(let path, let reason):
                summary.failed.append(.init(path: path, reason: reason))
                tracker.fileDone(index, records: 0)
            case .prepared(let file):
                if state.manifest[file.entry.path] != nil { summary.updated.append(file.entry.path) } else { summary.added.append(file.entry.path) }
                summary.records += file.entry.records
                summary.bytes += file.entry.size
                try writer.replace(file, state: &state)
                tracker.fileDone(index, records: file.entry.records)
            }
        }
    }

    /// Builds the whole database in parallel parts (`ParallelBuild`), merges them, and puts the
    /// result in place of the empty (or rebuilt) database, which is what readers see until then.
    /// Returns a writer of the new database. Any error removes the staging folder; a killed
    /// build leaves it for the next run to take over.
    private func buildInParallel(_ changed: [FileEntry], analyzer: Analyzer, options: IndexOptions,
                                 state: inout IndexState, summary: inout IndexSummary, tracker: ProgressTracker) throws -> IndexWriter {
        let staging = stagingPath
        defer { try? FileManager.default.removeItem(atPath: staging) }
        UncaughtXapianError.removeOnExit(staging)
        defer { UncaughtXapianError.keep(staging) }
        var build = ParallelBuild(staging: staging, analyzer: analyzer, workers: options.workers)
        build.filesPerCommit = options.filesPerCommit
        let result = try IndexError.mappingDatabaseErrors {
            try build.run(files: changed) { index, outcome in
                switch outcome {
                case .written(let entry), .resumed(let entry): tracker.fileDone(index, records: entry.records)
                case .failed: tracker.fileDone(index, records: 0)
                }
            }
        }
        for outcome in result.outcomes {
            switch outcome {
            case .failed(let path, let reason):
                summary.failed.append(.init(path: path, reason: reason))
            case .written(let entry), .resumed(let entry):
                summary.added.append(entry.path)
                state.manifest[entry.path] = entry
                if case .resumed = outcome {
                    summary.resumed += 1
                } else {
                    summary.records += entry.records
                    summary.bytes += entry.size
                }
            }
        }
        CodeNames.merge(result.codeNames, into: &state.codeNames)
        try IndexError.mappingDatabaseErrors {
            let merged = try WritableDatabase(path: result.mergedPath)
            try state.store(in: merged)
            try merged.setMetadata(ParallelBuild.buildKeyName, "")
            let revision = try merged.revision() + 1
            let side = try SideStoreWriter(layout: SideStoreLayout(databasePath: result.mergedPath), revision: revision - 1,
                                           databaseIsEmpty: true)
            if let segment = result.sideSegmentPath { try side.adopt(segmentAt: segment) }
            try side.prepareCommit(revision: revision)
            try merged.commit()
            side.committed(revision: revision)
        }
        // The swap: readers that reopen see the new database. The old one's writer, still open,
        // has nothing to commit. Should the process die between the two moves, the next run
        // finds no database, creates an empty one and takes the parts over again.
        let old = staging + "/old"
        try FileManager.default.moveItem(atPath: databasePath, toPath: old)
        try FileManager.default.moveItem(atPath: result.mergedPath, toPath: databasePath)
        let database = try openDatabase()
        return IndexWriter(database: database, side: try openSideStore(database, rebuilding: false),
                           filesPerCommit: options.filesPerCommit)
    }

    private func openDatabase() throws -> WritableDatabase {
        try IndexError.mappingDatabaseErrors(at: databasePath) { try WritableDatabase(path: databasePath) }
    }
}
