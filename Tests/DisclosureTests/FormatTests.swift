import Foundation
import Glibc
import Testing
import ZIPFoundation
@testable import Disclosure

/// The fixtures in Index/fixtures: sample disclosures of Index/corpus made into HTML pages, and by
/// LibreOffice into PDF, XLSX and XLS files (Scripts/make-format-fixtures).
enum Fixtures {
    static let stems = ["001_1a6cbd115fe7ae86", "002_e3bab72684dbaaaa", "004_00c192bc11a47879"]

    static func path(_ name: String) -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Index/fixtures/\(name)").path
    }

    static func parse(_ name: String) throws -> ParsedDocument {
        try DisclosureParser().parseFile(atPath: path(name))
    }
}

/// What a format must carry over from the text file: projects with their code and figures, line
/// items with their codes and figures, indicators with their levels, targets and project.
struct RecordSummary: Equatable, CustomStringConvertible {
    var projects: [String]
    var lineItems: [String]
    var indicators: [String]

    init(_ document: ParsedDocument, tables: Set<String>? = nil) {
        func amounts(_ record: Record) -> String {
            record.amounts.map { "\($0.label)=\($0.wanYuan.formatted6)" }.sorted().joined(separator: ",")
        }
        let records = document.records.filter { tables == nil || tables!.contains($0.table ?? "") }
        projects = records.filter { $0.type == .project }
            .map { "\($0.title) [\($0.projectCode ?? "")] \(amounts($0))" }.sorted()
        lineItems = records.filter { $0.type == .lineItem }
            .map { "\($0.table ?? "") \($0.codes.map(\.code).sorted()) \(amounts($0)) \($0.projectName ?? "")" }.sorted()
        indicators = records.filter { $0.type == .indicator }.map { record in
            let i = record.indicator
            return [i?.level1, i?.level2, i?.level3, i?.op, i?.value, i?.unit, record.projectName, record.fields["weight"],
                    record.fields["score"]].map { ($0 ?? "").compacted }.joined(separator: "|")
        }.sorted()
    }

    var description: String { "\(projects.count) projects, \(lineItems.count) line items, \(indicators.count) indicators" }
}

@Suite struct FormatTests {
    @Test(arguments: Fixtures.stems, ["html", "xlsx", "xls"])
    func formatGivesTheTextFilesRecords(stem: String, format: String) throws {
        let text = try Corpus.parse(stem + ".txt")
        let other = try Fixtures.parse("\(stem).\(format)")
        #expect(other.format.rawValue == format)
        #expect(other.info == text.info)
        let expected = RecordSummary(text)
        let found = RecordSummary(other)
        #expect(expected.lineItems.count + expected.indicators.count > 100)
        #expect(found.projects == expected.projects)
        #expect(found.lineItems == expected.lineItems)
        #expect(found.indicators == expected.indicators)
    }

