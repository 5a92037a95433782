/// Lays spreadsheet cells out as an extracted text file: rows of two or more cells are table rows
/// (tab-separated, the sheet's leading empty columns left out), a lone cell above or below them
/// (a title, `单位：万元`, a note) a line of its own, an empty row an empty line.
enum SheetLayout {
    struct Area {
        var rows: ClosedRange<Int>
        var columns: ClosedRange<Int>
    }

    struct Sheet {
        var name: String
        /// Row → column → text, 0-based.
        var cells: [Int: [Int: String]] = [:]
        var merged: [Area] = []
    }

    static func text(of sheets: [Sheet]) -> ExtractedText {
        var out = ExtractedText()
        for sheet in sheets {
            var cells = sheet.cells
            // A merged area shows its first cell; some writers repeat the value in the others.
            for area in sheet.merged {
                for row in area.rows {
                    for column in area.columns where row != area.rows.lowerBound || column != area.columns.lowerBound {
                        cells[row]?[column] = nil
                    }
                }
            }
            let rows = cells.filter { !$0.value.values.allSatisfy { $0.trimmingSpaces.isEmpty } }.keys.sorted()
            guard let firstRow = rows.first else { continue }
            let firstColumn = rows.compactMap { cells[$0]!.keys.min() }.min() ?? 0
            let width = (rows.compactMap { cells[$0]!.keys.max() }.max() ?? 0) - firstColumn + 1
            let tableRows = Set(rows.filter { cells[$0]!.values.filter { !$0.trimmingSpaces.isEmpty }.count >= 2 })
            out.addBreak()
            // The sheet's name titles it when its first row does not.
            let firstTexts = cells[firstRow]!.values.map(\.trimmingSpaces)
            if !sheet.name.isEmpty, TableLayout.isCaptionLike(sheet.name), !firstTexts.contains(where: TableLayout.isCaptionLike) {
                out.add(sheet.name)
            }
            var previous: Int?
            // Rows from a row of two or more cells to the last such row with no empty row between.
            var inTable = Set<Int>()
            var runStart: Int?
            var lastMulti: Int?
            for (position, row) in rows.enumerated() {
                if position > 0, row > rows[position - 1] + 1 { runStart = nil; lastMulti = nil }
                guard tableRows.contains(row) else { continue }
                if let start = lastMulti ?? runStart { inTable.formUnion(start...row) }
                runStart = runStart ?? row
                lastMulti = row
            }
            for row in rows {
                if let previous, row > previous + 1 { out.addBreak() }
                previous = row
                let values = cells[row]!
                let lone = values.values.filter { !$0.trimmingSpaces.isEmpty }
                // A lone cell between rows of a table is one of its rows (a wrapped label, a row
                // without figures); anywhere else, or when it reads as a caption, a heading or a
                // sentence, it is a line of text, so that two tables stay apart.
                let text = lone.first ?? ""
                let inside = inTable.contains(row) && !TableLayout.isCaptionLike(text) && !text.containsText("。")
                    && !text.hasSuffix("：") && !(values[firstColumn] != nil && Heading.level(of: text) != nil)
                if lone.count < 2, !inside {
                    out.add(ExtractedText.cellText(lone.first ?? ""))
                    continue
                }
                out.addRow((0..<width).map { values[firstColumn + $0] ?? "" })
            }
            out.addBreak()
        }
        return out
    }
}
