/// Follows the 项目（支出）绩效评价报告 of a 决算: the project a report is about becomes a project
/// record, and the score tables under it become its indicators.
///
/// The project is named by the report's heading (`丰台区2021年区政府网站运维项目绩效评价报告`), or,
/// under a heading that names none (`二、项目支出绩效评价报告`), by a `项目名称：…` line or the first
/// sentence whose subject is a project (`丰台区2021年区政府网站运维项目由…负责…`).
struct EvaluationReportReader {
    private struct Report {
        var heading: String
        /// The heading's depth when it is a numbered heading; a title line ends only at a 第X部分.
        var level: Int?
        var project: Int?
    }

    private var report: Report?

    /// The project draft that tables read now belong to.
    var project: Int? { report?.project }

    mutating func read(_ line: String, number: Int, section: [String], into output: inout ParseOutput) {
        if let heading = Self.reportHeading(line) {
            report = Report(heading: line, level: Heading.level(of: line))
            if let name = heading.project { open(name, line: line, number: number, section: section, into: &output) }
            return
        }
        guard let current = report else { return }
        // A heading as high as the report's own ends it.
        let level = Heading.level(of: line)
        if let level, level <= (current.level ?? 0) {
            report = nil
            return
        }
        guard current.project == nil, level == nil else { return }
        if let name = Self.projectNamed(in: line) {
            open(name, line: current.heading, number: number, section: section, into: &output)
        }
    }

    private mutating func open(_ name: String, line: String, number: Int, section: [String], into output: inout ParseOutput) {
        var draft = ProjectDraft(name: name, table: line, section: section, lines: number...number)
        draft.addText(line)
        draft.fields["evaluation"] = Wrapped.normalizeSpaces(line)
        report?.project = output.projects.open(draft)
    }

    struct ReportHeading {
        /// The project the heading names; nil for `项目支出绩效评价报告`.
        var project: String?
    }

    /// A heading or title line of a project's evaluation report, with the project it names.
    static func reportHeading(_ line: String) -> ReportHeading? {
        // Most lines hold no 报告: decided without making a compact copy.
        guard line.containsText("报告") else { return nil }
        let compact = line.compacted
        guard compact.hasAtMost(60), !compact.containsText("。"), let report = compact.rangeOfText("绩效评价报告") else { return nil }
        var name = Substring(compact[..<report.lowerBound])
        guard name.containsText("项目"), !name.containsText("整体") else { return nil }
        // Numbering, 关于 and quotes around the name.
        name = name.drop { Heading.chineseNumerals.contains($0) || $0.isNumber || "、.．()（）:： 第部分".contains($0) }
        if name.hasPrefix("关于") { name = name.dropFirst(2) }
        name = Substring(String(name).trimmingCharacters(in: "《》“”\"「」"))
        if name.hasSuffix("的") { name = name.dropLast() }
        if name.hasSuffix("支出") { name = name.dropLast(2) }
        let generic: Set<String> = ["项目", "重点项目", "部门项目", "财政项目", "专项项目", "项目资金", "财政支出项目", "预算项目"]
        let named = String(name)
        return ReportHeading(project: named.count >= 4 && !generic.contains(named) && named.hasSuffix("项目") ? named : nil)
    }

    /// `项目名称：XX`, or a sentence whose subject is a project: `XX项目由…`, `XX项目是…`.
    static func projectNamed(in line: String) -> String? {
        let compact = line.compacted
        for label in ["项目名称：", "项目名称:", "评价项目：", "评价项目:"] where compact.hasPrefix(label) {
            let name = compact.dropFirst(label.count).prefix { !"，。；;,".contains($0) }
            return name.count >= 4 ? String(name) : nil
        }
        let nonSubjects = ["本", "该", "此", "项目", "根据", "通过", "按照", "为", "对", "在", "经", "由", "关于", "自", "从",
                           "结合", "依据", "围绕", "截至", "截止", "其中", "主要", "同时", "综上"]
        guard !nonSubjects.contains(where: compact.hasPrefix), let end = compact.rangeOfText("项目") else { return nil }
        let name = compact[..<end.upperBound]
        guard name.count >= 6, name.count <= 40, !name.contains(where: { "，、：:；（(“\"".contains($0) }) else { return nil }
        let next = compact[end.upperBound...].first
        guard let next, "由是为的于经自共总财预主资实，（(".contains(next) else { return nil }
        return String(name)
    }
}

/// Reads the score tables of an evaluation report (`序号 工作指标 工作项目 分值 评分标准 得分`,
/// `一级指标 二级指标 三级指标 分值 [专家…] 合计 平均分`): one indicator record per scored row
/// with its 分值 (weight) and 得分 (score), tied to the report's project, and a check of the 总分 row.
struct ScoreTableReader {
    static let weightLabels: Set<String> = ["分值", "权重", "标准分", "满分", "分数", "权重分", "指标分值", "标准分值", "指标权重"]
    static let scoreLabels = ["平均分", "得分", "评分", "实际得分", "最终得分", "综合得分", "评价得分", "考核得分", "专家评分"]
    static let nameLabels = ["一级指标", "二级指标", "三级指标", "工作指标", "工作项目", "评价指标", "考核指标", "指标名称",
                             "考核内容", "评价内容", "评价要点", "考核项目", "指标"]
    /// Columns of a performance-target table: those have operators and targets, not scores.
    static let targetLabels = ["指标值", "指标性质", "目标值", "度量单位", "计量单位", "实际完成值", "完成值"]

    let context: TableContext
    let header: TableHeader
    let nameColumns: [Int]
    let weightColumn: Int
    let scoreColumn: Int?
    let standardColumn: Int?

