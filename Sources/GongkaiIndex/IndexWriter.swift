import ChineseAnalysis
import Disclosure
import Xapian

/// A changed file made ready for a writer on a worker thread.
enum PrepareOutcome: @unchecked Sendable {
    // The Xapian documents inside are built by one thread and handed whole to the writer.
    case prepared(PreparedFile)
    case failed(String, String)
}

struct PreparedFile {
    var entry: FileEntry
    /// Each record's Xapian document and what the side store keeps of it.
    var records: [IndexedRecord]
    var codeNames: [String: String]
}

/// Reads, parses and analyzes one file into Xapian documents. Safe to call from several threads.
struct FilePreparer: Sendable {
    let analyzer: Analyzer
    private let parser = DisclosureParser()

    init(analyzer: Analyzer) {
        self.analyzer = analyzer
    }

    func prepare(_ path: String) -> PrepareOutcome {
        do {
            let bytes = try SourceFiles.read(path)
            let (document, entry) = try SourceFiles.parse(bytes, path: path, hash: ContentHash.fnv1a64(bytes), parser: parser)
            var codeNames = document.codeNames
            for record in document.records {
                for code in record.codes { if let name = code.name { CodeNames.merge([code.code: name], into: &codeNames) } }
            }
            let records = document.records.enumerated().map { ordinal, record in
                RecordDocument.make(record: record, ordinal: ordinal, document: document, analyzer: analyzer)
            }
            return .prepared(PreparedFile(entry: entry, records: records, codeNames: codeNames))
        } catch {
            return .failed(path, String(describing: error))
        }
    }
}

/// Writes whole files into a database in place. Changes go into transactions of
/// `filesPerCommit` files: a file's old records go and its new ones come in the same commit,
/// so that readers never see a file half indexed (outside a transaction Xapian commits by
/// itself every XAPIAN_FLUSH_THRESHOLD documents, wherever a file is), and a crash loses at
/// most one transaction's files. Each commit also stores the run's `IndexState`, so that the
/// manifest always describes exactly the records committed with it, and writes the side store of
/// the revision each commit makes before making it.
final class IndexWriter {
    let database: WritableDatabase
    let side: SideStoreWriter
    private let filesPerCommit: Int
    private var inTransaction = false
    private var filesSinceCommit = 0
    /// Whether anything was written since the last commit.
    private(set) var hasChanges = false
    /// Whether this writer has committed (and with it stored the run's state) at least once.
    private(set) var hasCommitted = false

    init(database: WritableDatabase, side: SideStoreWriter, filesPerCommit: Int) {
        self.database = database
        self.side = side
        self.filesPerCommit = max(1, filesPerCommit)
    }

    /// Replaces the records of `file` (adds them when it is new); commits every `filesPerCommit` files.
    func replace(_ file: PreparedFile, state: inout IndexState) throws {
        try change {
            // Every record id of a file starts with its name, so once the file's old records are
            // gone no new record can replace one: adding skips the unique-term lookup.
            try deleteRecords(ofFile: file.entry.name)
            for record in file.records {
                try side.add(record, docid: try database.addDocument(record.document))
            }
            try database.setMetadata(Schema.Metadata.filePrefix + file.entry.path, file.entry.encoded)
        }
        state.manifest[file.entry.path] = file.entry
        CodeNames.merge(file.codeNames, into: &state.codeNames)
        filesSinceCommit += 1
        if filesSinceCommit >= filesPerCommit { try commit(state) }
    }

    /// Removes a file's records and manifest entry.
    func remove(_ entry: FileEntry, state: inout IndexState) throws {
        try forget(entry)
        state.manifest[entry.path] = nil
    }

    /// Removes a file's records and manifest entry from the database only (the state was reset).
    func forget(_ entry: FileEntry) throws {
        try change {
            try deleteRecords(ofFile: entry.name)
            try database.setMetadata(Schema.Metadata.filePrefix + entry.path, "")
        }
    }

    /// Deletes every record of a file, listed in the manifest or not (a rebuild).
    func forgetUnlisted() throws {
        try change {
            for term in try database.allTerms(prefix: Schema.Prefix.file) { try database.deleteDocuments(term: term) }
        }
    }

    /// Deletes a file's records from the database and the side store.
    private func deleteRecords(ofFile name: String) throws {
        let term = Schema.term(Schema.Prefix.file, name)
        side.delete(try database.docids(term: term))
        try database.deleteDocuments(term: term)
    }

    /// Stores `state` and commits it with everything written since the last commit.
    func commit(_ state: IndexState) throws {
        try change { try state.store(in: database) }
        let revision = try IndexError.mappingDatabaseErrors { try database.revision() + 1 }
        try IndexError.mappingDatabaseErrors {
            // Before the commit: a reader of the new revision must find its side store.
            try side.prepareCommit(revision: revision)
            try database.commitTransaction()
        }
        side.committed(revision: revision)
        inTransaction = false
        filesSinceCommit = 0
        hasChanges = false
        hasCommitted = true
    }

    private func change(_ body: () throws -> Void) throws {
        try IndexError.mappingDatabaseErrors {
            if !inTransaction {
                try database.beginTransaction()
                inTransaction = true
            }
            try body()
        }
        hasChanges = true
    }
}
