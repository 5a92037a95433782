import Foundation

/// Why a dictionary could not be loaded.
public enum DictionaryError: Error, CustomStringConvertible {
    case notFound(triedPaths: [String])
    case unreadable(path: String)
    case malformed(path: String, line: Int)

    public var description: String {
        switch self {
        case .notFound(let paths):
            return "Chinese dictionaries (\(Lexicon.wordsFile) and the files beside it) not found; tried, in order: "
                + paths.joined(separator: ", ")
                + ". Install them as <prefix>/share/gongkai/dictionaries beside <prefix>/bin/gongkai, or set GONGKAI_DICTIONARY_DIR to their folder."
        case .unreadable(let path): return "cannot read dictionary file \(path)"
        case .malformed(let path, let line): return "malformed dictionary line \(line) in \(path)"
        }
    }
}

/// The words the segmenter knows, with frequencies, plus the normalisation table and the model for
/// unknown words. Immutable values; `adding` returns a new lexicon.
public struct Lexicon: Sendable {
    static let wordsFile = "jieba-words.txt"
    static let hmmFile = "hmm-bmes.txt"
    static let simplifiedFile = "t2s-characters.txt"

    let normalizer: Normalizer
    /// The words, with log probabilities against `totalFrequency` (kept so by every change).
    private(set) var trie: FrozenTrie
    private(set) var totalFrequency: Double
    let hmm: HMMModel
    /// Whether the lexicon was read from the compiled file (`compiledFile`) instead of the text files.
    public let isCompiled: Bool

    /// Number of known words.
    public var wordCount: Int { trie.wordCount }

    init(normalizer: Normalizer, trie: FrozenTrie, totalFrequency: Double, hmm: HMMModel, isCompiled: Bool = false) {
        self.normalizer = normalizer
        self.trie = trie
        self.totalFrequency = totalFrequency
        self.hmm = hmm
        self.isCompiled = isCompiled
    }

    init(normalizer: Normalizer, words: WordTrie, totalFrequency: Double, hmm: HMMModel) {
        // A WordTrie's image is always well formed.
        let trie = FrozenTrie(words.image(), logTotal: Self.logTotal(totalFrequency))!
        self.init(normalizer: normalizer, trie: trie, totalFrequency: totalFrequency, hmm: hmm)
    }

    /// What log probabilities are taken against: log of the total frequency (at least 1).
    static func logTotal(_ totalFrequency: Double) -> Double { log(max(totalFrequency, 1)) }

    /// Loads the dictionaries from `directory`, or from the first place `locateDirectory` finds:
    /// the compiled file when it is there and made from the text files as they are (by their
    /// sizes), else the text files.
    public static func load(directory: String? = nil) throws -> Lexicon {
        let dir = try locateDirectory(explicit: directory)
        if let compiled = loadCompiled(directory: dir) { return compiled }
        return try loadText(directory: dir)
    }

    /// Loads the text dictionaries (the source of truth) from `directory`, ignoring the compiled file.
    public static func loadText(directory: String? = nil) throws -> Lexicon {
        let dir = try locateDirectory(explicit: directory)
        let normalizer = Normalizer(traditionalToSimplified: try loadSimplifiedTable(dir + "/" + simplifiedFile))
        let hmm = try loadHMM(dir + "/" + hmmFile)
        let (words, total) = try loadWords(dir + "/" + wordsFile, normalizer: normalizer)
        return Lexicon(normalizer: normalizer, words: words, totalFrequency: total, hmm: hmm)
    }

    private static let sharedDefault = Result { try Lexicon.load() }

    /// The default dictionaries, loaded once per process.
    public static func loadDefault() throws -> Lexicon { try sharedDefault.get() }

    /// The dictionary directory: the first of `searchPath` that holds the dictionaries.
    public static func locateDirectory(explicit: String? = nil) throws -> String {
        let candidates = searchPath(explicit: explicit, environment: ProcessInfo.processInfo.environment,
                                    executable: CommandLine.arguments.first.map(resolvedExecutable) ?? ".",
                                    currentDirectory: FileManager.default.currentDirectoryPath)
        for dir in candidates where FileManager.default.fileExists(atPath: dir + "/" + wordsFile) {
            return dir
        }
        throw DictionaryError.notFound(triedPaths: candidates)
    }

