/// jieba's BMES hidden Markov model (finalseg) for runs of characters the dictionary does not
/// know: it guesses where unknown words (names, new terms) begin and end.
struct HMMModel: Sendable {
    /// States: 0 = B (begin), 1 = M (middle), 2 = E (end), 3 = S (single).
    var start: [Double] = [Double](repeating: HMMModel.impossible, count: 4)
    var transition: [[Double]] = [[Double]](repeating: [Double](repeating: HMMModel.impossible, count: 4), count: 4)
    var emission: [UInt32: [Double]] = [:]

    static let impossible = -3.14e100

    /// Word lengths (in characters) that split `characters` best.
    func wordLengths(_ characters: ArraySlice<UInt32>) -> [Int] {
        let n = characters.count
        guard n > 1 else { return [n] }
        let previousStates: [[Int]] = [[2, 3], [0, 1], [0, 1], [3, 2]]
        let unknown = [Double](repeating: Self.impossible, count: 4)
        var score = [Double](repeating: 0, count: 4)
        var back = [Int8](repeating: 0, count: n * 4)  // best previous state, per step and state
        let first = emission[characters[characters.startIndex]] ?? unknown
        for s in 0..<4 { score[s] = start[s] + first[s] }
        for t in 1..<n {
            let emit = emission[characters[characters.startIndex + t]] ?? unknown
            var next = [Double](repeating: Self.impossible, count: 4)
            for s in 0..<4 {
                var best = -Double.infinity, bestFrom = previousStates[s][0]
                for from in previousStates[s] {
                    let candidate = score[from] + transition[from][s]
                    if candidate > best { best = candidate; bestFrom = from }
                }
                next[s] = best + emit[s]
                back[t * 4 + s] = Int8(bestFrom)
            }
            score = next
        }
        var state = score[2] >= score[3] ? 2 : 3
        var states = [Int](repeating: 0, count: n)
        for t in stride(from: n - 1, through: 0, by: -1) {
            states[t] = state
            state = Int(back[t * 4 + state])
        }
        var lengths: [Int] = []
        var length = 0
        for s in states {
            length += 1
            if s == 2 || s == 3 {
                lengths.append(length)
                length = 0
            }
        }
        if length > 0 { lengths.append(length) }
        return lengths
    }
}
