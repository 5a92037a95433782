import Testing
@testable import Disclosure

/// District, department, level and city over title and opening layouts of real portals:
/// municipal departments, districts, other cities, titles with the year before or after the
/// name, names only in the opening sentence or after 目录.
@Suite struct DocumentInfoTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var text: String
        var department: String?
        var district: String?
        var level: AdministrativeLevel?
        var city: String?
        var testDescription: String { String(text.prefix(30)) }
    }

    static let cases: [Case] = [
        // Municipal departments: no district, whatever districts the text mentions.
        Case(text: "北京市统计局\n2023年部门预算\n目  录\n第一部分 北京市统计局概况\n一、部门职责\n北京市统计局是负责本市统计工作的市政府直属机构，指导西城区、朝阳区、海淀区统计工作。\n西城区统计局、朝阳区统计局配合开展普查。",
             department: "北京市统计局", district: nil, level: .municipal, city: "北京市"),
        Case(text: "北京市人民政府办公厅2022年部门决算\n第一部分 部门概况\n（一）部门职责\n负责处理市政府日常工作。",
             department: "北京市人民政府办公厅", district: nil, level: .municipal, city: "北京市"),
        Case(text: "\n\n北京市审计局\n\n2023年度部门决算\n\n北京市审计局是主管全市审计工作的市政府组成部门。对东城区、西城区财政收支进行审计。",
             department: "北京市审计局", district: nil, level: .municipal, city: "北京市"),
        Case(text: "北京市财政局2024年部门预算\n各区财政局：北京市西城区财政局、北京市朝阳区财政局按本通知执行。",
             department: "北京市财政局", district: nil, level: .municipal, city: "北京市"),
        // District departments, the year before or after the name.
        Case(text: "2023年北京市西城区人民政府办公室部门预算\n一、部门主要职责\n负责区政府日常工作。",
             department: "北京市西城区人民政府办公室", district: "西城区", level: .district, city: "北京市"),
        Case(text: "北京市通州区生态环境局2022年度部门决算\n第一部分 部门概况",
             department: "北京市通州区生态环境局", district: "通州区", level: .district, city: "北京市"),
        // The name only in the opening sentence, followed by a verb or a document title.
        Case(text: "2022年度部门决算\n一、部门基本情况\n北京市通州区生态环境局成立于2019年，是根据《北京市通州区机构改革方案》设立的区政府工作部门。",
             department: "北京市通州区生态环境局", district: "通州区", level: .district, city: "北京市"),
        Case(text: "部门预算公开\n一、机构设置\n北京市房山区人大常委会机关机构设置：内设办公室、研究室。",
             department: "北京市房山区人大常委会", district: "房山区", level: .district, city: "北京市"),
        Case(text: "一、部门基本情况\n北京市海淀区城市管理委员会（以下简称区城管委）是负责本区城市管理工作的区政府工作部门。",
             department: "北京市海淀区城市管理委员会", district: "海淀区", level: .district, city: "北京市"),
        // After 目录, with markdown headings, with a bare district, a party organ, a street office.
        Case(text: "2023年部门预算\n目  录\n北京市东城区教育委员会\n第一部分 部门概况",
             department: "北京市东城区教育委员会", district: "东城区", level: .district, city: "北京市"),
        Case(text: "# 北京市大兴区卫生健康委员会\n\n## 2023 年部门预算公开目录",
             department: "北京市大兴区卫生健康委员会", district: "大兴区", level: .district, city: "北京市"),
        Case(text: "大兴区卫生健康委员会2023年部门预算\n一、部门职责",
             department: "北京市大兴区卫生健康委员会", district: "大兴区", level: .district, city: "北京市"),
        Case(text: "中共北京市西城区委员会组织部2023年部门预算\n一、部门职责",
             department: "中共北京市西城区委员会组织部", district: "西城区", level: .district, city: "北京市"),
        Case(text: "北京市西城区人民政府德胜街道办事处2023年部门预算",
             department: "北京市西城区人民政府德胜街道办事处", district: "西城区", level: .district, city: "北京市"),
        // The name only in table cells (`129001-北京市朝阳区… 机关`).
        Case(text: "预算01表 收支总表\n金额单位：万元\n项目\t预算数\n129001-北京市朝阳区政务服务管理局 机关\t2011301\t行政运行\t960.36\n129001-北京市朝阳区政务服务管理局 机关\t2080501\t行政单位离退休\t1.91",
             department: "北京市朝阳区政务服务管理局", district: "朝阳区", level: .district, city: "北京市"),
        // Other cities keep their own city and district.
        Case(text: "杭州市钱塘区财政局2023年部门预算\n一、部门基本情况\n杭州市钱塘区财政局是区政府工作部门。",
             department: "杭州市钱塘区财政局", district: "钱塘区", level: .district, city: "杭州市"),
        Case(text: "2023年度杭州市钱塘区人民政府办公室部门决算\n第一部分 部门概况",
             department: "杭州市钱塘区人民政府办公室", district: "钱塘区", level: .district, city: "杭州市"),
        Case(text: "上海市浦东新区人民政府办公室\n2023年部门预算",
             department: "上海市浦东新区人民政府办公室", district: "浦东新区", level: .district, city: "上海市"),
        Case(text: "杭州市园林文物局2022年部门决算\n一、部门职责",
             department: "杭州市园林文物局", district: nil, level: .municipal, city: "杭州市"),
        Case(text: "长春市朝阳区教育局2023年部门预算",
             department: "长春市朝阳区教育局", district: "朝阳区", level: .district, city: "长春市"),
        Case(text: "浙江省安吉县财政局2023年部门预算",
             department: "浙江省安吉县财政局", district: "安吉县", level: .district, city: nil),
        // No organ named: the district from its mentions, no department.
        Case(text: "西城区2023年部门预算情况说明\n西城区政府网站内容运维项目",
             department: nil, district: "西城区", level: .district, city: "北京市"),
    ]

    @Test(arguments: cases)
    func infersDepartmentDistrictLevelAndCity(_ example: Case) {
        let info = DisclosureParser().parse(text: example.text, fileName: "case.txt").info
        #expect(info.department == example.department)
        #expect(info.district == example.district)
        #expect(info.level == example.level)
        #expect(info.city == example.city)
    }

    /// Sentence fragments that portals' pages put where a name stands.
    @Test(arguments: [
        ("北京市通州区生态环境局成立于2019年", "北京市通州区生态环境局"),
        ("根据《北京市通州区机构改革方案》", nil),
        ("北京市通州区机构改革方案》", nil),
        ("北京市房山区人大常委会机关机构设置", "北京市房山区人大常委会"),
        ("北京市西城区政府网站内容运维项目", nil),
        ("北京市西城区政务服务管理局一个项目参与评价", nil),
        ("北京市每季度对全市政府网站与政府", nil),
        ("北京市西城区政务服务管理局部门预算中因公出国", "北京市西城区政务服务管理局"),
        ("北京市丰台区政务服务管理局为区政府工作部门", "北京市丰台区政务服务管理局"),
        ("2019年由北京市丰台区政务服务管理办公室更名为北京市丰台区政务服务管理局", "北京市丰台区政务服务管理办公室"),
        ("该项目市级资金由区财政局拨付", nil),
        ("北京市西城区", nil),
    ] as [(String, String?)])
    func neverTakesAFragment(line: String, department: String?) {
        #expect(DocumentInfoInference.departmentName(in: line) == department)
    }

    /// Every department inferred ends in an organ's suffix and holds no stop word.
    @Test func inferredDepartmentsHaveTheFormOfANames() {
        for example in Self.cases {
            guard let department = DisclosureParser().parse(text: example.text, fileName: "case.txt").info.department else { continue }
            let scalars = Array(department.unicodeScalars)
            #expect(AdministrativeName.organSuffixes.contains { scalars.suffix($0.count).elementsEqual($0) }, "\(department)")
            #expect(!AdministrativeName.stopWords.contains { word in
                scalars.indices.contains { scalars[$0...].starts(with: word) }
            }, "\(department)")
        }
    }
}