    static func isScoreTable(_ header: TableHeader) -> Bool {
        let labels = header.labels
        return labels.contains(where: weightLabels.contains)
            && labels.contains { label in nameLabels.contains { label.containsText($0) } }
            && !labels.contains { label in targetLabels.contains { label.containsText($0) } }
    }

    init(context: TableContext, header: TableHeader) {
        self.context = context
        self.header = header
        let labels = header.labels
        let weight = labels.firstIndex(where: Self.weightLabels.contains)!
        weightColumn = weight
        nameColumns = labels.indices.filter { column in
            column != weight && Self.nameLabels.contains { labels[column].containsText($0) }
        }
        scoreColumn = Self.scoreLabels.lazy.compactMap { label in labels.firstIndex(of: label) }.first
        standardColumn = labels.firstIndex { $0.containsText("标准") && !Self.weightLabels.contains($0) }
            ?? labels.firstIndex { $0.containsText("评分细则") || $0.containsText("评分依据") }
    }

    static func read(_ context: TableContext, header: TableHeader, data: [TableRow], caption: [(line: Int, text: String)],
                     project: Int?, into output: inout ParseOutput) {
        let reader = ScoreTableReader(context: context, header: header)
        let notes = reader.read(data, project: project, into: &output)
        output.addTableNotes(context, caption: caption, rows: header.rows + notes)
    }

    private func cell(_ row: TableRow, _ column: Int?) -> String? {
        guard let column, column < row.cells.count else { return nil }
        let text = Wrapped.normalizeSpaces(row.cells[column]).trimmingCharacters(in: "\u{3000} ")
        return text.isEmpty ? nil : text
    }

    /// Adds the indicators; returns the rows that are none (the 总分 row included, so that its
    /// figures stay searchable).
    private func read(_ data: [TableRow], project: Int?, into output: inout ParseOutput) -> [TableRow] {
        var notes: [TableRow] = []
        var levels = [String?](repeating: nil, count: nameColumns.count)
        var scores: [(weight: Double, score: Double?)] = []
        for row in data {
            let first = row.nonEmptyCells.first?.compacted ?? ""
            if ["总分", "合计", "总计", "得分合计", "总得分"].contains(first) {
                notes.append(row)
                checkTotal(row, scores: scores, project: project, into: &output)
                continue
            }
            var names: [String?] = nameColumns.map { cell(row, $0) }
            let weight = cell(row, weightColumn)
            guard let last = names.last ?? nil, weight.flatMap(Cell.number) != nil || names.compactMap({ $0 }).count > 0 else {
                notes.append(row)
                continue
            }
            // Merged cells leave the upper levels blank on the rows below their first.
            for index in names.indices.dropLast() {
                if let name = names[index] { levels[index] = name; levels[(index + 1)...].indices.forEach { levels[$0] = nil } }
                names[index] = names[index] ?? levels[index]
            }
            var fields: [String: String] = [:]
            fields["weight"] = weight
            fields["score"] = cell(row, scoreColumn)
            fields["standard"] = cell(row, standardColumn)
            if let number = row.nonEmptyCells.first, Cell.number(number) != nil, nameColumns.first.map({ $0 > 0 }) == true {
                fields["number"] = number
            }
            let levelNames = names.map { $0.map { $0.compacted } }
            let indicator: Indicator
            switch levelNames.count {
            case 1: indicator = Indicator(level3: last)
            case 2: indicator = Indicator(level1: levelNames[0], level2: last)
            default: indicator = Indicator(level1: levelNames[0], level2: levelNames[1], level3: last)
            }
            let context = names.dropLast().compactMap { $0 }
            output.records.append(Record(type: .indicator, title: last, text: (context + [row.text]).joined(separator: " "),
                                         section: self.context.section, table: self.context.title,
                                         firstLine: row.lines.lowerBound, lastLine: row.lines.upperBound,
                                         indicator: indicator, fields: fields))
            if let project { output.projects.update(project) { $0.indicators.append(output.records.count - 1) } }
            if let value = weight.flatMap(Cell.number) { scores.append((value, cell(row, scoreColumn).flatMap(Cell.number))) }
        }
        return notes
    }

    /// The 总分 row states the sums of the 分值 and score columns; merged label cells shift its
    /// figures left, so they are read in order.
    private func checkTotal(_ row: TableRow, scores: [(weight: Double, score: Double?)], project: Int?,
                            into output: inout ParseOutput) {
        let figures = row.cells.compactMap(Cell.number)
        guard let statedWeight = figures.first else { return }
        let statedScore = scoreColumn != nil && figures.count >= 2 ? figures.last : nil
        let name = project.map { output.projects.drafts[$0].name ?? "?" }
        let table = name.map { "\(context.title)（\($0)）" } ?? context.title
        var checks = [("分值", statedWeight, scores.map(\.weight).reduce(0, +))]
        if let statedScore, scores.allSatisfy({ $0.score != nil }) {
            checks.append((header.label(scoreColumn!), statedScore, scores.compactMap(\.score).reduce(0, +)))
        }
        for (column, stated, summed) in checks {
            let agrees = abs(stated - summed) < 0.011
            output.checks.append(TotalCheck(table: table, column: column, line: row.lines.lowerBound, stated: stated,
                                            summed: summed, agrees: agrees,
                                            reason: agrees ? nil : "scores sum to \(summed.formatted6), not the stated 总分 \(stated.formatted6)"))
        }
        if let project {
            output.projects.update(project) { draft in
                draft.fields["maxScore"] = draft.fields["maxScore"] ?? statedWeight.formatted6
                if let statedScore { draft.fields["score"] = draft.fields["score"] ?? statedScore.formatted6 }
            }
        }
    }
}
