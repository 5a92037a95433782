/// Reads a saved government portal page: the article's headings and paragraphs as lines, its
/// `<table>`s as table rows, without scripts, styles, navigation, breadcrumbs
/// (`政务公开 > 财政 > …`) and the `日期/来源/分享/字号/打印` lines around an article.
enum HTMLReader {
    static func extract(_ bytes: [UInt8]) throws -> ExtractedText {
        let decoded = try TextDecoding.decodeReportingRepairs(bytes, declared: declaredCharset(bytes))
        let document = HTMLTree.parse(decoded.text)
        var walker = HTMLTextWalker()
        walker.walk(document.root)
        walker.flush()
        var text = walker.output
        if let title = document.title.flatMap(pageTitle), !text.lines.prefix(30).contains(where: { $0.compacted.contains(title.compacted) }) {
            text.lines.insert(contentsOf: [title, ""], at: 0)
        }
        text.warnings = decoded.warnings
        return text
    }

    /// The encoding a page declares in its first 4 KB: `<meta charset="gbk">` or
    /// `<meta http-equiv="Content-Type" content="text/html; charset=gb2312">`.
    static func declaredCharset(_ bytes: [UInt8]) -> String? {
        let head = String(decoding: bytes.prefix(4096).map { $0 < 0x80 ? $0 : UInt8(ascii: " ") }, as: UTF8.self).lowercased()
        var rest = Substring(head)
        while let meta = rest.range(of: "<meta") {
            let tagEnd = rest[meta.upperBound...].firstIndex(of: ">") ?? rest.endIndex
            let tag = rest[meta.upperBound..<tagEnd]
            if let charset = tag.range(of: "charset") {
                let value = tag[charset.upperBound...].drop { $0 == " " || $0 == "=" || $0 == "\"" || $0 == "'" }
                    .prefix { !" \"';/>".contains($0) }
                if !value.isEmpty { return String(value) }
            }
            rest = rest[tagEnd...]
        }
        return nil
    }

    /// A page's `<title>` without the site's name after it (`…部门预算_北京市西城区人民政府`).
    static func pageTitle(_ title: String) -> String? {
        let text = HTMLTextWalker.collapsed(title)
        let separators: [String] = ["_", " - ", "－", "|", "｜", " — ", "——", "-"]
        var best = text
        for separator in separators {
            if let range = best.range(of: separator) {
                let first = String(best[..<range.lowerBound]).trimmingSpaces
                if first.count >= 6 { best = first }
            }
        }
        return best.count >= 4 ? best : nil
    }
}

/// A tolerant HTML tree: enough of HTML's parsing rules for saved pages (implied ends of `p`,
/// `li`, `td`, `tr`, stray end tags ignored, raw text in `script` and `style`).
final class HTMLNode {
    let name: String  // lower case; "" for text
    let attributes: [String: String]
    var children: [HTMLNode] = []
    let text: String
    weak var parent: HTMLNode?

    init(name: String, attributes: [String: String] = [:], text: String = "") {
        self.name = name
        self.attributes = attributes
        self.text = text
    }

    var isText: Bool { name.isEmpty }

    func descendants(named names: Set<String>) -> Bool {
        children.contains { names.contains($0.name) || $0.descendants(named: names) }
    }

    func hasAncestor(in names: Set<String>) -> Bool {
        var node = parent
        while let current = node {
            if names.contains(current.name) { return true }
            node = current.parent
        }
        return false
    }
}

struct HTMLTree {
    let root: HTMLNode
    let title: String?