    /// Where the dictionaries are looked for, in order: `explicit` alone when given, else
    /// `$GONGKAI_DICTIONARY_DIR` alone when set (an override that fell back elsewhere would hide
    /// its mistake); else `<executable dir>/../share/gongkai/dictionaries` (an installed
    /// `bin/gongkai`: /usr/bin finds /usr/share/…, /usr/local/bin /usr/local/share/…), then
    /// `Index/dictionaries` in the executable's folder or any above it (a build in a checkout
    /// uses its checkout's), then the package's `/usr/share/gongkai/dictionaries` and
    /// `/usr/local/share/gongkai/dictionaries` (a binary copied elsewhere), then
    /// `Index/dictionaries` from the current directory up.
    public static func searchPath(explicit: String?, environment: [String: String], executable: String,
                                  currentDirectory: String) -> [String] {
        if let explicit { return [explicit] }
        if let override = environment["GONGKAI_DICTIONARY_DIR"], !override.isEmpty { return [override] }
        func checkouts(from start: URL) -> [String] {
            var found: [String] = []
            var dir = start
            while true {
                found.append(dir.appendingPathComponent("Index/dictionaries").path)
                let parent = dir.deletingLastPathComponent()
                if parent.path == dir.path { return found }
                dir = parent
            }
        }
        let executableDir = URL(fileURLWithPath: executable).deletingLastPathComponent().standardizedFileURL
        let candidates = [executableDir.appendingPathComponent("../share/gongkai/dictionaries").standardizedFileURL.path]
            + checkouts(from: executableDir)
            + ["/usr/share/gongkai/dictionaries", "/usr/local/share/gongkai/dictionaries"]
            + checkouts(from: URL(fileURLWithPath: currentDirectory).standardizedFileURL)
        var seen = Set<String>()
        return candidates.filter { seen.insert($0).inserted }
    }

