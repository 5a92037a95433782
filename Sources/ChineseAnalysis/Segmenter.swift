import Foundation

/// A word found by segmentation: `count` units starting at unit `first`.
struct WordSpan {
    var first: Int
    var count: Int
}

/// jieba's algorithm: the most probable path through all dictionary words of a run (unigram
/// model, log frequencies), then the HMM for stretches of single characters the dictionary does
/// not know.
struct Segmenter: Sendable {
    let trie: FrozenTrie
    let logTotal: Double
    /// What an unknown single unit costs: a frequency of 1, as in jieba.
    let unknownLogProbability: Double
    let hmm: HMMModel

    /// Shares the lexicon's trie, whose log probabilities are already against its total.
    init(lexicon: Lexicon) {
        logTotal = Lexicon.logTotal(lexicon.totalFrequency)
        trie = lexicon.trie
        unknownLogProbability = -logTotal
        hmm = lexicon.hmm
    }

    /// The log probability of the best split of a key sequence (no HMM).
    func bestLogProbability(keys: [UInt32]) -> Double {
        var route: [Double] = [], next: [Int32] = []
        return bestLogProbability(keys: keys, route: &route, next: &next)
    }

    /// `bestLogProbability(keys:)` with scratch arrays kept by the caller across calls.
    func bestLogProbability(keys: [UInt32], route: inout [Double], next: inout [Int32]) -> Double {
        if route.count < keys.count + 1 {
            route = [Double](repeating: 0, count: keys.count + 1)
            next = [Int32](repeating: 0, count: keys.count + 1)
        }
        fillRoute(keys[...], route: &route, next: &next)
        return route[0]
    }

    /// route[i] = best log probability of keys[i...]; next[i] = end of the first word there.
    @inline(__always)
    private func fillRoute(_ keys: ArraySlice<UInt32>, route: inout [Double], next: inout [Int32]) {
        let n = keys.count
        let base = keys.startIndex
        route[n] = 0
        var i = n - 1
        while i >= 0 {
            var step = trie.step(trie.root, keys[base + i])
            var best = (step.isWord ? Double(step.logProbability) : unknownLogProbability) + route[i + 1]
            var bestEnd = i + 1
            var j = i + 1
            while step.exists, j < n {
                step = trie.step(step, keys[base + j])
                j += 1
                if !step.exists { break }
                let p = Double(step.logProbability)
                if step.isWord, p + route[j] >= best {
                    best = p + route[j]
                    bestEnd = j
                }
            }
            route[i] = best
            next[i] = Int32(bestEnd)
            i -= 1
        }
    }

    /// Words of `units`, in order; every unit belongs to exactly one word.
    func segment(_ units: [Unit], scalars: [UInt32]) -> [WordSpan] {
        var words: [WordSpan] = []
        words.reserveCapacity(units.count)
        var keys = [UInt32](repeating: 0, count: units.count)
        for (i, unit) in units.enumerated() { keys[i] = unit.key }
        var route = [Double](repeating: 0, count: units.count + 1)
        var next = [Int32](repeating: 0, count: units.count + 1)
        var runStart = 0
        while runStart < units.count {
            var runEnd = runStart + 1
            while runEnd < units.count, !units[runEnd].breaksBefore { runEnd += 1 }
            fillRoute(keys[runStart..<runEnd], route: &route, next: &next)
            var i = 0
            var singles = 0  // pending single Han characters, for the HMM
            let length = runEnd - runStart
            while i < length {
                let end = Int(next[i])
                if end - i == 1, units[runStart + i].kind == .han {
                    singles += 1
                } else {
                    flushSingles(&singles, endingAt: runStart + i, keys: keys, into: &words)
                    words.append(WordSpan(first: runStart + i, count: end - i))
                }
                i = end
            }
            flushSingles(&singles, endingAt: runEnd, keys: keys, into: &words)
            runStart = runEnd
        }
        return words
    }

    private func flushSingles(_ count: inout Int, endingAt end: Int, keys: [UInt32], into words: inout [WordSpan]) {
        guard count > 0 else { return }
        let start = end - count
        if count == 1 || trie.isWord(keys[start..<end]) {
            for i in start..<end { words.append(WordSpan(first: i, count: 1)) }
        } else {
            var first = start
            for length in hmm.wordLengths(keys[start..<end]) {
                words.append(WordSpan(first: first, count: length))
                first += length
            }
        }
        count = 0
    }
}
