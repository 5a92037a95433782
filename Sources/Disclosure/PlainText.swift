import Foundation

/// Fast paths for the string work the parser does on every line and cell.
///
/// Foundation's `contains`/`range(of:)` compare by canonical equivalence over grapheme clusters
/// (`CFStringFind` folding every cluster), and `Character` iteration runs grapheme breaking: both
/// cost far more than these documents need. The fast paths work on UTF-8 bytes and are taken only
/// when every scalar involved is *plain* (see `isPlain`). For plain text each scalar is a
/// `Character` of its own and byte equality is canonical equivalence, so a fast path gives exactly
/// the answer of the code it replaces; anything else (combining marks, compatibility ideographs,
/// CR …) goes the original, slow way. `PlainTextTests` checks the plain set against the Unicode
/// tables of the running Swift.
enum PlainText {
    /// A scalar that forms a grapheme cluster of its own next to any other plain scalar (no
    /// combining or prepended marks, no CR LF, no Hangul jamo, no regional indicators) and has no
    /// canonical decomposition. Covers ASCII, Latin-1 punctuation and the CJK ideographs,
    /// radicals and punctuation these documents are written in.
    static func isPlain(_ scalar: UInt32) -> Bool {
        switch scalar {
        case 0x0D: return false  // CR and a following LF make one Character
        case 0x00...0x7F, 0xA0...0xBF, 0xD7, 0xF7: return true
        case 0x2010...0x2027, 0x2030...0x205E: return true  // general punctuation
        case 0x2264, 0x2265: return true  // ≤ ≥ (≠ is not plain: it decomposes to = and a combining mark)
        case 0x2460...0x25FF: return true  // enclosed numbers, box drawing, shapes
        case 0x2E80...0x2FD5: return true  // CJK and Kangxi radicals (PDF text extraction yields them)
        case 0x3000...0x3029, 0x3030...0x303F: return true  // CJK punctuation without the combining tone marks
        case 0x3400...0x9FFF: return true  // CJK unified ideographs
        case 0xFF01...0xFF65, 0xFFE0...0xFFE6: return true  // fullwidth forms
        case 0x20000...0x2F7FF: return true  // CJK extensions B–F
        default: return false
        }
    }

    /// `Character.isWhitespace` for a plain scalar.
    static func isWhitespace(plain scalar: UInt32) -> Bool {
        scalar == 0x20 || (0x09...0x0C).contains(scalar) || scalar == 0xA0 || scalar == 0x3000
    }

    /// The scalar starting at `index` of valid UTF-8 and its length in bytes.
    @inline(__always)
    static func scalar(at index: Int, in bytes: UnsafeBufferPointer<UInt8>) -> (value: UInt32, length: Int) {
        let lead = UInt32(bytes[index])
        if lead < 0x80 { return (lead, 1) }
        if lead < 0xE0 { return ((lead & 0x1F) << 6 | UInt32(bytes[index + 1] & 0x3F), 2) }
        if lead < 0xF0 {
            return ((lead & 0x0F) << 12 | UInt32(bytes[index + 1] & 0x3F) << 6 | UInt32(bytes[index + 2] & 0x3F), 3)
        }
        return ((lead & 0x07) << 18 | UInt32(bytes[index + 1] & 0x3F) << 12 | UInt32(bytes[index + 2] & 0x3F) << 6
            | UInt32(bytes[index + 3] & 0x3F), 4)
    }

    /// The start of the scalar that ends at `end`.
    @inline(__always)
    static func scalarStart(before end: Int, in bytes: UnsafeBufferPointer<UInt8>) -> Int {
        var start = end - 1
        while bytes[start] & 0xC0 == 0x80 { start -= 1 }
        return start
    }

