import Foundation
import SWXMLHash
import ZIPFoundation

/// Reads an Excel workbook (.xlsx: a ZIP of XML parts) sheet by sheet; `SheetLayout` lays the
/// cells out as the text parser reads tables.
enum XLSXReader {
    /// Decompressed parts are refused past this (a ZIP bomb would otherwise fill memory).
    static let maximumPartSize: UInt64 = 256 << 20

    static func extract(_ bytes: [UInt8]) throws -> ExtractedText {
        let archive: Archive
        do {
            archive = try Archive(data: Data(bytes), accessMode: .read)
        } catch {
            throw DisclosureError.damaged(format: .xlsx, reason: "not a readable ZIP archive (\(error))")
        }
        let workbookPath = "xl/workbook.xml"
        guard archive[workbookPath] != nil else { throw DisclosureError.unsupportedFormat(otherZIP(archive)) }
        let reader = PartReader(archive: archive)
        let workbook = try reader.xml(workbookPath)
        let relations = try reader.relations(of: workbookPath)
        let sharedStrings = try reader.sharedStrings(relations)
        let styles = try reader.styles(relations)
        var sheets: [SheetLayout.Sheet] = []
        for sheet in workbook.descendants("sheets").first?.children("sheet") ?? [] {
            guard let id = sheet.attribute("id"), let target = relations[id] else { continue }
            let state = sheet.attribute("state")
            if state == "hidden" || state == "veryHidden" { continue }
            let document = try reader.xml(target)
            sheets.append(readSheet(document, name: sheet.attribute("name") ?? "", sharedStrings: sharedStrings, styles: styles))
        }
        return SheetLayout.text(of: sheets)
    }

    private static func otherZIP(_ archive: Archive) -> String {
        if archive["word/document.xml"] != nil { return "a Word document (.docx); save it as PDF or text" }
        if archive["ppt/presentation.xml"] != nil { return "a PowerPoint file (.pptx)" }
        if archive["content.xml"] != nil { return "an OpenDocument file (.odt/.ods); save it as XLSX, PDF or text" }
        return "a ZIP archive without a workbook (Gongkai reads text, HTML, PDF, XLSX and XLS)"
    }

    private static func readSheet(_ document: XMLNode, name: String, sharedStrings: [String], styles: CellStyles) -> SheetLayout.Sheet {
        var sheet = SheetLayout.Sheet(name: name)
        let data = document.descendants("sheetData").first
        var nextRow = 1
        for row in data?.children("row") ?? [] {
            let rowNumber = row.attribute("r").flatMap(Int.init) ?? nextRow
            nextRow = rowNumber + 1
            var nextColumn = 0
            for cell in row.children("c") {
                let column = cell.attribute("r").flatMap(CellReference.column) ?? nextColumn
                nextColumn = column + 1
                let value = cellValue(cell, sharedStrings: sharedStrings, styles: styles)
                if !value.isEmpty { sheet.cells[rowNumber - 1, default: [:]][column] = value }
            }
        }
        for merge in document.descendants("mergeCells").first?.children("mergeCell") ?? [] {
            if let ref = merge.attribute("ref"), let area = CellReference.area(ref) { sheet.merged.append(area) }
        }
        return sheet
    }

    private static func cellValue(_ cell: XMLNode, sharedStrings: [String], styles: CellStyles) -> String {
        let type = cell.attribute("t") ?? "n"
        let raw = cell.children("v").first?.text ?? ""
        switch type {
        case "s":
            guard let index = Int(raw.trimmingSpaces), index >= 0, index < sharedStrings.count else { return "" }
            return sharedStrings[index]
        case "inlineStr":
            return cell.children("is").first.map(richText) ?? raw
        case "str", "e":
            return raw
        case "b":
            return raw == "1" ? "TRUE" : raw == "0" ? "FALSE" : raw
        default:
            guard let number = Double(raw.trimmingSpaces) else { return raw }
            return styles.format(number, style: cell.attribute("s").flatMap(Int.init) ?? 0)
        }
    }

    /// The text of a string item: its `t`, or the `t` of each rich-text run (phonetic runs left out).
    static func richText(_ item: XMLNode) -> String {
        let runs = item.children("r")
        if runs.isEmpty { return item.children("t").map(\.text).joined() }
        return runs.map { $0.children("t").map(\.text).joined() }.joined()
    }

    /// Reads the parts of one archive.
    struct PartReader {
        let archive: Archive

