import Testing
@testable import Disclosure

@Suite struct ProjectTests {
    @Test(arguments: [
        (Corpus.xicheng2022, [
            "政务服务局工作经费", "西城区政务服务中心引导员和一窗式综合受理人员服务项目", "西城区政务服务业务咨询电话",
            "北京市西城区政府网站内容运维项目", "西城区2022年度政务服务体系质量监测项目", "北京市西城区政府网站及政务新媒体监测服务",
            "西城区政务服务管理局运维服务", "西城区政务服务庄胜信息化支撑平台项目", "西城区庄胜周转大厅建设项目", "预留机动费",
            "设备购置经费", "以前年度信息化项目经费", "2022年政务公开评估考核服务",
        ]),
        (Corpus.xicheng2023, [
            "区领导慰问经费", "西城区政府会议室系统设备保障服务", "800兆无线电运维费", "西城区视频会议系统运行维护项目",
            "政府办工作经费", "预留机动费", "西城区2023年度政府绩效管理项目及2022年度项目尾款", "西城区视频会议系统设备备品备件",
        ]),
        (Corpus.chaoyang2026, [
            "区政府信息公开专项法律服务", "政务服务运转保障经费", "政务服务大厅综合窗口服务", "日常法律顾问经费",
            "政务服务大厅咨询引导服务", "朝阳区政务服务管理局监控系统维保服务", "朝阳区政务服务管理局政务服务信息化运维服务",
            "朝阳区政务服务管理局等保定级备案以及等级测评服务", "政务服务大厅数显、LED屏及运管运维服务",
            "朝阳区数字政务一体化平台项目服务", "朝阳区政务服务管理局网络安全运维服务",
            "朝阳区政务服务场所视频接入市政务服务效能促进平台（二期）项目",
        ]),
        (Corpus.fengtai2021, [
            "丰台区2021年区政府网站运维项目",  // named by its 项目支出绩效评价报告
            "电子政务内网机房建设", "政务服务管理办机构运转经费", "政管办区政府网站内容检查及信息公开专栏维护费",
            "基层党组织党建活动经费", "微信公众号运维费", "新址政务服务大厅开办费", "政管局党费返还留成党建经费",
            "综合大厅设备购置", "丰台区2020年“互联网+政务服务”一网通办项目", "服装费", "综窗人员食堂就餐补助",
            "综窗人员综合管理经费", "综合窗口人员经费", "综合窗口人员体检费", "丰台区“十四五”规划课题经费",
            "政务服务管理办日常办公经费", "政管办日常办公经费", "聘请第三方机构服务费",
        ]),
    ])
    func projectNamesPerDocument(file: String, names: [String]) throws {
        let document = try Corpus.parse(file)
        #expect(document.records(.project).map(\.title) == names)
    }

    @Test func projectsMergeEveryTableThatNamesThem() throws {
        let document = try Corpus.parse(Corpus.xicheng2022)
        let project = try #require(document.records(.project).first { $0.title == "西城区政务服务中心引导员和一窗式综合受理人员服务项目" })
        #expect(project.fields["tables"] == "项目支出表；项目支出绩效表")
        #expect(project.fields["aliases"] == "西城区政务服务中心引导员和窗口式综合受理人员服务项目")
        #expect(project.fields["category"] == "31-部门项目")
        #expect(project.fields["responsible"] == "张萍")
        #expect(project.fields["goal"]?.hasPrefix("组织123人大厅现场引导") == true)
        #expect(project.codes.contains(ClassificationCode(scheme: .function, code: "2010302", name: "一般行政管理事务")))
        #expect(project.primaryAmount?.label == "项目总额")
        #expect(project.primaryAmount?.wanYuan == 1546.19)
        #expect(document.records(.indicator).filter { $0.projectName == project.title }.count == 6)
    }

    @Test func projectCodesSplitByTheConversionAreJoined() throws {
        let document = try Corpus.parse(Corpus.chaoyang2026)
        let codes = Dictionary(uniqueKeysWithValues: document.records(.project).map { ($0.title, $0.projectCode) })
        #expect(codes["区政府信息公开专项法律服务"] == "11010522T000000423872")
        #expect(codes["朝阳区政务服务管理局等保定级备案以及等级测评服务"] == "11010525T000003401226")
    }

    @Test func selfEvaluationCarriesBudgetActualAndScore() throws {
        let document = try Corpus.parse(Corpus.fengtai2021)
        let project = try #require(document.records(.project).first { $0.title == "丰台区2020年“互联网+政务服务”一网通办项目" })
        #expect(project.amounts.map(\.label).prefix(3) == ["年初预算数", "全年预算数", "全年执行数"])
        #expect(project.primaryAmount?.label == "全年预算数")
        #expect(project.primaryAmount?.wanYuan == 1121.6239)
        #expect(project.fields["responsible"] == "董林一")
        #expect(project.fields["score"] == "97")
        #expect(project.fields["executionRate"] == "100%")
        #expect(project.fields["actual"]?.hasPrefix("达到预期目标") == true)
    }
}
