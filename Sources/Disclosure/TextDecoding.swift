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

/// Turns a file's bytes into text: UTF-8 (with or without BOM), UTF-16 with a BOM or recognisable
/// by its zero bytes, else GB18030 (a superset of GBK). Anything else with NUL bytes is refused as binary.
public enum TextDecoding {
    public static func decode(_ bytes: [UInt8]) throws -> String {
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) {
            return try utf8(bytes.dropFirst(3))
        }
        if bytes.starts(with: [0xFF, 0xFE]) { return try converted(bytes.dropFirst(2), from: "UTF-16LE") }
        if bytes.starts(with: [0xFE, 0xFF]) { return try converted(bytes.dropFirst(2), from: "UTF-16BE") }
        if bytes.contains(0) {
            guard let encoding = utf16WithoutBOM(bytes) else { throw DisclosureError.notText("contains NUL bytes") }
            return try converted(bytes[...], from: encoding)
        }
        if let text = try? utf8(bytes[...]) {
            return text
        }
        return try converted(bytes[...], from: "GB18030")
    }

    private static func utf8(_ bytes: ArraySlice<UInt8>) throws -> String {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw DisclosureError.notText("invalid UTF-8")
        }
        return text
    }

    /// Text in UTF-16 has its ASCII characters' zero bytes on one side of each pair (CJK adds a
    /// few on the other); binary data scatters them.
    private static func utf16WithoutBOM(_ bytes: [UInt8]) -> String? {
        guard bytes.count % 2 == 0 else { return nil }
        var zeros = (even: 0, odd: 0)
        for (index, byte) in bytes.enumerated() where byte == 0 {
            if index % 2 == 0 { zeros.even += 1 } else { zeros.odd += 1 }
        }
        let pairs = bytes.count / 2
        if zeros.odd >= zeros.even * 10, zeros.odd * 20 >= pairs { return "UTF-16LE" }
        if zeros.even >= zeros.odd * 10, zeros.even * 20 >= pairs { return "UTF-16BE" }
        return nil
    }

    private static func converted(_ bytes: ArraySlice<UInt8>, from encoding: String) throws -> String {
        let utf8Bytes = try convert(Array(bytes), from: encoding, to: "UTF-8")
        return try utf8(utf8Bytes[...])
    }

    /// Converts with glibc's iconv; Foundation on Linux has no GB18030 codec.
    static func convert(_ bytes: [UInt8], from source: String, to target: String) throws -> [UInt8] {
        let converter = iconv_open(target, source)
        guard converter != iconv_t(bitPattern: -1) else {
            throw DisclosureError.notText("no converter from \(source) to \(target)")
        }
        defer { iconv_close(converter) }
        var input = bytes.map { CChar(bitPattern: $0) }
        var output = [CChar](repeating: 0, count: bytes.count * 4 + 16)
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
            throw DisclosureError.notText("not valid \(source)")
        }
        return output[0..<length].map { UInt8(bitPattern: $0) }
    }
}
