/// Reads performance-target tables (项目支出绩效表, 绩效目标申报表, 部门整体支出绩效目标表): one
/// indicator record per indicator row, and for per-project tables the project fields on the left.
///
/// Column positions in these tables are unreliable (merged cells, rows that lost their leading
/// cells at a page break), so cells are recognised by content: an indicator is found by its
/// operator (≥ ≤ = 定性 …) or its 一级/二级 names, projects by their code or 项目类别 cell.
struct PerformanceTableReader {
    let context: TableContext
    let goalColumn: Int?
    let perProject: Bool
    /// Department-wide tables name an 活动 and, in some years, a 任务 under it.
    let hasTaskColumn: Bool

    static func read(_ context: TableContext, header: TableHeader, data: [TableRow], caption: [(line: Int, text: String)],
                     into output: inout ParseOutput) {
        let reader = PerformanceTableReader(context: context, goalColumn: header.column(containing: "绩效目标"),
                                            perProject: header.column(containing: "项目名称") != nil,
                                            hasTaskColumn: header.column(containing: "任务") != nil)
        let notes = reader.read(data, into: &output)
        output.addTableNotes(context, caption: caption, rows: header.rows + notes)
    }

    private struct IndicatorCells {
        var start: Int
        var level1: String?
        var level2: String?
        var level3: String?
        var op: String?
        var value: String?
        var unit: String?
        var direction: String?
        var cells: [String]
    }

    private struct State {
        var project: Int?
        var lastIndicator: Int?
        var levels: (String?, String?) = (nil, nil)
        var partialCode: String?
        var activity: String?
        var task: String?
    }

    /// Adds the indicator records and project drafts; returns the rows that became neither.
    private func read(_ data: [TableRow], into output: inout ParseOutput) -> [TableRow] {
        var state = State()
        var notes: [TableRow] = []
        for row in data {
            let indicator = Self.indicatorCells(row.cells)
            let left = Array(row.cells[..<(indicator?.start ?? row.cells.count)])
            var used = indicator != nil
            if perProject {
                used = readProjectCells(left, row: row, hasIndicator: indicator != nil, state: &state,
                                        output: &output) || used
            } else if indicator != nil {
                let named = left.filter { !$0.isEmpty }.map(Wrapped.normalizeSpaces)
                if named.count >= 2 {
                    (state.activity, state.task) = (named[0], named[1...].joined(separator: " "))
                } else if let only = named.first {
                    if !hasTaskColumn || only.containsText("/") { (state.activity, state.task) = (only, nil) } else { state.task = only }
                }
            }
            if let indicator {
                addIndicator(indicator, row: row, state: &state, output: &output)
            }
            if !used { notes.append(row) }
        }
        return notes
    }

    // MARK: Projects

    /// Returns whether the cells said anything about a project.
    private func readProjectCells(_ left: [String], row: TableRow, hasIndicator: Bool, state: inout State,
                                  output: inout ParseOutput) -> Bool {
        if let identity = Self.projectIdentity(left, partialCode: state.partialCode) {
            if identity.completesPartial, let project = state.project {
                output.projects.update(project) { $0.name = identity.name; $0.code = identity.code }
                state.partialCode = nil
            } else {
                state.project = output.projects.open(ProjectDraft(name: identity.name, code: identity.code,
                                                                  table: context.title, section: context.section,
                                                                  lines: row.lines))
                state.partialCode = identity.partialCode
                state.lastIndicator = nil
            }
            output.projects.update(state.project!) { draft in
                fillProject(&draft, cells: left, nameIndex: identity.nameIndex)
                draft.extend(to: row.lines)
            }
            return true
        }
        guard let project = state.project else { return false }
        var used = false
        for (column, cell) in left.enumerated() where !cell.isEmpty {
            used = true
            if column == goalColumn || (hasIndicator && !cell.hasAtMost(14)) {
                output.projects.update(project) { $0.addText(cell, to: "goal") }
            } else if !hasIndicator, let last = state.lastIndicator, !cell.compacted.hasAtMost(1) {
                continueIndicator(last, with: cell, row: row, output: &output)
            } else {
                output.projects.update(project) { $0.addText(cell) }
            }
        }
        output.projects.update(project) { $0.extend(to: row.lines) }
        return used
    }

