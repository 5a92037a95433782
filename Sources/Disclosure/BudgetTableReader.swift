/// Reads budget tables (支出总表, 项目支出表, 三公经费, 政府采购, 收支总表 …) into line items and
/// checks their stated totals.
struct BudgetTableReader {
    let context: TableContext
    let header: TableHeader
    /// Columns holding money figures.
    let amountColumns: [Int]
    /// Whether rows carry classification codes, so that a row without figures or codes is a
    /// wrapped continuation of the row above.
    let hasCodes: Bool

    init(context: TableContext, header: TableHeader, data: [TableRow]) {
        self.context = context
        self.header = header
        let width = max(header.labels.count, data.map(\.cells.count).max() ?? 0)
        amountColumns = (0..<width).filter { column in
            let label = header.label(column)
            if ["年度", "电话", "编码", "指标", "代码"].contains(where: { label.containsText($0) }) { return false }
            let cells = data.compactMap { column < $0.cells.count ? $0.cells[column] : nil }.filter { !$0.isEmpty }
            let numeric = cells.filter { Cell.number($0) != nil }.count
            return numeric > 0 && numeric * 2 >= cells.count
        }
        hasCodes = data.contains { row in row.cells.contains { Cell.code($0).map { $0.code.count >= 3 } ?? false } }
    }

    /// A 收支总表 prints income and expenditure side by side under `项目 预算数 项目 预算数`;
    /// each side is read as a table of its own.
    static func sides(of header: TableHeader) -> [(name: String, columns: Range<Int>)]? {
        let deepest = header.rows.last?.cells.map(\.compacted) ?? []
        let itemColumns = deepest.indices.filter { deepest[$0] == "项目" }
        guard itemColumns.count == 2, itemColumns[0] == 0 else { return nil }
        let top = header.rows.first?.cells ?? []
        func name(_ column: Int) -> String { column < top.count ? top[column].compacted : "" }
        return [(name(0), 0..<itemColumns[1]), (name(itemColumns[1]), itemColumns[1]..<header.labels.count)]
    }

    static func read(_ context: TableContext, header: TableHeader, data: [TableRow], caption: [(line: Int, text: String)],
                     into output: inout ParseOutput) {
        var notes = header.rows
        if let sides = sides(of: header) {
            for side in sides {
                let sideContext = TableContext(title: "\(context.title)（\(side.name)）", unit: context.unit,
                                               section: context.section)
                let sideHeader = TableHeader(rows: header.rows.map { $0.slice(side.columns) })
                let sideRows = data.map { $0.slice(side.columns) }.filter { !$0.nonEmptyCells.isEmpty }
                let reader = BudgetTableReader(context: sideContext, header: sideHeader, data: sideRows)
                notes += reader.read(sideRows, into: &output)
            }
        } else {
            let reader = BudgetTableReader(context: context, header: header, data: data)
            notes += reader.read(data, into: &output)
        }
        output.addTableNotes(context, caption: caption, rows: notes)
    }

    private enum RowKind { case item, total }

    /// Adds the line items and total checks; returns the rows that are not line items (totals
    /// included, so their figures stay searchable).
    func read(_ data: [TableRow], into output: inout ParseOutput) -> [TableRow] {
        var logical: [(row: TableRow, kind: RowKind)] = []
        var notes: [TableRow] = []
        for row in data {
            let figures = amountColumns.contains { $0 < row.cells.count && Cell.number(row.cells[$0]) != nil }
            let codes = row.cells.contains { Cell.code($0).map { $0.code.count >= 3 } ?? false }
            let onlyFigures = row.cells.indices.allSatisfy { row.cells[$0].isEmpty || amountColumns.contains($0) }
            if isTotal(row) || (figures && logical.isEmpty && onlyFigures) {
                logical.append((row, .total))
                notes.append(row)
            } else if hasCodes && !figures && !codes, let last = logical.indices.last, logical[last].kind == .item {
                logical[last].row.absorb(row)
            } else if figures || codes {
                logical.append((row, .item))
            } else {
                notes.append(row)
            }
        }
        var items: [(record: Record, row: TableRow)] = []
        for entry in logical where entry.kind == .item {
            if entry.row.nonEmptyCells.allSatisfy({ $0 == "无" || Cell.number($0) == 0 }) {
                notes.append(entry.row)
                continue
            }
            let record = lineItem(entry.row)
            output.noteCodes(record.codes)
            items.append((record, entry.row))
            output.records.append(record)
            if let name = record.projectName {
                output.projects.add(ProjectDraft(name: name, row: output.records.count - 1, source: record))
            }
        }
        checkTotals(logical.map { entry in
            (entry.row, entry.kind == .total ? nil : items.first { $0.row.lines == entry.row.lines }?.record)
        }, into: &output)
        return notes
    }

