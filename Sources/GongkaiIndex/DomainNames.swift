import ChineseAnalysis
import Disclosure
import Foundation

/// The names the analyzer learns domain words from (classification items, departments,
/// projects), collected from parsed documents and stored with the index so that the daemon
/// builds the same analyzer as the indexer did.
enum DomainNames {
    static func collect(from document: ParsedDocument) -> Set<String> {
        var names = Set<String>()
        if let department = document.info.department { names.insert(department) }
        names.formUnion(document.codeNames.values)
        for record in document.records {
            for code in record.codes { if let name = code.name { names.insert(name) } }
            if record.type == .project, let name = record.projectName { names.insert(name) }
        }
        return names
    }

    static func encode(_ names: [String]) -> String {
        names.joined(separator: "\n")
    }

    static func decode(_ stored: String) -> [String] {
        // By bytes: splitting tens of thousands of lines by Character is slow at daemon start.
        stored.utf8.split(separator: UInt8(ascii: "\n")).map { String(decoding: $0, as: UTF8.self) }
    }
}

/// One analyzer per set of domain names, built once and shared by every thread: learning names
/// takes a while, and every worker of a daemon serves the same revision. Holds the fiscal
/// vocabulary queries are expanded with, too.
public final class AnalyzerCache: @unchecked Sendable {
    // `latest` is guarded by `lock`.
    private let lock = NSLock()
    private var latest: Analyzer?
    private let loadedLexicon: ComputedAlongside<Result<Lexicon, any Error>>
    public let vocabulary: FiscalVocabulary

    public init(lexicon: Lexicon, vocabulary: FiscalVocabulary) {
        loadedLexicon = ComputedAlongside(.success(lexicon))
        self.vocabulary = vocabulary
    }

    /// A cache whose lexicon `load` reads on another thread, starting now: a daemon opens its
    /// side stores meanwhile (the two are most of its start-up).
    public init(loadingLexicon load: @escaping @Sendable () throws -> Lexicon, vocabulary: FiscalVocabulary) {
        loadedLexicon = ComputedAlongside { Result { try load() } }
        self.vocabulary = vocabulary
    }

    /// The lexicon, once loaded; throws what loading it threw.
    public func lexicon() throws -> Lexicon { try loadedLexicon.value.get() }

    /// The analyzer for `domainNames`; `vocabulary` (as the indexer stored it) spares learning
    /// the names again when it was learned with this lexicon.
    public func analyzer(domainNames: [String], vocabulary: String? = nil) throws -> Analyzer {
        let lexicon = try lexicon()
        // Names read from one index are already sorted and unique; only a union of shards needs sorting.
        let names = Self.isSortedAndUnique(domainNames) ? domainNames : Array(Set(domainNames.filter { !$0.isEmpty })).sorted()
        lock.lock()
        defer { lock.unlock() }
        if let latest, latest.domainNames == names { return latest }
        let analyzer: Analyzer
        if let stored = vocabulary.flatMap(DomainVocabularyData.init(encoded:)), stored.wasLearned(with: lexicon) {
            analyzer = Analyzer(lexicon: lexicon, domainNames: names, vocabulary: stored)
        } else {
            analyzer = Analyzer(lexicon: lexicon, domainNames: names)
        }
        latest = analyzer
        return analyzer
    }

    private static func isSortedAndUnique(_ names: [String]) -> Bool {
        guard names.first?.isEmpty != true else { return false }
        return zip(names, names.dropFirst()).allSatisfy { $0 < $1 }
    }
}
