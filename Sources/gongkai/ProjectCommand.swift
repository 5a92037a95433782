import ArgumentParser
import Foundation
import GongkaiIndex
import GongkaiServer

/// `gongkai project`: a project's timeline over the years.
struct ProjectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "project",
        abstract: "Print a project's timeline: its figure per year and kind, the change, budget against final, indicators.",
        discussion: """
            The project is named by its code (11010222T000000417336), by its name in any year's spelling \
            (西城区2023年度政府绩效管理项目 also finds 2024年度), or by a key as answers print it (code:… or name:…).
            """
    )

    @Option(help: "The daemon's socket. Default: $GONGKAI_SOCKET or /tmp/gongkai.sock")
    var socket: String = Defaults.socket

    @Option(help: "With a name: only the projects of this district (西城区 or 西城).")
    var district: String?

    @Flag(help: "Print the daemon's JSON response as it is.")
    var json = false

    @Flag(help: "Also list each year's indicators.")
    var indicators = false

    @Argument(help: "A project code, name or key.")
    var project: [String]

    func run() throws {
        let text = project.joined(separator: " ")
        var members: [(String, JSONValue)] = [("op", .string("project"))]
        if text.hasPrefix("code:") || text.hasPrefix("name:") {
            members.append(("key", .string(text)))
        } else if Catalog.looksLikeProjectCode(Schema.normalizedProjectCode(text)) {
            members.append(("code", .string(text)))
        } else {
            members.append(("name", .string(text)))
            if let district { members.append(("district", .string(district))) }
        }
        let response = try DaemonRequest.send(.object(members), socket: socket, command: "project", json: json)
        guard let response else { return }
        print(TimelineFormatter(response: response, indicators: indicators).text)
    }
}

/// `gongkai similar`: projects like the one of a hit.
struct SimilarCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "similar",
        abstract: "Print projects in other districts and years whose names and indicators resemble those of a hit's project."
    )

    @Option(help: "The daemon's socket. Default: $GONGKAI_SOCKET or /tmp/gongkai.sock")
    var socket: String = Defaults.socket

    @Option(help: "Projects to show (at most 100).")
    var limit = 10

    @Flag(help: "Print the daemon's JSON response as it is.")
    var json = false

    @Argument(help: "A hit's id, as search prints it (001_1a6cbd115fe7ae86.txt:283).")
    var id: String

    func run() throws {
        let request = JSONValue.object([("op", .string("similar")), ("hit", .string(id)), ("limit", .int(limit))])
        guard let response = try DaemonRequest.send(request, socket: socket, command: "similar", json: json) else { return }
        var out = ""
        let source = response["source"]
        out += "projects like \(source?["title"]?.stringValue ?? id)"
        out += " (\([source?["district"]?.stringValue, source?["year"]?.intValue.map(String.init)].compactMap { $0 }.joined(separator: " ")))\n"
        if case .array(let terms)? = response["terms"] {
            out += "by the words: " + terms.compactMap { $0["term"]?.stringValue }.joined(separator: " ") + "\n"
        }
        if case .array(let hits)? = response["similar"] {
            if hits.isEmpty { out += "\nnone found\n" }
            for (i, hit) in hits.enumerated() {
                let place = [hit["district"]?.stringValue, hit["year"]?.intValue.map(String.init), hit["kind"]?.stringValue]
                    .compactMap { $0 }.joined(separator: " ")
                let amount = hit["amount"]?["value"].map { "  \($0.serialized()) 万元" } ?? ""
                out += "\n\(i + 1). \(hit["title"]?.stringValue ?? "")\(amount)\n"
                out += "   \(place)  \(hit["department"]?.stringValue ?? "")  \(hit["source"]?["file"]?.stringValue ?? "?"):\(hit["source"]?["line"]?.intValue.map(String.init) ?? "?")\n"
                out += "   id \(hit["id"]?.stringValue ?? "")  key \(hit["project_key"]?.stringValue ?? "-")\n"
            }
        }
        print(out, terminator: "")
    }
}

/// A timeline answer as a table.
struct TimelineFormatter {
    let response: JSONValue
    let indicators: Bool

    var text: String {
        let project = response["project"]
        var out = "\(project?["name"]?.stringValue ?? "?")\n"
        out += "  key \(project?["key"]?.stringValue ?? "?")"
        if let code = project?["code"]?.stringValue { out += "  code \(code)" }
        out += "\n  \([project?["district"]?.stringValue, project?["department"]?.stringValue].compactMap { $0 }.joined(separator: "  "))\n"
        if case .array(let names)? = project?["names"] { out += "  also printed as: " + names.compactMap(\.stringValue).joined(separator: "；") + "\n" }
        out += "\n"
        var rows = [["year", "kind", "万元", "change 万元", "change %", "执行率", "by", "source"]]
        guard case .array(let entries)? = response["timeline"] else { return out }
        for entry in entries {
            let change = entry["change"]
            let execution = entry["execution"]
            var rate = ""
            if let percent = execution?["rate_percent"], percent != .null {
                rate = percent.serialized() + "%"
                if execution?["budget_from"]?.stringValue == "final" { rate += " (own 全年预算数)" }
            }
            if let printed = execution?["printed_rate"]?.stringValue { rate += rate.isEmpty ? "printed \(printed)" : ", printed \(printed)" }
            let source = entry["source"]
            rows.append([
                entry["year"]?.intValue.map(String.init) ?? "?",
                entry["kind"]?.stringValue ?? "?",
                entry["amount"]?["value"]?.serialized() ?? "",
                change.map { signed($0["wan_yuan"]) } ?? "",
                change.map { $0["percent"].map { $0 == .null ? "" : signed($0) + "%" } ?? "" } ?? "",
                rate,
                entry["by"]?.stringValue ?? "",
                "\(source?["file"]?.stringValue ?? "?"):\(source?["line"]?.intValue.map(String.init) ?? "?")",
            ])
        }
        out += Table.render(rows)
        if indicators {
            for entry in entries {
                guard case .array(let list)? = entry["indicators"], !list.isEmpty else { continue }
                out += "\n\(entry["year"]?.intValue.map(String.init) ?? "?") \(entry["kind"]?.stringValue ?? "") indicators:\n"
                for indicator in list {
                    let target = [indicator["op"]?.stringValue, indicator["value"]?.stringValue, indicator["unit"]?.stringValue]
                        .compactMap { $0 }.joined(separator: " ")
                    out += "  \(indicator["title"]?.stringValue ?? "")  \(target)\n"
                }
            }
        }
        if case .array(let others)? = response["alternatives"], !others.isEmpty {
            out += "\nother projects of that name:\n"
            for other in others {
                out += "  \(other["name"]?.stringValue ?? "")  \(other["district"]?.stringValue ?? "")  \(other["department"]?.stringValue ?? "")  key \(other["key"]?.stringValue ?? "")\n"
            }
        }
        return out
    }

    private func signed(_ value: JSONValue?) -> String {
        guard let value, let number = value.doubleValue else { return "" }
        return (number > 0 ? "+" : "") + value.serialized()
    }
}

/// Columns padded to their widths (a Han character counts two).
enum Table {
    static func render(_ rows: [[String]]) -> String {
        func width(_ text: String) -> Int { text.unicodeScalars.reduce(0) { $0 + ($1.value >= 0x1100 ? 2 : 1) } }
        let columns = rows.map(\.count).max() ?? 0
        let widths = (0..<columns).map { c in rows.map { c < $0.count ? width($0[c]) : 0 }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { c, cell in
                c == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[c] - width(cell) + 2)
            }.joined()
        }.joined(separator: "\n") + "\n"
    }
}
