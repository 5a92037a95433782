import Foundation
import Glibc

/// One side-store segment: a compact, memory-mapped copy of the postings and facet columns of a
/// run of Xapian documents (docids `firstDocid ..< firstDocid + span`), so that the daemon matches,
/// counts and sums without Xapian's matcher. See `Index/SCHEMA.md` ("Side store") for the layout.
///
/// File layout (little-endian):
/// - header: magic `GKSIDE06`, first docid (u32), span (u32), term count (u32), facet count (u32),
///   then one (offset u64, length u64) per section, in `Section` order;
/// - `termOffsets`: (term count + 1) × u32 into `termBytes`; `termBytes`: the terms, sorted by bytes;
/// - `termInfo`: per term 16 bytes: postings offset (u64), document frequency (u32), flags (u32);
/// - `postings`: per term, a block index (per 128 documents: last docid u32, byte length u32)
///   then the blocks: docid gaps less one and (content terms) wdf less one, each bit-packed at the
///   width of its largest behind a byte of width, then (positional terms) every document's first
///   position and the gaps to its next ones, bit-packed the same way; docids are relative (1 =
///   `firstDocid`);
/// - `columns`: per facet, the width of its ordinals (u32: 1, 2 or 4) then `span` ordinals (0 = no
///   value), each column starting 8-aligned; then `span` amounts (i64 millionths of 万元, `Int64.min`
///   = none); then `span` document lengths (u32);
/// - `dictionaries`: per facet, a count (u32), then (count + 1) × u32 offsets and the values' bytes.
final class Segment: @unchecked Sendable {
    // Immutable after init; the mapping is read-only and shared by every thread.
    static let magic: [UInt8] = Array("GKSIDE06".utf8)
    static let blockSize = 128

    enum Section: Int, CaseIterable {
        case termOffsets, termBytes, termInfo, postings, columns, dictionaries
    }

    struct TermFlags: OptionSet {
        let rawValue: UInt32
        /// Carries wdf per document (content terms); boolean field terms do not.
        static let wdf = TermFlags(rawValue: 1)
        /// Carries positions (character terms).
        static let positions = TermFlags(rawValue: 2)
    }

    let path: String
    let firstDocid: UInt32
    let span: Int
    let termCount: Int
    private let base: UnsafeRawPointer
    private let mappedLength: Int
    private let sections: [(offset: Int, length: Int)]
    /// Per facet: ordinal width and the column's start.
    private let columns: [(width: Int, start: UnsafeRawPointer)]
    private let amounts: UnsafePointer<Int64>
    private let lengths: UnsafePointer<UInt32>
    /// Per facet, the values behind ordinals 1…n.
    let dictionaries: [[String]]

    struct FormatError: Error, CustomStringConvertible {
        let description: String
    }

