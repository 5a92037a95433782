/// Reads an Excel 97–2003 workbook (.xls) through `xls2csv` from Debian's catdoc: one CSV per
/// sheet, sheets separated by a form feed. The format keeps no sheet names or merged areas.
enum XLSReader {
    static let tool = ExternalTool(name: "xls2csv", package: "catdoc", format: .xls)

    static func extract(_ bytes: [UInt8]) throws -> ExtractedText {
        // An OLE file is also what Word 97–2003 writes; only a workbook has this stream.
        let workbook = Array("Workbook".utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] })
        let book = Array("Book".utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] })
        if bytes.firstRange(of: workbook) == nil && bytes.firstRange(of: book) == nil {
            if bytes.firstRange(of: Array("WordDocument".utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] })) != nil {
                throw DisclosureError.unsupportedFormat("a Word 97–2003 document (.doc); save it as PDF or text")
            }
            throw DisclosureError.unsupportedFormat("an OLE compound file without a workbook")
        }
        let output = try tool.run(["-d", "utf-8", "-q", "2", "{input}"], input: bytes, inputExtension: "xls")
        guard output.status == 0 else {
            let reason = output.stderr.split(separator: "\n").last.map(String.init) ?? "xls2csv exited with status \(output.status)"
            throw DisclosureError.damaged(format: .xls, reason: reason)
        }
        let text = String(decoding: output.stdout, as: UTF8.self)
        var sheets: [SheetLayout.Sheet] = []
        for (index, page) in text.split(separator: "\u{0C}", omittingEmptySubsequences: false).enumerated() {
            var sheet = SheetLayout.Sheet(name: "")
            for (row, cells) in CSV.rows(page).enumerated() {
                for (column, cell) in cells.enumerated() where !cell.isEmpty { sheet.cells[row, default: [:]][column] = cell }
            }
            if !sheet.cells.isEmpty || index == 0 { sheets.append(sheet) }
        }
        return SheetLayout.text(of: sheets)
    }
}

/// RFC 4180 CSV: commas, double-quoted fields with `""` for a quote and line breaks inside.
enum CSV {
    static func rows(_ text: Substring) -> [[String]] {
        var rows: [[String]] = []
        var row: [String] = []
        var field = ""
        var quoted = false
        var atFieldStart = true
        var iterator = text.unicodeScalars.makeIterator()
        var pending: Unicode.Scalar?
        while let scalar = pending ?? iterator.next() {
            pending = nil
            if quoted {
                if scalar == "\"" {
                    if let next = iterator.next() {
                        if next == "\"" { field.unicodeScalars.append("\"") } else { quoted = false; pending = next }
                    } else {
                        quoted = false
                    }
                } else {
                    field.unicodeScalars.append(scalar)
                }
                continue
            }
            switch scalar {
            case "\"" where atFieldStart:
                quoted = true
                atFieldStart = false
            case ",":
                row.append(field)
                field = ""
                atFieldStart = true
            case "\n", "\r":
                if scalar == "\r" { if let next = iterator.next(), next != "\n" { pending = next } }
                row.append(field)
                rows.append(row)
                row = []
                field = ""
                atFieldStart = true
            default:
                field.unicodeScalars.append(scalar)
                atFieldStart = false
            }
        }
        if !field.isEmpty || !row.isEmpty {
            row.append(field)
            rows.append(row)
        }
        return rows
    }
}