    static let voidElements: Set<String> = ["area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
                                            "param", "source", "track", "wbr", "basefont", "frame", "keygen"]
    static let rawTextElements: Set<String> = ["script", "style", "textarea", "title", "xmp", "iframe", "noembed",
                                               "noframes", "noscript", "plaintext"]
    /// Elements a new one of its group closes, up to the nearest element that contains the group.
    static let impliedEnds: [String: (closes: Set<String>, boundary: Set<String>)] = [
        "p": (["p"], ["div", "td", "th", "li", "table", "body", "section", "article"]),
        "li": (["li", "p"], ["ul", "ol", "menu", "table"]),
        "dt": (["dt", "dd", "p"], ["dl", "table"]),
        "dd": (["dt", "dd", "p"], ["dl", "table"]),
        "tr": (["tr", "td", "th", "p", "li"], ["table", "thead", "tbody", "tfoot"]),
        "td": (["td", "th", "p", "li"], ["tr", "table"]),
        "th": (["td", "th", "p", "li"], ["tr", "table"]),
        "thead": (["thead", "tbody", "tfoot", "tr", "td", "th"], ["table"]),
        "tbody": (["thead", "tbody", "tfoot", "tr", "td", "th"], ["table"]),
        "tfoot": (["thead", "tbody", "tfoot", "tr", "td", "th"], ["table"]),
        "option": (["option"], ["select"]),
    ]
    /// A block start closes an open paragraph, as browsers do.
    static let closesParagraph: Set<String> = ["div", "table", "ul", "ol", "dl", "h1", "h2", "h3", "h4", "h5", "h6",
                                               "blockquote", "pre", "section", "article", "form", "hr", "center"]

    static func parse(_ html: String) -> HTMLTree {
        let bytes = Array(html.utf8)
        let root = HTMLNode(name: "#document")
        var stack: [HTMLNode] = [root]
        var title: String?
        var i = 0
        var textStart = 0

        func appendText(_ end: Int) {
            guard end > textStart else { return }
            let text = HTMLEntities.decode(String(decoding: bytes[textStart..<end], as: UTF8.self))
            let node = HTMLNode(name: "", text: text)
            node.parent = stack.last
            stack.last!.children.append(node)
        }
        func isNameByte(_ byte: UInt8) -> Bool {
            (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x30 && byte <= 0x39)
                || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ":") || byte == UInt8(ascii: "_")
        }
        func isLetter(_ byte: UInt8) -> Bool { (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x41 && byte <= 0x5A) }
        func find(_ needle: String, from start: Int, caseInsensitive: Bool = false) -> Int? {
            let target = Array(needle.utf8)
            var j = start
            while j + target.count <= bytes.count {
                var matches = true
                for (k, byte) in target.enumerated() {
                    let actual = caseInsensitive && bytes[j + k] >= 0x41 && bytes[j + k] <= 0x5A ? bytes[j + k] | 0x20 : bytes[j + k]
                    if actual != byte { matches = false; break }
                }
                if matches { return j }
                j += 1
            }
            return nil
        }
        func close(_ name: String) {
            guard let index = stack.lastIndex(where: { $0.name == name }), index > 0 else { return }
            stack.removeSubrange(index...)
        }

