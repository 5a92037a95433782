import ArgumentParser
import ChineseAnalysis
import Foundation

/// `gongkai segment`: one line in, the line's words separated by single spaces out.
struct SegmentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "segment",
        abstract: "Segment lines from standard input into words separated by single spaces."
    )

    @Option(help: "Directory holding the Chinese dictionaries.")
    var dictionary: String?

    @Option(help: "Extra word list, one word per line (repeatable).")
    var words: [String] = []

    @Option(help: "Domain names to learn, one per line, as the indexer collects them (repeatable).")
    var names: [String] = []

    @Option(help: "Domain vocabulary as the indexer stores it (written by --write-vocabulary); used instead of learning the --names.")
    var vocabulary: String?

    @Option(help: "Learn the --names, write the domain vocabulary to this file, then exit.")
    var writeVocabulary: String?

    @Flag(help: "Know only the words of the --words lists (general-dictionary frequencies kept).")
    var onlyListedWords = false

    @Flag(help: "Print words in normalised spelling instead of the input's characters.")
    var normalized = false

    @Flag(help: "Write the compiled dictionary (lexicon.bin) from the text dictionaries, then exit.")
    var compileDictionary = false

    @Flag(help: "Print, per line, the normalised words, the index terms and the query for the line (for comparing analyzers).")
    var terms = false

    @Option(help: "Time segmentation and index-term generation over all of standard input this many times; print chars/s.")
    var benchmark: Int?

    func run() throws {
        if compileDictionary {
            print(try Lexicon.compile(directory: dictionary))
            return
        }
        let loadStart = DispatchTime.now()
        var lexicon = try Lexicon.load(directory: dictionary)
        let loadMilliseconds = Double(DispatchTime.now().uptimeNanoseconds - loadStart.uptimeNanoseconds) / 1e6
        if !words.isEmpty {
            let listed = try Self.lines(of: words)
            lexicon = onlyListedWords ? lexicon.restricted(to: listed) : lexicon.adding(words: listed)
        }
        let analyzer: Analyzer
        if let vocabulary {
            let stored = try String(contentsOfFile: vocabulary, encoding: .utf8)
            guard let data = DomainVocabularyData(encoded: stored) else {
                throw ValidationError("\(vocabulary) holds no domain vocabulary")
            }
            analyzer = Analyzer(lexicon: lexicon, domainNames: try Self.lines(of: names), vocabulary: data)
        } else {
            analyzer = Analyzer(lexicon: lexicon, domainNames: try Self.lines(of: names))
        }
        if let writeVocabulary {
            try analyzer.vocabulary.encoded().write(toFile: writeVocabulary, atomically: true, encoding: .utf8)
            return
        }
        let readyMilliseconds = Double(DispatchTime.now().uptimeNanoseconds - loadStart.uptimeNanoseconds) / 1e6
        if let runs = benchmark {
            var lines: [String] = []
            while let line = readLine(strippingNewline: true) { lines.append(line) }
            let report = AnalyzerBenchmark.run(analyzer, lines: lines, runs: max(runs, 1))
            print(String(format: "dictionary_load_ms %.1f\nanalyzer_ready_ms %.1f", loadMilliseconds, readyMilliseconds))
            print("dictionary_compiled \(lexicon.isCompiled)")
            print(report)
            return
        }
        if terms {
            while let line = readLine(strippingNewline: true) {
                print(analyzer.segment(line).joined(separator: " "))
                print(analyzer.indexTerms(line).map(\.description).joined(separator: " "))
                print(analyzer.query(for: line).map { "\($0)" } ?? "nil")
            }
            return
        }
        while let line = readLine(strippingNewline: true) {
            let segmented = normalized ? analyzer.segment(line) : analyzer.segmentKeepingOriginal(line)
            print(segmented.joined(separator: " "))
        }
    }

    private static func lines(of paths: [String]) throws -> [String] {
        try paths.flatMap { path in
            try String(contentsOfFile: path, encoding: .utf8).split(whereSeparator: \.isNewline).map(String.init)
        }
    }
}
