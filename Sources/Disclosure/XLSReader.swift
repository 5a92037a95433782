import Foundation

/// Reads an Excel 97–2003 workbook (.xls) through Debian's python3-xlrd: a small script prints
/// each visible sheet as one JSON line (name, merged areas, cell texts), which `SheetLayout`
/// lays out as the XLSX reader's sheets are. (catdoc's xls2csv garbles long CJK strings that
/// cross BIFF record boundaries.)
enum XLSReader {
    static let tool = ExternalTool(name: "/usr/bin/python3", package: "python3-xlrd", format: .xls)

    /// Numbers as the XLSX reader prints them: percentages and dates by their format, else up to
    /// 15 significant digits without an exponent.
    static let script = #"""
import json, sys, xlrd
book = xlrd.open_workbook(sys.argv[1], formatting_info=True, on_demand=True)
def number(value, fmt):
    code = fmt.lower() if fmt else ""
    if "%" in code and '"%' not in code:
        return plain(value * 100) + "%"
    pattern = "".join(ch for ch in code.split(";")[0] if ch in "0#,.")
    if "0" not in pattern:
        return plain(value)
    decimals = sum(1 for ch in pattern.split(".", 1)[1] if ch in "0#") if "." in pattern else 0
    return ("{:,.%df}" if "," in pattern else "{:.%df}").replace("%d", str(decimals)).format(value)
def plain(value):
    text = "%.15g" % value
    if "e" in text:
        text = ("%.10f" % value).rstrip("0").rstrip(".")
    return text
for index in range(book.nsheets):
    sheet = book.sheet_by_index(index)
    if sheet.visibility != 0:
        continue
    rows = []
    for r in range(sheet.nrows):
        row = []
        for c in range(sheet.ncols):
            cell = sheet.cell(r, c)
            if cell.ctype == xlrd.XL_CELL_TEXT:
                row.append(cell.value)
            elif cell.ctype == xlrd.XL_CELL_NUMBER:
                xf = book.xf_list[cell.xf_index] if cell.xf_index is not None and cell.xf_index < len(book.xf_list) else None
                fmt = book.format_map[xf.format_key].format_str if xf is not None and xf.format_key in book.format_map else ""
                row.append(number(cell.value, fmt))
            elif cell.ctype == xlrd.XL_CELL_DATE:
                try:
                    y, m, d, hh, mm, ss = xlrd.xldate_as_tuple(cell.value, book.datemode)
                    row.append("%04d-%02d-%02d" % (y, m, d))
                except Exception:
                    row.append(plain(cell.value))
            elif cell.ctype == xlrd.XL_CELL_BOOLEAN:
                row.append("TRUE" if cell.value else "FALSE")
            elif cell.ctype == xlrd.XL_CELL_ERROR:
                row.append(xlrd.error_text_from_code.get(cell.value, "#ERROR"))
            else:
                row.append("")
        rows.append(row)
    merged = [list(area) for area in sheet.merged_cells]
    print(json.dumps({"name": sheet.name, "merged": merged, "rows": rows}, ensure_ascii=False))
    book.unload_sheet(index)
"""#

    static func extract(_ bytes: [UInt8]) throws -> ExtractedText {
        // An OLE file is also what Word 97–2003 writes; only a workbook has this stream.
        func utf16(_ text: String) -> [UInt8] { Array(text.utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }) }
        if bytes.firstRange(of: utf16("Workbook")) == nil && bytes.firstRange(of: utf16("Book")) == nil {
            if bytes.firstRange(of: utf16("WordDocument")) != nil {
                throw DisclosureError.unsupportedFormat("a Word 97–2003 document (.doc); save it as PDF or text")
            }
            throw DisclosureError.unsupportedFormat("an OLE compound file without a workbook")
        }
        let output = try tool.run(["-c", script, "{input}"], input: bytes, inputExtension: "xls")
        if output.stderr.contains("No module named 'xlrd'") {
            throw DisclosureError.missingTool(tool: "xlrd for /usr/bin/python3", package: tool.package, format: .xls)
        }
        guard output.status == 0 else {
            let reason = output.stderr.split(separator: "\n").last.map(String.init) ?? "xlrd exited with status \(output.status)"
            throw DisclosureError.damaged(format: .xls, reason: reason)
        }
        var sheets: [SheetLayout.Sheet] = []
        for line in output.stdout.split(separator: UInt8(ascii: "\n")) {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any],
                  let rows = object["rows"] as? [[String]] else {
                throw DisclosureError.damaged(format: .xls, reason: "unexpected output from xlrd")
            }
            var sheet = SheetLayout.Sheet(name: object["name"] as? String ?? "")
            for (row, cells) in rows.enumerated() {
                for (column, cell) in cells.enumerated() where !cell.isEmpty { sheet.cells[row, default: [:]][column] = cell }
            }
            // xlrd's areas are (first row, row after the last, first column, column after the last).
            for area in object["merged"] as? [[Int]] ?? [] where area.count == 4 && area[1] > area[0] && area[3] > area[2] {
                sheet.merged.append(SheetLayout.Area(rows: area[0]...(area[1] - 1), columns: area[2]...(area[3] - 1)))
            }
            sheets.append(sheet)
        }
        return SheetLayout.text(of: sheets)
    }
}
