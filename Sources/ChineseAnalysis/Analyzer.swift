import Foundation

/// A term as the indexer stores it: at a word position, or (word terms) without one.
public struct IndexTerm: Sendable, Equatable, CustomStringConvertible {
    public var term: String
    /// From 1; nil for a term that only says the text holds it (Xapian `add_term`).
    public var position: UInt32?

    public init(_ term: String, _ position: UInt32?) {
        self.term = term
        self.position = position
    }

    public var description: String { position.map { "\(term)@\($0)" } ?? term }
}

/// What a piece of query text must match, in terms the index holds. The searcher maps this
/// one-to-one onto Xapian queries, so the analyzer alone decides which terms stand for a text.
public indirect enum TermQuery: Sendable, Equatable {
    case term(String)
    /// Any term that starts with this text: a Han character whatever follows it (the searcher
    /// expands it from the index's terms).
    case anyStartingWith(String)
    /// `.term`s and `.anyStartingWith`s at consecutive positions.
    case phrase([TermQuery])
    case all([TermQuery])
    case any([TermQuery])
    /// Multiplies the weight of the inner query (whole-word matches over joined characters).
    case boosted(TermQuery, Double)
    /// Matches what the first query matches; those that also match `bonus` weigh more.
    case withBonus(TermQuery, bonus: TermQuery)
}

/// Normalises, segments and turns Chinese text into index and query terms. The indexer and the
/// query side share one instance so that both see the same terms; see Index/TOKENIZATION.md.
/// Immutable, so one instance serves any number of threads.
public final class Analyzer: Sendable {
    /// Prefix of the character terms (single Han characters and Han bigrams), which keeps them
    /// apart from word terms of the same spelling so whole words can rank higher.
    public static let characterTermPrefix = "#"
    /// Weight factor of the word-aligned part of a query.
    public static let wordBoost = 2.0
    /// How much more likely than jieba's suggested frequency a learned domain word is.
    static let domainWordBoost = 20.0
    /// Xapian's term length limit is 245 bytes; longer terms are not generated.
    static let maxTermBytes = 240

    /// The general lexicon, before domain words.
    public let baseLexicon: Lexicon
    /// The names the domain vocabulary was learned from: sorted, without duplicates. Store these
    /// with the index; `Analyzer(lexicon:domainNames:)` with the same names rebuilds this analyzer.
    /// Empty when the analyzer was made from a stored vocabulary without its names.
    public let domainNames: [String]
    /// The words learned from `domainNames`. Store `vocabulary.encoded()` with the index too:
    /// `Analyzer(lexicon:domainNames:vocabulary:)` rebuilds this analyzer from it without
    /// learning again, which is most of the time learning takes.
    public let vocabulary: DomainVocabularyData
    let normalizer: Normalizer
    let segmenter: Segmenter
    /// `#` + character for U+3400…U+9FFF, made once: every Han character of every text needs one.
    private let characterTerms: [String]
    private static let characterTermRange: ClosedRange<UInt32> = 0x3400...0x9FFF
    /// `characterTerms`, shared by all analyzers of the process.
    private static let sharedCharacterTerms = characterTermRange.map { TermText.character($0) }

    /// Learns the domain vocabulary of `domainNames` (in any order, duplicates ignored).
    public convenience init(lexicon: Lexicon, domainNames: [String] = []) {
        let names = Self.sortedNames(domainNames)
        let general = Segmenter(lexicon: lexicon)
        let vocabulary = names.isEmpty ? DomainVocabularyData()
            : DomainVocabularyData(DomainVocabulary.words(from: names, normalizer: lexicon.normalizer, segmenter: general),
                                   lexicon: lexicon)
        self.init(lexicon: lexicon, names: names, vocabulary: vocabulary, general: general)
    }

    /// The analyzer that `Analyzer(lexicon:domainNames:)` makes, from the vocabulary it learned
    /// (`vocabulary`, or `learnedVocabulary(from:lexicon:)`), without learning it again.
    /// `domainNames` are only kept (for `domainNames` and `learning(names:)`): pass the names
    /// the vocabulary was learned from, or none. Check `vocabulary.wasLearned(with: lexicon)`
    /// first when the lexicon may have changed since.
    public convenience init(lexicon: Lexicon, domainNames: [String] = [], vocabulary: DomainVocabularyData) {
        self.init(lexicon: lexicon, names: Self.sortedNames(domainNames), vocabulary: vocabulary, general: nil)
    }

