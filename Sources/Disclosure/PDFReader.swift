/// Reads a PDF through poppler's `pdftotext -tsv` (Debian's poppler-utils), which gives every
/// word with its page and box; `PDFLayout` rebuilds lines and table rows from the boxes.
enum PDFReader {
    static let tool = ExternalTool(name: "pdftotext", package: "poppler-utils", format: .pdf)

    static func extract(_ bytes: [UInt8]) throws -> ExtractedText {
        let output = try tool.run(["-tsv", "-enc", "UTF-8", "{input}", "-"], input: bytes, inputExtension: "pdf")
        let message = output.stderr.split(separator: "\n").map { String($0.trimmingWhitespace) }.filter { !$0.isEmpty }
        if message.contains(where: { $0.contains("Incorrect password") }) {
            throw DisclosureError.encrypted("it needs a password to open")
        }
        if message.contains(where: { $0.contains("Copying of text from this document is not allowed") }) {
            throw DisclosureError.encrypted("its permissions forbid copying its text")
        }
        guard output.status == 0 else {
            throw DisclosureError.damaged(format: .pdf, reason: message.last ?? "pdftotext exited with status \(output.status)")
        }
        let pages = parseTSV(output.stdout)
        guard !pages.isEmpty else { throw DisclosureError.damaged(format: .pdf, reason: "no pages") }
        let withoutText = pages.filter { $0.words.isEmpty }.map(\.number)
        if withoutText.count == pages.count { throw DisclosureError.noTextLayer(pages: pages.count) }
        var text = PDFLayout.text(of: pages)
        if !withoutText.isEmpty {
            let list = withoutText.prefix(20).map(String.init).joined(separator: ", ") + (withoutText.count > 20 ? " …" : "")
            text.warnings.append("page\(withoutText.count == 1 ? "" : "s") \(list) of \(pages.count) hold no text (images only, "
                                 + "probably scanned): not indexed")
        }
        return text
    }

    /// `level page par block line word left top width height conf text`: level 1 starts a page,
    /// level 5 is a word.
    static func parseTSV(_ bytes: [UInt8]) -> [PDFPage] {
        var pages: [PDFPage] = []
        let text = String(decoding: bytes, as: UTF8.self)
        for line in text.split(separator: "\n", omittingEmptySubsequences: true).dropFirst() {
            let fields = line.split(separator: "\t", maxSplits: 11, omittingEmptySubsequences: false)
            guard fields.count >= 12, let level = Int(fields[0]), let page = Int(fields[1]),
                  let left = Double(fields[6]), let top = Double(fields[7]),
                  let width = Double(fields[8]), let height = Double(fields[9]) else { continue }
            switch level {
            case 1:
                pages.append(PDFPage(number: page, width: width, height: height))
            case 5 where !pages.isEmpty:
                let word = String(fields[11]).trimmingSpaces
                guard !word.isEmpty, width > 0, height > 0 else { continue }
                pages[pages.count - 1].words.append(PDFWord(x0: left, y0: top, x1: left + width, y1: top + height, text: word))
            default:
                continue
            }
        }
        return pages
    }
}

struct PDFWord {
    var x0: Double
    var y0: Double
    var x1: Double
    var y1: Double
    var text: String

    var height: Double { y1 - y0 }
    var center: Double { (x0 + x1) / 2 }
}

struct PDFPage {
    var number: Int
    var width: Double
    var height: Double
    var words: [PDFWord] = []
}
