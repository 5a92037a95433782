import ChineseAnalysis
import Xapian

/// What the searcher needs to know about one revision of the index beyond its postings: the
/// names behind codes and the department and project names that filters match by substring.
/// Read once per revision and shared, read-only, by every worker.
public final class Catalog: Sendable {
    public let revision: UInt64
    public let documentCount: Int
    public let recordCount: Int
    /// Classification code → name as printed.
    public let codeNames: [String: String]
    let departments: [String]
    let projectNames: [String]
    /// The analyzer that wrote this revision's terms, with its domain words.
    public let analyzer: Analyzer

    init(revision: UInt64, documentCount: Int, recordCount: Int, codeNames: [String: String],
         departments: [String], projectNames: [String], analyzer: Analyzer) {
        self.revision = revision
        self.documentCount = documentCount
        self.recordCount = recordCount
        self.codeNames = codeNames
        self.departments = departments
        self.projectNames = projectNames
        self.analyzer = analyzer
    }

    static func load(_ database: Database, analyzers: AnalyzerCache) throws -> Catalog {
        try load(combined: database, parts: [database], revision: try database.revision(), analyzers: analyzers)
    }

    /// The catalog of `parts` searched as `combined`. Metadata is read from each part and merged
    /// (a combined database reads only its first part's): counts add up, names unite.
    static func load(combined database: Database, parts: [Database], revision: UInt64,
                     analyzers: AnalyzerCache) throws -> Catalog {
        var codeNames: [String: String] = [:]
        var documentCount = 0
        var domainNames: [String] = []
        var vocabularies = Set<String>()
        for part in parts {
            CodeNames.merge(CodeNames.decode(try part.metadata(Schema.Metadata.codeNames)), into: &codeNames)
            documentCount += Int(try part.metadata(Schema.Metadata.documentCount)) ?? 0
            domainNames += DomainNames.decode(try part.metadata(Schema.Metadata.domainNames))
            vocabularies.insert(try part.metadata(Schema.Metadata.domainVocabulary))
        }
        let departments = try database.allTerms(prefix: Schema.Prefix.department)
            .map { String($0.dropFirst(Schema.Prefix.department.count)) }
        let projectNames = try database.allTerms(prefix: Schema.Prefix.project)
            .map { String($0.dropFirst(Schema.Prefix.project.count)) }
            .filter { !looksLikeProjectCode($0) }
        return Catalog(
            revision: revision, documentCount: documentCount, recordCount: Int(try database.documentCount()),
            codeNames: codeNames, departments: departments, projectNames: projectNames,
            // Shards share one vocabulary; parts that differ are learned again from their names.
            analyzer: analyzers.analyzer(domainNames: domainNames, vocabulary: vocabularies.count == 1 ? vocabularies.first : nil))
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
    static func looksLikeProjectCode(_ text: String) -> Bool {
        let chars = Array(text)
        guard chars.count >= 12, chars.prefix(8).allSatisfy({ $0.isASCII && $0.isNumber }),
              chars[8].isASCII, chars[8].isLetter else { return false }
        return chars.dropFirst(9).allSatisfy { $0.isASCII && $0.isNumber }
    }
}
