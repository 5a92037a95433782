/// Rebuilds a PDF's lines and table rows from word boxes, into the layout of an extracted text
/// file: prose lines as they are printed, each table row one line of tab-separated cells.
///
/// PDFs carry no table structure, only positioned words, so the structure is inferred:
/// - words whose boxes overlap vertically form a visual line;
/// - a run of lines with wide gaps between words is a table; its columns are the x ranges that
///   data lines (with figures or codes) cover, plus header labels standing over columns that hold
///   no figures on this page; each word goes to the column it overlaps most;
/// - a cell whose text wraps continues on the next line only in columns where the line above
///   reached the next column's edge: such lines join into one row, cells joined column by column;
/// - a table that goes on over a page break keeps the columns of the page before when its words fit them;
/// - page numbers at the top or bottom of a page are dropped.
enum PDFLayout {
    struct Line {
        var words: [PDFWord]
        var top: Double
        var bottom: Double

        var x0: Double { words.first?.x0 ?? 0 }
        var x1: Double { words.map(\.x1).max() ?? 0 }
    }

    /// A table found on a page: its lines and columns.
    struct Region {
        var lines: Range<Int>
        var columns: [ClosedRange<Double>]
    }

    static func text(of pages: [PDFPage]) -> ExtractedText {
        var out = ExtractedText()
        var openColumns: [ClosedRange<Double>]?  // of a table that ended its page
        for page in pages where !page.words.isEmpty {
            let lines = withoutPageNumbers(visualLines(page.words), page: page)
            guard !lines.isEmpty else { continue }
            let h = median(page.words.map(\.height))
            let regions = tableRegions(lines, h: h, carried: openColumns)
            var index = 0
            var regionIndex = 0
            var previousBottom: Double?
            while index < lines.count {
                if regionIndex < regions.count, regions[regionIndex].lines.lowerBound == index {
                    let region = regions[regionIndex]
                    out.addBreak(page: page.number)
                    for row in rows(region, lines: lines, h: h) { out.addRow(row, page: page.number) }
                    out.addBreak(page: page.number)
                    index = region.lines.upperBound
                    previousBottom = lines[index - 1].bottom
                    regionIndex += 1
                    continue
                }
                let line = lines[index]
                if let previousBottom, line.top - previousBottom > 1.2 * h { out.addBreak(page: page.number) }
                out.add(joined(line.words, h: h), page: page.number)
                previousBottom = line.bottom
                index += 1
            }
            // A table running to the end of the page may go on on the next.
            if let last = regions.last, last.lines.upperBound == lines.count { openColumns = last.columns } else { openColumns = nil }
        }
        return out
    }

    // MARK: Lines

    static func visualLines(_ words: [PDFWord]) -> [Line] {
        var lines: [Line] = []
        for word in words.sorted(by: { ($0.y0, $0.x0) < ($1.y0, $1.x0) }) {
            var joined = false
            // Lines are made in order of their tops; only the last few can still overlap a word below.
            for index in lines.indices.reversed().prefix(6) {
                let overlap = min(lines[index].bottom, word.y1) - max(lines[index].top, word.y0)
                if overlap >= 0.5 * min(word.height, lines[index].bottom - lines[index].top) {
                    lines[index].words.append(word)
                    lines[index].top = min(lines[index].top, word.y0)
                    lines[index].bottom = max(lines[index].bottom, word.y1)
                    joined = true
                    break
                }
            }
            if !joined { lines.append(Line(words: [word], top: word.y0, bottom: word.y1)) }
        }
        for index in lines.indices { lines[index].words.sort { $0.x0 < $1.x0 } }
        return lines.sorted { $0.top < $1.top }
    }

