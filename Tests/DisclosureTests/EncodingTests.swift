import Testing
@testable import Disclosure

@Suite struct EncodingTests {
    private func reparsed(_ file: String, as encoding: String, prefix: [UInt8] = []) throws -> (ParsedDocument, ParsedDocument) {
        let bytes = try Corpus.bytes(file)
        let encoded = prefix + (try TextDecoding.convert(bytes, from: "UTF-8", to: encoding))
        #expect(encoded != bytes)
        let parser = DisclosureParser()
        return (parser.parse(text: try TextDecoding.decode(encoded), fileName: file),
                parser.parse(text: try TextDecoding.decode(bytes), fileName: file))
    }

    @Test(arguments: Corpus.all)
    func gb18030CopyParsesToTheSameRecords(file: String) throws {
        let (copy, original) = try reparsed(file, as: "GB18030")
        #expect(copy == original)
    }

    @Test func gbkCopyParsesToTheSameRecords() throws {
        let (copy, original) = try reparsed(Corpus.xicheng2022, as: "GBK")
        #expect(copy == original)
    }

    @Test func utf16CopiesParseToTheSameRecords() throws {
        let (withBOM, original) = try reparsed(Corpus.chaoyang2026, as: "UTF-16LE", prefix: [0xFF, 0xFE])
        #expect(withBOM == original)
        let (bigEndian, _) = try reparsed(Corpus.chaoyang2026, as: "UTF-16BE", prefix: [0xFE, 0xFF])
        #expect(bigEndian == original)
        let (withoutBOM, _) = try reparsed(Corpus.chaoyang2026, as: "UTF-16LE")
        #expect(withoutBOM == original)
    }

    @Test(arguments: Corpus.all)
    func windowsLineEndingsParseToTheSameRecords(file: String) throws {
        let bytes = try Corpus.bytes(file)
        let crlf = bytes.flatMap { $0 == UInt8(ascii: "\n") ? [UInt8(ascii: "\r"), $0] : [$0] }
        let parser = DisclosureParser()
        let copy = parser.parse(text: try TextDecoding.decode(crlf), fileName: file)
        let original = parser.parse(text: try TextDecoding.decode(bytes), fileName: file)
        #expect(copy.records.count > 10)
        #expect(copy == original)
    }

    @Test func utf8ByteOrderMarkIsIgnored() throws {
        let (copy, original) = try reparsed(Corpus.xicheng2023, as: "UTF-8", prefix: [0xEF, 0xBB, 0xBF])
        #expect(copy == original)
    }

    @Test func binaryIsRefused() {
        let bytes: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x00, 0x0D, 0x0A, 0x1A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52, 0x01]
        #expect(throws: DisclosureError.notText("contains NUL bytes (first at byte offset 4): binary data")) {
            try TextDecoding.decode(bytes)
        }
    }

    @Test func splitNumbersAreRepaired() {
        #expect(Cell.number("188. 886000") == 188.886)
        #expect(Cell.number("1, 546. 1 90000") == 1546.19)
        #expect(Cell.number("5, 363. 455284") == 5363.455284)
        #expect(Cell.number("2026年") == nil)
        #expect(Cell.number("—") == nil)
    }
}