    private struct Identity {
        var name: String?
        var code: String?
        var nameIndex: Int
        var partialCode: String?
        var completesPartial = false
    }

    /// A project row names its project by code (`11010222T000000417336-名称`), by the name just
    /// left of its 项目类别 cell (`31-部门项目`), or starts a code the PDF split over two rows.
    private static func projectIdentity(_ cells: [String], partialCode: String?) -> Identity? {
        for (index, cell) in cells.enumerated() {
            if let coded = Cell.projectCodeAndName(cell) {
                return Identity(name: coded.name, code: coded.code, nameIndex: index)
            }
            if let partialCode, let coded = Cell.code(cell), Cell.isProjectCode(partialCode + coded.code) {
                return Identity(name: coded.name, code: partialCode + coded.code, nameIndex: index, completesPartial: true)
            }
            if Cell.isPartialProjectCode(cell.compacted) {
                return Identity(name: nil, code: nil, nameIndex: index, partialCode: cell.compacted)
            }
        }
        guard let category = cells.firstIndex(where: isCategory),
              let nameIndex = cells[..<category].lastIndex(where: { !$0.isEmpty }) else { return nil }
        return Identity(name: Wrapped.normalizeSpaces(cells[nameIndex]), code: nil, nameIndex: nameIndex)
    }

    private static func isCategory(_ cell: String) -> Bool {
        guard let coded = Cell.code(cell.compacted) else { return false }
        return coded.code.count <= 3 && coded.name.hasSuffix("项目")
    }

    /// Unit left of the name; category, person, phone, figures and goal right of it.
    private func fillProject(_ draft: inout ProjectDraft, cells: [String], nameIndex: Int) {
        var figures: [String] = []
        for (index, raw) in cells.enumerated() where !raw.isEmpty {
            let cell = Wrapped.normalizeSpaces(raw)
            let compact = raw.compacted
            if index < nameIndex {
                draft.addText(cell, to: draft.fields["unit"] == nil ? "unit" : nil)
            } else if index == nameIndex {
                draft.addText(cell)
            } else if Self.isCategory(raw) {
                draft.addText(compact, to: "category")
            } else if figures.isEmpty, [8, 11, 12].contains(compact.count), compact.allSatisfy(\.isNumber) {  // a landline or mobile number
                draft.addText(compact, to: "phone")
            } else if Cell.number(raw) != nil {
                figures.append(raw)
                draft.texts.append(raw)
            } else if compact.hasAtMost(6), draft.fields["responsible"] == nil, figures.isEmpty {
                draft.addText(compact, to: "responsible")
            } else {
                draft.addText(cell, to: "goal")
            }
        }
        draft.amounts += Self.projectAmounts(figures, unit: context.unit)
    }

    /// 项目总额, 财政资金, 其他资金 in print order; a third figure is 其他资金 only when the first
    /// is the sum of the other two (some tables repeat the total in a shifted column).
    private static func projectAmounts(_ figures: [String], unit: String) -> [Amount] {
        let amounts = zip(["项目总额", "财政资金", "其他资金"], figures).compactMap { label, cell in
            Money.amount(label: label, cell: cell, unit: unit)
        }
        if amounts.count == 3, !Money.equal(amounts[0].wanYuan, amounts[1].wanYuan + amounts[2].wanYuan) {
            return Array(amounts.prefix(2))
        }
        return amounts
    }

    // MARK: Indicators

