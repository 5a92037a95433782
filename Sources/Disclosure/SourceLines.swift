import Foundation

/// A file's text split into lines, with helpers for the PDF debris every layout shares.
struct SourceLines {
    /// Cleaned lines: HTML tags and markdown markers gone, tabs (table cells) kept.
    let lines: [String]

    init(_ text: String) {
        var text = text
        if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
        // Windows (CR LF) and old Mac (CR) line ends become LF: "\r\n" is one Character, which
        // splitting at LF would never see.
        if text.containsByte(UInt8(ascii: "\r")) {
            text = text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
        }
        lines = text.pieces(separatedBy: UInt8(ascii: "\n")).map { SourceLines.clean(String($0)) }
    }

    /// Drops HTML tags (block tags become a space), markdown heading and list markers and
    /// surrounding blanks. Lines with tabs keep their tabs: every tab separates a table cell.
    static func clean(_ line: String) -> String {
        // Without a `<` the tag loop below copies the line unchanged.
        var out = line.containsByte(UInt8(ascii: "<")) ? withoutTags(line) : line
        if out.containsTab {
            // Only a last byte of space or CR can end the line in a " " or "\r" Character.
            if let last = out.utf8.last, last == UInt8(ascii: " ") || last == UInt8(ascii: "\r") {
                while let last = out.last, last == " " || last == "\r" { out.removeLast() }
            }
            return out
        }
        var trimmed = Substring(out).trimmingWhitespace
        // A markdown marker's first byte decides whether to look further.
        guard let first = trimmed.utf8.first, first == UInt8(ascii: "#") || first == UInt8(ascii: "-")
                || first == UInt8(ascii: "*") else { return String(trimmed) }
        if trimmed.hasPrefix("#") {
            trimmed = trimmed.drop { $0 == "#" }.trimmingWhitespace
        } else if trimmed.hasPrefix("- ") || trimmed.hasPrefix("* ") {
            trimmed = trimmed.dropFirst(2).trimmingWhitespace
        }
        return String(trimmed)
    }

    /// `clean` for a line a format reader made: its tags and markdown-like markers are text (`<5%`,
    /// `- 3 -`), so only blanks are trimmed.
    static func cleanExtracted(_ line: String) -> String {
        if line.containsTab {
            var out = line
            while let last = out.last, last == " " { out.removeLast() }
            return out
        }
        return String(line.trimmingWhitespace)
    }

    private static func withoutTags(_ line: String) -> String {
        var out = ""
        var tag = ""
        var inTag = false
        for ch in line {
            if ch == "<", !inTag { inTag = true; tag = ""; continue }
            if inTag {
                if ch == ">" {
                    inTag = false
                    let name = tag.drop { $0 == "/" }.prefix { $0.isLetter }.lowercased()
                    if ["p", "li", "ol", "ul", "br", "div", "tr", "td"].contains(name) { out.append(" ") }
                } else {
                    tag.append(ch)
                }
                continue
            }
            out.append(ch)
        }
        if inTag { out += "<" + tag }
        return out
    }

    /// Whether `clean` may change a line it has cleaned already: only one with a tag left open,
    /// or one left starting with another markdown marker (`# # 标题`). Saves cleaning every line twice.
    static func mayChangeWhenCleanedAgain(_ line: String) -> Bool {
        guard let first = line.utf8.first else { return false }
        return first == UInt8(ascii: "#") || first == UInt8(ascii: "-") || first == UInt8(ascii: "*")
            || line.containsByte(UInt8(ascii: "<"))
    }

    /// `[illegible]` markers and `--|--` separators: PDF debris that carries no content.
    static func isDebris(_ line: String) -> Bool {
        // Most lines start with text: decided by their first plain scalar that is neither space
        // nor debris. Its Character (it starts one) is then the compacted line's first
        // non-debris Character, whatever follows.
        let decided = line.utf8.withContiguousStorageIfAvailable { bytes -> Bool? in
            var sawDash = false
            var sawDoubleDash = false
            var sawContent = false
            var index = 0
            while index < bytes.count {
                let (value, length) = PlainText.scalar(at: index, in: bytes)
                index += length
                guard PlainText.isPlain(value) else { return nil }
                if PlainText.isWhitespace(plain: value) { continue }
                switch value {
                case UInt32(UInt8(ascii: "-")):
                    sawDoubleDash = sawDoubleDash || sawDash
                    sawDash = true
                case UInt32(UInt8(ascii: "|")), UInt32(UInt8(ascii: ":")):
                    sawDash = false
                case UInt32(UInt8(ascii: "[")):
                    return nil  // perhaps `[illegible]`
                default:
                    return false
                }
                sawContent = true
            }
            return sawContent && sawDoubleDash
        }
        return (decided ?? nil) ?? slowIsDebris(line)
    }

    private static func slowIsDebris(_ line: String) -> Bool {
        let compact = line.filter { !$0.isWhitespace }
        if compact.isEmpty { return false }
        if compact == "[illegible]" { return true }
        return compact.containsText("--") && compact.allSatisfy { $0 == "-" || $0 == "|" || $0 == ":" }
    }
}

/// Narrative headings and their depth in the section path.
enum Heading {
    static let chineseNumerals: Set<Character> = ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十"]

