import Glibc

/// Why a file could not be read as a disclosure.
public enum DisclosureError: Error, CustomStringConvertible, Equatable {
    case notText(String)
    case unreadable(path: String, reason: String)
    /// A file of a kind Gongkai does not read (a Word document, an image, an archive …).
    case unsupportedFormat(String)
    /// A PDF, XLSX or XLS file that its reader could not make sense of.
    case damaged(format: DocumentFormat, reason: String)
    /// A PDF whose pages hold no text, only images: a scan that needs OCR first.
    case noTextLayer(pages: Int)
    /// A PDF that needs a password to open, or forbids copying its text.
    case encrypted(String)
    /// A format that needs a Debian tool that is not installed.
    case missingTool(tool: String, package: String, format: DocumentFormat)

    public var description: String {
        switch self {
        case .notText(let why): return "not a text file: \(why)"
        case .unreadable(let path, let reason): return "cannot read \(path): \(reason)"
        case .unsupportedFormat(let what): return "unsupported format: \(what)"
        case .damaged(let format, let reason): return "cannot read this \(format.displayName) file: \(reason)"
        case .noTextLayer(let pages):
            return "PDF without a text layer (\(pages) page\(pages == 1 ? "" : "s") of images only, probably a scan): run OCR on it first"
        case .encrypted(let why): return "encrypted PDF: \(why)"
        case .missingTool(let tool, let package, let format):
            return "reading \(format.displayName) needs \(tool), which is not installed (Debian: apt-get install \(package))"
        }
    }
}

/// Text decoded from a file's bytes, with what had to be repaired.
public struct DecodedText: Sendable {
    public var text: String
    /// `UTF-8`, `GB18030`, `UTF-16LE` …
    public var encoding: String
    /// Bytes that were not valid in the encoding and became U+FFFD, with their offsets.
    public var warnings: [String] = []
}

/// Turns a file's bytes into text: UTF-8 (with or without BOM), UTF-16 with a BOM or recognisable
/// by its zero bytes, else GB18030 (a superset of GBK). Anything else with NUL bytes is refused as
/// binary. A few bad bytes (a damaged download) do not lose the file: the encoding with the fewest
/// errors is chosen, the bad bytes become U+FFFD, and a warning gives their offsets.
public enum TextDecoding {
    public static func decode(_ bytes: [UInt8]) throws -> String {
        try decodeReportingRepairs(bytes).text
    }

    /// `declared` is an encoding the file names for itself (an HTML page's `<meta charset>`); it
    /// wins over guessing unless a byte-order mark says otherwise.
    public static func decodeReportingRepairs(_ bytes: [UInt8], declared: String? = nil) throws -> DecodedText {
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { return utf8Leniently(bytes.dropFirst(3)) }
        if bytes.starts(with: [0xFF, 0xFE]) { return try converted(bytes.dropFirst(2), from: "UTF-16LE") }
        if bytes.starts(with: [0xFE, 0xFF]) { return try converted(bytes.dropFirst(2), from: "UTF-16BE") }
        if let declared, let encoding = canonicalEncoding(declared) {
            let decoded = encoding == "UTF-8" ? utf8Leniently(bytes[...]) : try converted(bytes[...], from: encoding)
            // A page saved in another encoding than it declares: what the bytes are wins.
            if !decoded.warnings.isEmpty, let guessed = try? decodeReportingRepairs(bytes), guessed.warnings.isEmpty {
                return guessed
            }
            return decoded
        }
        if let zero = bytes.firstIndex(of: 0) {
            guard let encoding = utf16WithoutBOM(bytes) else {
                throw DisclosureError.notText("contains NUL bytes (first at byte offset \(zero)): binary data")
            }
            return try converted(bytes[...], from: encoding)
        }
        if let text = UTF8Validation.string(bytes) {
            return DecodedText(text: text, encoding: "UTF-8")
        }
        // Not UTF-8: GB18030, unless UTF-8 with a few bad bytes explains the file better.
        let utf8Errors = invalidUTF8Offsets(bytes[...])
        let gb = try convertLeniently(bytes[...], from: "GB18030")
        if gb.errors.isEmpty { return try decoded(gb.utf8, encoding: "GB18030", errors: []) }
        let nonASCII = bytes.count { $0 >= 0x80 }
        let tolerated = max(8, nonASCII / 100)
        if utf8Errors.count <= gb.errors.count, utf8Errors.count <= tolerated {
            return utf8Leniently(bytes[...])
        }
        if gb.errors.count <= tolerated { return try decoded(gb.utf8, encoding: "GB18030", errors: gb.errors) }
        throw DisclosureError.notText("neither UTF-8 (\(utf8Errors.count) bad bytes, first at byte offset \(utf8Errors[0])) "
            + "nor GB18030 (\(gb.errors.count) bad bytes, first at byte offset \(gb.errors[0]))")
    }

