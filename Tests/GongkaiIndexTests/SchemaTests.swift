import Foundation
import Testing
@testable import GongkaiIndex

@Suite struct SchemaTests {
    static let documented: String = {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Index/SCHEMA.md").path
        return (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    }()

    @Test func schemaMarkdownDescribesEveryFieldAndFacetOfTheTable() {
        #expect(Self.documented.contains("# Gongkai index schema (version \(Schema.version))"))
        for field in Schema.fields {
            if let prefix = field.termPrefix {
                #expect(Self.documented.contains("| `\(prefix)` | \(field.name.rawValue) |"), "\(field.name)")
            }
            for facet in field.facets {
                #expect(Self.documented.contains("| \(facet.slot) | `\(facet.name)` |"), "\(facet.name)")
            }
        }
        #expect(Self.documented.contains("| \(Schema.amountSlot) | (amount) |"))
        for prefix in [Schema.Prefix.uniqueID, Schema.Prefix.file] {
            #expect(Self.documented.contains("| `\(prefix)` |"))
        }
    }

    @Test func noPrefixStartsAnotherAndNoSlotIsShared() {
        let prefixes = Schema.fields.compactMap(\.termPrefix) + [Schema.Prefix.uniqueID, Schema.Prefix.file]
        for a in prefixes {
            for b in prefixes where a != b { #expect(!b.hasPrefix(a), "\(a) starts \(b)") }
        }
        #expect(Set(prefixes).count == prefixes.count)
        let slots = Schema.facets.map(\.slot) + [Schema.amountSlot]
        #expect(Set(slots).count == slots.count)
    }

    @Test func longValuesStayDistinctTermsWithinXapiansLimit() {
        let a = String(repeating: "预算", count: 40) + "甲.txt", b = String(repeating: "预算", count: 40) + "乙.txt"
        let termA = Schema.term(Schema.Prefix.file, a), termB = Schema.term(Schema.Prefix.file, b)
        #expect(termA != termB)
        #expect(termA.utf8.count <= Schema.maximumTermBytes && termB.utf8.count <= Schema.maximumTermBytes)
        #expect(Schema.term(Schema.Prefix.file, "short.txt") == "XFshort.txt")
        #expect(Schema.term("XU", "PM2.5") == "XU:PM2.5")
    }
}

/// Strings are written in runs between escapes; every escape must still come out right.
@Suite struct JSONStringWritingTests {
    @Test(arguments: ["", "视频会议", "a\"b\\c", "行1\n行2\r\t", "\u{01}\u{1F}x", "前\u{2028}中\u{2029}后",
                      "\u{2027}\u{202A}", "€\u{E2}", "\"", "😀\u{7F}", "结尾\\"])
    func roundTrips(text: String) throws {
        let written = JSONValue.string(text).serialized()
        #expect(!written.unicodeScalars.contains { $0.value < 0x20 || $0 == "\u{2028}" || $0 == "\u{2029}" })
        #expect(try JSONValue.parse(Array(written.utf8)) == .string(text))
    }

    /// Long runs are skipped eight bytes at a time: an escape at any offset of such a run.
    @Test(arguments: ["\"", "\\", "\n", "\u{01}", "\u{1F}", "\u{2028}", "\u{2029}"])
    func anEscapeAnywhereInALongRun(special: String) throws {
        for base in ["abcdefghijklmnopqrstuvwx", "预算项目支出绩效目标表"] {
            for offset in 0...base.count {
                var text = base
                text.insert(contentsOf: special, at: text.index(text.startIndex, offsetBy: offset))
                let written = JSONValue.string(text).serialized()
                #expect(!written.unicodeScalars.contains { $0.value < 0x20 || $0 == "\u{2028}" || $0 == "\u{2029}" })
                #expect(try JSONValue.parse(Array(written.utf8)) == .string(text))
            }
        }
        // 0xE2 leads other characters too (… ‘ ’ “ ”), which stay as they are.
        #expect(JSONValue.string("前后……“引号”‘单’等等等等").serialized() == "\"前后……“引号”‘单’等等等等\"")
    }
}

@Suite struct JSONStringParsingTests {
    @Test func stringsWithAndWithoutEscapesParseAlike() throws {
        #expect(try JSONValue.parse(Array(#"{"a":"视频会议","b":"前\"中\\后\u8d39\ud83d\ude00"}"#.utf8))
                == .object([("a", .string("视频会议")), ("b", .string("前\"中\\后费😀"))]))
    }

    @Test(arguments: [
        [UInt8(ascii: "\""), 0xE8, 0xA7, UInt8(ascii: "\"")],        // a cut-off sequence in a plain run
        [UInt8(ascii: "\""), 0x61, 0x0A, 0x62, UInt8(ascii: "\"")],  // a raw newline
        [UInt8(ascii: "\""), 0x61, 0x62],                            // no closing quote
        [UInt8(ascii: "\""), 0xFF, UInt8(ascii: "\\"), UInt8(ascii: "n"), UInt8(ascii: "\"")],  // bad bytes before an escape
    ])
    func badStringsAreRefused(bytes: [UInt8]) {
        #expect(throws: JSONValue.ParseError.self) { try JSONValue.parse(bytes) }
    }
}
