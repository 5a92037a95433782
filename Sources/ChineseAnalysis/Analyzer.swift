import Foundation

/// A term with its word position, as the indexer stores it.
public struct IndexTerm: Sendable, Equatable, CustomStringConvertible {
    public var term: String
    public var position: UInt32

    public init(_ term: String, _ position: UInt32) {
        self.term = term
        self.position = position
    }

    public var description: String { "\(term)@\(position)" }
}

/// What a piece of query text must match, in terms the index holds. The searcher maps this
/// one-to-one onto Xapian queries, so the analyzer alone decides which terms stand for a text.
public indirect enum TermQuery: Sendable, Equatable {
    case term(String)
    /// Terms at consecutive positions.
    case phrase([String])
    case all([TermQuery])
    case any([TermQuery])
    /// Multiplies the weight of the inner query (whole-word matches over joined characters).
    case boosted(TermQuery, Double)
}

/// Normalises, segments and turns Chinese text into index and query terms. The indexer and the
/// query side share one instance so that both see the same terms.
public final class Analyzer: Sendable {
    public init() {}

    /// Full-width ASCII to half-width, lower case.
    public func normalize(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            var v = scalar.value
            if (0xFF01...0xFF5E).contains(v) { v -= 0xFEE0 }
            if v == 0x3000 { v = 0x20 }
            if (0x41...0x5A).contains(v) { v += 0x20 }
            out.append(Unicode.Scalar(v) ?? scalar)
        }
        return String(out)
    }

    /// The text's words, for `gongkai segment`.
    public func segment(_ text: String) -> [String] {
        Self.runs(normalize(text)).flatMap { run -> [String] in
            run.isCJK ? run.text.map { String($0) } : [run.text]
        }
    }

    /// Terms for the index: each CJK character and each overlapping CJK bigram at the
    /// character's position, each ASCII word or number whole.
    public func indexTerms(_ text: String) -> [IndexTerm] {
        var terms: [IndexTerm] = []
        var position: UInt32 = 0
        for run in Self.runs(normalize(text)) {
            if run.isCJK {
                let chars = Array(run.text)
                for (i, ch) in chars.enumerated() {
                    position += 1
                    terms.append(IndexTerm(String(ch), position))
                    if i + 1 < chars.count {
                        terms.append(IndexTerm(String(ch) + String(chars[i + 1]), position))
                    }
                }
            } else {
                position += 1
                terms.append(IndexTerm(run.text, position))
            }
        }
        return terms
    }

    /// The query for one query word (a run of text with no operators), or nil when it holds no
    /// searchable characters.
    public func query(for text: String) -> TermQuery? {
        var parts: [TermQuery] = []
        for run in Self.runs(normalize(text)) {
            if run.isCJK {
                let chars = Array(run.text)
                if chars.count == 1 {
                    parts.append(.term(String(chars[0])))
                } else {
                    let bigrams = (0..<chars.count - 1).map { String(chars[$0]) + String(chars[$0 + 1]) }
                    parts.append(bigrams.count == 1 ? .term(bigrams[0]) : .phrase(bigrams))
                }
            } else {
                parts.append(.term(run.text))
            }
        }
        if parts.isEmpty { return nil }
        return parts.count == 1 ? parts[0] : .phrase(parts.flatMap { part -> [String] in
            switch part {
            case .term(let t): return [t]
            case .phrase(let ts): return ts
            default: return []
            }
        })
    }

    /// Ranges of `text` where a query word occurs, for highlighting snippets.
    public func highlightRanges(in text: String, for queryWords: [String]) -> [Range<String.Index>] {
        let folded = normalize(text)
        guard folded.count == text.count else { return [] }
        var ranges: [Range<String.Index>] = []
        for word in queryWords.map(normalize) where !word.isEmpty {
            var searchStart = folded.startIndex
            while let r = folded.range(of: word, range: searchStart..<folded.endIndex) {
                let lower = text.index(text.startIndex, offsetBy: folded.distance(from: folded.startIndex, to: r.lowerBound))
                let upper = text.index(lower, offsetBy: folded.distance(from: r.lowerBound, to: r.upperBound))
                ranges.append(lower..<upper)
                searchStart = r.upperBound
            }
        }
        return ranges.sorted { $0.lowerBound < $1.lowerBound }
    }

    struct Run {
        var text: String
        var isCJK: Bool
    }

    static func isCJK(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xF900...0xFAFF, 0x20000...0x2FA1F: return true
        default: return false
        }
    }

    static func isWordScalar(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.isAlphabetic || scalar.properties.numericType != nil
    }

    /// Splits text into CJK runs and runs of other letters and digits; drops the rest.
    static func runs(_ text: String) -> [Run] {
        var runs: [Run] = []
        var current = String.UnicodeScalarView()
        var currentIsCJK = false
        func flush() {
            if !current.isEmpty { runs.append(Run(text: String(current), isCJK: currentIsCJK)) }
            current = String.UnicodeScalarView()
        }
        for scalar in text.unicodeScalars {
            if isCJK(scalar) {
                if !currentIsCJK { flush() }
                currentIsCJK = true
                current.append(scalar)
            } else if isWordScalar(scalar) {
                if currentIsCJK { flush() }
                currentIsCJK = false
                current.append(scalar)
            } else {
                flush()
            }
        }
        flush()
        return runs
    }
}
