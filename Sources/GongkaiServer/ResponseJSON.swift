import Disclosure
import GongkaiIndex

/// The protocol's JSON for typed search results. Every member is written from a decoded field,
/// so an answer is valid JSON whatever a database holds.
enum ResponseJSON {
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
        var source: [(String, JSONValue)] = [("file", .string(hit.fileName)), ("line", .int(record.firstLine)),
                                             ("last_line", .int(record.lastLine))]
        if let page = record.page { source.append(("page", .int(page))) }
        members.append(("source", .object(source)))
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
