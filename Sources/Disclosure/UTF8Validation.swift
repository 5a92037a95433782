/// Strict UTF-8: which bytes form well-formed sequences (RFC 3629: no overlong forms, no
/// surrogates, nothing past U+10FFFF), and strings made only from bytes that are UTF-8.
/// `String(validating:as:)` does the same through a generic transcoding path that cost 40% of
/// decoding a stored record; this checks the bytes in one pass and builds the string directly.
public enum UTF8Validation {
    /// nil for bytes that are not UTF-8, never a repaired string.
    @inlinable public static func string(_ bytes: some Collection<UInt8>) -> String? {
        if let result = bytes.withContiguousStorageIfAvailable({ string($0) }) {
            return result
        }
        return Array(bytes).withUnsafeBufferPointer { string($0) }
    }

    @inlinable public static func string(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        isValid(bytes) ? String(decoding: bytes, as: UTF8.self) : nil
    }

    @inlinable public static func isValid(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var i = 0
        while i < bytes.count {
            if bytes[i] < 0x80 {
                i += 1
                continue
            }
            let sequence = scan(bytes, at: i)
            guard sequence.complete else { return false }
            i += sequence.valid
        }
        return true
    }

    /// The sequence starting at the non-ASCII byte `bytes[i]`: how many of its bytes are well
    /// formed so far (0 for a byte that cannot lead one), and whether they make the whole sequence.
    @inlinable @inline(__always)
    static func scan(_ bytes: UnsafeBufferPointer<UInt8>, at i: Int) -> (valid: Int, complete: Bool) {
        let lead = bytes[i]
        let length: Int
        var second: ClosedRange<UInt8> = 0x80...0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; second = 0xA0...0xBF
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; second = 0x80...0x9F
        case 0xF0: length = 4; second = 0x90...0xBF
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; second = 0x80...0x8F
        default: return (0, false)
        }
        var valid = 1
        while valid < length, i + valid < bytes.count, (valid == 1 ? second : 0x80...0xBF).contains(bytes[i + valid]) {
            valid += 1
        }
        return (valid, valid == length)
    }
}
