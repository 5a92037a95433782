import Testing
@testable import Disclosure

@Suite struct IndicatorTests {
    @Test func codedUnitAndDirectionAreNormalised() throws {
        let document = try Corpus.parse(Corpus.xicheng2022)
        let record = try #require(document.indicator(atLine: 556))
        #expect(record.projectName == "政务服务局工作经费")
        #expect(record.indicator == Indicator(level1: "产出指标", level2: "成本指标", level3: "项目预算控制数", op: "≤",
                                              value: "243.55", unit: "万元", direction: "反向"))
    }

    @Test func wrappedThirdLevelIsContinued() throws {
        let document = try Corpus.parse(Corpus.xicheng2022)
        let record = try #require(document.indicator(atLine: 581))
        #expect(record.indicator?.level3 == "保障窗口单位、服务办所有台式电脑、笔记本电脑设备及相关外设正常运行")
        #expect(record.lastLine == 583)
    }

    @Test func indicatorIsTiedToItsCodedProject() throws {
        let document = try Corpus.parse(Corpus.xicheng2023)
        let record = try #require(document.indicator(atLine: 471))
        #expect(record.projectName == "西城区政府会议室系统设备保障服务")
        #expect(record.projectCode == "11010222T000000417204")
        #expect(record.indicator == Indicator(level1: "产出指标", level2: "数量指标", level3: "开展故障巡查", op: "≤",
                                              value: "12", unit: "场次", direction: "正向"))
    }

    @Test func departmentWideCombinedCellIsSplit() throws {
        let document = try Corpus.parse(Corpus.chaoyang2026)
        let record = try #require(document.indicator(atLine: 320))
        #expect(record.projectName == nil)
        #expect(record.table == "部门整体支出绩效目标表")
        #expect(record.fields["activity"] == "系统运维")
        #expect(record.indicator == Indicator(level1: "产出指标", level2: "数量指标", level3: "软件子系统数量", op: "≥",
                                              value: "100", unit: "套"))
    }

    @Test func selfEvaluationRowHasTargetActualAndScore() throws {
        let document = try Corpus.parse(Corpus.fengtai2021)
        let record = try #require(document.records(.indicator).first { $0.firstLine == 2458 })
        #expect(record.projectName == "丰台区2020年“互联网+政务服务”一网通办项目")
        #expect(record.indicator == Indicator(level1: "产出指标", level2: "数量指标", level3: "硬件设备采购", value: "84套(台)"))
        #expect(record.fields == ["actual": "84", "weight": "5", "score": "5"])
        let inherited = try #require(document.records(.indicator).first { $0.firstLine == 2468 })
        #expect(inherited.indicator?.level1 == "产出指标")
        #expect(inherited.indicator?.level2 == "数量指标")
    }
}
