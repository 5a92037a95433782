/// The header rows of a tab-separated table and the label of each column.
struct TableHeader {
    let rows: [TableRow]
    /// Per column: the deepest header cell above it (`人员经费`), qualified by its parent when the
    /// same label stands over several columns (`本年拨款·一般公共预算`).
    let labels: [String]

    /// Splits the leading header rows off `rows`: everything before the first row with a figure,
    /// a code, an indicator operator or a `无` marker.
    static func split(_ rows: [TableRow]) -> (header: TableHeader, data: [TableRow]) {
        let firstData = rows.firstIndex(where: isDataLike) ?? rows.count
        let header = TableHeader(rows: Array(rows[..<firstData]))
        // Page breaks repeat the header; the copies carry no data. Texts of another length are
        // told apart without hashing them.
        let headerTexts = Set(header.rows.map { $0.cells.joined().compacted })
        let maxLength = headerTexts.allSatisfy(PlainText.isPlain) ? headerTexts.map(\.utf8.count).max() ?? -1 : Int.max
        let data = rows[firstData...].filter { row in
            let text = row.cells.joined().compacted
            return PlainText.isPlain(text, longerThan: maxLength) || !headerTexts.contains(text)
        }
        return (header, data)
    }

    static func isDataLike(_ row: TableRow) -> Bool {
        row.cells.contains { cell in
            Cell.number(cell) != nil || Cell.indicatorOperator(cell) != nil || cell == "无" || Cell.isLevel1(cell)
                || (Cell.code(cell).map { $0.code.count >= 3 } ?? false)
        }
    }

    init(rows: [TableRow]) {
        self.rows = rows
        let width = rows.map(\.cells.count).max() ?? 0
        var deepest: [String] = []
        var parents: [String] = []
        for column in 0..<width {
            var label = ""
            var parent = ""
            for (depth, row) in rows.enumerated().reversed() where column < row.cells.count && !row.cells[column].isEmpty {
                label = row.cells[column].compacted
                if depth > 0 { parent = TableHeader.spanningCell(in: rows[depth - 1], at: column) }
                break
            }
            if label == "小计", !parent.isEmpty { label = parent; parent = "" }
            deepest.append(label)
            parents.append(parent)
        }
        labels = deepest.enumerated().map { column, label in
            let repeated = !label.isEmpty && deepest.filter { $0 == label }.count > 1
            return repeated && !parents[column].isEmpty ? parents[column] + "·" + label : label
        }
    }

    /// The nearest non-empty cell at or left of `column`: a merged cell printed at its first column.
    private static func spanningCell(in row: TableRow, at column: Int) -> String {
        var index = min(column, row.cells.count - 1)
        while index >= 0 {
            if !row.cells[index].isEmpty { return row.cells[index].compacted }
            index -= 1
        }
        return ""
    }

    func label(_ column: Int) -> String { column < labels.count ? labels[column] : "" }

    func column(containing text: String) -> Int? { labels.firstIndex { $0.containsText(text) } }

    var text: String { rows.map(\.text).joined(separator: "\n") }
}
