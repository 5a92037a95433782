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

    /// `PlainText.isPlain(_:longerThan:)` stands in for comparing with these: they must be in NFC.
    @Test func literalsComparedByLengthAreNFC() {
        for literal in Array(Cell.operators) + Cell.level1Names {
            #expect(literal.precomposedStringWithCanonicalMapping.utf8.elementsEqual(literal.utf8))
        }
        for scalar in Self.plainScalars where !String(scalar).precomposedStringWithCanonicalMapping.unicodeScalars.elementsEqual([scalar]) {
            Issue.record("plain but not NFC: \(String(scalar.value, radix: 16))")
        }
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

    @Test func cellsAndNamesAgreeWithCharacterLevel() {
        func referenceNumber(_ cell: String) -> Double? {
            var digits = ""
            var sawDigit = false
            var sawPoint = false
            for ch in cell where !ch.isWhitespace && ch != "," {
                if ch.isASCII && ch.isNumber {
                    sawDigit = true
                } else if ch == "." && !sawPoint {
                    sawPoint = true
                } else if ch == "-" && digits.isEmpty {
                } else {
                    return nil
                }
                digits.append(ch)
            }
            guard sawDigit, digits.last != "." else { return nil }
            return Double(digits)
        }
        func referenceBigrams(_ s: String) -> [String] {
            let chars = Array(s)
            return chars.count < 2 ? [s] : (0..<(chars.count - 1)).map { String(chars[$0...($0 + 1)]) }
        }
        func referenceDice(_ a: String, _ b: String) -> Double {
            let left = referenceBigrams(a)
            var right = referenceBigrams(b)
            var shared = 0
            for gram in left {
                if let index = right.firstIndex(of: gram) { shared += 1; right.remove(at: index) }
            }
            return Double(2 * shared) / Double(left.count + referenceBigrams(b).count)
        }
        func referenceScheme(_ code: String) -> CodeScheme? {
            guard code.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
            switch (code.first, code.count) {
            case ("2", 3), ("2", 5), ("2", 7): return .function
            case ("5", 3), ("5", 5): return .governmentEconomic
            case ("3", 3), ("3", 5): return .departmentEconomic
            default: return nil
            }
        }
        func referenceProjectCode(_ text: String, partial: Bool) -> Bool {
            let chars = Array(text)
            guard partial ? chars.count > 9 && chars.count < 21 : chars.count == 21, chars[8].isLetter, chars[8].isASCII else { return false }
            return chars[..<8].allSatisfy { $0.isASCII && $0.isNumber } && chars[9...].allSatisfy { $0.isASCII && $0.isNumber }
        }
        let projectCodes = ["11010222T000000417336", "11010525T0000034", "11010222t000000417336", "1101022２T000000417336",
                            "11010222T00000041733\u{301}", "11010222T0000004\r\n1733", "1101022T0000004173361", "11010222T0"]
        for text in Self.samples + projectCodes {
            #expect(Cell.isProjectCode(text) == referenceProjectCode(text, partial: false), "\(text.debugDescription)")
            #expect(Cell.isPartialProjectCode(text) == referenceProjectCode(text, partial: true), "\(text.debugDescription)")
        }
        let numbers = ["188. 886000", "1, 546. 1 90000", "-3.5", "1.", "-", "1\u{301}", "１", "12 万", "\u{3000}7\u{A0}", "1.2.3"]
        let codes = ["2\r\n1-x", "1A-x", "A1-x", "１2-x", "2010301-行政运行", "299001 -北京市", "11010222T000000417336-名称", "31－部门项目", "a-b", "2\u{301}-x", "-", "1-"]
        for text in Self.samples + numbers + codes {
            #expect(Cell.number(text) == referenceNumber(text), "\(text.debugDescription)")
            for code in [text, "201", "20103", "2010301", "50201", "30101", "2\u{301}01", "3\r\n1", ""] {
                #expect(Cell.scheme(ofCode: code) == referenceScheme(code))
            }
            let dash = text.firstIndex { $0 == "-" || $0 == "－" }
            let code = dash.flatMap { dash -> (String, String)? in
                let code = text[..<dash].compacted
                guard code.count >= 2, code.allSatisfy({ $0.isASCII && ($0.isNumber || $0.isUppercase) }),
                      code.first!.isNumber else { return nil }
                return (code, Wrapped.normalizeSpaces(String(text[text.index(after: dash)...].trimmingWhitespace)))
            }
            #expect(Cell.code(text)?.code == code?.0 && Cell.code(text)?.name == code?.1, "\(text.debugDescription)")
            #expect(text.pieces(separatedBy: UInt8(ascii: "\t")) == text.split(separator: "\t", omittingEmptySubsequences: false))
            #expect(text.pieces(separatedBy: UInt8(ascii: "\n")) == text.split(separator: "\n", omittingEmptySubsequences: false))
            #expect(text.replacingTabs.utf8.elementsEqual(String(text.map { $0 == "\t" ? " " : $0 }).utf8))
        }
        let names = ["一窗式服务", "窗口式服务", "业务咨询", "业咨询", "a", "", "不", "\u{F967}", "e\u{301}x", "éx", "区区区"]
        for a in names {
            for b in names {
                #expect(ProjectRegistry.dice(a, b) == referenceDice(a, b), "\(a) \(b)")
            }
        }
    }

    @Test func suffixesCountsAndDistinctTextsAgreeWithCharacterLevel() {
        let samples = Self.samples + ["合计", "本年合计", "合\u{301}计", "合计\u{301}", "总计 ", "“（一）数量指标”", "①②③"]
        for text in samples {
            #expect(text.hasSuffixText("合计") == text.hasSuffix("合计"), "\(text.debugDescription)")
            for limit in [0, 1, 8, 19, 36, 60] {
                #expect(text.hasAtMost(limit) == (text.count <= limit), "\(text.debugDescription) \(limit)")
            }
        }
        let texts = ["a", "表", "a", "\u{F967}", "不", "e\u{301}", "é", "表", "b"]
        #expect(texts.distinctTexts == texts.distinct)
        #expect(Array(texts.prefix(3)).distinctTexts == ["a", "表"])
    }
}