    /// Budget tables rebuilt from the PDF's word boxes give the text file's line items, and
    /// performance tables the indicators of these projects ("" for department-wide ones); records
    /// name the page they start on. (Projects whose cells run over a whole page do not yet.)
    @Test(arguments: [
        ("001_1a6cbd115fe7ae86", ["部门支出总体情况表", "项目支出表", "一般公共预算支出情况表", "一般公共预算基本支出情况表",
                                  "部门收支总体情况表（支出）", "一般公共预算“三公”经费支出情况表"],
         ["", "西城区政府会议室系统设备保障服务", "800兆无线电运维费"]),
        ("002_e3bab72684dbaaaa", ["支出预算总表", "一般公共预算财政拨款支出表", "一般公共预算财政拨款基本支出表",
                                  "政府购买服务预算财政拨款明细表", "财政拨款收支预算总表（支出）", "收支总表（支出）"],
         ["", "区政府信息公开专项法律服务", "政务服务运转保障经费", "日常法律顾问经费", "政务服务大厅咨询引导服务",
          "朝阳区政务服务管理局监控系统维保服务", "朝阳区政务服务管理局等保定级备案以及等级测评服务"]),
    ])
    func pdfTablesGiveTheTextFilesRecords(stem: String, tables: [String], projects: [String]) throws {
        let text = try Corpus.parse(stem + ".txt")
        let pdf = try Fixtures.parse(stem + ".pdf")
        #expect(pdf.format == .pdf)
        #expect(pdf.info == text.info)
        let expected = RecordSummary(text, tables: Set(tables))
        #expect(expected.lineItems.count > 50)
        #expect(RecordSummary(pdf, tables: Set(tables)).lineItems == expected.lineItems)
        func indicators(_ document: ParsedDocument) -> [String] {
            RecordSummary(document).indicators.filter { projects.contains(String($0.split(separator: "|", omittingEmptySubsequences: false)[6])) }
        }
        #expect(indicators(text).count > 30)
        #expect(indicators(pdf) == indicators(text))
        #expect(pdf.records.allSatisfy { ($0.page ?? 0) >= 1 })
        #expect(text.records.allSatisfy { $0.page == nil })
    }

    @Test func pdfRecordsNameTheirPage() throws {
        let pdf = try Fixtures.parse("001_1a6cbd115fe7ae86.pdf")
        let item = try #require(pdf.records.first { $0.type == .lineItem && $0.projectName == "区领导慰问经费" })
        #expect(item.page == 6)
        #expect(pdf.records.first?.page == 1)
        #expect(Set(pdf.records.compactMap(\.page)).count >= 15)
    }

    @Test func evaluationReportProjectAndScoresFromEveryFormat() throws {
        for name in ["004_00c192bc11a47879.html", "004_00c192bc11a47879.xlsx"] {
            let document = try Fixtures.parse(name)
            let project = try #require(document.records.first { $0.type == .project && $0.title == "丰台区2021年区政府网站运维项目" })
            #expect(project.fields["maxScore"] == "100")
            #expect(project.fields["score"] == "83.72")
            let scored = document.records.filter { $0.type == .indicator && $0.projectName == project.title }
            #expect(scored.count == 36)
            let first = try #require(scored.first { $0.indicator?.level3 == "立项依据充分性" && $0.fields["score"] != nil })
            #expect(first.indicator?.level1 == "决策（10分）")
            #expect(first.fields["weight"] == "1.5")
        }
    }

    @Test func scansAndEncryptedPDFsAreReportedWithTheirReason() {
        #expect(throws: DisclosureError.noTextLayer(pages: 1)) { try Fixtures.parse("scan.pdf") }
        #expect(throws: DisclosureError.encrypted("it needs a password to open")) { try Fixtures.parse("encrypted.pdf") }
    }

    /// The fixture page carries a script, a breadcrumb, a date/source/share bar, a menu and a footer.
    @Test func htmlClutterIsDropped() throws {
        let document = try Fixtures.parse("001_1a6cbd115fe7ae86.html")
        let texts = document.records.map { $0.title + "\n" + $0.text }
        for clutter in ["不应出现在索引里", "政务公开 > 财政", "首页", "字号", "分享", "互动交流", "ICP备", "版权所有"] {
            #expect(!texts.contains { $0.contains(clutter) }, "\(clutter)")
        }
        #expect(texts.contains { $0.contains("区政府办公室行政编制 58 人") })
    }

    @Test func htmlInGBKHonoursItsMetaCharset() throws {
        let utf8 = try FileBytes.read(Fixtures.path("001_1a6cbd115fe7ae86.html"))
        let page = String(decoding: utf8, as: UTF8.self).replacingOccurrences(of: "<meta charset=\"utf-8\">",
                                                                               with: "<meta http-equiv=\"Content-Type\" content=\"text/html; charset=gb2312\">")
        let gbk = try TextDecoding.convert(Array(page.utf8), from: "UTF-8", to: "GBK")
        let parser = DisclosureParser()
        let fromGBK = try parser.parse(bytes: gbk, fileName: "page.html")
        let fromUTF8 = try parser.parse(bytes: utf8, fileName: "page.html")
        #expect(fromGBK.format == .html)
        #expect(fromGBK.records == fromUTF8.records)
        #expect(fromGBK.warnings.isEmpty)
    }

