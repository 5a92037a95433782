import Disclosure
import GongkaiIndex

/// The protocol's JSON for typed search results. Every member is written from a decoded field,
/// so an answer is valid JSON whatever a database holds.
public enum ResponseJSON {
    static func hit(_ hit: SearchHit) -> JSONValue {
        let record = hit.record
        let info = hit.info
        var members: [(String, JSONValue)] = [
            ("id", .string(hit.id)),
            ("type", .string(record.type.rawValue)),
            ("title", .string(record.title)),
        ]
        func add(_ key: String, _ value: JSONValue?) {
            if let value { members.append((key, value)) }
        }
        add("district", info.district.map(JSONValue.string))
        add("year", info.year.map(JSONValue.int))
        add("kind", info.kind.map { .string($0.rawValue) })
        add("department", info.department.map(JSONValue.string))
        add("level", info.level.map { .string($0.rawValue) })
        add("city", info.city.map(JSONValue.string))
        members.append(("source", source(hit)))
        if !record.section.isEmpty { add("section", .array(record.section.map(JSONValue.string))) }
        add("table", record.table.map(JSONValue.string))
        if !record.codes.isEmpty {
            add("codes", .array(record.codes.map { code in
                var fields: [(String, JSONValue)] = [("scheme", .string(code.scheme.rawValue)), ("code", .string(code.code))]
                if let name = code.name { fields.append(("name", .string(name))) }
                return .object(fields)
            }))
        }
        if let amount = record.primaryAmount {
            add("amount", .object([("value", .double(amount.wanYuan)), ("unit", .string("万元"))]))
        }
        if !record.amounts.isEmpty {
            add("amounts", .array(record.amounts.map { amount in
                var fields: [(String, JSONValue)] = [
                    ("label", .string(amount.label)), ("wan_yuan", .double(amount.wanYuan)),
                    ("printed", .string(amount.printed)), ("unit", .string(amount.unit)),
                ]
                if let flag = amount.flag { fields.append(("flag", .string(flag))) }
                return .object(fields)
            }))
        }
        add("project_name", record.projectName.map(JSONValue.string))
        add("project_code", record.projectCode.map(JSONValue.string))
        if let key = record.projectKey {
            members.append(("project_key", .string(key.rawValue)))
            members.append(("project_by", .string(key.basis.rawValue)))
        }
        if let indicator = record.indicator {
            let fields: [(String, String?)] = [
                ("level1", indicator.level1), ("level2", indicator.level2), ("level3", indicator.level3),
                ("op", indicator.op), ("value", indicator.value), ("unit", indicator.unit),
                ("direction", indicator.direction),
            ]
            add("indicator", .object(fields.compactMap { key, value in value.map { (key, .string($0)) } }))
        }
        if !record.fields.isEmpty {
            add("fields", .object(record.fields.keys.sorted().map { ($0, .string(record.fields[$0]!)) }))
        }
        members.append(("snippet", .string(hit.snippet)))
        if let weight = hit.weight { members.append(("weight", .double((weight * 1000).rounded() / 1000))) }
        return .object(members)
    }

    /// Where a record is printed: its file, first and last line, and page for paged sources.
    static func source(_ hit: SearchHit) -> JSONValue {
        var source: [(String, JSONValue)] = [("file", .string(hit.fileName)), ("line", .int(hit.record.firstLine)),
                                             ("last_line", .int(hit.record.lastLine))]
        if let page = hit.record.page { source.append(("page", .int(page))) }
        return .object(source)
    }

    static func facetValue(_ value: FacetValue) -> JSONValue {
        var members: [(String, JSONValue)] = [("value", value.isNumber ? (Int(value.value).map(JSONValue.int) ?? .string(value.value)) : .string(value.value))]
        if let name = value.name { members.append(("name", .string(name))) }
        members.append(("count", .int(value.count)))
        if let sum = value.sum { members.append(("sum", amount(sum))) }
        return .object(members)
    }

    /// An exact sum in 万元, as a JSON number.
    static func amount(_ sum: AmountSum) -> JSONValue {
        JSONValue.decimal(exactly: sum.decimalText) ?? .double(sum.wanYuan)
    }

