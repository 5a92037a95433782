/// Turns the text between tables into paragraph passages under their section path.
struct NarrativeReader {
    private struct OpenHeading {
        var level: Int
        var text: String
        var line: Int
        var hasContent = false
    }

    private var headings: [OpenHeading] = []
    private var paragraph: (text: String, first: Int, last: Int)?
    /// Headings with nothing directly under them (a table of contents, a 第一部分 over its 一、),
    /// kept as a passage of their own so they stay searchable.
    private var bareHeadings: [(text: String, line: Int)] = []

    var sectionPath: [String] { headings.map(\.text) }

    mutating func read(_ line: String, number: Int, into output: inout ParseOutput) {
        if line.isEmpty || SourceLines.isDebris(line) { return }
        if let level = Heading.level(of: line) {
            flushParagraph(into: &output)
            while let last = headings.last, last.level >= level { close(headings.removeLast()) }
            headings.append(OpenHeading(level: level, text: line, line: number))
            return
        }
        // A paragraph cut mid-sentence by a page break or a wrap goes on on the next line.
        if let open = paragraph, !open.text.hasAtMost(19), !Self.endsSentence(open.text) {
            paragraph = (Wrapped.join([open.text, line]), open.first, number)
        } else {
            flushParagraph(into: &output)
            paragraph = (line, number, number)
        }
    }

    /// A table ends the paragraph. It does not title itself after the heading above it, so that
    /// heading still needs a passage of its own unless paragraphs follow.
    mutating func tableRead(into output: inout ParseOutput) {
        flushParagraph(into: &output)
        flushBareHeadings(into: &output)
    }

    mutating func finish(into output: inout ParseOutput) {
        flushParagraph(into: &output)
        while let last = headings.popLast() { close(last) }
        flushBareHeadings(into: &output)
    }

    private mutating func close(_ heading: OpenHeading) {
        if !heading.hasContent { bareHeadings.append((heading.text, heading.line)) }
    }

    private mutating func flushParagraph(into output: inout ParseOutput) {
        guard let open = paragraph else { return }
        paragraph = nil
        if !headings.isEmpty { headings[headings.count - 1].hasContent = true }
        flushBareHeadings(into: &output)
        let title = headings.last?.text ?? String(open.text.prefix(24))
        output.records.append(Record(type: .passage, title: title, text: open.text, section: sectionPath,
                                     firstLine: open.first, lastLine: open.last))
    }

    private mutating func flushBareHeadings(into output: inout ParseOutput) {
        guard let first = bareHeadings.first else { return }
        let lines = bareHeadings.map(\.line)
        output.records.append(Record(type: .passage, title: first.text,
                                     text: bareHeadings.map(\.text).joined(separator: "\n"),
                                     section: sectionPath, firstLine: lines.min()!, lastLine: lines.max()!))
        bareHeadings = []
    }

    private static func endsSentence(_ text: String) -> Bool {
        guard let last = text.last else { return true }
        return "。！？；：!?;:…".contains(last)
    }
}
