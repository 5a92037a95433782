/// Words learned from the names in the documents (classification items, departments, units,
/// projects): each name's symbol-free pieces, and word pairs that recur across names
/// (视频会议 + 系统, 运行 + 维护), so long names both stay whole and split into sensible parts.
enum DomainVocabulary {
    /// Longest recurring fragment learned, in units.
    static let maxFragmentLength = 8

    /// Fragments first, then whole pieces; both sorted, so the result depends only on the set of names.
    static func words(from names: [String], normalizer: Normalizer, segmenter: Segmenter)
        -> (fragments: [String], pieces: [String])
    {
        var pieces = Set<[UInt32]>()
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
        var pairNames: [[UInt32]: Int] = [:]
        for piece in pieces {
            Unit.scan(piece, into: &units)
            let words = segmenter.segment(units, scalars: piece)
            var seen = Set<[UInt32]>()
            for (a, b) in zip(words, words.dropFirst()) where a.count + b.count <= maxFragmentLength {
                let isHanPair = (a.first..<(b.first + b.count)).allSatisfy { units[$0].kind == .han }
                guard isHanPair else { continue }
                let pair = Array(piece[Int(units[a.first].start)..<Int(units[b.first + b.count - 1].end)])
                if seen.insert(pair).inserted { pairNames[pair, default: 0] += 1 }
            }
        }
        let fragments = pairNames.filter { $0.value >= 2 && !pieces.contains($0.key) }.keys
        func sortedStrings(_ set: some Sequence<[UInt32]>) -> [String] {
            set.map { String(String.UnicodeScalarView($0.compactMap(Unicode.Scalar.init))) }.sorted()
        }
        return (sortedStrings(fragments), sortedStrings(pieces))
    }
}