    init(path: String, facetCount: Int) throws {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FormatError(description: "cannot open \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw FormatError(description: "cannot stat \(path)") }
        let fileLength = Int(info.st_size)
        mappedLength = fileLength
        let headerLength = 24 + Section.allCases.count * 16
        guard fileLength >= headerLength else { throw FormatError(description: "\(path) is too short for a side-store segment") }
        guard let mapped = mmap(nil, fileLength, PROT_READ, MAP_SHARED, fd, 0), mapped != MAP_FAILED else {
            throw FormatError(description: "cannot map \(path): \(String(cString: strerror(errno)))")
        }
        base = UnsafeRawPointer(mapped)
        var ok = false
        defer { if !ok { munmap(mapped, fileLength) } }

        guard Array(UnsafeRawBufferPointer(start: base, count: 8)) == Self.magic else {
            throw FormatError(description: "\(path) is not a side-store segment of this version; `gongkai index` rebuilds the index")
        }
        firstDocid = base.loadUnaligned(fromByteOffset: 8, as: UInt32.self)
        span = Int(base.loadUnaligned(fromByteOffset: 12, as: UInt32.self))
        termCount = Int(base.loadUnaligned(fromByteOffset: 16, as: UInt32.self))
        guard Int(base.loadUnaligned(fromByteOffset: 20, as: UInt32.self)) == facetCount else {
            throw FormatError(description: "\(path) has another number of facets than this schema")
        }
        var sections: [(offset: Int, length: Int)] = []
        for index in Section.allCases.indices {
            let offset = Int(base.loadUnaligned(fromByteOffset: 24 + index * 16, as: UInt64.self))
            let length = Int(base.loadUnaligned(fromByteOffset: 32 + index * 16, as: UInt64.self))
            guard offset >= headerLength, length >= 0, offset <= fileLength, length <= fileLength - offset else {
                throw FormatError(description: "\(path): section \(index) lies outside the file")
            }
            sections.append((offset, length))
        }
        self.sections = sections
        guard sections[Section.termOffsets.rawValue].length == (termCount + 1) * 4,
              sections[Section.termInfo.rawValue].length == termCount * 16 else {
            throw FormatError(description: "\(path): term tables do not match the term count")
        }

        // Columns.
        let columnSection = sections[Section.columns.rawValue]
        var cursor = columnSection.offset
        var columns: [(width: Int, start: UnsafeRawPointer)] = []
        func need(_ bytes: Int) throws {
            guard cursor + bytes <= columnSection.offset + columnSection.length else {
                throw FormatError(description: "\(path): columns are cut short")
            }
        }
        for _ in 0..<facetCount {
            try need(8)
            let width = Int(base.loadUnaligned(fromByteOffset: cursor, as: UInt32.self))
            guard [1, 2, 4].contains(width) else { throw FormatError(description: "\(path): bad column width \(width)") }
            cursor += 8
            try need(width * span)
            columns.append((width, base + cursor))
            cursor += (width * span + 7) & ~7
        }
        try need(8 * span + 4 * span)
        amounts = (base + cursor).assumingMemoryBound(to: Int64.self)
        cursor += 8 * span
        lengths = (base + cursor).assumingMemoryBound(to: UInt32.self)
        self.columns = columns

        // Dictionaries.
        let dictionarySection = sections[Section.dictionaries.rawValue]
        var position = dictionarySection.offset
        let end = dictionarySection.offset + dictionarySection.length
        var dictionaries: [[String]] = []
        for _ in 0..<facetCount {
            guard position + 4 <= end else { throw FormatError(description: "\(path): dictionaries are cut short") }
            let count = Int(base.loadUnaligned(fromByteOffset: position, as: UInt32.self))
            let offsets = position + 4
            let bytes = offsets + (count + 1) * 4
            guard count >= 0, bytes <= end else { throw FormatError(description: "\(path): dictionaries are cut short") }
            var values: [String] = []
            values.reserveCapacity(count)
            for i in 0..<count {
                let from = Int(base.loadUnaligned(fromByteOffset: offsets + i * 4, as: UInt32.self))
                let to = Int(base.loadUnaligned(fromByteOffset: offsets + i * 4 + 4, as: UInt32.self))
                guard from <= to, bytes + to <= end else { throw FormatError(description: "\(path): bad dictionary entry") }
                values.append(String(decoding: UnsafeRawBufferPointer(start: base + bytes + from, count: to - from), as: UTF8.self))
            }
            dictionaries.append(values)
            let total = count == 0 ? 0 : Int(base.loadUnaligned(fromByteOffset: offsets + count * 4, as: UInt32.self))
            position = (bytes + total + 7) & ~7
        }
        self.dictionaries = dictionaries
        for column in columns.indices {
            // Every ordinal must name a value: checked once here, trusted by the hot loops.
            guard self.column(column).maximum(count: span) <= dictionaries[column].count else {
                throw FormatError(description: "\(path): column \(column) holds an ordinal past its dictionary")
            }
        }
        ok = true
    }

    deinit {
        munmap(UnsafeMutableRawPointer(mutating: base), mappedLength)
    }

    /// Whether the file at `path` starts as a segment of this version does (an older build's
    /// segments have another magic and cannot be read).
    static func hasCurrentFormat(_ path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        return (try? handle.read(upToCount: magic.count)).map(Array.init) == magic
    }

    // MARK: Terms

    private func pointer(_ section: Section) -> UnsafeRawPointer { base + sections[section.rawValue].offset }

    private func termBytes(_ index: Int) -> UnsafeRawBufferPointer {
        let offsets = pointer(.termOffsets)
        let from = Int(offsets.loadUnaligned(fromByteOffset: index * 4, as: UInt32.self))
        let to = Int(offsets.loadUnaligned(fromByteOffset: index * 4 + 4, as: UInt32.self))
        return UnsafeRawBufferPointer(start: pointer(.termBytes) + from, count: max(0, min(to, sections[Section.termBytes.rawValue].length) - from))
    }

    func term(_ index: Int) -> String {
        String(decoding: termBytes(index), as: UTF8.self)
    }

    /// The index of the first term not ordered before `key` (by bytes).
    func lowerBound(_ key: [UInt8]) -> Int {
        var low = 0, high = termCount
        key.withUnsafeBytes { key in
            while low < high {
                let mid = (low + high) / 2
                if compareBytes(termBytes(mid), key) < 0 { low = mid + 1 } else { high = mid }
            }
        }
        return low
    }

    func find(_ term: String) -> Int? {
        let key = Array(term.utf8)
        let index = lowerBound(key)
        guard index < termCount else { return nil }
        return key.withUnsafeBytes { compareBytes(termBytes(index), $0) == 0 } ? index : nil
    }

    /// Indices of the terms starting with `prefix`.
    func terms(withPrefix prefix: String) -> Range<Int> {
        let key = Array(prefix.utf8)
        let start = lowerBound(key)
        var end = start
        key.withUnsafeBytes { key in
            while end < termCount {
                let bytes = termBytes(end)
                guard bytes.count >= key.count, memcmp(bytes.baseAddress!, key.baseAddress!, key.count) == 0 else { break }
                end += 1
            }
        }
        return start..<end
    }

    func documentFrequency(_ index: Int) -> Int {
        Int(pointer(.termInfo).loadUnaligned(fromByteOffset: index * 16 + 8, as: UInt32.self))
    }

    func postings(_ index: Int) -> PostingList {
        let info = pointer(.termInfo) + index * 16
        let offset = Int(info.loadUnaligned(as: UInt64.self))
        let count = Int(info.loadUnaligned(fromByteOffset: 8, as: UInt32.self))
        let flags = TermFlags(rawValue: info.loadUnaligned(fromByteOffset: 12, as: UInt32.self))
        let section = sections[Section.postings.rawValue]
        return PostingList(start: base + section.offset + min(offset, section.length),
                           limit: base + section.offset + section.length, count: count, flags: flags)
    }

    // MARK: Columns

    /// The ordinal of the document at `index` (docid − firstDocid) in facet column `column`.
    @inline(__always)
    func ordinal(_ column: Int, _ index: Int) -> UInt32 {
        let (width, start) = columns[column]
        switch width {
        case 1: return UInt32(start.load(fromByteOffset: index, as: UInt8.self))
        case 2: return UInt32(start.loadUnaligned(fromByteOffset: index * 2, as: UInt16.self))
        default: return start.loadUnaligned(fromByteOffset: index * 4, as: UInt32.self)
        }
    }

    /// The column's ordinals as a typed buffer, for tight counting loops.
    func column(_ column: Int) -> ColumnView {
        let (width, start) = columns[column]
        return ColumnView(width: width, start: start)
    }

    @inline(__always) func amount(_ index: Int) -> Int64? {
        let value = amounts[index]
        return value == Int64.min ? nil : value
    }

    var amountColumn: UnsafePointer<Int64> { amounts }

    @inline(__always) func length(_ index: Int) -> UInt32 { lengths[index] }
}

/// A facet column's ordinals.
struct ColumnView {
    let width: Int
    let start: UnsafeRawPointer

