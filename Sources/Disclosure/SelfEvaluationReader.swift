/// Reads a 项目支出绩效自评表 (决算): the project's name, people, budget / actual figures and
/// score, and one indicator record per 三级指标 with its target, actual value and score.
struct SelfEvaluationReader {
    let context: TableContext

    /// A form that opens with a `项目名称 | name` row. Laid out as tab rows (HTML, spreadsheets,
    /// PDF), it must also name its 主管部门, 项目负责人 or 项目资金 below, unlike a table with a
    /// 项目名称 column.
    static func isSelfEvaluation(_ rows: [TableRow], oneCellPerLine: Bool = true) -> Bool {
        guard rows.prefix(3).contains(where: { $0.nonEmptyCells.first?.compacted == "项目名称" && (oneCellPerLine || $0.nonEmptyCells.count <= 3) })
        else { return false }
        if oneCellPerLine { return true }
        return rows.prefix(8).contains { row in
            ["主管部门", "项目负责人", "项目资金"].contains { row.nonEmptyCells.first?.compacted.hasPrefix($0) == true }
        }
    }

    private static let fieldKeys = ["主管部门": "department", "实施单位": "implementer", "项目负责人": "responsible",
                                    "联系电话": "phone"]

    private enum Part { case heading, funds([String]), goals, indicators(Int) }

    static func read(_ context: TableContext, rows: [TableRow], caption: [(line: Int, text: String)],
                     into output: inout ParseOutput) {
        let reader = SelfEvaluationReader(context: context)
        var draft = ProjectDraft(name: nil, table: context.title, section: context.section, lines: rows[0].lines)
        var part = Part.heading
        var levels: (String?, String?) = (nil, nil)
        var scores: [(weight: Double, score: Double)] = []
        for row in rows {
            let cells = row.nonEmptyCells
            let first = cells.first?.compacted ?? ""
            draft.extend(to: row.lines)
            if first == "项目名称" {
                draft.name = cells.dropFirst().first.map(Wrapped.normalizeSpaces)
                draft.addText(row.text)
            } else if first.hasPrefix("项目资金") {
                part = .funds(row.cells.map(\.compacted))
                draft.addText(row.text)
            } else if first == "年度总体目标" {
                part = .goals
                draft.addText(row.text)
            } else if let base = row.cells.firstIndex(where: { $0.compacted == "一级指标" }) {
                part = .indicators(base)
                draft.addText(row.text)
            } else if first == "总分" {
                let figures = cells.dropFirst().compactMap(Cell.number)
                if figures.count >= 2 {
                    draft.fields["maxScore"] = cells[1]
                    draft.fields["score"] = cells[2]
                    reader.checkScores(scores, maxScore: figures[0], score: figures[1], line: row.lines.lowerBound,
                                       name: draft.name, into: &output)
                }
                draft.addText(row.text)
            } else {
                switch part {
                case .heading:
                    for (label, value) in zip(cells, cells.dropFirst()) {
                        if let key = fieldKeys[label.compacted] { draft.fields[key] = value }
                    }
                    draft.addText(row.text)
                case .funds(let labels):
                    reader.readFunds(row, labels: labels, into: &draft, scores: &scores)
                case .goals:
                    if row.cells.count >= 3 {
                        draft.addText(row.cells[1], to: "goal")
                        draft.addText(row.cells[2], to: "actual")
                    } else {
                        draft.addText(row.text, to: "goal")
                    }
                case .indicators(let base):
                    let index = reader.addIndicator(row, base: base, levels: &levels, scores: &scores, into: &output)
                    draft.indicators.append(index)
                }
            }
        }
        if draft.name == nil {
            output.addTableNotes(context, caption: caption, rows: rows)
            return
        }
        output.addTableNotes(context, caption: caption, rows: [])
        output.projects.add(draft)
    }

    /// 年度资金总额 and its 其中 rows under 年初预算数 / 全年预算数 / 全年执行数 / 分值 / 执行率 / 得分.
    private func readFunds(_ row: TableRow, labels: [String], into draft: inout ProjectDraft,
                           scores: inout [(weight: Double, score: Double)]) {
        draft.texts.append(row.text)
        let name = row.cells.first { !$0.isEmpty }?.compacted ?? ""
        let isTotal = name == "年度资金总额"
        let rowName = name.replacingOccurrences(of: "其中：", with: "")
        var weight: Double?
        var score: Double?
        for (column, cell) in row.cells.enumerated() where column < labels.count && !cell.isEmpty {
            let label = labels[column]
            if label.hasSuffix("数"), let amount = Money.amount(label: isTotal ? label : "\(rowName)·\(label)",
                                                              cell: cell, unit: context.unit) {
                draft.amounts.append(amount)
            } else if isTotal, label == "分值" {
                weight = Cell.number(cell)
            } else if isTotal, label == "得分" {
                score = Cell.number(cell)
            } else if isTotal, label == "执行率" {
                draft.fields["executionRate"] = cell
            }
        }
        if let weight, let score { scores.append((weight, score)) }
    }

    private func addIndicator(_ row: TableRow, base: Int, levels: inout (String?, String?),
                              scores: inout [(weight: Double, score: Double)], into output: inout ParseOutput) -> Int {
        func cell(_ offset: Int) -> String? {
            let index = base + offset
            guard index < row.cells.count, !row.cells[index].isEmpty else { return nil }
            return row.cells[index]
        }
        let level1 = cell(0)?.compacted ?? levels.0
        let level2 = cell(1)?.compacted ?? (cell(0) == nil ? levels.1 : nil)
        levels = (level1, level2)
        let level3 = cell(2)
        var fields: [String: String] = [:]
        fields["actual"] = cell(4)
        fields["weight"] = cell(5)
        fields["score"] = cell(6)
        fields["deviation"] = cell(7)
        if let weight = cell(5).flatMap(Cell.number) { scores.append((weight, cell(6).flatMap(Cell.number) ?? 0)) }
        let indicator = Indicator(level1: level1, level2: level2, level3: level3, value: cell(3))
        output.records.append(Record(type: .indicator, title: level3 ?? level2 ?? context.title, text: row.text,
                                     section: context.section, table: context.title,
                                     firstLine: row.lines.lowerBound, lastLine: row.lines.upperBound,
                                     indicator: indicator, fields: fields))
        return output.records.count - 1
    }

    /// 总分 states the sum of the 分值 and 得分 columns.
    private func checkScores(_ scores: [(weight: Double, score: Double)], maxScore: Double, score: Double, line: Int,
                             name: String?, into output: inout ParseOutput) {
        let table = "\(context.title)（\(name ?? "?")）"
        for (column, stated, summed) in [("分值", maxScore, scores.map(\.weight).reduce(0, +)),
                                         ("得分", score, scores.map(\.score).reduce(0, +))] {
            let agrees = abs(stated - summed) < 0.001
            output.checks.append(TotalCheck(table: table, column: column, line: line, stated: stated, summed: summed,
                                            agrees: agrees, reason: agrees ? nil
                                                : "scores sum to \(summed.formatted6), not the stated 总分 \(stated.formatted6)"))
        }
    }
}
