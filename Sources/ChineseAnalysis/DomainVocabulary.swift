/// Words learned from the names in the documents (classification items, departments, units,
/// projects): each name's symbol-free pieces, and word pairs that recur across names
/// (视频会议 + 系统, 运行 + 维护), so long names both stay whole and split into sensible parts.
enum DomainVocabulary {
    /// Longest recurring fragment learned, in units.
    static let maxFragmentLength = 8

    /// Fragments first, then whole pieces; both sorted by scalar values, so the result depends
    /// only on the set of names.
    static func words(from names: [String], normalizer: Normalizer, segmenter: Segmenter)
        -> (fragments: [String], pieces: [String])
    {
        var pieces = Set<[UInt32]>(minimumCapacity: names.count * 2)
        var units: [Unit] = []
        for name in names {
            let text = normalizer.normalize(name)
            Unit.scan(text.scalars, into: &units)
            var pieceStart = 0
            for i in 0...units.count {
                let ends = i == units.count || units[i].kind == .symbol || units[i].breaksBefore
                guard ends else { continue }
                if i - pieceStart >= 2 {
                    pieces.insert(Array(text.scalars[Int(units[pieceStart].start)..<Int(units[i - 1].end)]))
                }
                pieceStart = units.indices.contains(i) && units[i].kind == .symbol ? i + 1 : i
            }
        }
        var pairNames: [[UInt32]: Int] = Dictionary(minimumCapacity: pieces.count * 2)
        var seen: [[UInt32]] = []  // a piece's pairs: a handful, so a list beats a set
        for piece in pieces {
            Unit.scan(piece, into: &units)
            let words = segmenter.segment(units, scalars: piece)
            seen.removeAll(keepingCapacity: true)
            for (a, b) in zip(words, words.dropFirst()) where a.count + b.count <= maxFragmentLength {
                let isHanPair = (a.first..<(b.first + b.count)).allSatisfy { units[$0].kind == .han }
                guard isHanPair else { continue }
                let pair = Array(piece[Int(units[a.first].start)..<Int(units[b.first + b.count - 1].end)])
                if !seen.contains(pair) {
                    seen.append(pair)
                    pairNames[pair, default: 0] += 1
                }
            }
        }
        let fragments = pairNames.filter { $0.value >= 2 && !pieces.contains($0.key) }.keys
        // Sorted by scalar values (the order in which they are added does not change the
        // lexicon: every frequency is computed against the lexicon before, and sums are of integers).
        func sortedStrings(_ set: some Sequence<[UInt32]>) -> [String] {
            set.sorted { $0.lexicographicallyPrecedes($1) }.map { TermText.string($0[...], limit: .max)! }
        }
        return (sortedStrings(fragments), sortedStrings(pieces))
    }
}

/// The words an analyzer learned from domain names (`Analyzer.vocabulary`), in a form to store
/// with an index: `Analyzer(lexicon:domainNames:vocabulary:)` rebuilds the analyzer from it.
public struct DomainVocabularyData: Sendable, Equatable {
    /// Word pairs that recur across names, sorted.
    public var fragments: [String]
    /// The names' symbol-free pieces, normalised, sorted.
    public var pieces: [String]
    /// Identifies the lexicon the words were learned with (its total frequency and word count);
    /// empty when unknown.
    public var lexiconFingerprint: String

    public init(fragments: [String] = [], pieces: [String] = [], lexiconFingerprint: String = "") {
        self.fragments = fragments
        self.pieces = pieces
        self.lexiconFingerprint = lexiconFingerprint
    }

    init(_ words: (fragments: [String], pieces: [String]), lexicon: Lexicon) {
        self.init(fragments: words.fragments, pieces: words.pieces, lexiconFingerprint: Self.fingerprint(of: lexicon))
    }

    static func fingerprint(of lexicon: Lexicon) -> String {
        String(lexicon.totalFrequency.bitPattern, radix: 16) + "-" + String(lexicon.wordCount)
    }

    /// Whether the words were learned with a lexicon like `lexicon` (same total frequency and
    /// word count): if not, learn again from the names.
    public func wasLearned(with lexicon: Lexicon) -> Bool {
        lexiconFingerprint == Self.fingerprint(of: lexicon)
    }

    private static let header = "gongkai-domain-vocabulary 1"

    /// Text for index metadata: a header line, the fingerprint, the number of fragments, then
    /// one word per line (fragments, then pieces). Words hold no line breaks.
    public func encoded() -> String {
        ([Self.header, lexiconFingerprint, String(fragments.count)] + fragments + pieces).joined(separator: "\n")
    }

    /// Decodes `encoded()`; nil for anything else (an empty or older value).
    public init?(encoded: String) {
        // By bytes: splitting by Character is several times slower on 30,000 lines.
        let lines = encoded.utf8.split(separator: 0x0A, omittingEmptySubsequences: false)
            .map { String(decoding: $0, as: UTF8.self) }
        guard lines.count >= 3, lines[0] == Self.header, let count = Int(lines[2]), count >= 0,
              count <= lines.count - 3 else { return nil }
        let words = lines.dropFirst(3)
        self.init(fragments: Array(words.prefix(count)), pieces: Array(words.dropFirst(count)),
                  lexiconFingerprint: String(lines[1]))
    }
}
