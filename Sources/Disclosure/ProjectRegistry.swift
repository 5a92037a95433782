/// What one table says about a project. Field keys: `category` (31-部门项目), `unit` (项目单位),
/// `responsible`, `phone`, `goal` (绩效目标), `department` (主管部门), `implementer` (实施单位),
/// `actual` (实际完成情况), `maxScore` / `score` (自评总分), `executionRate` (执行率).
struct ProjectDraft {
    var name: String?
    var code: String?
    var fields: [String: String] = [:]
    var codes: [ClassificationCode] = []
    var amounts: [Amount] = []
    var texts: [String] = []
    var table: String
    /// Tables after the first that named the project.
    var otherTables: [String] = []
    var section: [String]
    var lines: ClosedRange<Int>
    /// Indices into the document's records of the indicators that belong to the project.
    var indicators: [Int] = []
    /// Indices into the document's records of the table rows that name the project.
    var rows: [Int] = []

    init(name: String?, code: String? = nil, table: String, section: [String], lines: ClosedRange<Int>) {
        self.name = name
        self.code = code
        self.table = table
        self.section = section
        self.lines = lines
    }

    /// A project named by a budget-table row (项目支出表, 政府购买服务表), the document's record `row`.
    init(name: String, row: Int, source: Record) {
        self.init(name: name, table: source.table ?? "", section: source.section,
                  lines: source.firstLine...source.lastLine)
        rows = [row]
        codes = source.codes
        amounts = source.amounts
        texts = [source.text]
        fields = source.fields
    }

    mutating func addText(_ text: String, to field: String? = nil) {
        let text = Wrapped.normalizeSpaces(text)
        guard !text.isEmpty else { return }
        texts.append(text)
        if let field { fields[field] = fields[field].map { Wrapped.join([$0, text]) } ?? text }
    }

    mutating func extend(to range: ClosedRange<Int>) {
        lines = min(lines.lowerBound, range.lowerBound)...max(lines.upperBound, range.upperBound)
    }

    var total: Double? {
        (amounts.first { $0.label == "项目总额" } ?? amounts.first { $0.label == "合计" })?.wanYuan
    }
}

/// Collects project drafts from every table and merges those naming the same project.
struct ProjectRegistry {
    private(set) var drafts: [ProjectDraft] = []

    mutating func add(_ draft: ProjectDraft) { drafts.append(draft) }

    /// Index of the draft just added, for readers that keep filling it in.
    mutating func open(_ draft: ProjectDraft) -> Int {
        drafts.append(draft)
        return drafts.count - 1
    }

    mutating func update(_ index: Int, _ change: (inout ProjectDraft) -> Void) { change(&drafts[index]) }

    /// One record per project. Drafts are the same project when their codes agree, their names
    /// agree once spaces are gone, or the names are close (and closer still when the totals match):
    /// tables of one document spell a name slightly differently (一窗式 / 窗口式, 业务咨询 / 业咨询).
    /// Indicators and the table rows that name a project get the merged project's name and code,
    /// so that they carry its identity (`ProjectKey`) too.
    func records(linkingRecordsIn records: inout [Record]) -> [Record] {
        var merged: [ProjectDraft] = []
        var aliases: [[String]] = []
        for draft in drafts where draft.name != nil {
            if let index = merged.firstIndex(where: { Self.same($0, draft) }) {
                merged[index].absorb(draft)
                if let name = draft.name, !aliases[index].contains(name) { aliases[index].append(name) }
            } else {
                merged.append(draft)
                aliases.append([draft.name!])
            }
        }
        return merged.enumerated().map { index, project in
            for linked in project.indicators + project.rows {
                records[linked].projectName = project.name
                records[linked].projectCode = project.code
            }
            var fields = project.fields
            fields["tables"] = ([project.table] + project.otherTables).distinct.joined(separator: "；")
            if aliases[index].count > 1 { fields["aliases"] = aliases[index].dropFirst().joined(separator: "；") }
            return Record(type: .project, title: project.name!, text: project.texts.distinctTexts.joined(separator: "\n"),
                          section: project.section, table: project.table,
                          firstLine: project.lines.lowerBound, lastLine: project.lines.upperBound,
                          codes: project.codes.distinct, amounts: project.amounts,
                          projectName: project.name, projectCode: project.code, fields: fields)
        }
    }