    /// The depth of a heading line (0 = 第一部分, 1 = 一、, 2 = （一）, 3 = 1、, 4 = （1）), or nil
    /// when the line is body text.
    static func level(of line: String) -> Int? {
        guard line.hasAtMost(36), !line.containsText("。"), !line.containsText("，"), !line.containsTab else { return nil }
        let chars = Array(line)
        if chars.first == "第", let part = line.firstIndex(of: "部"),
           line[line.index(after: line.startIndex)..<part].allSatisfy({ chineseNumerals.contains($0) }),
           line[part...].hasPrefix("部分") {
            return 0
        }
        let numerals = chars.prefix { chineseNumerals.contains($0) }
        if !numerals.isEmpty, chars.count > numerals.count, chars[numerals.count] == "、" { return 1 }
        if let open = chars.first, open == "（" || open == "(" {
            let inner = chars.dropFirst().prefix { $0 != "）" && $0 != ")" }
            guard !inner.isEmpty, inner.count < chars.count - 1 else { return nil }
            if inner.allSatisfy({ chineseNumerals.contains($0) }) { return 2 }
            if inner.allSatisfy({ $0.isASCII && $0.isNumber }) { return 4 }
            return nil
        }
        let digits = chars.prefix { $0.isASCII && $0.isNumber }
        if !digits.isEmpty, digits.count <= 2, chars.count > digits.count + 1,
           ["、", ".", "．"].contains(chars[digits.count]), !(chars[digits.count + 1].isNumber) {
            return 3
        }
        return nil
    }
}

extension StringProtocol {
    var trimmingWhitespace: SubSequence {
        if let offsets = utf8.withContiguousStorageIfAvailable(PlainText.trimmedOffsets), let offsets {
            let start = utf8.index(utf8.startIndex, offsetBy: offsets.start)
            return self[start..<utf8.index(start, offsetBy: offsets.end - offsets.start)]
        }
        let start = firstIndex { !$0.isWhitespace } ?? endIndex
        let end = lastIndex { !$0.isWhitespace }.map { index(after: $0) } ?? start
        return self[start..<Swift.max(start, end)]
    }

    /// The text without any whitespace: how labels and names are compared.
    var compacted: String {
        switch utf8.withContiguousStorageIfAvailable(PlainText.compacted) {
        case .unchanged: return String(self)
        case .rewritten(let text): return text
        case .notPlain, nil: return String(filter { !$0.isWhitespace })
        }
    }
}

enum Wrapped {
    /// Joins text the PDF wrapped or split with spaces: a space survives only between two ASCII
    /// letters or digits (`MCU 控制主机` keeps none, `IVR flow` keeps its space).
    static func join(_ parts: [String]) -> String {
        var out = ""
        for part in parts {
            let piece = String(part.trimmingWhitespace)
            if piece.isEmpty { continue }
            if let last = out.last, let first = piece.first, isWord(last), isWord(first) { out.append(" ") }
            out += piece
        }
        return normalizeSpaces(out)
    }

    /// Removes spaces next to CJK text inside one string (`西城区 2022 年度 政务服务` → `西城区2022年度政务服务`).
    static func normalizeSpaces(_ text: String) -> String {
        var text = text
        switch text.withUTF8(plainNormalizedSpaces) {
        case .unchanged: return text
        case .rewritten(let normalized): return normalized
        case .notPlain: break
        }
        let chars = Array(text)
        var out = ""
        for (i, ch) in chars.enumerated() {
            if ch.isWhitespace {
                let before = out.last
                let after = chars[(i + 1)...].first { !$0.isWhitespace }
                if let before, let after, isWord(before), isWord(after), !(out.last?.isWhitespace ?? true) {
                    out.append(" ")
                }
                continue
            }
            out.append(ch)
        }
        return out
    }

    /// `normalizeSpaces` for plain text, where every scalar is a Character: a run of whitespace
    /// becomes one space between two ASCII words and nothing elsewhere.
    private static func plainNormalizedSpaces(_ bytes: UnsafeBufferPointer<UInt8>) -> PlainText.Rewrite {
        guard PlainText.isPlain(bytes) else { return .notPlain }
        guard bytes.contains(where: { $0 <= 0x20 || $0 == 0xC2 || $0 == 0xE3 }) else {
            return .unchanged  // no whitespace: ASCII ones, U+00A0 (C2 A0) and U+3000 (E3 80 80)
        }
        func isWord(_ byte: UInt8) -> Bool {  // `isWord` of an ASCII Character
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "%"), UInt8(ascii: "."): return true
            default: return false
            }
        }
        var out: [UInt8] = []
        var index = 0
        var changed = false
        while index < bytes.count {
            let (value, length) = PlainText.scalar(at: index, in: bytes)
            guard PlainText.isWhitespace(plain: value) else {
                out.append(contentsOf: bytes[index..<index + length])
                index += length
                continue
            }
            changed = true
            var next = index + length
            while next < bytes.count {
                let (value, length) = PlainText.scalar(at: next, in: bytes)
                if !PlainText.isWhitespace(plain: value) { break }
                next += length
            }
            // A word's last scalar is its last byte and a word's first scalar its first byte.
            if let before = out.last, next < bytes.count, isWord(before), isWord(bytes[next]) {
                out.append(UInt8(ascii: " "))
            }
            index = next
        }
        return changed ? .rewritten(String(decoding: out, as: UTF8.self)) : .unchanged
    }

    private static func isWord(_ ch: Character) -> Bool {
        ch.isASCII && (ch.isLetter || ch.isNumber || ch == "%" || ch == ".")
    }
}
