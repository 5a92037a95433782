import Testing
@testable import Disclosure

@Suite struct CoverageTests {
    /// Every cell of every content line is in the text of a record covering that line, or is a
    /// heading that titles passages.
    @Test(arguments: Corpus.all)
    func everyContentLineIsInSomeRecord(file: String) throws {
        let document = try Corpus.parse(file)
        let text = String(decoding: try Corpus.bytes(file), as: UTF8.self)
        let lines = SourceLines(text).lines
        var covering = [[Int]](repeating: [], count: lines.count + 2)
        let searchable = document.records.map { ($0.title + $0.text).compacted }
        for (index, record) in document.records.enumerated() {
            for line in record.firstLine...record.lastLine where line < covering.count { covering[line].append(index) }
        }
        let titles = Set(document.records.map(\.title.compacted))
        var missing: [String] = []
        for (index, line) in lines.enumerated() where !line.isEmpty && !SourceLines.isDebris(line) {
            for cell in line.split(separator: "\t").map(\.compacted) where !cell.isEmpty {
                if !titles.contains(cell) && !covering[index + 1].contains(where: { searchable[$0].contains(cell) }) {
                    missing.append("\(index + 1): \(cell)")
                }
            }
        }
        #expect(missing == [])
    }

    @Test func documentInfoIsInferred() throws {
        let expected: [(String, String, Int, DocumentKind, String)] = [
            (Corpus.xicheng2022, "西城区", 2022, .budget, "北京市西城区政务服务管理局"),
            (Corpus.xicheng2023, "西城区", 2023, .budget, "北京市西城区人民政府办公室"),
            (Corpus.chaoyang2026, "朝阳区", 2026, .budget, "北京市朝阳区政务服务管理局"),
            (Corpus.fengtai2021, "丰台区", 2021, .final, "北京市丰台区政务服务管理局"),
        ]
        for (file, district, year, kind, department) in expected {
            let info = try Corpus.parse(file).info
            #expect(info == DocumentInfo(district: district, year: year, kind: kind, department: department, level: .district,
                                         city: "北京市"))
        }
    }

    @Test func passagesCarryTheirSectionPath() throws {
        let document = try Corpus.parse(Corpus.xicheng2022)
        let passage = try #require(document.records(.passage).first { $0.text.hasPrefix("2022 年部门预算“三公”经费财政拨款预算安排") })
        #expect(passage.section == ["第一部分 2022 年部门预算情况说明", "四、部门“三公”经费财政拨款预算说明",
                                    "（二）“三公”经费预算财政拨款情况说明"])
        let wrapped = try #require(document.records(.passage).first { $0.firstLine == 99 })
        #expect(wrapped.lastLine == 101)
        #expect(wrapped.text.contains("信息化的规划、建设、组织、实施"))
    }
}