    private func isTotal(_ row: TableRow) -> Bool {
        row.cells.contains { cell in
            let compact = cell.compacted
            return (compact.hasSuffixText("合计") || compact.hasSuffixText("总计")) && compact.hasAtMost(8)
        }
    }

    private func lineItem(_ row: TableRow) -> Record {
        var codes: [ClassificationCode] = []
        var amounts: [Amount] = []
        var fields: [String: String] = [:]
        var label: String?
        var projectName: String?
        for (column, raw) in row.cells.enumerated() where !raw.isEmpty {
            let cell = Wrapped.normalizeSpaces(raw)
            let heading = header.label(column)
            if amountColumns.contains(column), let amount = Money.amount(label: heading.isEmpty ? "金额" : heading,
                                                                          cell: raw, unit: context.unit) {
                amounts.append(amount)
            } else if let code = classification(cell, heading: heading, row: row) {
                codes.append(code)
            } else if heading.containsText("项目名称") {
                projectName = cell
            } else if heading.containsText("科目名称") {
                continue
            } else if heading.isEmpty || heading == "项目" || (label == nil && column == 0 && Cell.code(cell) == nil) {
                label = label ?? cell
            } else {
                fields[heading] = cell
            }
        }
        let names = codes.filter { $0.scheme != .governmentEconomic || codes.count == 1 }.compactMap(\.name)
        let title = projectName ?? label ?? (names.isEmpty ? nil : names.joined(separator: " · "))
            ?? row.nonEmptyCells.first ?? context.title
        return Record(type: .lineItem, title: title.allSatisfy(\.isNumber) ? "\(context.title) \(title)" : title,
                      text: row.text, section: context.section, table: context.title,
                      firstLine: row.lines.lowerBound, lastLine: row.lines.upperBound,
                      codes: codes, amounts: amounts, projectName: projectName, fields: fields)
    }

    /// A code cell read by its column: function codes under 功能分类/科目编码/服务领域, economic
    /// codes under 政府/部门支出经济分类.
    private func classification(_ cell: String, heading: String, row: TableRow) -> ClassificationCode? {
        let scheme: CodeScheme
        if heading.containsText("政府支出经济分类") {
            scheme = .governmentEconomic
        } else if heading.containsText("部门支出经济分类") {
            scheme = .departmentEconomic
        } else if heading.containsText("功能分类") || heading.containsText("科目编码") || heading.containsText("服务领域") {
            scheme = .function
        } else {
            return nil
        }
        if cell.allSatisfy(\.isNumber) {
            let nameColumn = header.column(containing: "科目名称")
            let name = nameColumn.flatMap { $0 < row.cells.count ? Wrapped.normalizeSpaces(row.cells[$0]) : nil }
            return ClassificationCode(scheme: scheme, code: cell, name: name)
        }
        guard let coded = Cell.code(cell), coded.code.allSatisfy(\.isNumber) else { return nil }
        return ClassificationCode(scheme: Cell.scheme(ofCode: coded.code) ?? scheme, code: coded.code, name: coded.name)
    }

    // MARK: Totals

    /// Rows add up to the next total below them; a total then stands for its rows, so a 总计 under a
    /// 合计 adds the rows in between to it. A total printed above all rows covers them all.
    private func checkTotals(_ rows: [(row: TableRow, item: Record?)], into output: inout ParseOutput) {
        var group: [Record] = []
        var carried: [String: Double] = [:]
        var leading: TableRow?
        for (row, item) in rows {
            if let item { group.append(item); continue }
            if group.isEmpty && carried.isEmpty { leading = row; continue }
            for (label, stated) in statedTotals(row) {
                output.checks.append(check(label: label, stated: stated, line: row.lines.lowerBound,
                                           group: group, carried: carried[label] ?? 0))
                carried[label] = stated
            }
            group = []
        }
        if let leading {
            for (label, stated) in statedTotals(leading) {
                output.checks.append(check(label: label, stated: stated, line: leading.lines.lowerBound,
                                           group: group, carried: 0))
            }
        }
    }