    private static func resolvedExecutable(_ argument: String) -> String {
        if let link = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return link }
        return argument
    }

    /// This lexicon plus `words`. A word the lexicon lacks gets a frequency just high enough to
    /// beat its own best split, as jieba's `suggest_freq` does; frequencies are computed against
    /// this lexicon, so the result does not depend on the order of `words`.
    public func adding(words: [String]) -> Lexicon { adding(words: words, boost: 1) }

    /// `boost` multiplies the suggested frequency: domain words should win in their own texts.
    /// `segmenter` must be this lexicon's, when the caller already has it.
    func adding(words: [String], boost: Double, segmenter: Segmenter? = nil) -> Lexicon {
        var result = self
        result.add(words: words, boost: boost, segmenter: segmenter)
        return result
    }

    /// `adding` in place: the trie is copied only when it is shared.
    mutating func add(words: [String], boost: Double, segmenter: Segmenter? = nil) {
        let additions = self.additions(words: words, boost: boost, segmenter: segmenter)
        apply(additions)
    }

    /// Room for words of `keyCount` keys in all, made before adding them in several steps
    /// so that the trie is copied (or grown) once.
    mutating func reserveCapacity(forKeys keyCount: Int) {
        trie.reserveCapacity(forKeys: keyCount)
    }

    /// A word to add: its keys, its new frequency and the frequency it had before.
    struct Addition {
        var keys: [UInt32]
        var frequency: Double
        var existing: Double
    }

    /// What `adding` adds, every frequency computed against this lexicon.
    func additions(words: [String], boost: Double, segmenter: Segmenter? = nil) -> [Addition] {
        let segmenter = segmenter ?? Segmenter(lexicon: self)
        var result: [Addition] = []
        result.reserveCapacity(words.count)
        var keys: [UInt32] = []
        var units: [Unit] = []
        var route: [Double] = [], next: [Int32] = []
        for word in words {
            let text = normalizer.normalize(word)
            guard Self.keys(of: text.scalars, units: &units, into: &keys) else { continue }
            let existing = trie.frequency(of: keys)
            let split = segmenter.bestLogProbability(keys: keys, route: &route, next: &next)
            let suggested = ((exp(split + segmenter.logTotal) + 1) * boost).rounded(.up)
            result.append(Addition(keys: keys, frequency: max(existing, suggested), existing: existing))
        }
        return result
    }

    /// Inserts the words, in order, and brings the log probabilities up to the new total.
    mutating func apply(_ additions: [Addition]) {
        guard !additions.isEmpty else { return }
        trie.reserveCapacity(forKeys: additions.reduce(0) { $0 + $1.keys.count })
        for addition in additions {
            totalFrequency += addition.frequency - addition.existing
            trie.insert(addition.keys, frequency: addition.frequency)
        }
        trie.rebase(logTotal: Self.logTotal(totalFrequency))
    }

    /// This lexicon with its vocabulary cut down to `words` (frequencies kept, words the lexicon
    /// lacks added as by `adding`): used to segment by another corpus's word list and conventions.
    public func restricted(to words: [String]) -> Lexicon {
        var base = WordTrie(capacity: words.count * 3)
        var total = 0.0
        var keys: [UInt32] = []
        var units: [Unit] = []
        var missing: [String] = []
        for word in words {
            let text = normalizer.normalize(word)
            guard Self.keys(of: text.scalars, units: &units, into: &keys) else { continue }
            let frequency = trie.frequency(of: keys)
            if frequency > 0 {
                if base.frequency(of: keys) == 0 { total += frequency }
                base.insert(keys, frequency: frequency)
            } else {
                missing.append(word)
            }
        }
        return Lexicon(normalizer: normalizer, words: base, totalFrequency: total, hmm: hmm).adding(words: missing)
    }

    /// Dictionary keys of a normalised word; false if it is empty or holds whitespace.
    static func keys(of scalars: [UInt32], units: inout [Unit], into keys: inout [UInt32]) -> Bool {
        Unit.scan(scalars, into: &units)
        keys.removeAll(keepingCapacity: true)
        for unit in units {
            if unit.breaksBefore { return false }
            keys.append(unit.key)
        }
        return !keys.isEmpty
    }

    // MARK: Loading

    private static func loadWords(_ path: String, normalizer: Normalizer) throws -> (WordTrie, Double) {
        guard let data = FileManager.default.contents(atPath: path) else { throw DictionaryError.unreadable(path: path) }
        var scalars: [UInt32] = []
        var keys: [UInt32] = []
        var units: [Unit] = []
        var lineNumber = 0
        var trie = WordTrie(capacity: 1 << 19)
        var totalFrequency = 0.0
        try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            let bytes = raw.bindMemory(to: UInt8.self)
            var i = 0
            while i < bytes.count {
                lineNumber += 1
                var end = i
                while end < bytes.count, bytes[end] != 0x0A { end += 1 }
                defer { i = end + 1 }
                if end == i || bytes[i] == 0x23 { continue }  // empty or # comment
                var space = end - 1
                while space > i, bytes[space] != 0x20 { space -= 1 }
                guard space > i else { throw DictionaryError.malformed(path: path, line: lineNumber) }
                var frequency = 0.0
                for b in bytes[(space + 1)..<end] where b >= 0x30 && b <= 0x39 {
                    frequency = frequency * 10 + Double(b - 0x30)
                }
                scalars.removeAll(keepingCapacity: true)
                decodeUTF8(bytes[i..<space]) { scalars.append(normalizer.map($0)) }
                guard frequency > 0, Self.keys(of: scalars, units: &units, into: &keys) else { continue }
                let old = trie.insert(keys, frequency: frequency)
                totalFrequency += max(old, frequency) - old
            }
        }
        return (trie, totalFrequency)
    }

    private static func decodeUTF8(_ bytes: Slice<UnsafeBufferPointer<UInt8>>, _ body: (UInt32) -> Void) {
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        while case .scalarValue(let scalar) = decoder.decode(&iterator) { body(scalar.value) }
    }

    private static func lines(_ path: String) throws -> [Substring] {
        guard let data = FileManager.default.contents(atPath: path) else { throw DictionaryError.unreadable(path: path) }
        return String(decoding: data, as: UTF8.self).split(separator: "\n").filter { !$0.hasPrefix("#") }
    }

    private static func loadSimplifiedTable(_ path: String) throws -> [UInt32: UInt32] {
        var table: [UInt32: UInt32] = [:]
        for (n, line) in try lines(path).enumerated() {
            let fields = line.unicodeScalars.split(separator: "\t")
            guard fields.count == 2, fields[0].count == 1, fields[1].count == 1 else {
                throw DictionaryError.malformed(path: path, line: n + 1)
            }
            table[fields[0].first!.value] = fields[1].first!.value
        }
        return table
    }

    /// Parses `start p p p p`, `trans X p p p p` and `emit c p p p p` lines (states B M E S) with
    /// strtod over the raw bytes: the emission table has 14,632 lines.
    private static func loadHMM(_ path: String) throws -> HMMModel {
        guard let data = FileManager.default.contents(atPath: path) else { throw DictionaryError.unreadable(path: path) }
        var model = HMMModel()
        var text = [CChar](repeating: 0, count: data.count + 1)
        data.withUnsafeBytes { raw in
            for (i, byte) in raw.enumerated() { text[i] = CChar(bitPattern: byte) }
        }
        var lineNumber = 0
        try text.withUnsafeMutableBufferPointer { buffer in
            let base = buffer.baseAddress!
            var line = 0
            while line < data.count {
                lineNumber += 1
                var end = line
                while end < data.count, buffer[end] != 0x0A { end += 1 }
                buffer[end] = 0  // strtod stops at the line end
                defer { line = end + 1 }
                guard buffer[line] != 0x23, end > line else { continue }  // comment or empty
                let bad = DictionaryError.malformed(path: path, line: lineNumber)
                let fields = String(cString: base + line).split(separator: " ", maxSplits: 2)
                guard fields.count == 3 || (fields.count == 2 && fields[0] == "start") else { throw bad }
                // The four numbers follow the first one or two fields.
                let skip = fields[0] == "start" ? fields[0].utf8.count + 1
                    : fields[0].utf8.count + fields[1].utf8.count + 2
                var cursor = base + line + skip
                var values = HMMModel.States()
                for s in 0..<4 {
                    var next: UnsafeMutablePointer<CChar>? = nil
                    let value = strtod(cursor, &next)
                    guard let next, next != cursor else { throw bad }
                    values[s] = value.isFinite ? value : HMMModel.impossible
                    cursor = next
                }
                switch fields[0] {
                case "start": model.start = values
                case "trans":
                    guard let from = ["B", "M", "E", "S"].firstIndex(of: fields[1]) else { throw bad }
                    model.transition[from] = values
                case "emit":
                    guard fields[1].unicodeScalars.count == 1 else { throw bad }
                    model.emission[fields[1].unicodeScalars.first!.value] = values
                default: throw bad
                }
            }
        }
        return model
    }
}