    private static func indicatorCells(_ cells: [String]) -> IndicatorCells? {
        if let op = cells.indices.dropFirst().first(where: { Cell.indicatorOperator(cells[$0]) != nil }) {
            var found = IndicatorCells(start: op - 1, level3: cells[op - 1], op: Cell.indicatorOperator(cells[op]),
                                       cells: Array(cells[(op - 1)...]))
            if op >= 2, Cell.isLevel2(cells[op - 2]) || (Cell.isLevel1(cells[op - 2]) && op >= 3 && Cell.isLevel1(cells[op - 3])) {
                found.level2 = cells[op - 2].compacted
                found.start = op - 2
                if op >= 3, Cell.isLevel1(cells[op - 3]) {
                    found.level1 = cells[op - 3].compacted
                    found.start = op - 3
                }
            }
            func at(_ index: Int) -> String? { index < cells.count && !cells[index].isEmpty ? cells[index] : nil }
            found.value = at(op + 1).map(Wrapped.normalizeSpaces)
            found.unit = at(op + 2).flatMap(Cell.indicatorUnit)
            found.direction = at(op + 3).flatMap(Cell.direction)
            found.cells = Array(cells[found.start...])
            if found.level1 == nil, found.level2 == nil, let combined = found.level3 { splitCombined(combined, into: &found) }
            return found
        }
        guard let start = cells.indices.first(where: { index in
            Cell.isLevel1(cells[index]) && index + 1 < cells.count
                && (Cell.isLevel2(cells[index + 1]) || Cell.isLevel1(cells[index + 1]))
        }) else { return nil }
        return IndicatorCells(start: start, level1: cells[start].compacted, level2: cells[start + 1].compacted,
                              level3: start + 2 < cells.count ? cells[start + 2] : nil, cells: Array(cells[start...]))
    }

    /// `产出指标数量指标软件子系统数量` printed as one cell.
    private static func splitCombined(_ text: String, into found: inout IndicatorCells) {
        let compact = text.compacted
        guard let level1 = Cell.level1Names.first(where: compact.hasPrefix) else { return }
        let rest = compact.dropFirst(level1.count)
        guard let end = rest.range(of: "指标") else { return }
        found.level1 = level1
        found.level2 = String(rest[..<end.upperBound])
        found.level3 = String(rest[end.upperBound...])
    }

    private func addIndicator(_ cells: IndicatorCells, row: TableRow, state: inout State, output: inout ParseOutput) {
        let level2 = cells.level2 ?? state.levels.1
        let level1 = cells.level1 ?? (cells.level2.flatMap(Cell.level1(forLevel2:)) ?? state.levels.0)
        state.levels = (level1, level2)
        let level3 = cells.level3.map(Wrapped.normalizeSpaces).flatMap { $0.isEmpty ? nil : $0 }
        let indicator = Indicator(level1: level1, level2: level2, level3: level3, op: cells.op, value: cells.value,
                                  unit: cells.unit, direction: cells.direction)
        var fields: [String: String] = [:]
        var text = cells.cells.filter { !$0.isEmpty }.joined(separator: " ")
        if !perProject {
            fields["activity"] = state.activity
            fields["task"] = state.task
            let context = row.cells[..<cells.start].filter { !$0.isEmpty }
            if !context.isEmpty { text = context.joined(separator: " ") + " " + text }
        }
        output.records.append(Record(type: .indicator, title: level3 ?? level2 ?? context.title, text: text,
                                     section: context.section, table: context.title,
                                     firstLine: row.lines.lowerBound, lastLine: row.lines.upperBound,
                                     indicator: indicator, fields: fields))
        state.lastIndicator = output.records.count - 1
        if perProject, let project = state.project {
            output.projects.update(project) { $0.indicators.append(output.records.count - 1) }
        }
    }

    /// A wrapped 三级指标 continued on a line of its own.
    private func continueIndicator(_ index: Int, with cell: String, row: TableRow, output: inout ParseOutput) {
        var record = output.records[index]
        let joined = Wrapped.join([record.indicator?.level3 ?? "", cell])
        record.indicator?.level3 = joined
        record.title = joined
        record.text += " " + cell
        record.lastLine = max(record.lastLine, row.lines.upperBound)
        output.records[index] = record
    }
}