    static func explanation(_ explanation: Explanation) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("parsed", .string(explanation.parsed)),
            ("query", .string(explanation.compiled)),
            ("engine", .string(explanation.engine)),
        ]
        if !explanation.expansions.isEmpty {
            members.append(("expansions", .object(explanation.expansions.map { ($0.word, .array($0.alternatives.map(JSONValue.string))) })))
        }
        return .object(members)
    }

    /// The members of a search answer after `ok` (and before `took_ms`).
    static func search(_ response: SearchResponse) -> [(String, JSONValue)] {
        var members: [(String, JSONValue)] = [("total", .int(response.total))]
        if !response.totalExact { members.append(("total_estimated", .bool(true))) }
        // Facets count only the matches looked at; say so when the time limit cut that short.
        if !response.facetsExact && !response.facets.isEmpty { members.append(("facets_estimated", .bool(true))) }
        if let sum = response.sum { members.append(("sum", amount(sum))) }
        members.append(("hits", .array(response.hits.map(hit))))
        if !response.facets.isEmpty {
            members.append(("facets", .object(response.facets.map { ($0.name, .array($0.values.map(facetValue))) })))
        }
        if let explanation = response.explanation { members.append(("explain", Self.explanation(explanation))) }
        if !response.warnings.isEmpty { members.append(("warnings", .array(response.warnings.map(JSONValue.string)))) }
        members.append(("revision", .int(Int(clamping: response.revision))))
        if response.cached { members.append(("cached", .bool(true))) }
        return members
    }
}

/// The JSON of project timelines, similar projects and export rows.
extension ResponseJSON {
    /// A figure in 万元 as printed, exactly (`{"value": 270.8, "unit": "万元"}`).
    static func wanYuan(_ value: Double) -> JSONValue {
        .object([("value", amount(AmountSum(millionths: AmountSum.millionths(ofWanYuan: value)))), ("unit", .string("万元"))])
    }

    static func rounded(_ value: Double, decimals: Double = 100) -> JSONValue {
        .double((value * decimals).rounded() / decimals)
    }

