import ChineseAnalysis
import Foundation

/// Collects the records of consecutive Xapian docids and writes them as one `Segment` file.
/// Not thread-safe: one builder per writer (or per part of a parallel build).
final class SegmentBuilder {
    let firstDocid: UInt32
    private(set) var span = 0

    private struct TermPostings {
        var docids: [UInt32] = []
        var wdf: [UInt32] = []
        var positions: [UInt32] = []
        var flags: Segment.TermFlags = []
    }

    private var termIndex: [String: Int] = [:]
    private var postings: [TermPostings] = []
    private var ordinals: [[UInt32]]
    /// Per facet, its values in order of first sight (written in byte order).
    private var numberings: [ValueNumbering]
    private var amounts: [Int64] = []
    private var lengths: [UInt32] = []

    init(firstDocid: UInt32) {
        self.firstDocid = firstDocid
        let facets = Schema.facets.count
        ordinals = Array(repeating: [], count: facets)
        numberings = Array(repeating: ValueNumbering(), count: facets)
    }

    var isEmpty: Bool { span == 0 }
    var nextDocid: UInt32 { firstDocid + UInt32(span) }

    /// Adds the record Xapian stored as `docid`, which must be the next one.
    func add(_ record: IndexedRecord, docid: UInt32) {
        precondition(docid == nextDocid, "side-store segments take consecutive docids (expected \(nextDocid), got \(docid))")
        span += 1
        let relative = UInt32(span)
        var length: UInt32 = 0
        for term in record.contentTerms {
            let index = termSlot(term.term)
            if postings[index].docids.last != relative {
                postings[index].docids.append(relative)
                postings[index].wdf.append(0)
                postings[index].flags.insert(.wdf)
            }
            postings[index].wdf[postings[index].wdf.count - 1] += 1
            // The analyzer gives terms in text order, so each document's positions come sorted.
            if let position = term.position {
                postings[index].flags.insert(.positions)
                postings[index].positions.append(position)
            }
            length += 1
        }
        for term in record.fieldTerms {
            let index = termSlot(term)
            if postings[index].docids.last != relative {
                postings[index].docids.append(relative)
                postings[index].wdf.append(0)
            }
        }
        for (facet, value) in record.facetValues.enumerated() {
            ordinals[facet].append(value.map { numberings[facet].ordinal(of: $0) } ?? 0)
        }
        amounts.append(record.amount ?? Int64.min)
        lengths.append(length)
    }

    private func termSlot(_ term: String) -> Int {
        if let index = termIndex[term] { return index }
        postings.append(TermPostings())
        termIndex[term] = postings.count - 1
        return postings.count - 1
    }

    /// Writes the segment to `path` (through a temporary file and a rename, so that a reader never
    /// sees half a segment), synced unless `sync` is false.
    func write(to path: String, sync: Bool = true) throws {
        let sortedTerms = termIndex.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        var termOffsets: [UInt8] = []
        var termBytes: [UInt8] = []
        var termInfo: [UInt8] = []
        var postingBytes: [UInt8] = []
        for term in sortedTerms {
            termOffsets.appendLittleEndian(UInt32(termBytes.count))
            termBytes += Array(term.utf8)
            let entry = postings[termIndex[term]!]
            termInfo.appendLittleEndian(UInt64(postingBytes.count))
            termInfo.appendLittleEndian(UInt32(entry.docids.count))
            termInfo.appendLittleEndian(entry.flags.rawValue)
            Self.encodePostings(docids: entry.docids, wdf: entry.wdf, positions: entry.positions, flags: entry.flags, into: &postingBytes)
        }
        termOffsets.appendLittleEndian(UInt32(termBytes.count))

        // Dictionaries in byte order (readers then rank values by ordinal), the columns renumbered.
        var dictionaryValues: [[String]] = []
        var renumberedColumns: [[UInt32]] = []
        for facet in ordinals.indices {
            let (values, renumbered) = ValueNumbering.inByteOrder(numberings[facet].values)
            dictionaryValues.append(Array(values.dropFirst()))
            renumberedColumns.append(ordinals[facet].map { renumbered[Int($0)] })
        }
        let columns = Self.encodeColumns(renumberedColumns, valueCounts: dictionaryValues.map(\.count), lengths: lengths,
                                         amounts: amounts)

        var dictionaryBytes: [UInt8] = []
        for values in dictionaryValues {
            dictionaryBytes.appendLittleEndian(UInt32(values.count))
            var offset: UInt32 = 0
            var blob: [UInt8] = []
            for value in values {
                dictionaryBytes.appendLittleEndian(offset)
                blob += Array(value.utf8)
                offset = UInt32(blob.count)
            }
            dictionaryBytes.appendLittleEndian(offset)
            dictionaryBytes += blob
            dictionaryBytes.alignTo8()
        }

        try Self.writeFile(path: path, firstDocid: firstDocid, span: span, termCount: sortedTerms.count,
                           sections: [termOffsets, termBytes, termInfo, postingBytes, columns, dictionaryBytes], sync: sync)
    }

    /// The columns section: per facet the width of its ordinals (u64: the smallest of 1, 2 or 4
    /// that holds `valueCounts[facet]`) and one ordinal per document at that width, padded to 8;
    /// then the amounts (i64) and the lengths (u32). A column at a time, because the heavy
    /// requests read a tenth or more of the documents in docid order: each cache line of a column
    /// then serves several matches, and the reads run ahead (rows of a document's values were
    /// measured slower).
    static func encodeColumns(_ ordinals: [[UInt32]], valueCounts: [Int], lengths: [UInt32], amounts: [Int64]) -> [UInt8] {
        var out: [UInt8] = []
        for (facet, count) in valueCounts.enumerated() {
            let width = count < 256 ? 1 : count < 65536 ? 2 : 4
            out.appendLittleEndian(UInt64(width))
            for ordinal in ordinals[facet] {
                switch width {
                case 1: out.append(UInt8(ordinal))
                case 2: out.appendLittleEndian(UInt16(ordinal))
                default: out.appendLittleEndian(ordinal)
                }
            }
            out.alignTo8()
        }
        for amount in amounts { out.appendLittleEndian(UInt64(bitPattern: amount)) }
        for length in lengths { out.appendLittleEndian(length) }
        return out
    }