    static func isPlain(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte < 0x80 {
                if byte == 0x0D { return false }
                index += 1
            } else if byte >= 0xE4 && byte <= 0xE9 {
                index += 3  // U+4000–U+9FFF, all CJK ideographs: the common case, decided by the lead byte
            } else if byte == 0xE3 && bytes[index + 1] >= 0x90 {
                index += 3  // U+3400–U+3FFF, CJK extension A
            } else {
                let (value, length) = scalar(at: index, in: bytes)
                if !isPlain(value) { return false }
                index += length
            }
        }
        return true
    }

    /// Offset of the first occurrence of `needle` in `haystack` (bytes; nil for an empty needle,
    /// as Foundation finds no empty string).
    static func firstOffset(of needle: UnsafeBufferPointer<UInt8>, in haystack: UnsafeBufferPointer<UInt8>) -> Int? {
        guard let last = needle.last, needle.count <= haystack.count, let base = haystack.baseAddress else { return nil }
        // memchr for the needle's last byte: in CJK text a lead byte (E4–E9) is everywhere, a last
        // byte one of 64 values.
        var end = needle.count - 1
        while end < haystack.count, let found = memchr(base + end, Int32(last), haystack.count - end) {
            end = base.distance(to: found.assumingMemoryBound(to: UInt8.self))
            let start = end + 1 - needle.count
            if memcmp(base + start, needle.baseAddress!, needle.count) == 0 { return start }
            end += 1
        }
        return nil
    }

    static func isPlain(_ text: String) -> Bool {
        text.utf8.withContiguousStorageIfAvailable(isPlain) == true
    }

    /// Whether `text` is plain and longer than `count` bytes, so that it equals (`==`, canonical
    /// equivalence) no NFC string of `count` bytes or fewer, such as a plain one or the literals
    /// compared with: plain text is in NFC (no decompositions, nothing that composes), and two NFC
    /// strings are equal only when their bytes are. Saves hashing or comparing by Unicode rules.
    static func isPlain(_ text: String, longerThan count: Int) -> Bool {
        text.utf8.count > count && isPlain(text)
    }

    /// Whether plain `bytes` contain `needle`, which must be plain too (a literal such as a district name).
    static func contains(_ needle: String, in bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var needle = needle
        return needle.withUTF8 { firstOffset(of: $0, in: bytes) != nil }
    }

    /// A fast path's new text, or why there is none.
    enum Rewrite {
        case notPlain
        case unchanged
        case rewritten(String)
    }

    /// The text without whitespace.
    static func compacted(_ bytes: UnsafeBufferPointer<UInt8>) -> Rewrite {
        guard isPlain(bytes) else { return .notPlain }
        var hasWhitespace = false
        forEachScalar(bytes) { value, _, _ in
            if isWhitespace(plain: value) { hasWhitespace = true }
        }
        guard hasWhitespace else { return .unchanged }
        let kept = String(unsafeUninitializedCapacity: bytes.count) { out in
            var count = 0
            forEachScalar(bytes) { value, start, length in
                guard !isWhitespace(plain: value) else { return }
                for offset in start..<start + length { out[count] = bytes[offset]; count += 1 }
            }
            return count
        }
        return .rewritten(kept)
    }

    /// Byte offsets of the text without leading and trailing whitespace, or nil when a scalar at
    /// either boundary is not plain.
    static func trimmedOffsets(_ bytes: UnsafeBufferPointer<UInt8>) -> (start: Int, end: Int)? {
        var start = 0
        while start < bytes.count {
            let (value, length) = scalar(at: start, in: bytes)
            guard isPlain(value) else { return nil }
            if !isWhitespace(plain: value) { break }
            start += length
        }
        var end = bytes.count
        while end > start {
            let scalarStart = scalarStart(before: end, in: bytes)
            let (value, _) = scalar(at: scalarStart, in: bytes)
            guard isPlain(value) else { return nil }
            if !isWhitespace(plain: value) { break }
            end = scalarStart
        }
        return (start, end)
    }

    @inline(__always)
    static func forEachScalar(_ bytes: UnsafeBufferPointer<UInt8>, _ body: (UInt32, Int, Int) -> Void) {
        var index = 0
        while index < bytes.count {
            let (value, length) = scalar(at: index, in: bytes)
            body(value, index, length)
            index += length
        }
    }
}

