import Foundation

/// Merges segments of consecutive docid ranges into one, leaving out deleted documents, as
/// Xapian's compactor merges databases. A source may be moved by a docid offset (the parts of a
/// parallel build, renumbered by the compactor).
enum SegmentMerger {
    struct Source {
        let segment: Segment
        /// Added to the segment's docids.
        let offset: UInt32
        /// Documents taken from the segment's start: a part's segment may hold documents its
        /// database never committed (the build was killed between writing the two).
        var span: Int

        init(segment: Segment, offset: UInt32, span: Int? = nil) {
            self.segment = segment
            self.offset = offset
            self.span = min(span ?? segment.span, segment.span)
        }

        var first: UInt32 { segment.firstDocid + offset }
    }

    static func merge(_ sources: [Source], deleted: Set<UInt32>, into path: String, sync: Bool) throws {
        let sources = sources.sorted { $0.first < $1.first }
        guard let firstSource = sources.first else { throw SideStoreError.corrupt("nothing to merge") }
        let first = firstSource.first
        let end = sources.map { $0.first + UInt32($0.span) }.max()!
        for (a, b) in zip(sources, sources.dropFirst()) where a.first + UInt32(a.span) > b.first {
            throw SideStoreError.corrupt("segments \(a.segment.path) and \(b.segment.path) overlap")
        }
        let span = Int(end - first)

        // Terms: a k-way merge of the sorted dictionaries.
        var cursors = sources.map { _ in 0 }
        var termOffsets: [UInt8] = [], termBytes: [UInt8] = [], termInfo: [UInt8] = [], postingBytes: [UInt8] = []
        var termCount = 0
        var docids: [UInt32] = [], wdf: [UInt32] = [], positions: [UInt32] = [], starts: [Int] = []
        var mergedDocids: [UInt32] = [], mergedWdf: [UInt32] = [], mergedPositions: [UInt32] = []
        while true {
            var smallest: [UInt8]?
            for (s, source) in sources.enumerated() where cursors[s] < source.segment.termCount {
                let term = Array(source.segment.term(cursors[s]).utf8)
                if smallest.map({ term.lexicographicallyPrecedes($0) }) ?? true { smallest = term }
            }
            guard let term = smallest else { break }
            mergedDocids.removeAll(keepingCapacity: true)
            mergedWdf.removeAll(keepingCapacity: true)
            mergedPositions.removeAll(keepingCapacity: true)
            var flags: Segment.TermFlags = []
            for (s, source) in sources.enumerated() where cursors[s] < source.segment.termCount {
                guard Array(source.segment.term(cursors[s]).utf8) == term else { continue }
                let list = source.segment.postings(cursors[s])
                flags.formUnion(list.flags)
                list.decode(into: &docids, wdf: &wdf, positions: &positions, positionStarts: &starts,
                            wantWdf: true, wantPositions: list.flags.contains(.positions))
                let shift = source.first - first
                for (i, docid) in docids.enumerated() where docid <= UInt32(source.span) {
                    let relative = docid + shift
                    if deleted.contains(first + relative - 1) { continue }
                    mergedDocids.append(relative)
                    mergedWdf.append(wdf[i])
                    if list.flags.contains(.positions) { mergedPositions += positions[starts[i]..<starts[i + 1]] }
                }
                cursors[s] += 1
            }
            guard !mergedDocids.isEmpty else { continue }
            termOffsets.appendLittleEndian(UInt32(termBytes.count))
            termBytes += term
            termInfo.appendLittleEndian(UInt64(postingBytes.count))
            termInfo.appendLittleEndian(UInt32(mergedDocids.count))
            termInfo.appendLittleEndian(flags.rawValue)
            SegmentBuilder.encodePostings(docids: mergedDocids, wdf: mergedWdf, positions: mergedPositions, flags: flags,
                                          into: &postingBytes)
            termCount += 1
        }
        termOffsets.appendLittleEndian(UInt32(termBytes.count))

        // Columns: every source's ordinals mapped into merged dictionaries; holes and deleted
        // documents get no values (a document without a type does not exist).
        let facetCount = Schema.facets.count
        var columnOrdinals: [[UInt32]] = []
        var valueCounts: [Int] = []
        var dictionaryBytes: [UInt8] = []
        for facet in 0..<facetCount {
            var numbering = ValueNumbering()
            var maps = sources.map { source in [0] + source.segment.dictionaries[facet].map { numbering.ordinal(of: $0) } }
            let (values, renumbered) = ValueNumbering.inByteOrder(numbering.values)
            maps = maps.map { map in map.map { renumbered[Int($0)] } }
            var ordinals = [UInt32](repeating: 0, count: span)
            for (s, source) in sources.enumerated() {
                let base = Int(source.first - first)
                for index in 0..<source.span where !deleted.contains(source.first + UInt32(index)) {
                    ordinals[base + index] = maps[s][Int(source.segment.ordinal(facet, index))]
                }
            }
            columnOrdinals.append(ordinals)
            valueCounts.append(values.count - 1)
            dictionaryBytes.appendLittleEndian(UInt32(values.count - 1))
            var blob: [UInt8] = []
            for value in values.dropFirst() {
                dictionaryBytes.appendLittleEndian(UInt32(blob.count))
                blob += Array(value.utf8)
            }
            dictionaryBytes.appendLittleEndian(UInt32(blob.count))
            dictionaryBytes += blob
            dictionaryBytes.alignTo8()
        }
        var amounts = [Int64](repeating: Int64.min, count: span)
        var lengths = [UInt32](repeating: 0, count: span)
        for source in sources {
            let base = Int(source.first - first)
            for index in 0..<source.span where !deleted.contains(source.first + UInt32(index)) {
                amounts[base + index] = source.segment.amount(index) ?? Int64.min
                lengths[base + index] = source.segment.length(index)
            }
        }
        let columns = SegmentBuilder.encodeColumns(columnOrdinals, valueCounts: valueCounts, lengths: lengths, amounts: amounts)

        try SegmentBuilder.writeFile(path: path, firstDocid: first, span: span, termCount: termCount,
                                     sections: [termOffsets, termBytes, termInfo, postingBytes, columns, dictionaryBytes], sync: sync)
    }
}
