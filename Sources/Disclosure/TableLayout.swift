/// Where the tables of a document are: each a caption (number, title, unit) and a body of rows.
struct TableBlock {
    /// Indices into the document's lines.
    var captionLines: [Int]
    var body: ClosedRange<Int>
    var title: String?
    var unit: String
    /// The 丰台 决算 layout: every cell on its own tab-led line, rows separated by blank lines.
    var oneCellPerLine: Bool
}

/// One row of a table with the 1-based source lines it came from.
struct TableRow {
    var cells: [String]
    var lines: ClosedRange<Int>

    var nonEmptyCells: [String] { cells.filter { !$0.isEmpty } }
    var text: String { nonEmptyCells.joined(separator: " ") }
}

enum TableLayout {
    /// Finds every table body (runs of tab-separated lines with their wrapped continuations)
    /// and the caption lines just above it.
    static func blocks(in lines: [String]) -> [TableBlock] {
        var blocks: [TableBlock] = []
        var index = 0
        while index < lines.count {
            guard lines[index].containsTab else { index += 1; continue }
            let end = bodyEnd(from: index, in: lines)
            let floor = blocks.last.map { $0.body.upperBound + 1 } ?? 0
            let caption = captionLines(above: index, floor: floor, in: lines)
            let captionText = caption.map { lines[$0] }
            let tabbed = lines[index...end].filter { $0.containsTab }
            // A tab is a Character of its own, so its byte can be dropped as the first Character.
            let oneCell = tabbed.filter { $0.utf8.first == UInt8(ascii: "\t") && !Substring($0.utf8.dropFirst()).containsTab }
                .count * 5 >= tabbed.count * 4
            let headerText = lines[index...min(end, index + 8)].joined(separator: " ")
            blocks.append(TableBlock(
                captionLines: caption, body: index...end, title: title(from: captionText),
                unit: Cell.unit(in: captionText.joined()) ?? Cell.unit(in: headerText) ?? "万元",
                oneCellPerLine: oneCell))
            index = end + 1
        }
        return blocks
    }

    /// A table goes on over blank lines, debris and wrapped text lines (even heading-like ones such
    /// as `2.及时率`) as long as more tab rows follow closely; a caption ends it.
    private static func bodyEnd(from start: Int, in lines: [String]) -> Int {
        var end = start
        var index = start + 1
        while index < lines.count {
            let line = lines[index]
            if line.containsTab {
                end = index
            } else if !line.isEmpty && !SourceLines.isDebris(line) {
                if isCaptionLike(line) || !tabRowFollows(index, in: lines) { break }
            }
            index += 1
        }
        return end
    }

    private static func tabRowFollows(_ index: Int, in lines: [String]) -> Bool {
        var seen = 0
        for line in lines[(index + 1)...] where !line.isEmpty {
            if line.containsTab { return true }
            if isCaptionLike(line) || Heading.level(of: line) != nil { return false }
            seen += 1
            if seen == 3 { return false }
        }
        return false
    }

    private static func captionLines(above start: Int, floor: Int, in lines: [String]) -> [Int] {
        var found: [Int] = []
        var index = start - 1
        while index >= floor, found.count < 6 {
            let line = lines[index]
            if line.isEmpty || SourceLines.isDebris(line) { index -= 1; continue }
            guard isCaptionLike(line) else { break }
            found.append(index)
            index -= 1
        }
        return found.reversed()
    }

    /// Table numbers and titles (`表一：`, `预算01表 收支总表`, `…情况表`), units and the year line.
    static func isCaptionLike(_ line: String) -> Bool {
        guard !line.containsTab, !line.isEmpty, line.hasAtMost(60), !line.containsText("。"),
              Heading.level(of: line) == nil else { return false }
        let compact = line.compacted
        if compact.hasSuffix("表") || compact.hasPrefix("表") || (compact.hasPrefix("预算") && compact.containsText("表")) {
            return true
        }
        if compact.containsText("单位：") || compact.containsText("单位:") || compact == "元" || compact == "万元" { return true }
        let unwrapped = compact.trimmingCharacters(in: "()（）")
        return unwrapped.hasSuffix("年度") && unwrapped.dropLast(2).allSatisfy { $0.isNumber }
            || (compact.hasPrefix("部门") && compact.containsText("名称"))
    }

