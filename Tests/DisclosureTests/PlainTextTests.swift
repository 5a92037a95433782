import Foundation
import Testing
@testable import Disclosure

/// The byte-level fast paths against the Unicode tables and against the Character-level and
/// Foundation code they replace (kept here as references).
@Suite struct PlainTextTests {
    static let plainScalars: [Unicode.Scalar] = (0...0x10FFFF).compactMap { value in
        PlainText.isPlain(UInt32(value)) ? Unicode.Scalar(UInt32(value)) : nil
    }

    @Test func plainScalarsAreCharactersOfTheirOwnWithoutDecomposition() {
        #expect(Self.plainScalars.count > 90_000)
        var failures: [String] = []
        for scalar in Self.plainScalars {
            let text = String(scalar)
            let alone = ("a" + text).count == 2 && (text + "a").count == 2 && (text + text).count == 2
            let whitespace = Character(scalar).isWhitespace == PlainText.isWhitespace(plain: scalar.value)
            if !alone || !whitespace || text.decomposedStringWithCanonicalMapping.unicodeScalars.elementsEqual([scalar]) == false {
                failures.append(String(scalar.value, radix: 16))
            }
        }
        #expect(failures.isEmpty, "not plain: \(failures.prefix(20))")
    }

    /// Text the fast paths must refuse or get right: combining marks, a compatibility ideograph
    /// (U+F967 is canonically 不), CR LF, a no-break and an ideographic space, ≠ (= and a mark).
    static let tricky = [
        "", " ", "区\u{301}", "x区\u{301}y", "\u{F967}a", "不", "a\r\nb", "\r\n", " \u{301}abc ", "\u{3000}表\u{3000}",
        "\u{A0}1 2\u{A0}", "≠", "=\u{338}", "\t\u{301}", "--\u{301}", "- -", "-|-", ":|", "[illegible]", " [ illegible ] ",
        "MCU 控制主机", "IVR flow", "西城区 2022 年度 政务服务", "1, 546. 1 90000", "e\u{301}", "表 一", "\u{1F600}\u{FE0F} x",
    ]

    static let corpusTexts: [String] = Corpus.all.flatMap { name -> [String] in
        let lines = SourceLines(try! TextDecoding.decode(Corpus.bytes(name))).lines
        return lines + lines.flatMap { $0.split(separator: "\t").map(String.init) }
    }

    static let samples = tricky + corpusTexts + tricky.flatMap { a in tricky.map { a + "中" + $0 } }

    static let needles = ["\t", "区", "西城区", "决算", "。", "--", "单位:", "不", "=", "e", "\n", "\r", "b", "表", ""]

    @Test func containsTextAgreesWithFoundation() {
        for text in Self.samples {
            for needle in Self.needles {
                #expect(text.containsText(needle) == (text.range(of: needle) != nil), "\(text.debugDescription) ∋ \(needle.debugDescription)")
                #expect(text.rangeOfText(needle) == text.range(of: needle))
            }
            let sub = text.dropFirst()
            #expect(sub.containsText("\t") == (sub.range(of: "\t") != nil))
        }
    }

    @Test func compactedAndTrimmingAgreeWithCharacterLevel() {
        for text in Self.samples {
            #expect(text.compacted == String(text.filter { !$0.isWhitespace }), "\(text.debugDescription)")
            let start = text.firstIndex { !$0.isWhitespace } ?? text.endIndex
            let end = text.lastIndex { !$0.isWhitespace }.map { text.index(after: $0) } ?? start
            let trimmed = text.trimmingWhitespace
            #expect(trimmed == text[start..<max(start, end)] && trimmed.utf8.elementsEqual(text[start..<max(start, end)].utf8))
        }
    }

    @Test func debrisAndSpacesAgreeWithCharacterLevel() {
        func referenceIsDebris(_ line: String) -> Bool {
            let compact = line.filter { !$0.isWhitespace }
            if compact.isEmpty { return false }
            if compact == "[illegible]" { return true }
            return compact.range(of: "--") != nil && compact.allSatisfy { $0 == "-" || $0 == "|" || $0 == ":" }
        }
        func referenceNormalizeSpaces(_ text: String) -> String {
            func isWord(_ ch: Character) -> Bool { ch.isASCII && (ch.isLetter || ch.isNumber || ch == "%" || ch == ".") }
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
        for text in Self.samples {
            #expect(SourceLines.isDebris(text) == referenceIsDebris(text), "\(text.debugDescription)")
            let normalized = Wrapped.normalizeSpaces(text)
            #expect(normalized.utf8.elementsEqual(referenceNormalizeSpaces(text).utf8), "\(text.debugDescription)")
        }
    }
}