        while i < bytes.count {
            guard bytes[i] == UInt8(ascii: "<"), i + 1 < bytes.count else { i += 1; continue }
            let next = bytes[i + 1]
            if next == UInt8(ascii: "!") || next == UInt8(ascii: "?") {
                appendText(i)
                if find("<!--", from: i) == i {
                    i = (find("-->", from: i + 4).map { $0 + 3 }) ?? bytes.count
                } else {
                    i = (find(">", from: i).map { $0 + 1 }) ?? bytes.count
                }
                textStart = i
                continue
            }
            let closing = next == UInt8(ascii: "/")
            let nameStart = closing ? i + 2 : i + 1
            guard nameStart < bytes.count, isLetter(bytes[nameStart]) else { i += 1; continue }
            appendText(i)
            var j = nameStart
            while j < bytes.count, isNameByte(bytes[j]) { j += 1 }
            let name = String(decoding: bytes[nameStart..<j], as: UTF8.self).lowercased()
            // Attributes up to the tag's `>`, quotes respected.
            var attributes: [String: String] = [:]
            var selfClosing = false
            while j < bytes.count, bytes[j] != UInt8(ascii: ">") {
                let byte = bytes[j]
                if byte == UInt8(ascii: "/") { selfClosing = true; j += 1; continue }
                guard byte > 0x20 else { j += 1; continue }
                selfClosing = false
                let keyStart = j
                while j < bytes.count, bytes[j] > 0x20, bytes[j] != UInt8(ascii: "="), bytes[j] != UInt8(ascii: ">") { j += 1 }
                let key = String(decoding: bytes[keyStart..<j], as: UTF8.self).lowercased()
                while j < bytes.count, bytes[j] <= 0x20 { j += 1 }
                var value = ""
                if j < bytes.count, bytes[j] == UInt8(ascii: "=") {
                    j += 1
                    while j < bytes.count, bytes[j] <= 0x20 { j += 1 }
                    if j < bytes.count, bytes[j] == UInt8(ascii: "\"") || bytes[j] == UInt8(ascii: "'") {
                        let quote = bytes[j]
                        let valueStart = j + 1
                        j = valueStart
                        while j < bytes.count, bytes[j] != quote { j += 1 }
                        value = String(decoding: bytes[valueStart..<min(j, bytes.count)], as: UTF8.self)
                        j += 1
                    } else {
                        let valueStart = j
                        while j < bytes.count, bytes[j] > 0x20, bytes[j] != UInt8(ascii: ">") { j += 1 }
                        value = String(decoding: bytes[valueStart..<j], as: UTF8.self)
                    }
                }
                if !key.isEmpty, attributes[key] == nil { attributes[key] = HTMLEntities.decode(value) }
            }
            i = min(j + 1, bytes.count)
            textStart = i
            if closing {
                close(name)
                continue
            }
            if let rule = impliedEnds[name] {
                if let open = stack.lastIndex(where: { rule.closes.contains($0.name) || rule.boundary.contains($0.name) }),
                   rule.closes.contains(stack[open].name), open > 0 {
                    stack.removeSubrange(open...)
                }
            } else if closesParagraph.contains(name), let open = stack.lastIndex(where: { $0.name == "p" }),
                      !stack[open...].contains(where: { ["td", "th", "div", "li"].contains($0.name) && $0 !== stack[open] }), open > 0 {
                stack.removeSubrange(open...)
            }
            let node = HTMLNode(name: name, attributes: attributes)
            node.parent = stack.last
            stack.last!.children.append(node)
            if rawTextElements.contains(name) {
                let end = find("</" + name, from: i, caseInsensitive: true) ?? bytes.count
                let raw = String(decoding: bytes[i..<end], as: UTF8.self)
                if name == "title", title == nil { title = HTMLEntities.decode(raw) }
                if name == "textarea" || name == "xmp" {
                    let text = HTMLNode(name: "", text: HTMLEntities.decode(raw))
                    text.parent = node
                    node.children.append(text)
                }
                i = (find(">", from: end).map { $0 + 1 }) ?? bytes.count
                textStart = i
                continue
            }
            if !voidElements.contains(name) && !selfClosing { stack.append(node) }
        }
        appendText(bytes.count)
        return HTMLTree(root: root, title: title)
    }
}

/// Walks the tree into lines: blocks start lines, inline text runs on, tables become rows.
struct HTMLTextWalker {
    var output = ExtractedText()
    private var line = ""
    /// Characters of the line inside links, and its links: a line of links only is a menu.
    private var linkCharacters = 0
    private var links = 0
    private var inLink = 0
    private var inPre = 0
    /// Inside a table cell, text is content: the page-clutter filter is for whole lines and rows.
    private var inCell = false

    static let skipped: Set<String> = ["script", "style", "noscript", "template", "head", "nav", "footer", "aside",
                                       "select", "button", "iframe", "svg", "object", "embed", "canvas", "audio",
                                       "video", "map", "input", "textarea", "menu", "dialog"]
    static let blocks: Set<String> = ["address", "article", "blockquote", "body", "center", "dd", "details", "div", "dl",
                                      "dt", "fieldset", "figcaption", "figure", "form", "header", "hgroup", "hr", "html",
                                      "li", "main", "ol", "p", "pre", "section", "summary", "ul", "caption", "option",
                                      "h1", "h2", "h3", "h4", "h5", "h6", "tr", "td", "th", "tbody", "thead", "tfoot", "table"]
    /// class and id words of navigation, breadcrumbs, share bars, footers (in pinyin too: 当前位置 dqwz, 位置 weizhi).
    static let clutterWords = ["nav", "menu", "breadcrumb", "crumb", "footer", "share", "toolbar", "sidebar", "topbar",
                               "copyright", "position", "location", "qrcode", "fontsize", "login", "weizhi", "dqwz",
                               "mianbao", "bdshare", "jiathis"]

