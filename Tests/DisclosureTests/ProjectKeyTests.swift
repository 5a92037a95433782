import Testing
@testable import Disclosure

@Suite struct ProjectKeyTests {
    @Test(arguments: [
        ("西城区2022年度政务服务体系质量监测项目", "西城区2023年度政务服务体系质量监测项目"),
        ("西城区 2023 年度政务服务体系质量监测项目", "西城区政务服务体系质量监测项目"),
        ("2022年政务公开评估考核服务", "政务公开评估考核服务"),
        ("政务公开评估考核服务（2023年）", "政务公开评估考核服务"),
        ("朝阳区政务服务场所视频接入（二期）项目", "朝阳区政务服务场所视频接入(二期)项目"),
        ("【二期】视频接入", "(二期)视频接入"),
        ("丰台区“十四五”规划课题经费", "丰台区十四五规划课题经费"),
        ("ＬＥＤ屏运维", "led屏运维"),
        ("LED屏运维", "led 屏运维"),
    ])
    func namesThatDifferOnlyByYearSpacingOrBracketsAreOneName(a: String, b: String) {
        #expect(ProjectKey.normalizedName(a) == ProjectKey.normalizedName(b))
    }

    @Test func yearMarkersGoButOtherNumbersStay() {
        #expect(ProjectKey.normalizedName("西城区2023年度政府绩效管理项目及2022年度项目尾款") == "西城区政府绩效管理项目及项目尾款")
        #expect(ProjectKey.normalizedName("800兆无线电运维费") == "800兆无线电运维费")
        #expect(ProjectKey.normalizedName("12023年计划") == "12023年计划")
        #expect(ProjectKey.normalizedName("2023年7月支付") == "7月支付")
        #expect(ProjectKey.normalizedName("1850年老宅修缮") == "1850年老宅修缮")
    }

    @Test func aCodeKeysTheProjectElseItsNameWithinDepartmentAndDistrict() throws {
        let coded = try #require(ProjectKey.of(code: "11010522T0000004 23872", name: "区政府信息公开专项法律服务",
                                               department: "北京市朝阳区政务服务管理局", district: "朝阳区"))
        #expect(coded.rawValue == "code:11010522T000000423872")
        #expect(coded.basis == .code && coded.code == "11010522T000000423872")
        let named = try #require(ProjectKey.of(code: nil, name: "西城区 2022 年度政务服务体系质量监测项目",
                                               department: "北京市西城区政务服务管理局", district: "西城区"))
        #expect(named.rawValue == "name:西城区/北京市西城区政务服务管理局/西城区政务服务体系质量监测项目")
        #expect(named.basis == .name && named.code == nil)
        // Spaces a PDF put inside the department's name, and a code printed in lower case.
        #expect(ProjectKey.of(code: nil, name: "西城区2022年度政务服务体系质量监测项目",
                              department: "北京市西城区 政务服务\u{3000}管理局", district: "西城区") == named)
        #expect(ProjectKey.of(code: "11010522t000000423872", name: nil, department: nil, district: nil) == coded)
        #expect(ProjectKey.of(code: " ", name: "2023年", department: nil, district: nil) == nil)
        #expect(ProjectKey(rawValue: named.rawValue) == named)
        #expect(ProjectKey(rawValue: "west:xx") == nil && ProjectKey(rawValue: "code:") == nil)
    }

    /// The project record, the 项目支出表 rows naming the project and its indicators share one key.
    @Test func everyRecordOfAProjectCarriesItsKey() throws {
        let document = try Corpus.parse(Corpus.xicheng2023)
        let key = ProjectKey.code("11010222T000000417336")
        let records = document.records.filter { $0.projectKey == key }
        #expect(records.filter { $0.type == .project }.count == 1)
        #expect(records.filter { $0.type == .indicator }.count == 28)
        // The 项目支出表 row has no code of its own: it gets the project's.
        let row = try #require(records.first { $0.type == .lineItem })
        #expect(row.title == "西城区视频会议系统运行维护项目" && row.projectCode == "11010222T000000417336")
        // Every record naming a project has a key, and records of one project name share it.
        for record in document.records where record.projectName != nil || record.projectCode != nil {
            #expect(record.projectKey != nil, "\(record.title)")
        }
        let uncoded = document.records.filter { $0.projectName == "区领导慰问经费" }
        #expect(!uncoded.isEmpty && Set(uncoded.map(\.projectKey)).count == 1)
        #expect(uncoded.first?.projectKey?.rawValue == "name:西城区/北京市西城区人民政府办公室/区领导慰问经费")
    }

    @Test func keysAreTheSameEveryTimeAFileIsParsed() throws {
        let first = try Corpus.parse(Corpus.xicheng2022).records.map(\.projectKey)
        let second = try Corpus.parse(Corpus.xicheng2022).records.map(\.projectKey)
        #expect(first == second && first.contains { $0 != nil })
    }
}