    static func same(_ a: ProjectDraft, _ b: ProjectDraft) -> Bool {
        if let codeA = a.code, let codeB = b.code { return codeA == codeB }
        guard let nameA = a.name?.compacted, let nameB = b.name?.compacted else { return false }
        if nameA == nameB { return true }
        let similarity = dice(nameA, nameB)
        if let totalA = a.total, let totalB = b.total, Money.equal(totalA, totalB) { return similarity >= 0.5 }
        return similarity >= 0.8
    }

    /// Dice coefficient over character bigrams.
    static func dice(_ a: String, _ b: String) -> Double {
        if let left = plainBigrams(a), let right = plainBigrams(b) {
            return dice(left, right)
        }
        return dice(characterBigrams(a), characterBigrams(b))
    }

    private static func dice<Gram: Equatable>(_ left: [Gram], _ right: [Gram]) -> Double {
        var unmatched = right
        var shared = 0
        for gram in left {
            if let index = unmatched.firstIndex(of: gram) { shared += 1; unmatched.remove(at: index) }
        }
        return Double(2 * shared) / Double(left.count + right.count)
    }

    private static func characterBigrams(_ s: String) -> [String] {
        let chars = Array(s)
        return chars.count < 2 ? [s] : (0..<(chars.count - 1)).map { String(chars[$0...($0 + 1)]) }
    }

    /// Bigrams of a plain name as numbers: its scalars are its Characters and equal only when
    /// their bytes are. A name shorter than two is one gram of its own, as in `characterBigrams`.
    private static func plainBigrams(_ s: String) -> [UInt64]? {
        guard PlainText.isPlain(s) else { return nil }
        let scalars = s.unicodeScalars.map { UInt64($0.value) }
        switch scalars.count {
        case 0: return [1 << 62]
        case 1: return [1 << 63 | scalars[0]]
        default: return (0..<(scalars.count - 1)).map { scalars[$0] << 21 | scalars[$0 + 1] }
        }
    }
}

extension ProjectDraft {
    /// Takes in what another table says: the first table's name, figures and fields win, the
    /// others add what is missing.
    mutating func absorb(_ other: ProjectDraft) {
        if code == nil { code = other.code }
        for (key, value) in other.fields where fields[key] == nil { fields[key] = value }
        otherTables += [other.table] + other.otherTables
        for code in other.codes where !codes.contains(code) { codes.append(code) }
        for amount in other.amounts where !amounts.contains(where: { $0.label == amount.label }) { amounts.append(amount) }
        texts += other.texts
        indicators += other.indicators
        rows += other.rows
        extend(to: other.lines)
    }
}

extension Array where Element == String {
    /// `distinct` without hashing by Unicode rules (normalising every text) when all texts are
    /// plain: then equal texts are equal bytes.
    var distinctTexts: [String] {
        guard allSatisfy(PlainText.isPlain) else { return distinct }
        var seen = Set<PlainKey>()
        return filter { seen.insert(PlainKey(text: $0)).inserted }
    }

    private struct PlainKey: Hashable {
        let text: String

        static func == (a: PlainKey, b: PlainKey) -> Bool { a.text.utf8.elementsEqual(b.text.utf8) }

        func hash(into hasher: inout Hasher) {
            var text = text
            text.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
        }
    }
}

extension Sequence where Element: Hashable {
    /// The distinct elements in first-seen order.
    var distinct: [Element] {
        var seen = Set<Element>()
        return filter { seen.insert($0).inserted }
    }
}