    /// The iconv name for an encoding label (`gb2312`, `GBK`, `utf8` …), or nil when iconv has none.
    static func canonicalEncoding(_ label: String) -> String? {
        let lower = label.lowercased().filter { !$0.isWhitespace && $0 != "\"" && $0 != "'" }
        switch lower {
        case "utf-8", "utf8": return "UTF-8"
        case "gb2312", "gbk", "gb18030", "x-gbk", "cp936", "euc-cn": return "GB18030"  // GB18030 decodes them all
        case "": return nil
        default:
            let converter = iconv_open("UTF-8", lower)
            guard converter != iconv_t(bitPattern: -1) else { return nil }
            iconv_close(converter)
            return lower
        }
    }

    private static func utf8Leniently(_ bytes: ArraySlice<UInt8>) -> DecodedText {
        if let text = UTF8Validation.string(bytes) { return DecodedText(text: text, encoding: "UTF-8") }
        let errors = invalidUTF8Offsets(bytes)
        return DecodedText(text: String(decoding: bytes, as: UTF8.self), encoding: "UTF-8",
                           warnings: [repairWarning(errors, encoding: "UTF-8")])
    }

    /// Byte offsets (in the whole file) where invalid UTF-8 starts, one per maximal invalid
    /// subsequence, as `String(decoding:as:)` replaces them.
    static func invalidUTF8Offsets(_ bytes: ArraySlice<UInt8>) -> [Int] {
        var offsets: [Int] = []
        bytes.withUnsafeBufferPointer { buffer in
            var i = 0
            while i < buffer.count {
                if buffer[i] < 0x80 { i += 1; continue }
                let sequence = UTF8Validation.scan(buffer, at: i)
                if !sequence.complete { offsets.append(bytes.startIndex + i) }
                i += max(1, sequence.valid)
            }
        }
        return offsets
    }

    private static func repairWarning(_ offsets: [Int], encoding: String) -> String {
        let shown = offsets.prefix(10).map(String.init).joined(separator: ", ")
        let more = offsets.count > 10 ? " …" : ""
        return offsets.count == 1
            ? "invalid \(encoding) at byte offset \(shown), replaced with U+FFFD"
            : "\(offsets.count) invalid \(encoding) sequences replaced with U+FFFD, at byte offsets \(shown)\(more)"
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

    private static func converted(_ bytes: ArraySlice<UInt8>, from encoding: String) throws -> DecodedText {
        let result = try convertLeniently(bytes, from: encoding)
        return try decoded(result.utf8, encoding: encoding, errors: result.errors)
    }

    private static func decoded(_ utf8: [UInt8], encoding: String, errors: [Int]) throws -> DecodedText {
        // iconv's output is valid UTF-8; decoding without validation would hide a converter bug.
        guard let text = UTF8Validation.string(utf8) else { throw DisclosureError.notText("invalid UTF-8") }
        return DecodedText(text: text, encoding: encoding,
                           warnings: errors.isEmpty ? [] : [repairWarning(errors, encoding: encoding)])
    }

    /// Converts with glibc's iconv (Foundation on Linux has no GB18030 codec). A byte that is not
    /// valid in `source` becomes U+FFFD; its offset in the file is returned.
    static func convertLeniently(_ bytes: ArraySlice<UInt8>, from source: String) throws -> (utf8: [UInt8], errors: [Int]) {
        let converter = iconv_open("UTF-8", source)
        guard converter != iconv_t(bitPattern: -1) else {
            throw DisclosureError.notText("no converter from \(source) to UTF-8")
        }
        defer { iconv_close(converter) }
        var input = bytes.map { CChar(bitPattern: $0) }
        // At most 3 bytes out per byte in (2-byte GBK and UTF-16 to 3-byte UTF-8, a bad byte to U+FFFD).
        var output = [CChar](repeating: 0, count: bytes.count * 3 + 16)
        var errors: [Int] = []
        let length: Int = input.withUnsafeMutableBufferPointer { inBuf in
            output.withUnsafeMutableBufferPointer { outBuf in
                var inPtr: UnsafeMutablePointer<CChar>? = inBuf.baseAddress
                var inLeft = inBuf.count
                var outPtr: UnsafeMutablePointer<CChar>? = outBuf.baseAddress
                var outLeft = outBuf.count
                while inLeft > 0 {
                    if iconv(converter, &inPtr, &inLeft, &outPtr, &outLeft) != -1 { break }
                    // EILSEQ (invalid) or EINVAL (cut off at the end): replace one byte, go on.
                    errors.append(bytes.startIndex + inBuf.count - inLeft)
                    for byte: UInt8 in [0xEF, 0xBF, 0xBD] {
                        outPtr!.pointee = CChar(bitPattern: byte)
                        outPtr! += 1
                        outLeft -= 1
                    }
                    inPtr! += 1
                    inLeft -= 1
                    iconv(converter, nil, nil, nil, nil)
                }
                return outBuf.count - outLeft
            }
        }
        return (output[0..<length].map { UInt8(bitPattern: $0) }, errors)
    }

    /// Converts strictly; throws at the first byte that is not valid in `source`.
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

extension TextDecoding {
    /// Throws when the start of a file (`FileBytes.startLength` bytes) shows it is no text, so that
    /// a large binary file is refused before it is read whole.
    static func checkStart(_ start: [UInt8]) throws {
        // An even length, so that UTF-16 is still recognised; a character cut at the end is one
        // bad byte, which is tolerated.
        _ = try decodeReportingRepairs(Array(start.prefix(start.count & ~1)))
    }
}
