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
            let tableRows = rows.filter { cells[$0]!.values.filter { !$0.trimmingSpaces.isEmpty }.count >= 2 }
            out.addBreak()
            // The sheet's name titles it when its first row does not.
            let firstTexts = cells[firstRow]!.values.map(\.trimmingSpaces)
            if !sheet.name.isEmpty, TableLayout.isCaptionLike(sheet.name), !firstTexts.contains(where: TableLayout.isCaptionLike) {
                out.add(sheet.name)
            }
            var previous: Int?
            for row in rows {
                if let previous, row > previous + 1 { out.addBreak() }
                previous = row
                let values = cells[row]!
                let inside = tableRows.first.map { row > $0 } == true && tableRows.last.map { row < $0 } == true
                let lone = values.values.filter { !$0.trimmingSpaces.isEmpty }
                if lone.count < 2, !(inside && !TableLayout.isCaptionLike(lone.first ?? "")) {
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