extension StringProtocol {
    /// `split(separator: "\t" or "\n", omittingEmptySubsequences: false)` on bytes. Tab and LF are
    /// control characters, Characters of their own, except LF after CR, where neither splits.
    func pieces(separatedBy separator: UInt8) -> [SubSequence] {
        precondition(separator == UInt8(ascii: "\t") || separator == UInt8(ascii: "\n"))
        func separatorOffsets(_ bytes: UnsafeBufferPointer<UInt8>) -> [Int] {
            bytes.indices.filter { offset in
                bytes[offset] == separator
                    && !(separator == UInt8(ascii: "\n") && offset > 0 && bytes[offset - 1] == UInt8(ascii: "\r"))
            }
        }
        let ends = utf8.withContiguousStorageIfAvailable(separatorOffsets)
            ?? Array(utf8).withUnsafeBufferPointer(separatorOffsets)
        var pieces: [SubSequence] = []
        var start = startIndex
        for end in ends {
            let separatorIndex = utf8.index(utf8.startIndex, offsetBy: end)
            pieces.append(self[start..<separatorIndex])
            start = utf8.index(after: separatorIndex)
        }
        pieces.append(self[start..<endIndex])
        return pieces
    }

    /// Whether the UTF-8 contains `byte`, by memchr.
    func containsByte(_ byte: UInt8) -> Bool {
        utf8.withContiguousStorageIfAvailable { bytes in
            bytes.baseAddress.map { memchr($0, Int32(byte), bytes.count) != nil } ?? false
        } ?? utf8.contains(byte)
    }

    /// `containsText("\t")`, most often answered by the bytes alone: nothing but a tab is
    /// canonically equivalent to a tab.
    var containsTab: Bool { containsByte(UInt8(ascii: "\t")) && containsText("\t") }

    /// `count <= limit` without grapheme breaking: true when there are no more scalars than that
    /// (a Character has at least one), false when the first `limit + 1` scalars are plain (each
    /// starts a Character of its own); otherwise the Characters are counted up to the limit.
    func hasAtMost(_ limit: Int) -> Bool {
        if utf8.count <= limit { return true }
        let decided = utf8.withContiguousStorageIfAvailable { bytes -> Bool? in
            var index = 0
            for _ in 0...limit {
                guard index < bytes.count else { return true }
                let (value, length) = PlainText.scalar(at: index, in: bytes)
                guard PlainText.isPlain(value) else { return nil }
                index += length
            }
            return false
        }
        return (decided ?? nil) ?? dropFirst(limit).isEmpty
    }

    /// `body` on the UTF-8 of the text and of `other`, or nil when either is not plain.
    private func withPlainBytes<Result>(
        and other: String, _ body: (UnsafeBufferPointer<UInt8>, UnsafeBufferPointer<UInt8>) -> Result
    ) -> Result? {
        let result = utf8.withContiguousStorageIfAvailable { bytes -> Result? in
            var other = other
            return other.withUTF8 { otherBytes in
                PlainText.isPlain(bytes) && PlainText.isPlain(otherBytes) ? body(bytes, otherBytes) : nil
            }
        }
        return result ?? nil
    }

    /// Foundation's `contains(_:)` for a string (canonical equivalence, whole clusters, false for an
    /// empty needle), searched on UTF-8 bytes when both sides are plain.
    func containsText(_ needle: String) -> Bool {
        withPlainBytes(and: needle) { PlainText.firstOffset(of: $1, in: $0) != nil } ?? (range(of: needle) != nil)
    }

    /// Foundation's `range(of:)` for a string, found on UTF-8 bytes when both sides are plain.
    func rangeOfText(_ needle: String) -> Range<Index>? {
        switch withPlainBytes(and: needle, { PlainText.firstOffset(of: $1, in: $0) }) {
        case nil:
            return range(of: needle)  // not plain
        case .some(nil):
            return nil
        case .some(let offset?):
            let lower = utf8.index(utf8.startIndex, offsetBy: offset)
            return lower..<utf8.index(lower, offsetBy: needle.utf8.count)
        }
    }

    /// `hasSuffix(_:)`, by bytes when the text and the suffix are plain: then their Characters
    /// are scalars, equal only when their bytes are.
    func hasSuffixText(_ suffix: String) -> Bool {
        withPlainBytes(and: suffix) { bytes, suffix in
            suffix.count <= bytes.count && bytes.suffix(suffix.count).elementsEqual(suffix)
        } ?? String(self).hasSuffix(suffix)
    }
}