    /// Header cells spanning rows and columns are laid out on the table's grid, each at its first
    /// column; a page that declares UTF-8 but was saved as GBK is read as GBK.
    @Test func htmlSpansAreLaidOutOnTheGrid() throws {
        let page = """
            <html><head><meta charset="utf-8"><title>北京市西城区财政局2023年部门预算_北京市西城区人民政府</title></head><body>
            <p>当前位置：首页 &gt; 政务公开</p><h2>表三：部门支出总体情况表</h2><p>金额单位：万元</p>
            <table><tr><th rowspan="2">科目编码</th><th rowspan="2">科目名称</th><th colspan="2">本年拨款</th><th rowspan="2">合计</th></tr>
            <tr><th>基本支出</th><th>项目支出</th></tr>
            <tr><td>2010301</td><td>行政<br>运行</td><td>1,000.00</td><td>&nbsp;</td><td>1,000.00</td></tr></table>
            <p>日期：2023-02-10&nbsp;&nbsp;来源：区财政局</p></body></html>
            """
        let gbk = try TextDecoding.convert(Array(page.utf8), from: "UTF-8", to: "GB18030")
        let text = try DisclosureParser().extractedText(bytes: gbk, fileName: "page.html").lines.filter { !$0.isEmpty }
        #expect(text == ["北京市西城区财政局2023年部门预算", "表三：部门支出总体情况表", "金额单位：万元",
                         "科目编码\t科目名称\t本年拨款\t\t合计", "\t\t基本支出\t项目支出\t", "2010301\t行政运行\t1,000.00\t\t1,000.00"])
        let info = try DisclosureParser().parse(bytes: gbk, fileName: "page.html").info
        #expect(info.department == "北京市西城区财政局")
    }

    /// Inline strings, a merged title, numbers with percent and thousands formats, a hidden sheet.
    @Test func xlsxInlineStringsMergedCellsAndNumberFormats() throws {
        let sheet = """
            <?xml version="1.0" encoding="UTF-8"?>
            <x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><x:sheetData>
            <x:row r="1"><x:c r="A1" t="inlineStr"><x:is><x:t>表三：部门支出总体情况表</x:t></x:is></x:c><x:c r="B1" t="inlineStr"><x:is><x:t>表三：部门支出总体情况表</x:t></x:is></x:c></x:row>
            <x:row r="2"><x:c r="A2" t="inlineStr"><x:is><x:t>金额单位：万元</x:t></x:is></x:c></x:row>
            <x:row r="3"><x:c r="A3" t="inlineStr"><x:is><x:t>功能分类科目编码</x:t></x:is></x:c><x:c r="B3" t="inlineStr"><x:is><x:r><x:t>科目</x:t></x:r><x:r><x:t>名称</x:t></x:r></x:is></x:c><x:c r="C3" t="inlineStr"><x:is><x:t>合计</x:t></x:is></x:c><x:c r="D3" t="inlineStr"><x:is><x:t>执行率</x:t></x:is></x:c></x:row>
            <x:row r="4"><x:c r="A4"><x:v>2010301</x:v></x:c><x:c r="B4" t="inlineStr"><x:is><x:t>行政运行</x:t></x:is></x:c><x:c r="C4" s="1"><x:v>1234.5678</x:v></x:c><x:c r="D4" s="2"><x:v>0.85</x:v></x:c></x:row>
            </x:sheetData><x:mergeCells count="1"><x:mergeCell ref="A1:D1"/></x:mergeCells></x:worksheet>
            """
        let workbook = """
            <?xml version="1.0" encoding="UTF-8"?>
            <workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">
            <sheets><sheet name="表三" sheetId="1" r:id="rId1"/><sheet name="隐藏" sheetId="2" state="hidden" r:id="rId2"/></sheets></workbook>
            """
        let relations = """
            <?xml version="1.0" encoding="UTF-8"?>
            <Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
            <Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>
            <Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="/xl/worksheets/sheet2.xml"/>
            <Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>
            </Relationships>
            """
        let styles = """
            <?xml version="1.0" encoding="UTF-8"?>
            <styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><numFmts count="1"><numFmt numFmtId="164" formatCode="#,##0.000000"/></numFmts>
            <cellXfs count="3"><xf numFmtId="0"/><xf numFmtId="164"/><xf numFmtId="9"/></cellXfs></styleSheet>
            """
        let hidden = #"<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>隐藏的内容</t></is></c><c r="B1"><v>1</v></c></row></sheetData></worksheet>"#
        let archive = try Archive(accessMode: .create)
        for (path, text) in [("xl/workbook.xml", workbook), ("xl/_rels/workbook.xml.rels", relations), ("xl/styles.xml", styles),
                             ("xl/worksheets/sheet1.xml", sheet), ("xl/worksheets/sheet2.xml", hidden)] {
            let data = Data(text.utf8)
            try archive.addEntry(with: path, type: .file, uncompressedSize: Int64(data.count), compressionMethod: .deflate) { position, size in
                data.subdata(in: Int(position)..<Int(position) + size)
            }
        }
        let bytes = [UInt8](try #require(archive.data))
        let parser = DisclosureParser()
        let lines = try parser.extractedText(bytes: bytes, fileName: "book.xlsx").lines.filter { !$0.isEmpty }
        #expect(lines == ["表三：部门支出总体情况表", "金额单位：万元", "功能分类科目编码\t科目名称\t合计\t执行率", "2010301\t行政运行\t1,234.567800\t85%"])
        let document = try parser.parse(bytes: bytes, fileName: "book.xlsx")
        let item = try #require(document.records.first { $0.type == .lineItem })
        #expect(item.codes.map(\.code) == ["2010301"])
        #expect(item.table == "部门支出总体情况表")
        #expect(item.amounts.first?.wanYuan == 1234.5678)
    }

    @Test func formatIsSniffedFromContentNotName() throws {
        let pdf = try FileBytes.read(Fixtures.path("scan.pdf"))
        #expect(try DocumentFormat.sniff(pdf, fileName: "report.txt") == .pdf)
        let xlsx = try FileBytes.read(Fixtures.path("002_e3bab72684dbaaaa.xlsx"))
        #expect(try DocumentFormat.sniff(xlsx, fileName: "download") == .xlsx)
        let xls = try FileBytes.read(Fixtures.path("002_e3bab72684dbaaaa.xls"))
        #expect(try DocumentFormat.sniff(xls, fileName: "table.bin") == .xls)
        #expect(try DocumentFormat.sniff(Array("\u{FEFF}<!DOCTYPE html><html>".utf8), fileName: "page") == .html)
        #expect(try DocumentFormat.sniff(Array("  <!-- saved -->\n<html lang=zh>".utf8), fileName: "x.txt") == .html)
        #expect(try DocumentFormat.sniff(Array("<b>3,819.05</b>\t合计".utf8), fileName: "t.txt") == .text)
        #expect(try DocumentFormat.sniff(Array("<p>北京市</p>".utf8), fileName: "t.htm") == .html)
        #expect(throws: DisclosureError.self) { try DocumentFormat.sniff([0x89, 0x50, 0x4E, 0x47, 0, 0], fileName: "a.txt") }
    }

    @Test func wordDocumentsInsideAZIPAreRefusedByName() throws {
        let archive = try Archive(accessMode: .create)
        let data = Data("<w:document/>".utf8)
        try archive.addEntry(with: "word/document.xml", type: .file, uncompressedSize: Int64(data.count)) { position, size in
            data.subdata(in: Int(position)..<Int(position) + size)
        }
        let bytes = [UInt8](try #require(archive.data))
        #expect(throws: DisclosureError.unsupportedFormat("a Word document (.docx); save it as PDF or text")) {
            try DisclosureParser().parse(bytes: bytes, fileName: "a.docx")
        }
    }
}