    @inline(__always) subscript(index: Int) -> Int {
        switch width {
        case 1: return Int(start.load(fromByteOffset: index, as: UInt8.self))
        case 2: return Int(start.loadUnaligned(fromByteOffset: index * 2, as: UInt16.self))
        default: return Int(start.loadUnaligned(fromByteOffset: index * 4, as: UInt32.self))
        }
    }

    /// The largest of the first `count` ordinals (0 for none), a width's loop at a time.
    func maximum(count: Int) -> Int {
        func largest<T: FixedWidthInteger & UnsignedInteger>(_: T.Type) -> Int {
            var most: T = 0
            for index in 0..<count { most = max(most, start.loadUnaligned(fromByteOffset: index * MemoryLayout<T>.size, as: T.self)) }
            return Int(most)
        }
        switch width {
        case 1: return largest(UInt8.self)
        case 2: return largest(UInt16.self)
        default: return largest(UInt32.self)
        }
    }
}

/// One term's postings in a segment, decoded block by block.
struct PostingList {
    let start: UnsafeRawPointer
    let limit: UnsafeRawPointer
    let count: Int
    let flags: Segment.TermFlags

    var blockCount: Int { (count + Segment.blockSize - 1) / Segment.blockSize }

    /// Documents in block `block`: 128, or what the last block holds.
    @inline(__always) func documents(inBlock block: Int) -> Int {
        min(Segment.blockSize, count - block * Segment.blockSize)
    }

    /// The last (relative) docid of block `block`.
    func lastDocid(ofBlock block: Int) -> UInt32 {
        start.loadUnaligned(fromByteOffset: block * 8, as: UInt32.self)
    }

    /// Decodes every posting: relative docids, wdf (or 0), and, when `wantPositions`, every
    /// document's positions laid out one after another (`positionStarts[i]` where document i's
    /// begin, one more entry at the end).
    func decode(into docids: inout [UInt32], wdf: inout [UInt32], positions: inout [UInt32], positionStarts: inout [Int],
                wantWdf: Bool, wantPositions: Bool) {
        let postings = TermPostings(self, within: nil, keepPositions: wantPositions, wantWdf: wantWdf)
        docids = postings.docids
        // A boolean term keeps no wdf: 0 for each document, as the segment means.
        wdf = postings.wdf.isEmpty && wantWdf ? [UInt32](repeating: 0, count: docids.count) : postings.wdf
        positions.removeAll(keepingCapacity: true)
        positionStarts.removeAll(keepingCapacity: true)
        guard wantPositions else { return }
        for row in docids.indices {
            positionStarts.append(positions.count)
            positions += postings.positions(row: row)
        }
        positionStarts.append(positions.count)
    }
}