    /// The table's own title without its numbering: `表三：` + `部门支出总体情况表` → `部门支出总体情况表`,
    /// `预算03表 支出预算总表` → `支出预算总表`.
    static func title(from caption: [String]) -> String? {
        for line in caption.reversed() {
            let compact = line.compacted
            guard compact.containsText("表"), !compact.containsText("单位") else { continue }
            let title = withoutNumbering(compact)
            if !title.isEmpty { return title }
        }
        return nil
    }

    private static func withoutNumbering(_ compact: String) -> String {
        var rest = Substring(compact)
        if rest.hasPrefix("预算") {
            let afterBudget = rest.dropFirst(2)
            let digits = afterBudget.prefix { $0.isNumber }
            if !digits.isEmpty, afterBudget.dropFirst(digits.count).hasPrefix("表") {
                rest = afterBudget.dropFirst(digits.count + 1)
            } else if afterBudget.hasPrefix("表") {
                rest = afterBudget.dropFirst().drop { $0.isNumber }
            }
        } else if rest.hasPrefix("表") {
            let numerals = rest.dropFirst().prefix { Heading.chineseNumerals.contains($0) || $0.isNumber }
            if !numerals.isEmpty { rest = rest.dropFirst(1 + numerals.count) }
        }
        return String(rest.drop { "：:、.． ".contains($0) })
    }

    /// Rows of a tab-separated body: one per line, cells split at tabs; text lines become one-cell rows.
    static func tabRows(_ block: TableBlock, lines: [String]) -> [TableRow] {
        var rows: [TableRow] = []
        for index in block.body {
            let line = lines[index]
            if line.isEmpty || SourceLines.isDebris(line) { continue }
            let cells = line.pieces(separatedBy: UInt8(ascii: "\t")).map { String($0.trimmingWhitespace) }
            guard cells.contains(where: { !$0.isEmpty }) else { continue }
            rows.append(TableRow(cells: cells, lines: (index + 1)...(index + 1)))
        }
        return rows
    }

    /// Rows of the one-cell-per-line layout: a tab-led line starts a cell, a text line continues
    /// the cell above (even across a blank line), and a blank line before a tab-led line ends the row.
    static func oneCellRows(_ block: TableBlock, lines: [String]) -> [TableRow] {
        var rows: [TableRow] = []
        var current: TableRow?
        var afterBlank = false
        for index in block.body {
            let line = lines[index]
            if line.isEmpty { afterBlank = true; continue }
            if SourceLines.isDebris(line) { continue }
            let number = index + 1
            if line.first == "\t" {
                if afterBlank, let row = current { rows.append(row); current = nil }
                let cell = String(line.dropFirst().replacingTabs.trimmingWhitespace)
                if current == nil {
                    current = TableRow(cells: [cell], lines: number...number)
                } else {
                    current!.cells.append(cell)
                    current!.lines = current!.lines.lowerBound...number
                }
            } else if current != nil {
                let last = current!.cells.count - 1
                current!.cells[last] = Wrapped.join([current!.cells[last], line])
                current!.lines = current!.lines.lowerBound...number
            } else {
                current = TableRow(cells: [String(line.trimmingWhitespace)], lines: number...number)
            }
            afterBlank = false
        }
        if let row = current { rows.append(row) }
        return rows.filter { !$0.nonEmptyCells.isEmpty }
    }
}

extension StringProtocol {
    /// A tab is a control character, always a Character of its own, so bytes can be replaced.
    var replacingTabs: String {
        guard containsByte(UInt8(ascii: "\t")) else { return String(self) }
        return String(decoding: utf8.map { $0 == UInt8(ascii: "\t") ? UInt8(ascii: " ") : $0 }, as: UTF8.self)
    }

    func trimmingCharacters(in set: String) -> String {
        var s = Substring(self)
        while let f = s.first, set.contains(f) { s = s.dropFirst() }
        while let l = s.last, set.contains(l) { s = s.dropLast() }
        return String(s)
    }
}