    private init(lexicon: Lexicon, names: [String], vocabulary: DomainVocabularyData, general: Segmenter?) {
        baseLexicon = lexicon
        normalizer = lexicon.normalizer
        domainNames = names
        self.vocabulary = vocabulary
        characterTerms = Self.sharedCharacterTerms
        if vocabulary.fragments.isEmpty && vocabulary.pieces.isEmpty {
            segmenter = general ?? Segmenter(lexicon: lexicon)
        } else {
            // Fragments first; the pieces' frequencies are then computed against the lexicon
            // with the fragments (the trie is copied once and edited in place).
            var learned = lexicon
            learned.reserveCapacity(forKeys: (vocabulary.fragments + vocabulary.pieces).reduce(0) { $0 + $1.unicodeScalars.count })
            learned.add(words: vocabulary.fragments, boost: Self.domainWordBoost, segmenter: general)
            learned.add(words: vocabulary.pieces, boost: Self.domainWordBoost)
            segmenter = Segmenter(lexicon: learned)
        }
    }

    /// The names without duplicates or empty ones, in `String` order.
    static func sortedNames(_ names: [String]) -> [String] {
        // Names read from an index come sorted and unique already: checking is far cheaper
        // than hashing them (String hashes the NFC form).
        func ownNFC(_ name: String) -> Bool { !name.isEmpty && name.unicodeScalars.allSatisfy { isOwnNFC($0.value) } }
        if names.allSatisfy(ownNFC), zip(names, names.dropFirst()).allSatisfy({ $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
            return names
        }
        let unique = Array(Set(names.filter { !$0.isEmpty }))
        // String's < compares the NFC forms; for text that is its own NFC form that is the
        // order of the UTF-8 bytes, which is many times faster to compare.
        guard unique.allSatisfy({ $0.unicodeScalars.allSatisfy { isOwnNFC($0.value) } }) else { return unique.sorted() }
        var keyed = unique.map { (bytes: Array($0.utf8), name: $0) }
        keyed.sort { $0.bytes.lexicographicallyPrecedes($1.bytes) }
        return keyed.map(\.name)
    }

    /// Scalars that are unchanged by NFC and never compose with their neighbours: below the
    /// combining marks, general punctuation dashes and quotes, CJK punctuation, unified
    /// ideographs, full-width ASCII.
    private static func isOwnNFC(_ v: UInt32) -> Bool {
        switch v {
        case 0..<0x300, 0x2010...0x2027, 0x3000...0x3029, 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xFF01...0xFF5E: return true
        default: return false
        }
    }

    /// The vocabulary `Analyzer(lexicon: lexicon, domainNames: names)` learns, to store with an
    /// index (`encoded()`) instead of learning it again at every start.
    public static func learnedVocabulary(from names: [String], lexicon: Lexicon) -> DomainVocabularyData {
        let names = sortedNames(names)
        guard !names.isEmpty else { return DomainVocabularyData() }
        let learned = DomainVocabulary.words(from: names, normalizer: lexicon.normalizer, segmenter: Segmenter(lexicon: lexicon))
        return DomainVocabularyData(learned, lexicon: lexicon)
    }

    /// An analyzer over the default dictionaries (`Lexicon.loadDefault()`).
    public static func standard(domainNames: [String] = []) throws -> Analyzer {
        Analyzer(lexicon: try Lexicon.loadDefault(), domainNames: domainNames)
    }

    /// This analyzer's domain names plus `names`, learned again from scratch (same names in any
    /// order give the same analyzer).
    public func learning(names: [String]) -> Analyzer {
        Analyzer(lexicon: baseLexicon, domainNames: domainNames + names)
    }

    // MARK: Normalisation and segmentation

    /// Half-width ASCII, lower case, Simplified Chinese, unified punctuation, split numbers and
    /// words rejoined.
    public func normalize(_ text: String) -> String {
        TermText.string(normalizer.normalize(text).scalars[...], limit: .max)!
    }

    /// The text's words, in normalised spelling.
    public func segment(_ text: String) -> [String] {
        let analysed = analyse(text)
                return analysed.words.map { word in
            TermText.string(analysed.text.scalars[analysed.scalarRange(of: word)], limit: .max)!
        }
    }

    /// The text's words in the original characters (no normalisation), as segmentation
    /// benchmarks want them; whitespace is left out.
    public func segmentKeepingOriginal(_ text: String) -> [String] {
        let analysed = analyse(text)
        let original = Array(text.unicodeScalars)
        return analysed.words.map { word in
            let range = analysed.scalarRange(of: word)
            let from = Int(analysed.text.origins[range.lowerBound])
            let to = Int(analysed.text.origins[range.upperBound - 1]) + 1
            var out = String.UnicodeScalarView()
            for scalar in original[from..<to] where !CharacterClass.isSpace(normalizer.map(scalar.value)) {
                out.append(scalar)
            }
            return String(out)
        }
    }

    struct Analysed {
        var text: NormalizedText
        var units: [Unit]
        var words: [WordSpan]

        func scalarRange(of word: WordSpan) -> Range<Int> {
            Int(units[word.first].start)..<Int(units[word.first + word.count - 1].end)
        }

        /// Whether a word holds a Han character, number or Latin word: a run of symbols
        /// segmented as a word is not searchable text.
        func holdsText(_ word: WordSpan) -> Bool {
            units[word.first..<(word.first + word.count)].contains { $0.kind != .symbol }
        }
    }

    func analyse(_ text: String) -> Analysed {
        let normalized = normalizer.normalize(text)
        var units: [Unit] = []
        Unit.scan(normalized.scalars, into: &units)
        return Analysed(text: normalized, units: units, words: segmenter.segment(units, scalars: normalized.scalars))
    }

    // MARK: Index terms

    /// Terms for the index. Every Han character, number and Latin word takes one position
    /// (from 1); punctuation and spaces take none. At a Han character's position: `#` + the
    /// character and the next one when that is Han too, else `#` + the character. At a number or
    /// Latin word: the token itself. Without a position: each word of two or more units, and each
    /// dictionary word inside a word of three or more units.
    public func indexTerms(_ text: String) -> [IndexTerm] {
        let analysed = analyse(text)
        let scalars = analysed.text.scalars
        let units = analysed.units
        var terms: [IndexTerm] = []
        terms.reserveCapacity(units.count * 2)
        let positions = Self.positions(of: units)
        for (u, unit) in units.enumerated() {
            guard positions[u] > 0 else { continue }
            let position = positions[u]
            switch unit.kind {
            case .han:
                let c = scalars[Int(unit.start)]
                if let partner = Self.bigramPartner(of: u, in: units) {
                    terms.append(IndexTerm(TermText.character(c, scalars[Int(units[partner].start)]), position))
                } else {
                    terms.append(IndexTerm(characterTerm(c), position))
                }
            case .number, .word:
                terms.append(IndexTerm(TermText.token(scalars[Int(unit.start)..<Int(unit.end)]), position))
            case .symbol:
                break
            }
        }
        for word in analysed.words where word.count >= 2 {
            appendWordTerms(word, analysed: analysed, into: &terms)
        }
        return terms
    }

    private func appendWordTerms(_ word: WordSpan, analysed: Analysed, into terms: inout [IndexTerm]) {
        let scalars = analysed.text.scalars
        let units = analysed.units
        let end = word.first + word.count
        guard analysed.holdsText(word) else { return }
        if let term = TermText.string(scalars[analysed.scalarRange(of: word)]) {
            terms.append(IndexTerm(term, nil))
        }
        guard word.count >= 3 else { return }
        for start in word.first..<(end - 1) where units[start].kind != .symbol {
            var step = segmenter.trie.root
            var next = start
            while next < end {
                step = segmenter.trie.step(step, units[next].key)
                next += 1
                if !step.exists { break }
                let isInner = next - start >= 2 && !(start == word.first && next == end)
                if isInner, step.isWord,
                   let term = TermText.string(scalars[Int(units[start].start)..<Int(units[next - 1].end)]) {
                    terms.append(IndexTerm(term, nil))
                }
            }
        }
    }

    /// The Han unit that follows the Han unit `u` in a bigram: the next unit when it is Han with
    /// no space between, or the Han unit right after quotation marks, which disclosures put inside
    /// terms (“三公”经费 is searched as 三公经费).
    static func bigramPartner(of u: Int, in units: [Unit]) -> Int? {
        var next = u + 1
        while next < units.count, units[next].kind == .symbol, !units[next].breaksBefore,
              units[next].key == 0x22 || units[next].key == 0x27 {
            next += 1
        }
        guard next < units.count, units[next].kind == .han, !units[next].breaksBefore else { return nil }
        return next
    }

    private func characterTerm(_ c: UInt32) -> String {
        Self.characterTermRange.contains(c)
            ? characterTerms[Int(c - Self.characterTermRange.lowerBound)] : TermText.character(c)
    }

    /// Position of each unit (from 1), 0 for punctuation and symbols.
    static func positions(of units: [Unit]) -> [UInt32] {
        var positions = [UInt32](repeating: 0, count: units.count)
        var position: UInt32 = 0
        for (i, unit) in units.enumerated() where unit.kind != .symbol {
            position += 1
            positions[i] = position
        }
        return positions
    }

    // MARK: Queries

    /// The query for one query word or quoted phrase (no operators), or nil when it holds no
    /// searchable characters. It matches exactly the texts that contain the normalised text at
    /// consecutive positions (punctuation ignored); texts that also hold the query's words as
    /// words weigh more.
    public func query(for text: String) -> TermQuery? {
        let analysed = analyse(text)
        let scalars = analysed.text.scalars
        let units = analysed.units
        let positions = Self.positions(of: units)
        let positioned = units.indices.filter { positions[$0] > 0 }
        guard !positioned.isEmpty else { return nil }

        // One query per position: the bigram starting there when the query holds the next Han
        // character too; a Han character the query ends (or breaks) after may be followed by
        // anything in a text, so any of its terms.
        var recall: [TermQuery] = []
        var lastIsInBigram = false
        for (k, u) in positioned.enumerated() {
            let unit = units[u]
            if unit.kind == .han {
                let c = scalars[Int(unit.start)]
                if k + 1 < positioned.count, let partner = Self.bigramPartner(of: u, in: units), positioned[k + 1] == partner {
                    recall.append(.term(TermText.character(c, scalars[Int(units[partner].start)])))
                    lastIsInBigram = k + 1 == positioned.count - 1
                } else {
                    recall.append(.anyStartingWith(characterTerm(c)))
                }
            } else {
                recall.append(.term(TermText.token(scalars[Int(unit.start)..<Int(unit.end)])))
            }
        }
        // The last Han character is already inside the bigram before it.
        if lastIsInBigram { recall.removeLast() }
        let recallQuery: TermQuery = recall.count == 1 ? recall[0] : .phrase(recall)

        var words: [TermQuery] = []
        for word in analysed.words where word.count >= 2 {
            guard analysed.holdsText(word),
                  let term = TermText.string(scalars[analysed.scalarRange(of: word)]),
                  !words.contains(.term(term)) else { continue }
            words.append(.term(term))
        }
        guard !words.isEmpty else { return recallQuery }
        return .withBonus(recallQuery, bonus: .boosted(words.count == 1 ? words[0] : .all(words), Self.wordBoost))
    }

    /// Whether every text indexed with the word term `word` holds the phrase of `bigrams` (terms
    /// at consecutive positions): true when the word is Han characters only and the bigrams are
    /// its own, pair by pair. A word term is the text's own scalars, and segmentation never joins
    /// across whitespace, so such a word's characters stand at consecutive positions, each in a
    /// bigram with the next. A phrase need not read the positions of the texts that hold the word.
    public static func wordTermHoldsPhrase(_ word: String, bigrams: [String]) -> Bool {
        let scalars = word.unicodeScalars.map(\.value)
        guard scalars.count == bigrams.count + 1, scalars.allSatisfy(CharacterClass.isHan) else { return false }
        return bigrams.indices.allSatisfy { bigrams[$0] == TermText.character(scalars[$0], scalars[$0 + 1]) }
    }

    // MARK: Highlighting

    /// Ranges of `text` where a query word occurs (compared after normalisation, ignoring
    /// whitespace), each covering the whole matched substring; overlapping ranges are merged.
    public func highlightRanges(in text: String, for queryWords: [String]) -> [Range<String.Index>] {
        highlightRanges(in: text, needles: highlightNeedles(queryWords))
    }

    /// Query words in the form `highlightRanges(in:needles:)` looks for: normalised, without
    /// spaces, without repeats, found by their first character. Made once per query, not per hit.
    public func highlightNeedles(_ queryWords: [String]) -> HighlightNeedles {
        var needles = HighlightNeedles()
        for word in queryWords {
            let needle = normalizer.normalize(word).scalars.filter { $0 != 0x20 }
            guard let first = needle.first, !needles.words.contains(needle) else { continue }
            needles.byFirstScalar[first, default: []].append(needles.words.count)
            needles.words.append(needle)
            needles.firstScalarBits |= HighlightNeedles.bit(first)
        }
        return needles
    }

    public func highlightRanges(in text: String, needles: HighlightNeedles) -> [Range<String.Index>] {
        guard !needles.words.isEmpty else { return [] }
        let normalized = normalizer.normalize(text)
        var haystack: [UInt32] = [], origins: [Int32] = []
        haystack.reserveCapacity(normalized.scalars.count)
        origins.reserveCapacity(normalized.scalars.count)
        for (i, v) in normalized.scalars.enumerated() where v != 0x20 {
            haystack.append(v)
            origins.append(normalized.origins[i])
        }
        var spans: [(Int, Int)] = []  // original scalar offsets, half-open
        // One pass over the text, trying only the words that start with the character at hand
        // (most characters start none: one bit test says so); a match is not looked into again
        // by the same word.
        var resumeAt = [Int](repeating: 0, count: needles.words.count)
        for i in haystack.indices {
            let v = haystack[i]
            guard needles.firstScalarBits & HighlightNeedles.bit(v) != 0, let candidates = needles.byFirstScalar[v] else { continue }
            for n in candidates {
                let needle = needles.words[n]
                guard i + needle.count <= haystack.count, i >= resumeAt[n],
                      haystack[i..<(i + needle.count)].elementsEqual(needle) else { continue }
                spans.append((Int(origins[i]), Int(origins[i + needle.count - 1]) + 1))
                resumeAt[n] = i + needle.count
            }
        }
        guard !spans.isEmpty else { return [] }
        spans.sort { $0.0 < $1.0 }
        var merged: [(Int, Int)] = []
        for span in spans {
            if let last = merged.last, span.0 <= last.1 {
                merged[merged.count - 1].1 = max(last.1, span.1)
            } else {
                merged.append(span)
            }
        }
        // Scalar offsets to indices in one walk, only as far as the last span.
        let scalars = text.unicodeScalars
        var index = scalars.startIndex
        var offset = 0
        func advance(to target: Int) -> String.Index {
            while offset < target && index < scalars.endIndex {
                scalars.formIndex(after: &index)
                offset += 1
            }
            return index
        }
        return merged.map { span in
            let lower = advance(to: span.0)
            return lower..<advance(to: span.1)
        }
    }


}

/// Query words ready for highlighting, grouped by their first (normalised) character.
public struct HighlightNeedles: Sendable {
    var words: [[UInt32]] = []
    /// Indices into `words`.
    var byFirstScalar: [UInt32: [Int]] = [:]
    /// One bit per first character (by its low 6 bits): a character whose bit is clear starts no word.
    var firstScalarBits: UInt64 = 0

