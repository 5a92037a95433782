import Foundation

/// Turns a disclosure's text into records.
public struct DisclosureParser: Sendable {
    public init() {}

    /// Reads and parses one file. Throws only when the file cannot be read as text.
    public func parseFile(atPath path: String) throws -> ParsedDocument {
        let bytes = try FileBytes.read(path)
        let text = try TextDecoding.decode(bytes)
        let fileName = path.split(separator: "/").last.map(String.init) ?? path
        return parse(text: text, fileName: fileName)
    }

    public func parse(text: String, fileName: String) -> ParsedDocument {
        let lines = SourceLines(text)
        let info = DocumentInfoInference.infer(lines: lines.lines)
        var records: [Record] = []
        var section: [String] = []
        for (index, line) in lines.lines.enumerated() {
            let cleaned = SourceLines.clean(line)
            if cleaned.isEmpty { continue }
            if SourceLines.isHeading(cleaned) {
                section = [cleaned]
            }
            records.append(Record(type: .passage, title: section.last ?? cleaned, text: cleaned,
                                  section: section, firstLine: index + 1, lastLine: index + 1))
        }
        return ParsedDocument(fileName: fileName, info: info, records: records)
    }
}

/// A file's text split into lines, with helpers for the PDF debris every layout shares.
struct SourceLines {
    let lines: [String]

    init(_ text: String) {
        var text = text
        if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
        lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            line.hasSuffix("\r") ? String(line.dropLast()) : String(line)
        }
    }

    /// Drops markdown markers, HTML tags and surrounding blanks.
    static func clean(_ line: String) -> String {
        var out = ""
        var inTag = false
        for ch in line {
            if ch == "<" { inTag = true; continue }
            if inTag { if ch == ">" { inTag = false }; continue }
            out.append(ch)
        }
        var trimmed = Substring(out)
        while let first = trimmed.first, first == " " || first == "\t" || first == "#" { trimmed = trimmed.dropFirst() }
        while let last = trimmed.last, last == " " || last == "\t" { trimmed = trimmed.dropLast() }
        return String(trimmed)
    }

    static func isHeading(_ line: String) -> Bool {
        guard line.count <= 40, !line.contains("\t") else { return false }
        let prefixes = ["第一部分", "第二部分", "第三部分", "第四部分", "第五部分", "一、", "二、", "三、", "四、",
                        "五、", "六、", "七、", "八、", "九、", "十、", "表"]
        return prefixes.contains { line.hasPrefix($0) }
    }
}

enum FileBytes {
    static func read(_ path: String) throws -> [UInt8] {
        guard let file = fopen(path, "rb") else {
            throw DisclosureError.unreadable(path: path, reason: String(cString: strerror(errno)))
        }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = fread(&chunk, 1, chunk.count, file)
            if n > 0 { bytes.append(contentsOf: chunk[0..<n]) }
            if n < chunk.count {
                if ferror(file) != 0 {
                    throw DisclosureError.unreadable(path: path, reason: "read error")
                }
                break
            }
        }
        return bytes
    }
}

import Glibc