    mutating func walk(_ node: HTMLNode) {
        if node.isText {
            append(node.text)
            return
        }
        if Self.skipped.contains(node.name) || isClutter(node) { return }
        if node.name == "header", !node.hasAncestor(in: ["article", "main"]) { return }
        switch node.name {
        case "br":
            flush()
        case "table" where !node.descendants(named: ["table"]):
            flush()
            table(node)
        case let list where (list == "ul" || list == "ol") && isMenuList(node):
            return
        case "a":
            inLink += 1
            links += 1
            node.children.forEach { walk($0) }
            inLink -= 1
        case "pre":
            flush()
            inPre += 1
            node.children.forEach { walk($0) }
            inPre -= 1
            flush()
        case let name where Self.blocks.contains(name):
            flush()
            node.children.forEach { walk($0) }
            flush()
        default:
            node.children.forEach { walk($0) }
        }
    }

    private func isClutter(_ node: HTMLNode) -> Bool {
        let names = ((node.attributes["class"] ?? "") + " " + (node.attributes["id"] ?? "")).lowercased()
        guard names.count > 1 else { return false }
        if node.name == "body" || node.name == "html" { return false }
        return Self.clutterWords.contains { names.contains($0) }
    }

    /// A list of three or more items that are each one link: a menu.
    private func isMenuList(_ node: HTMLNode) -> Bool {
        let items = node.children.filter { $0.name == "li" }
        guard items.count >= 3 else { return false }
        return items.allSatisfy { item in
            let text = Self.collapsed(Self.text(of: item))
            let linked = Self.collapsed(Self.linkText(of: item))
            return !text.isEmpty && text == linked && text.count <= 20
        }
    }

    static func text(of node: HTMLNode) -> String {
        node.isText ? node.text : node.children.map(text(of:)).joined()
    }

    private static func linkText(of node: HTMLNode) -> String {
        if node.name == "a" { return text(of: node) }
        return node.children.map(linkText(of:)).joined()
    }

    private mutating func append(_ text: String) {
        if inPre > 0 {
            let parts = text.split(separator: "\n", omittingEmptySubsequences: false)
            for (index, part) in parts.enumerated() {
                if index > 0 { flush() }
                line += part
            }
            return
        }
        let piece = Self.collapsed(text, keepingEdges: true)
        if inLink > 0 { linkCharacters += piece.filter { !$0.isWhitespace }.count }
        line += piece
    }

    mutating func flush() {
        let text = Self.tidy(line)
        let visible = text.filter { !$0.isWhitespace }.count
        let menu = links >= 3 && linkCharacters * 10 >= visible * 9
        line = ""
        linkCharacters = 0
        links = 0
        guard !text.isEmpty, !menu, inCell || !PageClutter.isClutter(text) else { return }
        output.add(text)
    }

    // MARK: Tables

