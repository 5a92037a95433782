import ChineseAnalysis
import Foundation

/// The fiscal vocabulary (`Index/dictionaries/fiscal-vocabulary.txt`): words a query word also
/// searches for, e.g. `三公经费` → its three parts. Versioned; the version is stored with the index
/// and keys the result cache. Read from the dictionary folder the Chinese dictionaries are read
/// from (`Lexicon.locateDirectory`).
public struct FiscalVocabulary: Sendable, Equatable {
    public static let fileName = "fiscal-vocabulary.txt"

    /// The file's `# version:` line.
    public let version: String
    /// The file's `# source:` lines.
    public let sources: [String]
    /// Per word (as `key(_:)` folds it): what it also finds, as printed, in file order.
    private let alternatives: [String: [String]]

    /// No expansions (an index or daemon without the file).
    public static let none = FiscalVocabulary(version: "none", sources: [], alternatives: [:])

    private init(version: String, sources: [String], alternatives: [String: [String]]) {
        self.version = version
        self.sources = sources
        self.alternatives = alternatives
    }

    /// What `word` also finds; empty for a word the vocabulary does not know.
    public func alternatives(for word: String) -> [String] {
        alternatives[Self.key(word)] ?? []
    }

    /// Words compare with full-width forms folded, Latin lower case and spaces removed.
    static func key(_ word: String) -> String {
        String(word.precomposedStringWithCompatibilityMapping.lowercased().unicodeScalars
            .filter { !$0.properties.isWhitespace }.map(Character.init))
    }

    // MARK: Loading

    public static func load(directory: String? = nil) throws -> FiscalVocabulary {
        let path = try Lexicon.locateDirectory(explicit: directory) + "/" + fileName
        guard let data = FileManager.default.contents(atPath: path) else { throw DictionaryError.unreadable(path: path) }
        guard let text = String(data: data, encoding: .utf8) else { throw DictionaryError.unreadable(path: path) }
        return try FiscalVocabulary(text: text, path: path)
    }

    private static let sharedDefault = Result { try FiscalVocabulary.load() }

    /// The default vocabulary, loaded once per process.
    public static func loadDefault() throws -> FiscalVocabulary { try sharedDefault.get() }

    /// Parses the file's text. Synonym lines (`a = b = c`) join words into one class; part lines
    /// (`whole => part | part`) make a class find the classes of its parts, transitively.
    public init(text: String, path: String = "fiscal vocabulary") throws {
        var version: String?
        var sources: [String] = []
        var classOf: [String: Int] = [:]      // key → class
        var members: [[String]] = []          // class → words as printed
        var parts: [Set<Int>] = []            // class → classes of its parts

        func classIndex(_ word: String) -> Int {
            let key = Self.key(word)
            if let known = classOf[key] { return known }
            members.append([word])
            parts.append([])
            classOf[key] = members.count - 1
            return members.count - 1
        }
        func merge(_ a: Int, _ b: Int) -> Int {
            guard a != b else { return a }
            let (kept, gone) = (min(a, b), max(a, b))
            for word in members[gone] where !members[kept].contains(word) { members[kept].append(word) }
            parts[kept].formUnion(parts[gone])
            members[gone] = []
            parts[gone] = []
            for (key, index) in classOf where index == gone { classOf[key] = kept }
            for index in parts.indices where parts[index].contains(gone) {
                parts[index].remove(gone)
                parts[index].insert(kept)
            }
            return kept
        }

        for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty { continue }
            if line.hasPrefix("#") {
                let comment = line.dropFirst().trimmingCharacters(in: .whitespaces)
                if comment.hasPrefix("version:") {
                    version = comment.dropFirst("version:".count).trimmingCharacters(in: .whitespaces)
                } else if comment.hasPrefix("source:") {
                    sources.append(comment.dropFirst("source:".count).trimmingCharacters(in: .whitespaces))
                }
                continue
            }
            func words(_ text: some StringProtocol, separator: Character) throws -> [String] {
                let words = text.split(separator: separator, omittingEmptySubsequences: false)
                    .map { $0.trimmingCharacters(in: .whitespaces) }
                guard !words.isEmpty, words.allSatisfy({ !Self.key($0).isEmpty }) else {
                    throw DictionaryError.malformed(path: path, line: number + 1)
                }
                return words
            }
            if let arrow = line.range(of: "=>") {
                let whole = try words(line[..<arrow.lowerBound], separator: "|")
                let partWords = try words(line[arrow.upperBound...], separator: "|")
                guard whole.count == 1 else { throw DictionaryError.malformed(path: path, line: number + 1) }
                let target = classIndex(whole[0])
                for part in partWords {
                    let index = classIndex(part)
                    if index != target { parts[target].insert(index) }
                }
            } else if line.contains("=") {
                let synonyms = try words(line, separator: "=")
                guard synonyms.count >= 2 else { throw DictionaryError.malformed(path: path, line: number + 1) }
                var joined = classIndex(synonyms[0])
                for word in synonyms.dropFirst() { joined = merge(joined, classIndex(word)) }
            } else {
                throw DictionaryError.malformed(path: path, line: number + 1)
            }
        }
        guard let version, !version.isEmpty else { throw DictionaryError.malformed(path: path, line: 0) }

        // Per word: the other words of its class, then every word of the classes its parts reach.
        var alternatives: [String: [String]] = [:]
        for (key, index) in classOf {
            var found: [String] = []
            var seen: Set<Int> = [index]
            var queue = [index]
            while !queue.isEmpty {
                let current = queue.removeFirst()
                for word in members[current] where Self.key(word) != key && !found.contains(word) { found.append(word) }
                for part in parts[current].sorted() where seen.insert(part).inserted { queue.append(part) }
            }
            if !found.isEmpty { alternatives[key] = found }
        }
        self.init(version: version, sources: sources, alternatives: alternatives)
    }
}

/// What a query word also searches for: the fiscal vocabulary's words, and the classification
/// codes the index's documents print each of those names beside (`行政运行` → every `…01` code
/// named so). Built once per revision (the code names are the revision's).
struct QueryExpansion: Sendable {
    let vocabulary: FiscalVocabulary
    /// Classification name (as `FiscalVocabulary.key` folds it) → its codes, sorted.
    let codesByName: [String: [String]]

    init(vocabulary: FiscalVocabulary, codeNames: [String: String]) {
        self.vocabulary = vocabulary
        var codes: [String: [String]] = [:]
        for (code, name) in codeNames { codes[FiscalVocabulary.key(name), default: []].append(code) }
        codesByName = codes.mapValues { $0.sorted() }
    }

    /// The words `word` also finds, and the codes it and they name; nil when nothing.
    func expand(_ word: String) -> (words: [String], codes: [String])? {
        let words = vocabulary.alternatives(for: word)
        let codes = ([word] + words).flatMap { codesByName[FiscalVocabulary.key($0)] ?? [] }.distinctInOrder
        return words.isEmpty && codes.isEmpty ? nil : (words, codes)
    }
}
