import ArgumentParser
import Foundation
import GongkaiIndex
import GongkaiServer

/// `gongkai search`: ask the daemon and print the answer.
struct SearchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "Search the daemon's index and print hits and facet counts.",
        discussion: """
            The query language: words, "phrases", AND, OR, NOT, -word, brackets, and filters such as \
            district:西城 year:2021..2023 kind:budget type:project code:201 amount:100..500 project:<code or name>.
            """
    )

    @Option(help: "The daemon's socket. Default: $GONGKAI_SOCKET or /tmp/gongkai.sock")
    var socket: String = Defaults.socket

    @Flag(help: "Print the daemon's JSON response as it is.")
    var json = false

    @Option(help: "Only this district (西城区 or 西城); repeat for several.")
    var district: [String] = []

    @Option(help: "Only this year or range (2023, 2021..2023); repeat for several.")
    var year: [String] = []

    @Option(help: "Only records under this classification code (201, 20103, 2010301, 30227).")
    var code: [String] = []

    @Option(help: "Only this record type: passage, line_item, project, indicator.")
    var type: [String] = []

    @Option(help: "Only budget or final.")
    var kind: [String] = []

    @Option(help: "Facets to count.")
    var facet: [String] = ["district", "year", "kind", "type"]

    @Flag(help: "Add up the matches' amounts (万元): in total and per facet value.")
    var sum = false

    @Option(help: "Sort: relevance, amount, -amount, year, -year.")
    var sort: String = "relevance"

    @Option(help: "Hits to skip.")
    var offset = 0

    @Option(help: "Hits to show.")
    var limit = 10

    @Option(help: ArgumentHelp("Write every match (not only a page) to standard output as csv or jsonl, with its source file and line.",
                               valueName: "format"))
    var export: ExportFormat?

    @Flag(help: "With --export csv: start with a UTF-8 byte order mark, so that Excel reads the Chinese text.")
    var excel = false

    @Argument(help: "The query.")
    var query: [String] = []

    func validate() throws {
        if excel && export != .csv { throw ValidationError("--excel goes with --export csv") }
    }

    func run() throws {
        var filters: [(String, JSONValue)] = []
        for (name, values) in [("district", district), ("year", year), ("code", code), ("type", type), ("kind", kind)] where !values.isEmpty {
            filters.append((name, .array(values.map(JSONValue.string))))
        }
        if let export {
            let request = JSONValue.object([("op", .string("export")), ("q", .string(query.joined(separator: " "))),
                                            ("filters", .object(filters)), ("sort", .string(sort))])
            return try Exporter(socket: socket, format: export, excel: excel).run(request)
        }
        var members: [(String, JSONValue)] = [
            ("op", .string("search")),
            ("q", .string(query.joined(separator: " "))),
            ("filters", .object(filters)),
            ("facets", .array(facet.map(JSONValue.string))),
            ("sort", .string(sort)),
            ("offset", .int(offset)),
            ("limit", .int(limit)),
        ]
        if sum { members.append(("sum", .string("amount"))) }
        guard let response = try DaemonRequest.send(.object(members), socket: socket, command: "search", json: json) else { return }
        print(ResultFormatter(response: response, offset: offset, highlight: isatty(STDOUT_FILENO) != 0).text)
    }
}

/// The human-readable form of a search response.
struct ResultFormatter {
    let response: JSONValue
    /// Hits skipped before the first one shown: hits are numbered from it.
    let offset: Int
    let highlight: Bool

    var text: String {
        var out = ""
        let total = response["total"]?.intValue ?? 0
        let estimated = response["total_estimated"] == .bool(true)
        out += "\(estimated ? "about " : "")\(total) hits"
        if let sum = response["sum"] { out += ", amounts adding up to \(sum.serialized()) 万元" }
        out += "\n"
        if case .array(let hits)? = response["hits"] {
            for (i, hit) in hits.enumerated() {
                let where_ = [hit["district"]?.stringValue, hit["year"]?.intValue.map(String.init), hit["kind"]?.stringValue]
                    .compactMap { $0 }.joined(separator: " ")
                let file = hit["source"]?["file"]?.stringValue ?? "?"
                let line = hit["source"]?["line"]?.intValue.map(String.init) ?? "?"
                var amount = ""
                if let value = hit["amount"]?["value"] {
                    amount = "  \(value.serialized()) 万元"
                }
                out += "\n\(offset + i + 1). [\(hit["type"]?.stringValue ?? "?")] \(hit["title"]?.stringValue ?? "")\(amount)\n"
                out += "   \(where_)  \(hit["department"]?.stringValue ?? "")  \(file):\(line)\n"
                if let code = hit["project_code"]?.stringValue { out += "   project code \(code)\n" }
                if let snippet = hit["snippet"]?.stringValue, !snippet.isEmpty {
                    out += "   " + render(snippet) + "\n"
                }
            }
        }
        if case .object(let facets)? = response["facets"] {
            out += "\nfacets:\n"
            for (name, values) in facets {
                guard case .array(let entries) = values else { continue }
                let listed = entries.map { entry -> String in
                    let value = entry["value"].map { $0.stringValue ?? $0.serialized() } ?? "?"
                    let name = entry["name"]?.stringValue.map { " " + $0 } ?? ""
                    let sum = entry["sum"].map { ", \($0.serialized()) 万元" } ?? ""
                    return "\(value)\(name) (\(entry["count"]?.intValue ?? 0)\(sum))"
                }
                out += "  \(name): " + listed.joined(separator: ", ") + "\n"
            }
        }
        return out
    }

    /// `<b>…</b>` as bold on a terminal, as 【…】 otherwise.
    private func render(_ snippet: String) -> String {
        snippet.replacingOccurrences(of: "<b>", with: highlight ? "\u{1B}[1m" : "【")
            .replacingOccurrences(of: "</b>", with: highlight ? "\u{1B}[0m" : "】")
    }
}
