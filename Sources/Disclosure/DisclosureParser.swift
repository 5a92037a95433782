import Foundation

/// Turns a disclosure's text into records.
public struct DisclosureParser: Sendable {
    public init() {}

    /// Reads and parses one file. Throws only when the file cannot be read as text.
    public func parseFile(atPath path: String) throws -> ParsedDocument {
        let bytes = try FileBytes.read(path)
        let text = try TextDecoding.decode(bytes)
        let fileName = path.split(separator: "/").last.map(String.init) ?? path
        return parse(text: text, fileName: fileName)
    }

    public func parse(text: String, fileName: String) -> ParsedDocument {
        let lines = SourceLines(text).lines
        let info = DocumentInfoInference.infer(lines: lines)
        let blocks = TableLayout.blocks(in: lines)
        var output = ParseOutput()
        var narrative = NarrativeReader()
        var nextBlock = 0
        var index = 0
        while index < lines.count {
            if nextBlock < blocks.count {
                let block = blocks[nextBlock]
                if index == (block.captionLines.first ?? block.body.lowerBound) {
                    narrative.tableRead(into: &output)
                    Self.readTable(block, lines: lines, section: narrative.sectionPath, into: &output)
                    index = block.body.upperBound + 1
                    nextBlock += 1
                    continue
                }
            }
            narrative.read(lines[index], number: index + 1, into: &output)
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

    /// Chooses the reader by layout and header: self-evaluation forms, performance-target tables
    /// (headers naming 指标), budget tables; an unknown one-cell table is kept as one passage.
    private static func readTable(_ block: TableBlock, lines: [String], section: [String], into output: inout ParseOutput) {
        let caption = block.captionLines.map { (line: $0 + 1, text: lines[$0]) }
        let context = TableContext(title: block.title ?? section.last ?? "表", unit: block.unit, section: section)
        if block.oneCellPerLine {
            let rows = TableLayout.oneCellRows(block, lines: lines)
            if SelfEvaluationReader.isSelfEvaluation(rows) {
                SelfEvaluationReader.read(context, rows: rows, caption: caption, into: &output)
            } else {
                output.addTableNotes(context, caption: caption, rows: rows)
            }
            return
        }
        let (header, data) = TableHeader.split(TableLayout.tabRows(block, lines: lines))
        if header.text.containsText("指标") || context.title.containsText("绩效") {
            PerformanceTableReader.read(context, header: header, data: data, caption: caption, into: &output)
        } else {
            BudgetTableReader.read(context, header: header, data: data, caption: caption, into: &output)
        }
    }
}

enum FileBytes {
    /// The whole file. Reads again when a signal interrupts a read (the daemon and tests run
    /// child processes, whose SIGCHLD can arrive at any time).
    static func read(_ path: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw DisclosureError.unreadable(path: path, reason: String(cString: strerror(errno)))
        }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n > 0 {
                bytes.append(contentsOf: chunk[0..<n])
            } else if n == 0 {
                return bytes
            } else if errno != EINTR {
                throw DisclosureError.unreadable(path: path, reason: String(cString: strerror(errno)))
            }
        }
    }
}

import Glibc
