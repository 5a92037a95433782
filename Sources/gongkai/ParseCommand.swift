import ArgumentParser
import Disclosure
import Foundation

/// `gongkai parse`: the records of each file, as JSON lines or a readable summary.
struct ParseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "parse",
        abstract: "Print the records parsed from disclosure files.",
        discussion: """
            Reads text (UTF-8, GBK/GB18030, UTF-16), HTML pages, PDF (needs poppler-utils), XLSX and \
            XLS (needs catdoc) files; the format is found from the content. Without --json: per file, \
            its format, district, year, kind, department and level, the record counts, then per table \
            the line items and indicators read and each stated total (合计/总计/总分) with whether the \
            rows agree with it and why not, the projects, and flagged figures. With --json: one object \
            per record, carrying its document's file, format, district, year, kind, department, level \
            and city. Warnings (repaired bytes, pages without text) go to standard error.
            """
    )

    @Flag(help: "Print one JSON object per record, with its document's fields.")
    var json = false

    @Flag(help: "Print the text extracted from each file, numbered as records' line numbers count it (PDF pages in brackets).")
    var text = false

    @Argument(help: "Disclosure files.")
    var files: [String]

    func run() throws {
        let parser = DisclosureParser()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var failed = false
        for file in files {
            do {
                if text {
                    let name = file.split(separator: "/").last.map(String.init) ?? file
                    let extracted = try parser.extractedText(bytes: try DisclosureParser.readFile(atPath: file), fileName: name)
                    for (index, line) in extracted.lines.enumerated() {
                        let page = index < extracted.pages.count ? " [p\(extracted.pages[index])]" : ""
                        print("\(index + 1)\(page)\t\(line.replacingOccurrences(of: "\t", with: " | "))")
                    }
                    continue
                }
                let document = try parser.parseFile(atPath: file)
                for warning in document.warnings {
                    FileHandle.standardError.write(Data("gongkai parse: \(file): warning: \(warning)\n".utf8))
                }
                if json {
                    for record in document.records {
                        print(String(decoding: try encoder.encode(RecordLine(record: record, document: document)), as: UTF8.self))
                    }
                } else {
                    print(document.summary)
                }
            } catch {
                failed = true
                FileHandle.standardError.write(Data("gongkai parse: \(file): \(error)\n".utf8))
            }
        }
        if failed { throw ExitCode(1) }
    }
}