    private mutating func table(_ node: HTMLNode) {
        var grid: [[String]] = []
        var spans: [Int: (rows: Int, text: String)] = [:]  // column → rows still covered by a rowspan
        var captions: [String] = []
        for row in Self.rows(of: node, captions: &captions) {
            var cells: [String] = []
            func fillSpans() {
                while let span = spans[cells.count], span.rows > 0 {
                    cells.append("")
                    spans[cells.count - 1] = span.rows > 1 ? (span.rows - 1, span.text) : nil
                }
            }
            for cell in row {
                fillSpans()
                let columns = max(1, min(Int(cell.attributes["colspan"] ?? "") ?? 1, 1000))
                let rows = max(1, min(Int(cell.attributes["rowspan"] ?? "") ?? 1, 10_000))
                let text = Self.cellText(cell)
                for column in 0..<columns {
                    if rows > 1 { spans[cells.count] = (rows - 1, "") }
                    cells.append(column == 0 ? text : "")
                }
            }
            fillSpans()
            // Spans reaching past this row's cells still take their columns.
            for column in spans.keys.sorted() where column >= cells.count {
                while cells.count < column { cells.append("") }
                cells.append("")
                let span = spans[column]!
                spans[column] = span.rows > 1 ? (span.rows - 1, span.text) : nil
            }
            grid.append(cells)
        }
        for caption in captions where !caption.isEmpty { output.add(caption) }
        let width = grid.map { row in (row.lastIndex { !$0.isEmpty } ?? -1) + 1 }.max() ?? 0
        output.addBreak()
        for row in grid where row.contains(where: { !$0.isEmpty }) {
            if width <= 1 {
                let text = row.first { !$0.isEmpty } ?? ""
                if !PageClutter.isClutter(text) { output.add(text) }
                continue
            }
            if PageClutter.isClutter(row.filter { !$0.isEmpty }.joined(separator: " ")) { continue }
            output.addRow(Array((row + Array(repeating: "", count: max(0, width - row.count))).prefix(width)))
        }
        output.addBreak()
    }

    /// The table's rows (`tr` under it or its `thead`/`tbody`/`tfoot`), each its `td`/`th` cells.
    private static func rows(of table: HTMLNode, captions: inout [String]) -> [[HTMLNode]] {
        var rows: [[HTMLNode]] = []
        func visit(_ node: HTMLNode) {
            for child in node.children {
                switch child.name {
                case "tr": rows.append(child.children.filter { $0.name == "td" || $0.name == "th" })
                case "thead", "tbody", "tfoot", "form": visit(child)
                case "caption": captions.append(tidy(text(of: child)))
                default: break
                }
            }
        }
        visit(table)
        return rows
    }

    /// A cell's text, its paragraphs and line breaks kept as line breaks for `ExtractedText` to join.
    private static func cellText(_ cell: HTMLNode) -> String {
        var walker = HTMLTextWalker()
        walker.inCell = true
        cell.children.forEach { walker.walk($0) }
        walker.flush()
        return walker.output.lines.filter { !$0.isEmpty }.joined(separator: "\n")
    }

    // MARK: Whitespace

    /// Runs of HTML whitespace as one space; `keepingEdges` keeps a leading and trailing one,
    /// so that inline pieces still have their space between them.
    static func collapsed(_ text: String, keepingEdges: Bool = false) -> String {
        var out = ""
        var pendingSpace = false
        for scalar in text.unicodeScalars {
            if scalar == " " || scalar == "\n" || scalar == "\t" || scalar == "\r" || scalar == "\u{0C}" || scalar == "\u{A0}" {
                pendingSpace = true
                continue
            }
            if pendingSpace, keepingEdges || !out.isEmpty { out.unicodeScalars.append(" ") }
            pendingSpace = false
            out.unicodeScalars.append(scalar)
        }
        if pendingSpace, keepingEdges { out.unicodeScalars.append(" ") }
        return out
    }

    /// A line trimmed, with the spaces a page's source put between two Chinese characters (line
    /// breaks in the HTML) removed; spaces beside Latin letters and digits stay.
    static func tidy(_ text: String) -> String {
        let scalars = Array(collapsed(text).unicodeScalars)
        var out = String.UnicodeScalarView()
        for (index, scalar) in scalars.enumerated() {
            if scalar == " ", index > 0, index + 1 < scalars.count, isHan(scalars[index - 1]), isHan(scalars[index + 1]) {
                continue
            }
            out.append(scalar)
        }
        return String(String(out).trimmingWhitespace)
    }

    private static func isHan(_ scalar: Unicode.Scalar) -> Bool {
        (0x3000...0x303F).contains(scalar.value) || (0x3400...0x9FFF).contains(scalar.value) || (0xFF00...0xFFEF).contains(scalar.value)
    }
}

