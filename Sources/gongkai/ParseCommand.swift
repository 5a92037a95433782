import ArgumentParser
import Disclosure
import Foundation

/// `gongkai parse`: the records of each file, as JSON lines or a readable summary.
struct ParseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "parse",
        abstract: "Print the records parsed from disclosure files.",
        discussion: """
            Without --json: per file, its district, year, kind and department, the record counts, \
            then per table the line items and indicators read and each stated total (合计/总计/总分) \
            with whether the rows agree with it and why not, the projects, and flagged figures.
            """
    )

    @Flag(help: "Print one JSON object per record.")
    var json = false

    @Argument(help: "Disclosure files.")
    var files: [String]

    func run() throws {
        let parser = DisclosureParser()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var failed = false
        for file in files {
            do {
                let document = try parser.parseFile(atPath: file)
                if json {
                    for record in document.records {
                        print(String(decoding: try encoder.encode(record), as: UTF8.self))
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
