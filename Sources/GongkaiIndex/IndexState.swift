import Xapian

/// The database's own record of what it holds, kept in its metadata so that it commits
/// together with the records.
struct IndexState {
    var schemaVersion: String?
    var manifest: [String: FileEntry]
    var codeNames: [String: String]
    var domainNames: [String]
    /// `DomainVocabularyData.encoded()` of the analyzer learned from `domainNames`; empty when unknown.
    var domainVocabulary = ""
    /// The fiscal vocabulary's version; empty when unknown.
    var fiscalVocabulary = ""

    static let empty = IndexState(schemaVersion: nil, manifest: [:], codeNames: [:], domainNames: [])

    mutating func forgetEverything() {
        manifest.removeAll()
        codeNames.removeAll()
        domainNames.removeAll()
        domainVocabulary = ""
    }

    static func load(_ database: WritableDatabase) throws -> IndexState {
        let version = try database.metadata(Schema.Metadata.schemaVersion)
        let manifest = try FileEntry.manifest(keys: database.metadataKeys(prefix: Schema.Metadata.filePrefix), value: database.metadata)
        let codeNames = CodeNames.decode(try database.metadata(Schema.Metadata.codeNames))
        return IndexState(schemaVersion: version.isEmpty ? nil : version, manifest: manifest, codeNames: codeNames,
                          domainNames: DomainNames.decode(try database.metadata(Schema.Metadata.domainNames)),
                          domainVocabulary: try database.metadata(Schema.Metadata.domainVocabulary),
                          fiscalVocabulary: try database.metadata(Schema.Metadata.fiscalVocabulary))
    }

    /// Writes the state into `database`'s metadata (the caller commits).
    func store(in database: WritableDatabase) throws {
        try database.setMetadata(Schema.Metadata.schemaVersion, Schema.version)
        try database.setMetadata(Schema.Metadata.documentCount, String(manifest.count))
        try database.setMetadata(Schema.Metadata.codeNames, CodeNames.encode(codeNames))
        try database.setMetadata(Schema.Metadata.domainNames, DomainNames.encode(domainNames))
        try database.setMetadata(Schema.Metadata.domainVocabulary, domainVocabulary)
        try database.setMetadata(Schema.Metadata.fiscalVocabulary, fiscalVocabulary)
    }
}

/// The manifest entry of one indexed file.
struct FileEntry: Equatable, Sendable {
    var path: String
    var name: String
    var hash: String
    var size: Int
    var records: Int

    var encoded: String { "\(hash)\t\(size)\t\(records)\t\(name)" }

    init(path: String, name: String, hash: String, size: Int, records: Int) {
        self.path = path
        self.name = name
        self.hash = hash
        self.size = size
        self.records = records
    }

    init?(path: String, encoded: String) {
        let parts = encoded.split(separator: "\t", omittingEmptySubsequences: false)
        guard parts.count == 4, let size = Int(parts[1]), let records = Int(parts[2]) else { return nil }
        self.init(path: path, name: String(parts[3]), hash: String(parts[0]), size: size, records: records)
    }

    /// The entries stored under `keys` (metadata keys with `Schema.Metadata.filePrefix`).
    static func manifest(keys: [String], value: (String) throws -> String) throws -> [String: FileEntry] {
        var manifest: [String: FileEntry] = [:]
        for key in keys {
            let path = String(key.dropFirst(Schema.Metadata.filePrefix.count))
            if let entry = FileEntry(path: path, encoded: try value(key)) { manifest[path] = entry }
        }
        return manifest
    }
}

/// Classification code names as printed. Documents print some names differently (`（室）` and
/// `(室)`); the smallest spelling wins so that the result does not depend on file order.
enum CodeNames {
    static func merge(_ names: [String: String], into target: inout [String: String]) {
        for (code, name) in names where target[code].map({ name < $0 }) ?? true { target[code] = name }
    }

    /// The metadata form: a JSON object, codes sorted.
    static func encode(_ names: [String: String]) -> String {
        JSONValue.object(names.keys.sorted().map { ($0, .string(names[$0]!)) }).serialized()
    }

    static func decode(_ stored: String) -> [String: String] {
        guard case .object(let members)? = try? JSONValue.parse(Array(stored.utf8)) else { return [:] }
        var names: [String: String] = [:]
        for (code, value) in members { if let name = value.stringValue { names[code] = name } }
        return names
    }
}
