// The records a disclosure is turned into. Everything the index stores, filters or facets on
// is a field here; the index layer never looks at the raw text again.

/// 预算 (budget) or 决算 (final accounts).
public enum DocumentKind: String, Sendable, Codable, CaseIterable {
    case budget
    case final
}

/// Which tier of government published a document.
public enum AdministrativeLevel: String, Sendable, Codable, CaseIterable {
    /// A city's own departments (北京市统计局, 杭州市财政局).
    case municipal
    /// A district's or county's departments (北京市西城区人民政府办公室, 杭州市钱塘区…).
    case district
}

/// What a document is about, inferred from its content.
public struct DocumentInfo: Sendable, Codable, Equatable {
    /// Full district name, e.g. `西城区`, `钱塘区`; nil for a municipal document.
    public var district: String?
    public var year: Int?
    public var kind: DocumentKind?
    /// The publishing department, e.g. `北京市西城区人民政府办公室`.
    public var department: String?
    /// The document's own title line when it has one.
    public var title: String?
    public var level: AdministrativeLevel?
    /// The city the district or department belongs to, e.g. `北京市`, `杭州市`.
    public var city: String?

    public init(district: String? = nil, year: Int? = nil, kind: DocumentKind? = nil,
                department: String? = nil, title: String? = nil, level: AdministrativeLevel? = nil,
                city: String? = nil) {
        self.district = district
        self.year = year
        self.kind = kind
        self.department = department
        self.title = title
        self.level = level
        self.city = city
    }
}

public enum RecordType: String, Sendable, Codable, CaseIterable {
    case passage
    case lineItem = "line_item"
    case project
    case indicator
}

/// Which classification a code belongs to.
public enum CodeScheme: String, Sendable, Codable {
    /// 支出功能分类: 3-digit 类, 5-digit 款, 7-digit 项 (`2010301`).
    case function
    /// 政府支出经济分类 (`50101`).
    case governmentEconomic = "government_economic"
    /// 部门支出经济分类 (`30101`).
    case departmentEconomic = "department_economic"
}

/// A classification code with its name as printed (`2010301-行政运行`).
public struct ClassificationCode: Sendable, Codable, Equatable, Hashable {
    public var scheme: CodeScheme
    public var code: String
    public var name: String?

    public init(scheme: CodeScheme, code: String, name: String? = nil) {
        self.scheme = scheme
        self.code = code
        self.name = name
    }
}

/// A money figure from a table cell, normalised to 万元.
public struct Amount: Sendable, Codable, Equatable {
    /// The column header the figure stood under (合计, 基本支出, 项目支出, 预算数 …).
    public var label: String
    /// The value in 万元.
    public var wanYuan: Double
    /// The cell as printed, before repair (`188. 886000`).
    public var printed: String
    /// The unit the table declared (`万元`, `元`).
    public var unit: String
    /// Set when the figure looks wrong (e.g. in another unit than declared); never silently fixed.
    public var flag: String?

    public init(label: String, wanYuan: Double, printed: String, unit: String, flag: String? = nil) {
        self.label = label
        self.wanYuan = wanYuan
        self.printed = printed
        self.unit = unit
        self.flag = flag
    }
}

/// One row of a performance-indicator table (一级/二级/三级指标).
public struct Indicator: Sendable, Codable, Equatable {
    public var level1: String?
    public var level2: String?
    public var level3: String?
    /// `≥`, `≤`, `=`, `<`, `>` or `定性`.
    public var op: String?
    public var value: String?
    /// Normalised unit (`%`, `万元`, `套`); coded units such as `50-%` lose their code.
    public var unit: String?
    /// 正向 / 反向 when given.
    public var direction: String?

    public init(level1: String? = nil, level2: String? = nil, level3: String? = nil, op: String? = nil,
                value: String? = nil, unit: String? = nil, direction: String? = nil) {
        self.level1 = level1
        self.level2 = level2
        self.level3 = level3
        self.op = op
        self.value = value
        self.unit = unit
        self.direction = direction
    }
}