        func data(_ path: String) throws -> Data? {
            guard let entry = archive[path] else { return nil }
            guard entry.uncompressedSize <= XLSXReader.maximumPartSize else {
                throw DisclosureError.damaged(format: .xlsx, reason: "\(path) unpacks to \(entry.uncompressedSize) bytes")
            }
            var data = Data()
            do {
                _ = try archive.extract(entry, skipCRC32: true) { chunk in
                    data.append(chunk)
                    if UInt64(data.count) > XLSXReader.maximumPartSize { throw DisclosureError.damaged(format: .xlsx, reason: "\(path) is too large") }
                }
            } catch let error as DisclosureError {
                throw error
            } catch {
                throw DisclosureError.damaged(format: .xlsx, reason: "cannot unpack \(path): \(error)")
            }
            return data
        }

        func xml(_ path: String) throws -> XMLNode {
            guard let data = try data(path) else { throw DisclosureError.damaged(format: .xlsx, reason: "\(path) is missing") }
            return try XMLNode.parse(data, part: path)
        }

        /// `Id` → part path, from the part's `_rels` file; targets are relative to the part's folder.
        func relations(of part: String) throws -> [String: String] {
            let folder = part.split(separator: "/").dropLast().joined(separator: "/")
            let name = part.split(separator: "/").last.map(String.init) ?? part
            let relsPath = (folder.isEmpty ? "" : folder + "/") + "_rels/" + name + ".rels"
            guard let data = try data(relsPath) else { return [:] }
            var relations: [String: String] = [:]
            for relation in try XMLNode.parse(data, part: relsPath).children("Relationship") {
                guard let id = relation.attribute("Id"), let target = relation.attribute("Target") else { continue }
                relations[id] = Self.resolve(target, in: folder)
                if let type = relation.attribute("Type")?.split(separator: "/").last { relations["type:" + type] = relations[id] }
            }
            return relations
        }

        static func resolve(_ target: String, in folder: String) -> String {
            if target.hasPrefix("/") { return String(target.dropFirst()) }
            var parts = folder.split(separator: "/").map(String.init)
            for piece in target.split(separator: "/") {
                if piece == ".." { _ = parts.popLast() } else if piece != "." { parts.append(String(piece)) }
            }
            return parts.joined(separator: "/")
        }

        func sharedStrings(_ relations: [String: String]) throws -> [String] {
            guard let data = try data(relations["type:sharedStrings"] ?? "xl/sharedStrings.xml") else { return [] }
            return try XMLNode.parse(data, part: "sharedStrings.xml").children("si").map(XLSXReader.richText)
        }

        func styles(_ relations: [String: String]) throws -> CellStyles {
            guard let data = try data(relations["type:styles"] ?? "xl/styles.xml") else { return CellStyles() }
            let root = try XMLNode.parse(data, part: "styles.xml")
            var styles = CellStyles()
            for format in root.descendants("numFmts").first?.children("numFmt") ?? [] {
                if let id = format.attribute("numFmtId").flatMap(Int.init) { styles.customFormats[id] = format.attribute("formatCode") ?? "" }
            }
            styles.cellFormats = (root.descendants("cellXfs").first?.children("xf") ?? []).map {
                $0.attribute("numFmtId").flatMap(Int.init) ?? 0
            }
            return styles
        }
    }
}

/// How a workbook shows numbers: percentages and dates by their number format, the rest as
/// the number (without binary noise such as 0.30000000000000004).
struct CellStyles {
    var customFormats: [Int: String] = [:]
    /// Per cell style (`s`), its number format id.
    var cellFormats: [Int] = []

    func format(_ number: Double, style: Int) -> String {
        let id = style < cellFormats.count ? cellFormats[style] : 0
        let code = customFormats[id]?.lowercased() ?? ""
        if id == 9 || id == 10 || (code.contains("%") && !code.contains("\"%")) {
            return Self.plain(number * 100) + "%"
        }
        if (14...22).contains(id) || (45...47).contains(id) || Self.isDateFormat(code) {
            return Self.date(number) ?? Self.plain(number)
        }
        let builtIn = [1: "0", 2: "0.00", 3: "#,##0", 4: "#,##0.00"]
        return Self.formatted(number, code: builtIn[id] ?? code) ?? Self.plain(number)
    }

    /// A number as a `0.00` / `#,##0.000000` format prints it (decimals, thousands commas);
    /// nil for the general format and formats this does not render.
    static func formatted(_ number: Double, code: String) -> String? {
        let section = code.split(separator: ";").first.map(String.init) ?? ""
        let pattern = section.filter { "0#,.".contains($0) }
        guard pattern.contains("0") else { return nil }
        let decimals = pattern.split(separator: ".", omittingEmptySubsequences: false).dropFirst().first.map { $0.filter { $0 == "0" || $0 == "#" }.count } ?? 0
        var text = String(format: "%.\(decimals)f", abs(number))
        if pattern.contains(",") {
            let parts = text.split(separator: ".", omittingEmptySubsequences: false)
            var whole = String(parts[0])
            var grouped = ""
            while whole.count > 3 {
                grouped = "," + whole.suffix(3) + grouped
                whole = String(whole.dropLast(3))
            }
            text = whole + grouped + (parts.count > 1 ? "." + parts[1] : "")
        }
        return (number < 0 ? "-" : "") + text
    }

