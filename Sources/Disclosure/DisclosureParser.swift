import Foundation

/// Turns a disclosure into records: text, HTML pages, PDF, XLSX and XLS files alike.
public struct DisclosureParser: Sendable {
    public init() {}

    /// Reads and parses one file. Throws when the file cannot be read or is of no format read here.
    public func parseFile(atPath path: String) throws -> ParsedDocument {
        try parse(bytes: try Self.readFile(atPath: path), fileName: Self.fileName(path))
    }

    /// Reads a file for `parse(bytes:fileName:)`: regular files only (not a FIFO or a device),
    /// and a binary file of no known format is refused from its first bytes, before it is read whole.
    public static func readFile(atPath path: String) throws -> [UInt8] {
        let name = fileName(path)
        return try FileBytes.read(path) { start in try DocumentFormat.checkStart(start, fileName: name) }
    }

    private static func fileName(_ path: String) -> String {
        path.split(separator: "/").last.map(String.init) ?? path
    }

    /// Parses a file's content, whatever its format: the format is found from the bytes
    /// (`DocumentFormat.sniff`), the name only tells HTML from text that starts with a tag.
    public func parse(bytes: [UInt8], fileName: String) throws -> ParsedDocument {
        let format = try DocumentFormat.sniff(bytes, fileName: fileName)
        if format == .text {
            let decoded = try TextDecoding.decodeReportingRepairs(bytes)
            var document = parse(text: decoded.text, fileName: fileName)
            document.warnings = decoded.warnings + document.warnings
            return document
        }
        let extracted = try Self.extract(bytes, format: format)
        let lines = extracted.lines.map(SourceLines.cleanExtracted)
        var document = parse(lines: lines, fileName: fileName)
        document.format = format
        document.warnings = extracted.warnings + document.warnings
        if !extracted.pages.isEmpty {
            for index in document.records.indices {
                let line = document.records[index].firstLine - 1
                if line >= 0 && line < extracted.pages.count { document.records[index].page = extracted.pages[line] }
            }
        }
        return document
    }

    /// The text a file is parsed from, one line per line its records' `firstLine`/`lastLine`
    /// count (table rows with tabs between cells), and each line's PDF page.
    public func extractedText(bytes: [UInt8], fileName: String) throws -> (lines: [String], pages: [Int]) {
        let format = try DocumentFormat.sniff(bytes, fileName: fileName)
        if format == .text {
            return (SourceLines(try TextDecoding.decodeReportingRepairs(bytes).text).lines, [])
        }
        let extracted = try Self.extract(bytes, format: format)
        return (extracted.lines.map(SourceLines.cleanExtracted), extracted.pages)
    }

    private static func extract(_ bytes: [UInt8], format: DocumentFormat) throws -> ExtractedText {
        switch format {
        case .text: return ExtractedText(lines: SourceLines(try TextDecoding.decode(bytes)).lines)
        case .html: return try HTMLReader.extract(bytes)
        case .pdf: return try PDFReader.extract(bytes)
        case .xlsx: return try XLSXReader.extract(bytes)
        case .xls: return try XLSReader.extract(bytes)
        }
    }

    /// Parses text already extracted from a disclosure (tabs between table cells).
    public func parse(text: String, fileName: String) -> ParsedDocument {
        parse(lines: SourceLines(text).lines, fileName: fileName)
    }

    private func parse(lines: [String], fileName: String) -> ParsedDocument {
        let info = DocumentInfoInference.infer(lines: lines)
        let blocks = TableLayout.blocks(in: lines)
        var output = ParseOutput()
        var narrative = NarrativeReader()
        var evaluation = EvaluationReportReader()
        var nextBlock = 0
        var index = 0
        while index < lines.count {
            if nextBlock < blocks.count {
                let block = blocks[nextBlock]
                if index == (block.captionLines.first ?? block.body.lowerBound) {
                    narrative.tableRead(into: &output)
                    Self.readTable(block, lines: lines, section: narrative.sectionPath, evaluatedProject: evaluation.project,
                                   into: &output)
                    index = block.body.upperBound + 1
                    nextBlock += 1
                    continue
                }
            }
            narrative.read(lines[index], number: index + 1, into: &output)
            if !lines[index].isEmpty {
                evaluation.read(lines[index], number: index + 1, section: narrative.sectionPath, into: &output)
            }
            index += 1
        }
        narrative.finish(into: &output)
        let projects = output.projects.records(linkingRecordsIn: &output.records)
        for project in projects { output.noteCodes(project.codes) }
        var records = output.records + projects
        for index in records.indices where records[index].projectName != nil || records[index].projectCode != nil {
            records[index].projectKey = ProjectKey.of(code: records[index].projectCode, name: records[index].projectName,
                                                      department: info.department, district: info.district)
        }
        return ParsedDocument(fileName: fileName, info: info, records: records,
                              totalChecks: output.checks, codeNames: output.codeNames)
    }

    /// Chooses the reader by layout and header: self-evaluation forms, score tables of an
    /// evaluation report (分值 beside indicator names), performance-target tables (headers naming
    /// 指标), budget tables; an unknown one-cell table is kept as one passage.
    private static func readTable(_ block: TableBlock, lines: [String], section: [String], evaluatedProject: Int?,
                                  into output: inout ParseOutput) {
        let caption = block.captionLines.map { (line: $0 + 1, text: lines[$0]) }
        let context = TableContext(title: block.title ?? section.last ?? "表", unit: block.unit, section: section)
        let rows = block.oneCellPerLine ? TableLayout.oneCellRows(block, lines: lines) : TableLayout.tabRows(block, lines: lines)
        if SelfEvaluationReader.isSelfEvaluation(rows, oneCellPerLine: block.oneCellPerLine) {
            SelfEvaluationReader.read(context, rows: rows, caption: caption, into: &output)
            return
        }
        let (header, data) = TableHeader.split(rows)
        if ScoreTableReader.isScoreTable(header) {
            ScoreTableReader.read(context, header: header, data: data, caption: caption, project: evaluatedProject, into: &output)
            return
        }
        if block.oneCellPerLine {
            output.addTableNotes(context, caption: caption, rows: rows)
            return
        }
        if header.text.containsText("指标") || context.title.containsText("绩效") {
            PerformanceTableReader.read(context, header: header, data: data, caption: caption, into: &output)
        } else {
            BudgetTableReader.read(context, header: header, data: data, caption: caption, into: &output)
        }
    }
}
