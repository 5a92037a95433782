import Foundation
import Testing
@testable import ChineseAnalysis

/// An analyzer rebuilt from a stored vocabulary must be the analyzer that learned it.
@Suite struct DomainVocabularyTests {
    /// The corpus texts, read once.
    static let corpusTexts: [String] = {
        guard let dir = try? Lexicon.locateDirectory() else { return [] }
        let corpus = URL(fileURLWithPath: dir).deletingLastPathComponent().appendingPathComponent("corpus")
        let files = (try? FileManager.default.contentsOfDirectory(atPath: corpus.path))?.sorted() ?? []
        return files.filter { $0.hasSuffix(".txt") }.compactMap {
            try? String(contentsOf: corpus.appendingPathComponent($0), encoding: .utf8)
        }
    }()

    /// More names than the fixture, recombined from it, so that tables fill up and move.
    static let manyNames: [String] = {
        var names = corpusNames
        for a in corpusNames {
            for b in corpusNames where a != b {
                let a = Array(a), b = Array(b)
                names.append(String(a.prefix(a.count / 2 + 1)) + String(b.suffix(b.count / 2)))
            }
        }
        return names
    }()

    @Test(arguments: [corpusNames, manyNames])
    func storedVocabularyRebuildsTheSameAnalyzer(names: [String]) throws {
        let lexicon = try Lexicon.loadDefault()
        let learned = Analyzer(lexicon: lexicon, domainNames: names)
        let vocabulary = Analyzer.learnedVocabulary(from: names.reversed(), lexicon: lexicon)
        #expect(vocabulary == learned.vocabulary)
        #expect(vocabulary.wasLearned(with: lexicon))
        #expect(!vocabulary.pieces.isEmpty && !vocabulary.fragments.isEmpty)
        let stored = try #require(DomainVocabularyData(encoded: vocabulary.encoded()))
        #expect(stored == vocabulary)
        let rebuilt = Analyzer(lexicon: lexicon, domainNames: names, vocabulary: stored)
        #expect(rebuilt.domainNames == learned.domainNames)
        #expect(rebuilt.segmenter.trie.image() == learned.segmenter.trie.image())
        #expect(rebuilt.segmenter.logTotal == learned.segmenter.logTotal)
        let texts = Self.corpusTexts.flatMap { $0.split(separator: "\n").map(String.init) } + names
        #expect(texts.count > names.count)
        for text in texts {
            #expect(rebuilt.indexTerms(text) == learned.indexTerms(text))
            #expect(rebuilt.query(for: text) == learned.query(for: text))
        }
    }

    @Test func addingInAnyOrderGivesTheSameLexicon() throws {
        let lexicon = try Lexicon.loadDefault()
        let words = DomainVocabularyTests.manyNames.map { String($0.prefix(6)) }
        let a = lexicon.adding(words: words, boost: 20), b = lexicon.adding(words: words.reversed(), boost: 20)
        #expect(a.isIdentical(to: b))
    }

    @Test func emptyAndForeignVocabularies() throws {
        let lexicon = try Lexicon.loadDefault()
        #expect(DomainVocabularyData(encoded: "") == nil)
        #expect(DomainVocabularyData(encoded: "行政运行\n西城区") == nil)
        let empty = Analyzer.learnedVocabulary(from: [], lexicon: lexicon)
        #expect(DomainVocabularyData(encoded: empty.encoded()) == empty)
        let plain = Analyzer(lexicon: lexicon, vocabulary: empty)
        #expect(plain.indexTerms("西城区视频会议系统") == Analyzer(lexicon: lexicon).indexTerms("西城区视频会议系统"))
        #expect(!DomainVocabularyData(fragments: ["运行维护"], lexiconFingerprint: "0-1").wasLearned(with: lexicon))
    }

    @Test func namesSortAsStrings() {
        let names = DomainVocabularyTests.manyNames + ["ab", "Ab", "a", "行政", "—项目", "“互联网+”", "ｌｅｄ屏", "é", "e\u{301}x", "丰台区"]
        #expect(Analyzer.sortedNames(names) == Array(Set(names)).sorted())
        let fast = names.filter { !$0.unicodeScalars.contains { $0.value >= 0x300 && $0.value < 0x2010 } }
        #expect(Analyzer.sortedNames(fast) == Array(Set(fast)).sorted())
    }
}