    static func bit(_ scalar: UInt32) -> UInt64 { 1 << UInt64(scalar & 63) }
}

/// Builds term strings by writing UTF-8 straight into the new string's storage: term generation
/// makes several strings per character, so it avoids intermediate arrays and concatenation.
enum TermText {
    /// `#` + one or two characters.
    static func character(_ c: UInt32, _ next: UInt32? = nil) -> String {
        String(unsafeUninitializedCapacity: 9) { buffer in
            buffer[0] = 0x23
            var count = 1
            encode(c, into: buffer, at: &count)
            if let next { encode(next, into: buffer, at: &count) }
            return count
        }
    }

    /// The scalars as a string, or nil when longer than `limit` UTF-8 bytes.
    static func string(_ scalars: ArraySlice<UInt32>, limit: Int = Analyzer.maxTermBytes) -> String? {
        let text = String(unsafeUninitializedCapacity: scalars.count * 4) { buffer in
            var count = 0
            for v in scalars { encode(v, into: buffer, at: &count) }
            return count
        }
        return text.utf8.count <= limit ? text : nil
    }

    /// A number or Latin word, cut to the term length limit (at a character boundary).
    static func token(_ scalars: ArraySlice<UInt32>) -> String {
        var end = scalars.startIndex, bytes = 0
        while end < scalars.endIndex {
            let v = scalars[end]
            bytes += v < 0x80 ? 1 : v < 0x800 ? 2 : v < 0x10000 ? 3 : 4
            if bytes > Analyzer.maxTermBytes { break }
            end += 1
        }
        return string(scalars[scalars.startIndex..<end], limit: .max)!
    }

    private static func encode(_ v: UInt32, into buffer: UnsafeMutableBufferPointer<UInt8>, at i: inout Int) {
        switch v {
        case 0..<0x80:
            buffer[i] = UInt8(v)
            i += 1
        case 0x80..<0x800:
            buffer[i] = UInt8(0xC0 | (v >> 6))
            buffer[i + 1] = UInt8(0x80 | (v & 0x3F))
            i += 2
        case 0x800..<0x10000:
            buffer[i] = UInt8(0xE0 | (v >> 12))
            buffer[i + 1] = UInt8(0x80 | ((v >> 6) & 0x3F))
            buffer[i + 2] = UInt8(0x80 | (v & 0x3F))
            i += 3
        default:
            buffer[i] = UInt8(0xF0 | (v >> 18))
            buffer[i + 1] = UInt8(0x80 | ((v >> 12) & 0x3F))
            buffer[i + 2] = UInt8(0x80 | ((v >> 6) & 0x3F))
            buffer[i + 3] = UInt8(0x80 | (v & 0x3F))
            i += 4
        }
    }
}
