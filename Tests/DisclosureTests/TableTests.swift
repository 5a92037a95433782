import Testing
@testable import Disclosure

@Suite struct TableTests {
    @Test(arguments: [
        (Corpus.xicheng2022, [
            "部门收支总体情况表（收入）": 1, "部门收支总体情况表（支出）": 5, "部门支出总体情况表": 33, "项目支出表": 13,
            "财政拨款收支预算总表（收入）": 2, "财政拨款收支预算总表（支出）": 6, "一般公共预算支出情况表": 11,
            "一般公共预算基本支出情况表": 25, "一般公共预算“三公”经费支出情况表": 5, "政府购买服务预算表": 6,
        ]),
        (Corpus.xicheng2023, [
            "部门收支总体情况表（收入）": 1, "部门收支总体情况表（支出）": 4, "部门支出总体情况表": 48, "项目支出表": 8,
            "财政拨款收支总体情况表（收入）": 2, "财政拨款收支总体情况表（支出）": 5, "一般公共预算支出情况表": 10,
            "一般公共预算基本支出情况表": 47, "一般公共预算“三公”经费支出情况表": 1, "政府购买服务预算表": 1,
        ]),
        (Corpus.chaoyang2026, [
            "收支总表（收入）": 1, "收支总表（支出）": 5, "支出预算总表": 31, "政府采购预算明细表": 2,
            "财政拨款收支预算总表（收入）": 2, "财政拨款收支预算总表（支出）": 6, "一般公共预算财政拨款支出表": 9,
            "一般公共预算财政拨款基本支出表": 22, "财政拨款（含一般公共预算和政府性基金预算）“三公”经费支出表": 1,
            "政府购买服务预算财政拨款明细表": 17,
        ]),
        (Corpus.fengtai2021, [:]),
    ])
    func lineItemsPerTable(file: String, expected: [String: Int]) throws {
        let document = try Corpus.parse(file)
        var counts: [String: Int] = [:]
        for record in document.records(.lineItem) { counts[record.table ?? "", default: 0] += 1 }
        #expect(counts == expected)
    }

    /// The only disagreements are the documents' own: 001 prints 其他交通费用 under 人员经费 while its
    /// 合计 row counts it as 公用经费; three 丰台 self-evaluations state a 总分 their rows do not add up to.
    @Test func statedTotalsAgreeOrAreExplained() throws {
        var disagreeing: [String] = []
        var checked = 0
        for file in Corpus.all {
            let document = try Corpus.parse(file)
            checked += document.totalChecks.count
            for check in document.totalChecks where !check.agrees {
                #expect(check.reason != nil)
                disagreeing.append("\(check.table) \(check.column)")
            }
        }
        #expect(checked > 100)
        #expect(disagreeing == [
            "一般公共预算基本支出情况表 人员经费", "一般公共预算基本支出情况表 公用经费",
            "项目支出绩效自评表（政管局党费返还留成党建经费） 得分", "项目支出绩效自评表（综合窗口人员体检费） 得分",
            "项目支出绩效自评表（丰台区“十四五”规划课题经费） 分值", "项目支出绩效自评表（丰台区“十四五”规划课题经费） 得分",
        ])
    }

    @Test func lineItemSplitsCodesAndRepairsNumbers() throws {
        let document = try Corpus.parse(Corpus.xicheng2022)
        let item = try #require(document.records(.lineItem).first { $0.firstLine == 261 })
        #expect(item.table == "部门支出总体情况表")
        #expect(item.codes == [
            ClassificationCode(scheme: .function, code: "2010301", name: "行政运行"),
            ClassificationCode(scheme: .governmentEconomic, code: "50101", name: "工资奖金津补贴"),
            ClassificationCode(scheme: .departmentEconomic, code: "30101", name: "基本工资"),
        ])
        #expect(item.amounts.map(\.label) == ["合计", "基本支出"])
        #expect(item.primaryAmount == Amount(label: "合计", wanYuan: 188.886, printed: "188. 886000", unit: "万元"))
        let project = try #require(document.records(.lineItem).first { $0.firstLine == 308 })
        #expect(project.projectName == "西城区政务服务中心引导员和一窗式综合受理人员服务项目")
        #expect(project.amounts.map(\.wanYuan) == [1546.19, 1546.19])
        #expect(document.codeNames["201"] == "一般公共服务支出")
        #expect(document.codeNames["2010301"] == "行政运行")
    }

    @Test func wrappedCellsAreJoined() throws {
        let document = try Corpus.parse(Corpus.xicheng2023)
        let item = try #require(document.records(.lineItem).first { $0.firstLine == 262 })
        #expect(item.lastLine == 264)
        #expect(item.codes.first { $0.scheme == .function }?.name == "机关事业单位基本养老保险缴费支出")
        #expect(item.codes.first { $0.scheme == .departmentEconomic }?.name == "机关事业单位基本养老保险缴费")
    }

    @Test func figureInTheWrongUnitIsFlaggedNotFixed() throws {
        let document = try Corpus.parse(Corpus.chaoyang2026)
        let project = try #require(document.records(.project).first { $0.title == "政务服务大厅咨询引导服务" })
        let total = try #require(project.primaryAmount)
        #expect(total.printed == "1,007,000.00")
        #expect(total.wanYuan == 1_007_000)
        #expect(total.flag != nil)
    }

    @Test func summaryReportsEveryTotalCheck() throws {
        let document = try Corpus.parse(Corpus.xicheng2023)
        let summary = document.summary
        #expect(summary.contains("部门支出总体情况表（万元）: 48 line items"))
        #expect(summary.contains("DISAGREES: 一般公共预算基本支出情况表 人员经费"))
        #expect(summary.components(separatedBy: "\n").filter { $0.contains("agrees:") || $0.contains("DISAGREES:") }.count
            == document.totalChecks.count)
    }
}