/// Lines a portal prints around every article: breadcrumbs, the date/source/share/font-size/print
/// bar, page-turn links and the footer.
enum PageClutter {
    static let breadcrumbStarts = ["当前位置", "您的位置", "您现在的位置", "你的位置", "你现在的位置", "所在位置", "当前的位置"]
    static let separators: Set<Character> = [">", "›", "»", "＞", "→", "〉"]
    static let metaLabels = ["发布日期", "发布时间", "日期", "时间", "信息来源", "文章来源", "来源", "作者", "分享到", "分享",
                             "字号", "字体", "打印", "关闭", "浏览次数", "阅读次数", "点击数", "访问量", "浏览量", "收藏",
                             "责任编辑", "编辑", "【大】", "【中】", "【小】", "大 中 小", "大中小"]
    static let buttons = ["打印", "关闭", "分享", "收藏", "字号", "【大】", "【中】", "【小】", "大中小"]
    static let footerMarks = ["版权所有", "ICP备", "公网安备", "网站标识码", "主办单位", "承办单位", "技术支持", "网站地图",
                              "联系我们", "扫一扫", "在手机上打开", "用手机扫描", "上一篇", "下一篇", "返回顶部"]

    static func isClutter(_ line: String) -> Bool {
        let compact = line.compacted
        guard !compact.isEmpty else { return true }
        guard compact.count <= 200 else { return false }
        if breadcrumbStarts.contains(where: compact.hasPrefix) { return true }
        let segments = line.split(whereSeparator: { separators.contains($0) })
        if segments.count >= 3, segments.count - 1 == line.filter({ separators.contains($0) }).count,
           segments.allSatisfy({ $0.compacted.count <= 16 && !$0.compacted.isEmpty }) {
            return true
        }
        let labels = Set(metaLabels.filter { compact.contains($0.compacted) })
        // 发布日期 contains 日期: count the longest of overlapping labels once.
        let distinct = labels.filter { label in !labels.contains { $0 != label && $0.contains(label) } }
        // One label alone: only the bar's buttons (打印, 关闭 …), never words such as 时间 that content uses.
        if distinct.count >= 2 || (compact.count <= 8 && buttons.contains { compact.contains($0) }) { return true }
        if footerMarks.contains(where: compact.contains), compact.count <= 120 { return true }
        return false
    }
}

enum HTMLEntities {
    static let named: [String: String] = [
        "nbsp": "\u{A0}", "amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "ldquo": "“", "rdquo": "”",
        "lsquo": "‘", "rsquo": "’", "mdash": "—", "ndash": "–", "hellip": "…", "middot": "·", "times": "×",
        "divide": "÷", "yen": "¥", "emsp": "\u{2003}", "ensp": "\u{2002}", "thinsp": "\u{2009}", "copy": "©",
        "reg": "®", "deg": "°", "plusmn": "±", "le": "≤", "ge": "≥", "ne": "≠", "laquo": "«", "raquo": "»",
        "bull": "•", "permil": "‰", "percnt": "%", "shy": "", "zwsp": "", "lsaquo": "‹", "rsaquo": "›",
    ]

    static func decode(_ text: String) -> String {
        guard text.containsByte(UInt8(ascii: "&")) else { return text }
        var out = ""
        var rest = Substring(text)
        while let amp = rest.firstIndex(of: "&") {
            out += rest[..<amp]
            let after = rest[rest.index(after: amp)...]
            let name = after.prefix { $0.isLetter || $0.isNumber || $0 == "#" }
            var consumed = after.startIndex
            var replacement: String?
            if name.hasPrefix("#") {
                let digits = name.dropFirst()
                let value = digits.first == "x" || digits.first == "X" ? UInt32(digits.dropFirst(), radix: 16) : UInt32(digits)
                if let value, let scalar = Unicode.Scalar(value), value != 0 { replacement = String(Character(scalar)) }
            } else if let known = named[String(name)] ?? named[name.lowercased()] {
                replacement = known
            }
            if let replacement {
                consumed = after.index(after.startIndex, offsetBy: name.count)
                if consumed < after.endIndex, after[consumed] == ";" { consumed = after.index(after: consumed) }
                out += replacement
                rest = after[consumed...]
            } else {
                out += "&"
                rest = after
            }
        }
        return out + rest
    }
}