    /// The figures of a total row by column. Merged label cells can shift them; then they are
    /// matched in order to the columns that hold figures.
    private func statedTotals(_ row: TableRow) -> [(String, Double)] {
        let figures = row.cells.indices.compactMap { column in Cell.number(row.cells[column]).map { (column, $0) } }
        let aligned = figures.allSatisfy { amountColumns.contains($0.0) }
        return figures.enumerated().compactMap { position, figure in
            let column = aligned ? figure.0 : (position < amountColumns.count ? amountColumns[position] : nil)
            guard let column else { return nil }
            let label = header.label(column)
            let value = context.unit == "元" ? figure.1 / 10_000 : figure.1
            return (label.isEmpty ? "金额" : label, value)
        }
    }

    private func check(label: String, stated: Double, line: Int, group: [Record], carried: Double) -> TotalCheck {
        let values = group.map { record in record.amounts.first { $0.label == label }?.wanYuan ?? 0 }
        let summed = carried + values.reduce(0, +)
        if Money.equal(summed, stated) {
            return TotalCheck(table: context.title, column: label, line: line, stated: stated, summed: summed, agrees: true)
        }
        let subtotals = Self.subtotalRows(values)
        if !subtotals.isEmpty {
            let withoutSubtotals = carried + values.enumerated().filter { !subtotals.contains($0.offset) }.map(\.element).reduce(0, +)
            if Money.equal(withoutSubtotals, stated) {
                let names = subtotals.map { group[$0].title }.joined(separator: "、")
                return TotalCheck(table: context.title, column: label, line: line, stated: stated,
                                  summed: withoutSubtotals, agrees: true, note: "sub-total rows left out: \(names)")
            }
        }
        return TotalCheck(table: context.title, column: label, line: line, stated: stated, summed: summed,
                          agrees: false, reason: Self.reason(stated: stated, summed: summed, group: group, label: label))
    }

    /// Rows whose figure equals the rows right below it added up: 一、本年收入 over its (一)(二)(三).
    static func subtotalRows(_ values: [Double]) -> [Int] {
        var found: [Int] = []
        for (index, value) in values.enumerated() where value > 0 {
            var sum = 0.0
            for next in values[(index + 1)...] {
                sum += next
                if Money.equal(sum, value) { found.append(index); break }
                if sum > value { break }
            }
        }
        return found
    }

    private static func reason(stated: Double, summed: Double, group: [Record], label: String) -> String {
        let flagged = group.filter { $0.amounts.contains { $0.label == label && $0.flag != nil } }
        if !flagged.isEmpty {
            return "rows in another unit: " + flagged.map { "\($0.title) (line \($0.firstLine))" }.joined(separator: "、")
        }
        if stated > 0, Money.equal(summed / 10_000, stated) || Money.equal(summed * 10_000, stated) {
            return "rows and total differ by a factor of 10,000 (元 vs 万元)"
        }
        let difference = summed - stated
        if let row = group.first(where: { $0.amounts.contains { $0.label == label && Money.equal($0.wanYuan, abs(difference)) } }) {
            return "the row \(row.title) (line \(row.firstLine)) accounts for the difference of \(abs(difference).formatted6): "
                + "the total counts it \(difference > 0 ? "elsewhere" : "here") but the row is printed \(difference > 0 ? "in this column" : "elsewhere")"
        }
        return "rows sum to \(summed.formatted6), \(difference > 0 ? "more" : "less") than the stated total by \(abs(difference).formatted6)"
    }
}

extension TableRow {
    /// The cells of `columns`, for one side of a side-by-side table.
    func slice(_ columns: Range<Int>) -> TableRow {
        TableRow(cells: columns.map { $0 < cells.count ? cells[$0] : "" }, lines: lines)
    }

    /// Takes in a continuation line of wrapped cells, column by column. A fragment the cell already
    /// ends with is a page-break repeat and is dropped.
    mutating func absorb(_ continuation: TableRow) {
        for (column, fragment) in continuation.cells.enumerated() where !fragment.isEmpty {
            while cells.count <= column { cells.append("") }
            if cells[column].compacted.hasSuffix(fragment.compacted) { continue }
            cells[column] = Wrapped.join([cells[column], fragment])
        }
        lines = min(lines.lowerBound, continuation.lines.lowerBound)...max(lines.upperBound, continuation.lines.upperBound)
    }
}

extension Double {
    /// Six decimals, the precision 万元 tables print.
    var formatted6: String {
        let scaled = (self * 1_000_000).rounded()
        let negative = scaled < 0
        let magnitude = Int64(abs(scaled))
        let whole = magnitude / 1_000_000
        var fraction = String(magnitude % 1_000_000)
        while fraction.count < 6 { fraction = "0" + fraction }
        while fraction.last == "0" { fraction.removeLast() }
        return (negative ? "-" : "") + String(whole) + (fraction.isEmpty ? "" : "." + fraction)
    }
}