/// Files that are not what they seem (issue 17, item 13).
@Suite struct FileFaultTests {
    /// One bad byte in a UTF-8 file is replaced, with a warning giving its offset, instead of the
    /// file being refused as "not valid GB18030".
    @Test func oneBadByteInUTF8IsRepairedWithItsOffset() throws {
        var bytes = try Corpus.bytes(Corpus.xicheng2022)
        var offset = bytes.count / 2
        while bytes[offset] < 0xE0 { offset += 1 }  // the start of a Chinese character
        bytes.insert(0xFF, at: offset)
        let document = try DisclosureParser().parse(bytes: bytes, fileName: Corpus.xicheng2022)
        #expect(document.warnings.count == 1)
        #expect(document.warnings.first?.contains("byte offset \(offset)") == true)
        let original = try Corpus.parse(Corpus.xicheng2022)
        #expect(document.records.count == original.records.count)
        #expect(document.info == original.info)
    }

    @Test func textInNeitherEncodingGivesTheTrueReason() {
        let bytes = [UInt8](repeating: 0, count: 4000).indices.map { $0 % 2 == 0 ? UInt8(0xFF) : 0xC0 }
        #expect {
            try TextDecoding.decode(bytes)
        } throws: { error in
            "\(error)".contains("neither UTF-8") && "\(error)".contains("nor GB18030")
        }
    }

    @Test func devicesAndFIFOsAreRefusedWithoutReading() throws {
        #expect(throws: DisclosureError.unreadable(path: "/dev/zero", reason: "not a regular file (a character device)")) {
            try DisclosureParser().parseFile(atPath: "/dev/zero")
        }
        let fifo = NSTemporaryDirectory() + "gongkai-fifo-\(getpid())-\(UUID().uuidString.prefix(6))"
        #expect(mkfifo(fifo, 0o600) == 0)
        defer { unlink(fifo) }
        // Opening a FIFO for reading would wait for a writer; refused at once instead.
        #expect(throws: DisclosureError.unreadable(path: fifo, reason: "not a regular file (a FIFO)")) {
            try DisclosureParser().parseFile(atPath: fifo)
        }
        #expect(throws: DisclosureError.unreadable(path: "/tmp", reason: "not a regular file (a directory)")) {
            try DisclosureParser().parseFile(atPath: "/tmp")
        }
    }

    /// A 200 MB binary file is refused from its first 64 KB: the rest is never read.
    @Test func largeBinaryFileIsRefusedFromItsStart() throws {
        let path = NSTemporaryDirectory() + "gongkai-random-\(getpid())-\(UUID().uuidString.prefix(6)).bin"
        var generator = SystemRandomNumberGenerator()
        let start = (0..<FileBytes.startLength).map { _ in UInt8.random(in: 0...255, using: &generator) }
        #expect(FileManager.default.createFile(atPath: path, contents: Data(start)))
        defer { unlink(path) }
        #expect(truncate(path, 200 << 20) == 0)  // the rest is a hole: made at once, read as zeros
        var checked: [Int] = []
        #expect(throws: DisclosureError.self) {
            _ = try FileBytes.read(path) { start in
                checked.append(start.count)
                try DocumentFormat.checkStart(start, fileName: "random.bin")
            }
        }
        #expect(checked == [FileBytes.startLength])
        #expect {
            try DisclosureParser().parseFile(atPath: path)
        } throws: { error in
            "\(error)".contains("NUL bytes")
        }
    }
}