    /// `3`, `- 3 -`, `— 3 —`, `第3页`, `第 3 页 共 10 页`, `3/10` in the top or bottom tenth of a page.
    private static func withoutPageNumbers(_ lines: [Line], page: PDFPage) -> [Line] {
        lines.filter { line in
            guard line.top < page.height * 0.1 || line.bottom > page.height * 0.9 else { return true }
            let text = line.words.map(\.text).joined().compacted
            let stripped = text.filter { !"-—–－第页共/of·".contains($0) }
            return !(stripped.allSatisfy(\.isNumber) && !stripped.isEmpty && text.count <= 12)
        }
    }

    /// The words of a line as text: a space where the PDF leaves one, except between two Chinese
    /// characters (letter-spaced headings such as `目 录`, PDFs that place every character apart).
    static func joined(_ words: [PDFWord], h: Double) -> String {
        var out = ""
        var last: PDFWord?
        for word in words {
            if let last, word.x0 - last.x1 > 0.15 * h,
               !(out.unicodeScalars.last.map(AdministrativeName.isHan) == true
                   && word.text.unicodeScalars.first.map(AdministrativeName.isHan) == true) {
                out += " "
            }
            out += word.text
            last = word
        }
        return out
    }

    private static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.isEmpty ? 10 : sorted[sorted.count / 2]
    }

    // MARK: Tables

    /// A gap this wide between two words of a line separates table cells, never words of prose.
    private static func isGapped(_ line: Line, h: Double) -> Bool {
        zip(line.words, line.words.dropFirst()).contains { $1.x0 - $0.x1 >= 1.0 * h }
    }

    private static func tableRegions(_ lines: [Line], h: Double, carried: [ClosedRange<Double>]?) -> [Region] {
        var regions: [Region] = []
        var index = 0
        while index < lines.count {
            guard isGapped(lines[index], h: h) else { index += 1; continue }
            let floor = regions.last?.lines.upperBound ?? 0
            var end = index
            var next = index + 1
            // A table goes on over lines without wide gaps (a cell's wrapped text, a row with one
            // figure) that lie within its columns close below, or that a gapped line follows closely.
            while next < lines.count, lines[next].top - lines[next - 1].bottom <= 2 * h {
                if isGapped(lines[next], h: h) { end = next; next += 1; continue }
                // A caption (`表四：`, `项目支出表`, `金额单位：万元`) starts the next table.
                if TableLayout.isCaptionLike(joined(lines[next].words, h: h)) { break }
                if lines[next].top - lines[next - 1].bottom < 0.6 * h,
                   belongs(lines[next], above: nil, columns: columns(Array(lines[index...end]), h: h), h: h) {
                    end = next
                    next += 1
                    continue
                }
                var ahead = next + 1
                var found = false
                while ahead < lines.count, ahead <= next + 3, lines[ahead].top - lines[ahead - 1].bottom <= 2 * h {
                    if isGapped(lines[ahead], h: h) { found = true; break }
                    ahead += 1
                }
                guard found else { break }
                next += 1
            }
            var range = index..<(end + 1)
            var core = self.columns(Array(lines[range]), h: h)
            // The first table of a page may go on with the table that ended the page before: then
            // it has that table's columns (a column empty on this page would otherwise vanish), and
            // the lines above it that lie in those columns are the rest of its cells.
            let continued = regions.isEmpty ? carried.flatMap { continuing($0, with: core) } : nil
            if let continued { core = continued }
            // Header rows above and a wrapped last row below without wide gaps belong to the table too.
            while range.lowerBound > floor, belongs(lines[range.lowerBound - 1], above: lines[range.lowerBound], columns: core, h: h) {
                range = (range.lowerBound - 1)..<range.upperBound
            }
            if range.count >= 2 || continued != nil {
                var columns = self.columns(Array(lines[range]), h: h)
                if continued != nil, let widened = continuing(continued!, with: columns) { columns = widened }
                regions.append(Region(lines: range, columns: columns))
            }
            index = range.upperBound
        }
        return regions
    }

    /// The columns of a table continued from the page before, when each of this page's columns
    /// overlaps exactly one of them and no two fall in the same: those columns, widened to what
    /// this page's text covers. Nil when the columns do not match (another table).
    private static func continuing(_ carried: [ClosedRange<Double>], with own: [ClosedRange<Double>]) -> [ClosedRange<Double>]? {
        func overlaps(_ a: ClosedRange<Double>, _ b: ClosedRange<Double>) -> Bool { min(a.upperBound, b.upperBound) > max(a.lowerBound, b.lowerBound) }
        var widened = carried
        var taken = Set<Int>()
        for column in own {
            let matches = carried.indices.filter { overlaps(carried[$0], column) }
            guard matches.count == 1, taken.insert(matches[0]).inserted else { return nil }
            widened[matches[0]] = min(widened[matches[0]].lowerBound, column.lowerBound)...max(widened[matches[0]].upperBound, column.upperBound)
        }
        // Widening must not make two columns touch.
        guard zip(widened, widened.dropFirst()).allSatisfy({ $0.upperBound < $1.lowerBound }) else { return nil }
        return widened
    }

    /// Whether a line next to a table (above it: `above` is the table's first line) is one of its rows.
    private static func belongs(_ line: Line, above first: Line?, columns: [ClosedRange<Double>], h: Double) -> Bool {
        if let first, first.top - line.bottom > 1.2 * h { return false }
        if TableLayout.isCaptionLike(joined(line.words, h: h)) { return false }
        guard let left = columns.first?.lowerBound, let right = columns.last?.upperBound else { return false }
        // Text wrapped in a cell stays in its column; a line of prose runs across the table.
        return line.x0 >= left - h && line.x1 <= right + h && line.x1 - line.x0 <= 0.5 * (right - left)
            && fits(line, columns: columns, h: h)
    }

    /// No word of the line lies across the gap between two columns.
    private static func fits(_ line: Line, columns: [ClosedRange<Double>], h: Double) -> Bool {
        line.words.allSatisfy { word in
            columns.filter { min($0.upperBound, word.x1) - max($0.lowerBound, word.x0) > 0.1 * h }.count <= 1
        }
    }

    /// Column ranges: the x ranges covered by the words of the body (from the first line with a
    /// figure or code on), plus header words standing alone over ground no body word covers
    /// (columns empty on this page). Header labels over several columns do not join them.
    static func columns(_ lines: [Line], h: Double) -> [ClosedRange<Double>] {
        let hasDigit: (Line) -> Bool = { line in line.words.contains { $0.text.contains { $0.isASCII && $0.isNumber } } }
        let firstData = lines.firstIndex(where: hasDigit) ?? 0
        let base = lines[firstData...]
        let header = lines[..<firstData]
        var covered = merged(base.flatMap { $0.words.map { $0.x0...$0.x1 } }, within: 0.1 * h)
        var islands: [ClosedRange<Double>] = []
        for word in header.flatMap(\.words) {
            let overlapsBody = covered.contains { min($0.upperBound, word.x1) - max($0.lowerBound, word.x0) > 0 }
            if !overlapsBody { islands.append(word.x0...word.x1) }
        }
        covered = merged(covered + merged(islands, within: 0.1 * h), within: 0.1 * h)
        return covered
    }

    private static func merged(_ ranges: [ClosedRange<Double>], within gap: Double) -> [ClosedRange<Double>] {
        var out: [ClosedRange<Double>] = []
        for range in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if let last = out.last, range.lowerBound <= last.upperBound + gap {
                out[out.count - 1] = last.lowerBound...max(last.upperBound, range.upperBound)
            } else {
                out.append(range)
            }
        }
        return out
    }

    /// The column a word belongs to: the one it overlaps most (a label over several columns goes
    /// to the first of them), else the nearest.
    private static func column(of word: PDFWord, in columns: [ClosedRange<Double>]) -> Int {
        let overlaps = columns.map { min($0.upperBound, word.x1) - max($0.lowerBound, word.x0) }
        if let best = overlaps.indices.filter({ overlaps[$0] > 0 }).first(where: { overlaps[$0] >= 0.3 * (word.x1 - word.x0) })
            ?? overlaps.indices.max(by: { overlaps[$0] < overlaps[$1] }), overlaps[best] > 0 {
            return best
        }
        return columns.indices.min { abs(columns[$0].lowerBound - word.x0) < abs(columns[$1].lowerBound - word.x0) } ?? 0
    }

    /// The table's rows: each line's words put in columns, lines of wrapped cells joined.
    private static func rows(_ region: Region, lines: [Line], h: Double) -> [[String]] {
        let columns = region.columns
        struct Placed {
            var texts: [String]
            var ends: [Double?]  // right end of each column's text
            var top: Double
            var bottom: Double
        }
        let placed: [Placed] = lines[region.lines].map { line in
            var words = [[PDFWord]](repeating: [], count: columns.count)
            for word in line.words { words[column(of: word, in: columns)].append(word) }
            return Placed(texts: words.map { joined($0, h: h) }, ends: words.map { $0.last?.x1 }, top: line.top, bottom: line.bottom)
        }
        // Where a column's text must reach to have wrapped: the next column's start, less the
        // narrowest gap between columns and about a character.
        let gap = zip(columns, columns.dropFirst()).map { $1.lowerBound - $0.upperBound }.min() ?? h
        let limits = columns.indices.map { index in
            (index + 1 < columns.count ? columns[index + 1].lowerBound - gap : columns[index].upperBound) - 1.1 * h
        }
        func isFigure(_ text: String) -> Bool {
            let compact = text.compacted
            return Cell.number(compact) != nil || Cell.indicatorOperator(compact) != nil
        }
        func fills(_ line: Placed, _ column: Int) -> Bool {
            guard let end = line.ends[column] else { return false }
            let text = line.texts[column].compacted
            // Figures and codes are never wrapped text.
            if Cell.number(text) != nil || text.allSatisfy({ $0.isASCII && ($0.isNumber || $0.isLetter) }) { return false }
            return end >= limits[column]
        }
        var rows: [[[String]]] = []
        var last: Placed?
        var rowBottom = -Double.infinity
        for line in placed {
            let used = line.texts.indices.filter { !line.texts[$0].isEmpty }
            // Lines that overlap are one row whose cells are centred at different heights; rows
            // never overlap, their cells' padding keeps them apart.
            if last != nil, line.top < rowBottom - 0.1 * h {
                for column in used { rows[rows.count - 1][column].append(line.texts[column]) }
                rowBottom = max(rowBottom, line.bottom)
                last = line
                continue
            }
            if let previous = last, line.top - previous.bottom < 0.3 * h {
                let filled = Set(previous.texts.indices.filter { fills(previous, $0) })
                let previousUsed = Set(previous.texts.indices.filter { !previous.texts[$0].isEmpty })
                let fragment = !previousUsed.isEmpty && previousUsed.isSubset(of: filled)
                // A top-aligned row whose wrapped cells go on below: the line has text only in
                // columns that have text above, and none where the line above has a figure
                // (figures never wrap).
                let continues = !used.isEmpty && used.allSatisfy { previousUsed.contains($0) && !isFigure(previous.texts[$0]) }
                if continues || (used.contains(where: filled.contains)
                    && used.allSatisfy({ filled.contains($0) || (!previousUsed.contains($0) && fragment) })) {
                    for column in used { rows[rows.count - 1][column].append(line.texts[column]) }
                    rowBottom = max(rowBottom, line.bottom)
                    last = line
                    continue
                }
            }
            rows.append(line.texts.map { $0.isEmpty ? [] : [$0] })
            rowBottom = line.bottom
            last = line
        }
        return rows.map { row in row.map { Wrapped.join($0) } }
    }
}
