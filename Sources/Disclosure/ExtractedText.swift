/// Text taken out of a PDF, an HTML page or a spreadsheet, laid out as the text parser reads a
/// text file: one line per text line, table rows as lines of tab-separated cells (a merged cell
/// at its first column, the columns it covers empty), captions and notes as lines of their own.
struct ExtractedText {
    var lines: [String] = []
    /// The PDF page of each line; empty for formats without pages.
    var pages: [Int] = []
    var warnings: [String] = []

    mutating func add(_ line: String, page: Int? = nil) {
        lines.append(line.replacingTabs)
        if let page { pages.append(page) }
    }

    /// One table row. A cell's own line breaks are joined as wrapped text is; a tab in a cell
    /// would split it and becomes a space.
    mutating func addRow(_ cells: [String], page: Int? = nil) {
        lines.append(cells.map(Self.cellText).joined(separator: "\t"))
        if let page { pages.append(page) }
    }

    /// An empty line: between paragraphs, and between tables so that two tables stay apart.
    mutating func addBreak(page: Int? = nil) {
        if lines.last?.isEmpty == false { add("", page: page) }
    }

    static func cellText(_ cell: String) -> String {
        guard cell.containsByte(UInt8(ascii: "\n")) || cell.containsByte(UInt8(ascii: "\r")) else {
            return String(cell.replacingTabs.trimmingWhitespace)
        }
        let parts = cell.split(whereSeparator: { $0 == "\n" || $0 == "\r" || $0 == "\r\n" }).map { String($0.replacingTabs) }
        return Wrapped.join(parts)
    }
}
