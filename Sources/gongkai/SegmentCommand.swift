import ArgumentParser
import ChineseAnalysis

/// `gongkai segment`: one line in, the line's words separated by single spaces out.
struct SegmentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "segment",
        abstract: "Segment lines from standard input into words separated by single spaces."
    )

    func run() throws {
        let analyzer = Analyzer()
        while let line = readLine(strippingNewline: true) {
            print(analyzer.segment(line).joined(separator: " "))
        }
    }
}
