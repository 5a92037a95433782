import ChineseAnalysis
import Synchronization
import Xapian

/// What the searcher needs to know about one revision of the index beyond its postings: the
/// names behind codes, the department, project and district names that filters match, and the
/// side stores when every part has one. Built once per revision and shared, read-only, by every
/// worker.
public final class Catalog: Sendable {
    public let revision: UInt64
    public let documentCount: Int
    public let recordCount: Int
    /// Classification code → name as printed.
    public let codeNames: [String: String]
    let departments: [String]
    /// Project names (not codes), each once: built when first asked for (a project filter, a
    /// timeline), not at start-up.
    var projectNames: [String] {
        projectNameList.withLock { list in
            if let list { return list }
            let names = projectNameSource()
            list = names
            return names
        }
    }
    private let projectNameList = Mutex<[String]?>(nil)
    private let projectNameSource: @Sendable () -> [String]
    let districts: [String]
    /// The analyzer that wrote this revision's terms, with its domain words.
    public let analyzer: Analyzer
    /// Per part of the index (one database, or each shard), its side store; nil when a part has
    /// none (a remote shard, or an index written without one), and Xapian's matcher answers.
    let sides: SideSet?
    /// What query words also search for: the fiscal vocabulary and this revision's code names.
    let expansion: QueryExpansion
    /// The fiscal vocabulary versions the parts were indexed with (`Schema.Metadata.fiscalVocabulary`).
    public let indexedVocabularyVersions: [String]
    /// The version of the fiscal vocabulary queries are expanded with.
    public var vocabularyVersion: String { expansion.vocabulary.version }

    init(revision: UInt64, documentCount: Int, recordCount: Int, codeNames: [String: String], departments: [String],
         projectNames: @escaping @Sendable () -> [String], districts: [String], analyzer: Analyzer, sides: SideSet?,
         vocabulary: FiscalVocabulary, indexedVocabularyVersions: [String]) {
        self.revision = revision
        self.documentCount = documentCount
        self.recordCount = recordCount
        self.codeNames = codeNames
        self.departments = departments
        projectNameSource = projectNames
        self.districts = districts
        self.analyzer = analyzer
        self.sides = sides
        expansion = QueryExpansion(vocabulary: vocabulary, codeNames: codeNames)
        self.indexedVocabularyVersions = indexedVocabularyVersions
    }

    /// The catalog of `parts` searched as `combined`. Metadata is read from each part and merged
    /// (a combined database reads only its first part's): counts add up, names unite. The
    /// analyzer is built on another thread while `openSides` opens the side stores: the two are
    /// most of the time to a first answer.
    static func load(combined database: Database, parts: [Database], revision: UInt64,
                     openSides: () throws -> [SideIndex]?, analyzers: AnalyzerCache) throws -> Catalog {
        var codeNames: [String: String] = [:]
        var documentCount = 0
        var domainNames: [String] = []
        // The stored vocabularies are long: compared by bytes, not hashed (String hashes NFC).
        var vocabularies: [String] = []
        var fiscalVocabularies: [String] = []
        for part in parts {
            let fiscal = try part.metadata(Schema.Metadata.fiscalVocabulary)
            if !fiscal.isEmpty, !fiscalVocabularies.contains(fiscal) { fiscalVocabularies.append(fiscal) }
            CodeNames.merge(CodeNames.decode(try part.metadata(Schema.Metadata.codeNames)), into: &codeNames)
            documentCount += Int(try part.metadata(Schema.Metadata.documentCount)) ?? 0
            domainNames += DomainNames.decode(try part.metadata(Schema.Metadata.domainNames))
            let vocabulary = try part.metadata(Schema.Metadata.domainVocabulary)
            if !vocabularies.contains(where: { ByteString.compare($0, vocabulary) == 0 }) { vocabularies.append(vocabulary) }
        }
        // Shards share one vocabulary; parts that differ are learned again from their names.
        let names = domainNames, vocabulary = vocabularies.count == 1 ? vocabularies.first : nil
        let analyzer = ComputedAlongside { Result { try analyzers.analyzer(domainNames: names, vocabulary: vocabulary) } }

        var departments: [String], projectNames: @Sendable () -> [String], districts: [String]
        let sideSet = try openSides().map(SideSet.init)
        if let sideSet {
            func values(_ facet: String) -> [String] {
                Array(sideSet.values[Schema.facets.firstIndex { $0.name == facet }!].dropFirst())
            }
            departments = values("department")
            districts = values("district")
            let projectValues = values("project")
            projectNames = {
                // Project values are "code\tname" or a name; names repeat across codes.
                var seen = Set<ByteString>()
                return projectValues.compactMap { value in
                    let name: String
                    if let tab = value.utf8.firstIndex(of: UInt8(ascii: "\t")) {
                        name = String(value[value.utf8.index(after: tab)...])
                    } else if looksLikeProjectCode(value) {
                        return nil
                    } else {
                        name = value
                    }
                    return seen.insert(ByteString(name)).inserted ? name : nil
                }
            }
        } else {
            func values(_ field: FieldName) throws -> [String] {
                let prefix = Schema.field(field).termPrefix!
                return try database.allTerms(prefix: prefix).map { term in
                    var value = term.dropFirst(prefix.count)
                    if value.first == ":" { value = value.dropFirst() }
                    return String(value)
                }
            }
            departments = try values(.department)
            districts = try values(.district)
            let names = try values(.project).filter { !looksLikeProjectCode($0) }
            projectNames = { names }
        }
        let recordCount = try sideSet?.recordCount ?? Int(try database.documentCount())
        return Catalog(
            revision: revision, documentCount: documentCount, recordCount: recordCount,
            codeNames: codeNames, departments: departments, projectNames: projectNames, districts: districts,
            analyzer: try analyzer.value.get(), sides: sideSet, vocabulary: analyzers.vocabulary, indexedVocabularyVersions: fiscalVocabularies)
    }

    /// Department names equal to or containing `text`.
    func departments(matching text: String) -> [String] {
        departments.contains(text) ? [text] : departments.filter { $0.contains(text) }
    }

    /// Project names equal to or containing `text`.
    func projectNames(matching text: String) -> [String] {
        projectNames.contains(text) ? [text] : projectNames.filter { $0.contains(text) }
    }

    /// Project codes: 8 digits, a letter, then digits (`11010222T000000417336`).
    public static func looksLikeProjectCode(_ text: String) -> Bool {
        let bytes = text.utf8
        func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
        guard bytes.count >= 12, bytes.prefix(8).allSatisfy(isDigit) else { return false }
        let letter = bytes[bytes.index(bytes.startIndex, offsetBy: 8)] | 0x20
        return letter >= UInt8(ascii: "a") && letter <= UInt8(ascii: "z") && bytes.dropFirst(9).allSatisfy(isDigit)
    }
}