    static func project(_ project: ProjectSummary) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("key", .string(project.key.rawValue)), ("by", .string(project.key.basis.rawValue)),
            ("code", project.code.map(JSONValue.string) ?? .null), ("name", .string(project.name)),
        ]
        if project.names.count > 1 { members.append(("names", .array(project.names.map(JSONValue.string)))) }
        members.append(("district", project.district.map(JSONValue.string) ?? .null))
        members.append(("department", project.department.map(JSONValue.string) ?? .null))
        members.append(("years", .array(project.years.map(JSONValue.int))))
        return .object(members)
    }

    static func indicator(_ hit: SearchHit) -> JSONValue {
        var members: [(String, JSONValue)] = [("id", .string(hit.id)), ("title", .string(hit.record.title))]
        if let indicator = hit.record.indicator {
            let fields: [(String, String?)] = [
                ("level1", indicator.level1), ("level2", indicator.level2), ("level3", indicator.level3),
                ("op", indicator.op), ("value", indicator.value), ("unit", indicator.unit),
            ]
            members += fields.compactMap { key, value in value.map { (key, .string($0)) } }
        }
        if let actual = hit.record.fields["actual"] { members.append(("actual", .string(actual))) }
        members.append(("source", source(hit)))
        return .object(members)
    }

    static func entry(_ entry: TimelineEntry) -> JSONValue {
        let hit = entry.hit
        var members: [(String, JSONValue)] = [
            ("year", hit.info.year.map(JSONValue.int) ?? .null),
            ("kind", hit.info.kind.map { .string($0.rawValue) } ?? .null),
        ]
        if let amount = entry.amount {
            guard case .object(var figure) = wanYuan(amount.wanYuan) else { preconditionFailure() }
            figure.append(("label", .string(amount.label)))
            members.append(("amount", .object(figure)))
        } else {
            members.append(("amount", .null))
        }
        members.append(("department", hit.info.department.map(JSONValue.string) ?? .null))
        members.append(("by", .string(entry.by.rawValue)))
        members.append(("name", .string(hit.record.projectName ?? hit.record.title)))
        members.append(("id", .string(hit.id)))
        members.append(("source", source(hit)))
        if let change = entry.change {
            members.append(("change", .object([
                ("from_year", .int(change.fromYear)),
                ("wan_yuan", amount(change.difference)),
                ("percent", change.percent.map { rounded($0) } ?? .null),
            ])))
        }
        if let execution = entry.execution {
            members.append(("execution", .object([
                ("budget", wanYuan(execution.budget)),
                ("budget_from", .string(execution.budgetSource.rawValue)),
                ("final", wanYuan(execution.spent)),
                ("rate_percent", execution.ratePercent.map { rounded($0) } ?? .null),
                ("printed_rate", execution.printedRate.map(JSONValue.string) ?? .null),
            ])))
        }
        members.append(("indicators", .array(entry.indicators.map(indicator))))
        if !entry.others.isEmpty {
            members.append(("also", .array(entry.others.map { other in
                .object([("id", .string(other.id)),
                         ("amount", ProjectTimeline.figure(of: other.record, kind: other.info.kind).map { wanYuan($0.wanYuan) } ?? .null),
                         ("department", other.info.department.map(JSONValue.string) ?? .null), ("source", source(other))])
            })))
        }
        return .object(members)
    }

    /// The members of a timeline answer after `ok`.
    static func timeline(_ timeline: ProjectTimeline) -> [(String, JSONValue)] {
        var members: [(String, JSONValue)] = [
            ("project", project(timeline.project)),
            ("timeline", .array(timeline.entries.map(entry))),
        ]
        if !timeline.alternatives.isEmpty { members.append(("alternatives", .array(timeline.alternatives.map(project)))) }
        if !timeline.warnings.isEmpty { members.append(("warnings", .array(timeline.warnings.map(JSONValue.string)))) }
        members.append(("revision", .int(Int(clamping: timeline.revision))))
        return members
    }

    /// The members of a similar-projects answer after `ok`.
    static func similar(_ answer: SimilarProjects) -> [(String, JSONValue)] {
        let source = answer.source
        var members: [(String, JSONValue)] = [
            ("source", .object([
                ("id", .string(source.id)), ("title", .string(source.record.title)),
                ("project_key", source.record.projectKey.map { .string($0.rawValue) } ?? .null),
                ("district", source.info.district.map(JSONValue.string) ?? .null),
                ("year", source.info.year.map(JSONValue.int) ?? .null),
            ])),
            ("terms", .array(answer.terms.map { .object([("term", .string($0.term)), ("weight", rounded($0.weight, decimals: 1000))]) })),
            ("similar", .array(answer.similar.map(hit))),
        ]
        if !answer.warnings.isEmpty { members.append(("warnings", .array(answer.warnings.map(JSONValue.string)))) }
        members.append(("revision", .int(Int(clamping: answer.revision))))
        return members
    }

    /// One exported match: the columns of `ExportRow.columns`, typed (numbers as numbers, codes as
    /// an array, nothing as null).
    static func exportRow(_ row: ExportRow) -> JSONValue {
        func text(_ value: String?) -> JSONValue { value.map(JSONValue.string) ?? .null }
        return .object([
            ("id", .string(row.id)), ("type", .string(row.type)), ("title", .string(row.title)),
            ("district", text(row.district)), ("year", row.year.map(JSONValue.int) ?? .null), ("kind", text(row.kind)),
            ("department", text(row.department)), ("project_code", text(row.projectCode)), ("project_key", text(row.projectKey)),
            ("codes", .array(row.codes.map(JSONValue.string))),
            ("amount_wan", row.amountWan.flatMap(JSONValue.decimal(exactly:)) ?? .null),
            ("file", .string(row.file)), ("line", .int(row.line)), ("page", row.page.map(JSONValue.int) ?? .null),
        ])
    }

    /// An export row as `exportRow` writes it, read back (by clients writing CSV); nil when the
    /// object is not one.
    public static func exportRow(from json: JSONValue) -> ExportRow? {
        func text(_ key: String) -> String?? {
            switch json[key] {
            case .string(let s)?: return .some(s)
            case .null?, nil: return .some(nil)
            default: return nil
            }
        }
        func number(_ key: String) -> Int?? {
            switch json[key] {
            case .null?, nil: return .some(nil)
            case let value?: return value.intValue.map { .some($0) } ?? nil
            }
        }
        guard case .string(let id)? = json["id"], case .string(let type)? = json["type"], case .string(let title)? = json["title"],
              case .string(let file)? = json["file"], let line = json["line"]?.intValue,
              let district = text("district"), let kind = text("kind"), let department = text("department"),
              let projectCode = text("project_code"), let projectKey = text("project_key"),
              let year = number("year"), let page = number("page") else { return nil }
        var codes: [String] = []
        if case .array(let items)? = json["codes"] { codes = items.compactMap(\.stringValue) }
        var amount: String?
        switch json["amount_wan"] {
        case .decimal(let text)?: amount = text
        case .int(let value)?: amount = String(value)
        case .double(let value)?: amount = AmountSum(millionths: AmountSum.millionths(ofWanYuan: value)).decimalText
        default: amount = nil
        }
        return ExportRow(id: id, type: type, title: title, district: district, year: year, kind: kind, department: department,
                         projectCode: projectCode, projectKey: projectKey, codes: codes, amountWan: amount, file: file,
                         line: line, page: page)
    }
}
