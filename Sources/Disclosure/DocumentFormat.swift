/// The kinds of file a disclosure comes as.
public enum DocumentFormat: String, Sendable, Codable, CaseIterable {
    /// Text already extracted (UTF-8, GBK/GB18030, UTF-16), tabs between table cells.
    case text
    case html
    case pdf
    case xlsx
    case xls

    public var displayName: String {
        switch self {
        case .text: return "text"
        case .html: return "HTML"
        case .pdf: return "PDF"
        case .xlsx: return "XLSX"
        case .xls: return "XLS"
        }
    }

    /// The format of a file, decided by its first bytes (`FileBytes.startLength` are enough); the
    /// name's extension only tells HTML from text that merely starts with a tag. Throws for a
    /// binary file of a kind no reader takes, so that a large one is refused before it is read whole.
    public static func sniff(_ start: some Collection<UInt8>, fileName: String) throws -> DocumentFormat {
        let bytes = Array(start.prefix(FileBytes.startLength))
        if bytes.starts(with: Array("%PDF-".utf8)) || bytes.prefix(1024).firstRange(of: Array("%PDF-".utf8)) != nil {
            return .pdf
        }
        // A ZIP archive: XLSX when it holds a workbook, which the reader checks (its directory is at the end).
        if bytes.starts(with: [0x50, 0x4B, 0x03, 0x04]) { return .xlsx }
        if bytes.starts(with: [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) { return .xls }
        if let known = knownBinary(bytes) { throw DisclosureError.unsupportedFormat(known) }
        if looksLikeHTML(bytes, fileName: fileName) { return .html }
        return .text
    }

    /// `FileBytes.read`'s check of a file's start: its format is known, and text is text.
    static func checkStart(_ start: [UInt8], fileName: String) throws {
        if try sniff(start, fileName: fileName) == .text { try TextDecoding.checkStart(start) }
    }

    private static let htmlExtensions: Set<String> = ["html", "htm", "shtml", "xhtml", "jsp", "asp", "aspx", "php"]

    /// An HTML page starts, after a byte-order mark, blanks and comments, with `<!doctype html`,
    /// `<html`, `<head`, `<meta` or `<?xml` followed by an html element. A file named `.html`
    /// is taken for one when it starts with any tag.
    static func looksLikeHTML(_ bytes: [UInt8], fileName: String) -> Bool {
        var start = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        // UTF-16 pages: the ASCII of the tags with zero bytes between.
        let ascii = bytes.contains(0) ? bytes.filter { $0 != 0 && $0 != 0xFF && $0 != 0xFE } : bytes
        if ascii.count != bytes.count { start = 0 }
        let head = String(decoding: ascii[min(start, ascii.count)...].prefix(2048), as: UTF8.self).lowercased()
        var rest = Substring(head)
        while true {
            rest = rest.drop { $0.isWhitespace }
            if rest.hasPrefix("<!--"), let end = rest.range(of: "-->") { rest = rest[end.upperBound...]; continue }
            if rest.hasPrefix("<?xml"), let end = rest.range(of: "?>") {
                rest = rest[end.upperBound...]
                if !head.contains("<html") { return false }
                continue
            }
            break
        }
        for opening in ["<!doctype html", "<html", "<head", "<meta", "<body", "<title"] where rest.hasPrefix(opening) {
            return true
        }
        let ext = fileName.split(separator: ".").last.map { $0.lowercased() } ?? ""
        return htmlExtensions.contains(ext) && rest.hasPrefix("<") && rest.dropFirst().first.map { $0.isLetter || $0 == "!" } == true
    }

    /// Formats recognised by their signature only to say what they are.
    private static func knownBinary(_ bytes: [UInt8]) -> String? {
        let signatures: [([UInt8], String)] = [
            ([0x89, 0x50, 0x4E, 0x47], "a PNG image"), ([0xFF, 0xD8, 0xFF], "a JPEG image"),
            (Array("GIF8".utf8), "a GIF image"), ([0x49, 0x49, 0x2A, 0x00], "a TIFF image"),
            ([0x4D, 0x4D, 0x00, 0x2A], "a TIFF image"), ([0x1F, 0x8B], "a gzip archive"),
            (Array("7z".utf8) + [0xBC, 0xAF], "a 7-Zip archive"), (Array("Rar!".utf8), "a RAR archive"),
            (Array("{\\rtf".utf8), "an RTF document"), (Array("%!PS".utf8), "a PostScript file"),
            ([0x7F, 0x45, 0x4C, 0x46], "an ELF executable"),
        ]
        if let match = signatures.first(where: { bytes.starts(with: $0.0) }) {
            return match.1 + " (Gongkai reads text, HTML, PDF, XLSX and XLS)"
        }
        return nil
    }
}