    /// Up to 15 significant digits, never an exponent.
    static func plain(_ number: Double) -> String {
        var text = String(format: "%.15g", number)
        if text.contains("e") {
            text = String(format: "%.10f", number)
            while text.contains("."), text.last == "0" { text.removeLast() }
            if text.last == "." { text.removeLast() }
        }
        return text
    }

    private static func isDateFormat(_ code: String) -> Bool {
        // Letters outside quotes and brackets: y, d, or m next to y/d.
        var outside = ""
        var quoted = false
        var bracket = false
        for ch in code {
            if ch == "\"" { quoted.toggle(); continue }
            if ch == "[" { bracket = true; continue }
            if ch == "]" { bracket = false; continue }
            if !quoted && !bracket { outside.append(ch) }
        }
        return outside.contains("y") || outside.contains("d")
    }

    /// An Excel serial day (1900 system) as `2023-02-10`.
    private static func date(_ serial: Double) -> String? {
        guard serial >= 1, serial < 2_958_466 else { return nil }
        var days = Int(serial.rounded(.down)) - 25_569  // days since 1970-01-01
        if serial < 61 { days += 1 }  // Excel counts a 29 February 1900 that never was
        let date = Date(timeIntervalSince1970: Double(days) * 86_400)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        guard let year = parts.year, let month = parts.month, let day = parts.day else { return nil }
        return String(format: "%04d-%02d-%02d", year, month, day)
    }
}

/// `B12` → column 1, `A1:C2` → rows 0...1, columns 0...2.
enum CellReference {
    static func column(_ reference: String) -> Int? {
        var column = 0
        var letters = 0
        for scalar in reference.unicodeScalars {
            guard let value = letterValue(scalar) else { break }
            column = column * 26 + value
            letters += 1
            if letters > 3 { return nil }
        }
        return letters == 0 ? nil : column - 1
    }

    static func row(_ reference: String) -> Int? {
        Int(String(reference.unicodeScalars.drop { letterValue($0) != nil })).map { $0 - 1 }
    }

    static func area(_ reference: String) -> SheetLayout.Area? {
        let corners = reference.split(separator: ":").map(String.init)
        guard let first = corners.first, let top = row(first), let left = column(first) else { return nil }
        let last = corners.count > 1 ? corners[1] : first
        guard let bottom = row(last), let right = column(last), bottom >= top, right >= left else { return nil }
        return SheetLayout.Area(rows: top...bottom, columns: left...right)
    }

    private static func letterValue(_ scalar: Unicode.Scalar) -> Int? {
        switch scalar.value {
        case 0x41...0x5A: return Int(scalar.value) - 0x40
        case 0x61...0x7A: return Int(scalar.value) - 0x60
        default: return nil
        }
    }
}

/// An XML element as SWXMLHash parses it, by local names (prefixes such as `x:` dropped).
struct XMLNode {
    let element: XMLElement

    static func parse(_ data: Data, part: String) throws -> XMLNode {
        let indexer = XMLHash.config { options in
            options.shouldProcessNamespaces = true
            options.detectParsingErrors = true
        }.parse(data)
        if case .parsingError(let error) = indexer {
            throw DisclosureError.damaged(format: .xlsx, reason: "\(part) is not well-formed XML: \(error)")
        }
        guard let root = indexer.children.first?.element else {
            throw DisclosureError.damaged(format: .xlsx, reason: "\(part) is empty")
        }
        return XMLNode(element: root)
    }

    var name: String { element.name.split(separator: ":").last.map(String.init) ?? element.name }

    func children(_ name: String) -> [XMLNode] {
        element.children.compactMap { ($0 as? XMLElement).map(XMLNode.init) }.filter { $0.name == name }
    }

    /// Elements named `name` at any depth, in document order.
    func descendants(_ name: String) -> [XMLNode] {
        var found: [XMLNode] = []
        for child in element.children.compactMap({ $0 as? XMLElement }).map(XMLNode.init) {
            if child.name == name { found.append(child) }
            found += child.descendants(name)
        }
        return found
    }

    func attribute(_ name: String) -> String? {
        if let value = element.allAttributes[name]?.text { return value }
        return element.allAttributes.first { $0.key.hasSuffix(":" + name) }?.value.text
    }

    /// All text inside the element (its own text nodes, and its children's).
    var text: String { element.recursiveText }
}