    static func encodePostings(docids: [UInt32], wdf: [UInt32], positions: [UInt32], flags: Segment.TermFlags,
                               into out: inout [UInt8]) {
        let blocks = (docids.count + Segment.blockSize - 1) / Segment.blockSize
        let indexStart = out.count
        out += [UInt8](repeating: 0, count: blocks * 8)
        var previous: UInt32 = 0
        var positionCursor = 0
        var block: [UInt8] = []
        var values: [UInt32] = []
        for b in 0..<blocks {
            block.removeAll(keepingCapacity: true)
            let range = (b * Segment.blockSize)..<min(docids.count, (b + 1) * Segment.blockSize)
            // Docid gaps less one (consecutive docids cost nothing), bit-packed.
            values.removeAll(keepingCapacity: true)
            for i in range {
                values.append(docids[i] - previous - 1)
                previous = docids[i]
            }
            BitPacking.append(values, to: &block)
            if flags.contains(.wdf) {
                BitPacking.append(range.map { max(wdf[$0], 1) - 1 }, to: &block)
            }
            if flags.contains(.positions) {
                // Each document's first position, then the gaps to its next ones, bit-packed.
                values.removeAll(keepingCapacity: true)
                for i in range {
                    var last: UInt32 = 0
                    for _ in 0..<wdf[i] {
                        let position = positionCursor < positions.count ? positions[positionCursor] : last
                        values.append(position - last)
                        last = position
                        positionCursor += 1
                    }
                }
                BitPacking.append(values, to: &block)
            }
            out.storeLittleEndian(previous, at: indexStart + b * 8)
            out.storeLittleEndian(UInt32(block.count), at: indexStart + b * 8 + 4)
            out += block
        }
    }

    static func writeFile(path: String, firstDocid: UInt32, span: Int, termCount: Int, sections: [[UInt8]], sync: Bool) throws {
        var header = Segment.magic
        header.appendLittleEndian(firstDocid)
        header.appendLittleEndian(UInt32(span))
        header.appendLittleEndian(UInt32(termCount))
        header.appendLittleEndian(UInt32(Schema.facets.count))
        var offset = header.count + sections.count * 16
        offset = (offset + 7) & ~7
        var table: [UInt8] = []
        for section in sections {
            table.appendLittleEndian(UInt64(offset))
            table.appendLittleEndian(UInt64(section.count))
            offset = (offset + section.count + 7) & ~7
        }
        var file = header + table
        for section in sections {
            file.alignTo8()
            file += section
        }
        try SideFiles.writeAtomically(file, to: path, sync: sync)
    }
}

extension Array where Element == UInt8 {
    mutating func appendLittleEndian<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }

    mutating func storeLittleEndian<T: FixedWidthInteger>(_ value: T, at offset: Int) {
        Swift.withUnsafeBytes(of: value.littleEndian) { bytes in
            for (i, byte) in bytes.enumerated() { self[offset + i] = byte }
        }
    }

    mutating func alignTo8() {
        while count % 8 != 0 { append(0) }
    }
}

/// Values bit-packed at the width of the largest: a byte of width, then the values LSB first.
enum BitPacking {
    static func append(_ values: [UInt32], to out: inout [UInt8]) {
        let largest = values.max() ?? 0
        let width = largest == 0 ? 0 : UInt32.bitWidth - largest.leadingZeroBitCount
        out.append(UInt8(width))
        guard width > 0 else { return }
        var buffer: UInt64 = 0
        var held = 0
        for value in values {
            buffer |= UInt64(value) << held
            held += width
            while held >= 8 {
                out.append(UInt8(truncatingIfNeeded: buffer))
                buffer >>= 8
                held -= 8
            }
        }
        if held > 0 { out.append(UInt8(truncatingIfNeeded: buffer)) }
    }
}

/// Writing the side store's files.
enum SideFiles {
    /// Writes `bytes` to a temporary file beside `path`, syncs it, and renames it into place.
    static func writeAtomically(_ bytes: [UInt8], to path: String, sync: Bool) throws {
        let temporary = path + ".tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw SideStoreError.io("cannot create \(temporary): \(String(cString: strerror(errno)))") }
        var written = 0
        let result: Int32 = bytes.withUnsafeBytes { buffer in
            while written < buffer.count {
                let n = Glibc.write(fd, buffer.baseAddress! + written, buffer.count - written)
                if n < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                written += n
            }
            return 0
        }
        if result != 0 || (sync && fsync(fd) != 0) {
            let reason = String(cString: strerror(result != 0 ? result : errno))
            close(fd)
            unlink(temporary)
            throw SideStoreError.io("cannot write \(temporary): \(reason)")
        }
        close(fd)
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw SideStoreError.io("cannot rename \(temporary): \(reason)")
        }
    }
}

public enum SideStoreError: Error, CustomStringConvertible, Equatable {
    case io(String)
    case corrupt(String)

    public var description: String {
        switch self {
        case .io(let message): return "side store: \(message)"
        case .corrupt(let message): return "side store is damaged: \(message)"
        }
    }
}
