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
    var documents: [Xapian.Document]
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
            let documents = document.records.enumerated().map { ordinal, record in
                RecordDocument.make(record: record, ordinal: ordinal, document: document, analyzer: analyzer).document
            }
            return .prepared(PreparedFile(entry: entry, documents: documents, codeNames: codeNames))
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
/// manifest always describes exactly the records committed with it.
final class IndexWriter {
    let database: WritableDatabase
    private let filesPerCommit: Int
    private var inTransaction = false
    private var filesSinceCommit = 0
    /// Whether anything was written since the last commit.
    private(set) var hasChanges = false
    /// Whether this writer has committed (and with it stored the run's state) at least once.
    private(set) var hasCommitted = false

    init(database: WritableDatabase, filesPerCommit: Int) {
        self.database = database
        self.filesPerCommit = max(1, filesPerCommit)
    }

    /// Replaces the records of `file` (adds them when it is new); commits every `filesPerCommit` files.
    func replace(_ file: PreparedFile, state: inout IndexState) throws {
        try change {
            // Every record id of a file starts with its name, so once the file's old records are
            // gone no new record can replace one: adding skips the unique-term lookup.
            try database.deleteDocuments(term: Schema.term(Schema.Prefix.file, file.entry.name))
            for document in file.documents {
                try database.addDocument(document)
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
            try database.deleteDocuments(term: Schema.term(Schema.Prefix.file, entry.name))
            try database.setMetadata(Schema.Metadata.filePrefix + entry.path, "")
        }
    }

    /// Stores `state` and commits it with everything written since the last commit.
    func commit(_ state: IndexState) throws {
        try change { try state.store(in: database) }
        try IndexError.mappingDatabaseErrors { try database.commitTransaction() }
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
