import Foundation
import Testing
@testable import ChineseAnalysis

/// The compiled dictionary and the in-place trie edits must give exactly what the text
/// dictionaries and a trie built from scratch give.
@Suite struct CompiledLexiconTests {
    @Test func compiledFileIsCurrent() throws {
        #expect(try Lexicon.compiledFileIsCurrent(),
                "Index/dictionaries/lexicon.bin is stale: run `gongkai segment --compile-dictionary`")
    }

    @Test func compiledFileLoadsTheTextLexicon() throws {
        let compiled = try Lexicon.load()
        let text = try Lexicon.loadText()
        #expect(compiled.isCompiled)
        #expect(!text.isCompiled)
        #expect(compiled.wordCount == text.wordCount)
        #expect(compiled.isIdentical(to: text))
        // Compiling is deterministic: the text lexicon compiles to the committed bytes.
        let dir = try Lexicon.locateDirectory()
        let file = try #require(FileManager.default.contents(atPath: dir + "/" + Lexicon.compiledFile))
        #expect(try text.compiledBytes(sources: Lexicon.sourceFingerprints(directory: dir)) == Array(file))
    }

    @Test func inPlaceInsertsMatchATrieBuiltFromScratch() throws {
        var generator = SplitMix(seed: 42)
        var words = WordTrie()
        var image = TrieImage()
        image.append(key: 0, frequencyIndex: 0, childCount: 0)
        var trie = try #require(FrozenTrie(image, logTotal: 0))
        var total = 0.0
        for round in 0..<3 {
            for _ in 0..<3000 {
                // Few distinct keys, so that tables fill up and move.
                let keys = (0..<(1 + Int(generator.next() % 5))).map { _ in 0x4E00 + UInt32(generator.next() % 40) }
                let frequency = Double(1 + generator.next() % 1000)
                let oldWords = words.insert(keys, frequency: frequency)
                let oldFrozen = trie.insert(keys, frequency: frequency)
                #expect(oldWords == oldFrozen)
                total += max(oldWords, frequency) - oldWords
            }
            let logTotal = Lexicon.logTotal(total)
            trie.rebase(logTotal: logTotal)
            #expect(trie.image() == words.image(), "round \(round)")
            #expect(trie.wordCount == words.wordCount)
            let fresh = try #require(FrozenTrie(words.image(), logTotal: logTotal))
            expectSameWalks(trie, fresh, image: words.image())
        }
    }

    @Test func addingWordsMatchesRebuilding() throws {
        let base = try Lexicon.load()
        let added = base.adding(words: corpusNames + ["视频会议系统", "一网通办", "zz测试词"])
        let rebuilt = try #require(FrozenTrie(added.trie.image(), logTotal: Lexicon.logTotal(added.totalFrequency)))
        #expect(added.wordCount > base.wordCount)
        #expect(added.trie.frequency(of: "一网通办".unicodeScalars.map(\.value)) > 0)
        // The base lexicon is unchanged.
        #expect(base.isIdentical(to: try Lexicon.loadText()))
        let text = "西城区视频会议系统运行维护项目丰台区2020年“互联网+政务服务”一网通办项目，zz测试词。"
        let fresh = Lexicon(normalizer: added.normalizer, trie: rebuilt, totalFrequency: added.totalFrequency, hmm: added.hmm)
        let a = Analyzer(lexicon: added), b = Analyzer(lexicon: fresh)
        #expect(a.segment(text) == b.segment(text))
        #expect(a.indexTerms(text) == b.indexTerms(text))
    }

    /// Every word and prefix of `image` walks to the same step in both tries.
    private func expectSameWalks(_ a: FrozenTrie, _ b: FrozenTrie, image: TrieImage) {
        var stack: [(FrozenTrie.Step, FrozenTrie.Step, UInt32)] = [(a.root, b.root, image.childCounts[0])]
        for i in 1..<image.nodeCount {
            while stack.last!.2 == 0 { stack.removeLast() }
            stack[stack.count - 1].2 -= 1
            let (pa, pb, _) = stack.last!
            let sa = a.step(pa, image.keys[i]), sb = b.step(pb, image.keys[i])
            #expect(sa.exists && sb.exists)
            #expect(sa.logProbability == sb.logProbability)
            if image.childCounts[i] > 0 { stack.append((sa, sb, image.childCounts[i])) }
        }
        #expect(!a.step(a.root, 0x4E00 + 41).exists)
    }
}

struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Where the daemon finds its dictionaries: installed, copied, in a checkout, overridden.
@Suite struct DictionaryLookupTests {
    @Test func anInstalledBinaryLooksBesideItselfThenInTheCheckoutThenWhereThePackagePutsThem() {
        let path = Lexicon.searchPath(explicit: nil, environment: [:], executable: "/usr/bin/gongkai", currentDirectory: "/srv/x")
        #expect(path == ["/usr/share/gongkai/dictionaries", "/usr/bin/Index/dictionaries", "/usr/Index/dictionaries",
                         "/Index/dictionaries", "/usr/local/share/gongkai/dictionaries", "/srv/x/Index/dictionaries",
                         "/srv/Index/dictionaries"])
        let local = Lexicon.searchPath(explicit: nil, environment: ["GONGKAI_DICTIONARY_DIR": ""], executable: "/usr/local/bin/gongkai",
                                       currentDirectory: "/")
        #expect(local.first == "/usr/local/share/gongkai/dictionaries")
        #expect(local.contains("/usr/share/gongkai/dictionaries"))
    }

    @Test func anOverrideIsTheOnlyPlaceLookedIn() {
        #expect(Lexicon.searchPath(explicit: nil, environment: ["GONGKAI_DICTIONARY_DIR": "/opt/d"], executable: "/usr/bin/gongkai",
                                   currentDirectory: "/") == ["/opt/d"])
        #expect(Lexicon.searchPath(explicit: "/e", environment: ["GONGKAI_DICTIONARY_DIR": "/opt/d"], executable: "/usr/bin/gongkai",
                                   currentDirectory: "/") == ["/e"])
    }

    @Test func theErrorNamesEveryPathTried() throws {
        let missing = NSTemporaryDirectory() + "no-dictionaries-" + UUID().uuidString.prefix(8)
        #expect {
            try Lexicon.locateDirectory(explicit: missing)
        } throws: { error in
            let text = "\(error)"
            return text.contains("tried, in order: \(missing).") && text.contains("GONGKAI_DICTIONARY_DIR")
        }
    }
}