/// A searchable unit of a disclosure with its provenance.
public struct Record: Sendable, Codable, Equatable {
    public var type: RecordType
    /// Short label shown as the hit's title: a project name, a row label, a section heading.
    public var title: String
    /// All searchable text of the record.
    public var text: String
    /// Section path of headings above the record (`第一部分 …`, `四、“三公”经费 …`).
    public var section: [String]
    /// Title of the table the record came from, when it came from one.
    public var table: String?
    /// 1-based line numbers in the source file; for PDF, HTML and spreadsheets, in the text
    /// Gongkai extracted from it (one line per text line or table row).
    public var firstLine: Int
    public var lastLine: Int
    /// The PDF page of the first line; nil for formats without pages.
    public var page: Int?
    public var codes: [ClassificationCode]
    public var amounts: [Amount]
    public var projectName: String?
    public var projectCode: String?
    /// The project's identity across documents, for every record of a project (see `ProjectKey`).
    public var projectKey: ProjectKey?
    public var indicator: Indicator?
    /// Further named fields of the record (category, responsible person, goal, score …).
    public var fields: [String: String]

    public init(type: RecordType, title: String, text: String, section: [String] = [], table: String? = nil,
                firstLine: Int, lastLine: Int, codes: [ClassificationCode] = [], amounts: [Amount] = [],
                projectName: String? = nil, projectCode: String? = nil, indicator: Indicator? = nil,
                fields: [String: String] = [:], page: Int? = nil) {
        self.type = type
        self.title = title
        self.text = text
        self.section = section
        self.table = table
        self.firstLine = firstLine
        self.lastLine = lastLine
        self.codes = codes
        self.amounts = amounts
        self.projectName = projectName
        self.projectCode = projectCode
        self.indicator = indicator
        self.fields = fields
        self.page = page
    }

    /// The figure used to filter and sort by amount: a project's whole budget (项目总额, else its
    /// 合计 or 全年预算数), a line item's 合计, else the record's first amount.
    public var primaryAmount: Amount? {
        let preferred: [String]
        switch type {
        case .project: preferred = ["项目总额", "合计", "全年预算数", "年初预算数", "本年预算金额", "预算金额"]
        default: preferred = ["合计", "预算数", "本年预算金额", "预算金额", "金额", "总计"]
        }
        for label in preferred {
            if let amount = amounts.first(where: { $0.label == label }) { return amount }
        }
        return amounts.first
    }
}

/// A whole disclosure after parsing.
public struct ParsedDocument: Sendable, Codable, Equatable {
    public var fileName: String
    /// What the file was read as.
    public var format: DocumentFormat
    public var info: DocumentInfo
    public var records: [Record]
    /// Total checks of the tables that state a total.
    public var totalChecks: [TotalCheck]
    /// Problems met while parsing that did not stop it.
    public var warnings: [String]
    /// Names of classification codes as the document prints them, including 类/款 rows
    /// (`201` → `一般公共服务支出`, `2010301` → `行政运行`).
    public var codeNames: [String: String]

    public init(fileName: String, format: DocumentFormat = .text, info: DocumentInfo, records: [Record],
                totalChecks: [TotalCheck] = [], warnings: [String] = [], codeNames: [String: String] = [:]) {
        self.fileName = fileName
        self.format = format
        self.info = info
        self.records = records
        self.totalChecks = totalChecks
        self.warnings = warnings
        self.codeNames = codeNames
    }
}

/// Whether a table's rows add up to the total it states.
public struct TotalCheck: Sendable, Codable, Equatable {
    public var table: String
    public var column: String
    public var line: Int
    public var stated: Double
    public var summed: Double
    public var agrees: Bool
    /// Why it does not agree, when known (a row in another unit, a sub-total counted twice …).
    public var reason: String?
    /// How the sum was formed when plain addition of the rows was not it (sub-total rows left out).
    public var note: String?

    public init(table: String, column: String, line: Int, stated: Double, summed: Double, agrees: Bool,
                reason: String? = nil, note: String? = nil) {
        self.table = table
        self.column = column
        self.line = line
        self.stated = stated
        self.summed = summed
        self.agrees = agrees
        self.reason = reason
        self.note = note
    }
}
