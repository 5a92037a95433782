import Glibc

/// Why a file could not be read as a disclosure.
public enum DisclosureError: Error, CustomStringConvertible, Equatable {
    case notText(String)
    case unreadable(path: String, reason: String)

    public var description: String {
        switch self {
        case .notText(let why): return "not a text file: \(why)"
        case .unreadable(let path, let reason): return "cannot read \(path): \(reason)"
        }
    }
}

/// Turns a file's bytes into text: UTF-8 (with or without BOM), UTF-16 with a BOM, else GB18030
/// (a superset of GBK). Anything with NUL bytes outside UTF-16 is refused as binary.
public enum TextDecoding {
    public static func decode(_ bytes: [UInt8]) throws -> String {
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) {
            return try utf8(bytes.dropFirst(3))
        }
        if bytes.starts(with: [0xFF, 0xFE]) || bytes.starts(with: [0xFE, 0xFF]) {
            return try utf16(bytes)
        }
        if bytes.contains(0) {
            throw DisclosureError.notText("contains NUL bytes")
        }
        if let text = try? utf8(bytes[...]) {
            return text
        }
        return try iconvDecode(bytes, from: "GB18030")
    }

    private static func utf8(_ bytes: ArraySlice<UInt8>) throws -> String {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw DisclosureError.notText("invalid UTF-8")
        }
        return text
    }

    private static func utf16(_ bytes: [UInt8]) throws -> String {
        let bigEndian = bytes[0] == 0xFE
        var units: [UInt16] = []
        units.reserveCapacity(bytes.count / 2)
        var i = 2
        while i + 1 < bytes.count {
            let pair = bigEndian ? (UInt16(bytes[i]) << 8 | UInt16(bytes[i + 1]))
                                 : (UInt16(bytes[i + 1]) << 8 | UInt16(bytes[i]))
            units.append(pair)
            i += 2
        }
        guard let text = String(validating: units, as: UTF16.self) else {
            throw DisclosureError.notText("invalid UTF-16")
        }
        return text
    }

    /// Converts with glibc's iconv; Foundation on Linux has no GB18030 decoder.
    static func iconvDecode(_ bytes: [UInt8], from encoding: String) throws -> String {
        let converter = iconv_open("UTF-8", encoding)
        guard converter != iconv_t(bitPattern: -1) else {
            throw DisclosureError.notText("no converter for \(encoding)")
        }
        defer { iconv_close(converter) }
        var input = bytes.map { CChar(bitPattern: $0) }
        var output = [CChar](repeating: 0, count: bytes.count * 2 + 16)
        let converted: Int? = input.withUnsafeMutableBufferPointer { inBuf in
            output.withUnsafeMutableBufferPointer { outBuf in
                var inPtr: UnsafeMutablePointer<CChar>? = inBuf.baseAddress
                var inLeft = inBuf.count
                var outPtr: UnsafeMutablePointer<CChar>? = outBuf.baseAddress
                var outLeft = outBuf.count
                if iconv(converter, &inPtr, &inLeft, &outPtr, &outLeft) == -1 { return nil }
                return outBuf.count - outLeft
            }
        }
        guard let length = converted else {
            throw DisclosureError.notText("neither UTF-8 nor \(encoding)")
        }
        let utf8 = output[0..<length].map { UInt8(bitPattern: $0) }
        return String(decoding: utf8, as: UTF8.self)
    }
}
