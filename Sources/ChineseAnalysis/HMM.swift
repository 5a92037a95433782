/// jieba's BMES hidden Markov model (finalseg) for runs of characters the dictionary does not
/// know: it guesses where unknown words (names, new terms) begin and end.
struct HMMModel: Sendable, Equatable {
    /// Log probabilities per state: 0 = B (begin), 1 = M (middle), 2 = E (end), 3 = S (single).
    typealias States = SIMD4<Double>

    var start = States(repeating: HMMModel.impossible)
    /// `transition[from][to]`.
    var transition = [States](repeating: States(repeating: HMMModel.impossible), count: 4)
    var emission: [UInt32: States] = [:]

    static let impossible = -3.14e100
    /// States that may precede each state: B and S follow E or S; M and E follow B or M.
    private static let previousStates: [(Int, Int)] = [(2, 3), (0, 1), (0, 1), (3, 2)]

    /// Word lengths (in characters) that split `characters` best.
    func wordLengths(_ characters: ArraySlice<UInt32>) -> [Int] {
        let n = characters.count
        guard n > 1 else { return [n] }
        let unknown = States(repeating: Self.impossible)
        var score = start + (emission[characters[characters.startIndex]] ?? unknown)
        var back = [Int8](repeating: 0, count: n * 4)  // best previous state, per step and state
        for t in 1..<n {
            let emit = emission[characters[characters.startIndex + t]] ?? unknown
            var next = States(repeating: Self.impossible)
            for s in 0..<4 {
                let (a, b) = Self.previousStates[s]
                let viaA = score[a] + transition[a][s], viaB = score[b] + transition[b][s]
                next[s] = max(viaA, viaB) + emit[s]
                back[t * 4 + s] = Int8(viaA >= viaB ? a : b)
            }
            score = next
        }
        var state = score[2] >= score[3] ? 2 : 3
        var lengths: [Int] = []
        var length = 0
        // Walk back from the end; a word ends at each E or S.
        for t in stride(from: n - 1, through: 0, by: -1) {
            if (state == 2 || state == 3), length > 0 {
                lengths.append(length)
                length = 0
            }
            length += 1
            state = Int(back[t * 4 + state])
        }
        lengths.append(length)
        return lengths.reversed()
    }
}
