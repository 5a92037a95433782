import ChineseAnalysis
import Disclosure
import Xapian

/// Turns one parsed record into the Xapian document the schema describes.
struct RecordDocument {
    /// The record's stable id: the file name and the record's place in the file.
    static func id(fileName: String, ordinal: Int) -> String {
        "\(fileName):\(ordinal)"
    }

    static func make(record: Record, ordinal: Int, document: ParsedDocument, analyzer: Analyzer) -> (id: String, document: Xapian.Document) {
        let id = id(fileName: document.fileName, ordinal: ordinal)
        let info = document.info
        let doc = Xapian.Document()

        for term in analyzer.indexTerms(record.title + "\n" + record.text) {
            if let position = term.position {
                doc.addPosting(term.term, position: position)
            } else {
                doc.addTerm(term.term)
            }
        }

        doc.addBooleanTerm(Schema.term(Schema.Prefix.uniqueID, id))
        doc.addBooleanTerm(Schema.term(Schema.Prefix.file, document.fileName))
        doc.addBooleanTerm(Schema.term(Schema.Prefix.type, record.type.rawValue))
        doc.setValue(Schema.Slot.type, record.type.rawValue)
        if let district = info.district {
            doc.addBooleanTerm(Schema.term(Schema.Prefix.district, district))
            doc.setValue(Schema.Slot.district, district)
        }
        if let year = info.year {
            doc.addBooleanTerm(Schema.term(Schema.Prefix.year, String(year)))
            doc.setValue(Schema.Slot.year, String(year))
        }
        if let kind = info.kind {
            doc.addBooleanTerm(Schema.term(Schema.Prefix.kind, kind.rawValue))
            doc.setValue(Schema.Slot.kind, kind.rawValue)
        }
        if let department = info.department {
            doc.addBooleanTerm(Schema.term(Schema.Prefix.department, department))
            doc.setValue(Schema.Slot.department, department)
        }
        for code in record.codes {
            for level in Schema.codeLevels(code) {
                doc.addBooleanTerm(Schema.term(Schema.Prefix.code, level))
            }
        }
        if let function = record.codes.first(where: { $0.scheme == .function }) {
            let levels = Schema.functionCodeLevels(function.code)
            let slots = [Schema.Slot.functionClass, Schema.Slot.functionSection, Schema.Slot.functionItem]
            for (slot, level) in zip(slots, levels) { doc.setValue(slot, level) }
        }
        if let amount = record.primaryAmount {
            doc.setValue(Schema.Slot.amount, bytes: SortableSerialiser.serialise(amount.wanYuan))
        }
        let projectCode = record.projectCode.map(Schema.normalizedProjectCode)
        if let projectCode {
            doc.addBooleanTerm(Schema.term(Schema.Prefix.project, projectCode))
        }
        if let name = record.projectName {
            doc.addBooleanTerm(Schema.term(Schema.Prefix.project, name))
        }
        if let projectKey = projectCode ?? record.projectName {
            // The facet shows the name beside the code: `code\tname`.
            let name = projectCode != nil ? record.projectName.map { "\t" + $0 } ?? "" : ""
            doc.setValue(Schema.Slot.project, projectKey + name)
        }
        if let unit = record.indicator?.unit, !unit.isEmpty {
            doc.addBooleanTerm(Schema.term(Schema.Prefix.unit, unit))
        }

        doc.setData(StoredHit.encode(id: id, record: record, document: document) + "\n" + record.text)
        return (id, doc)
    }
}

/// The stored form of a hit: its JSON fields (without snippet) and the record's text, so the
/// searcher answers without parsing JSON.
enum StoredHit {
    static func encode(id: String, record: Record, document: ParsedDocument) -> String {
        let info = document.info
        var members: [(String, JSONValue)] = [
            ("id", .string(id)),
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
        var source: [(String, JSONValue)] = [
            ("file", .string(document.fileName)),
            ("line", .int(record.firstLine)),
            ("last_line", .int(record.lastLine)),
        ]
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
        add("project_code", record.projectCode.map { .string(Schema.normalizedProjectCode($0)) })
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
        return JSONValue.object(members).serialized()
    }

    /// Splits stored data into the hit's JSON object text and the record text.
    static func decode(_ data: String) -> (json: Substring, text: Substring) {
        guard let newline = data.firstIndex(of: "\n") else { return (data[...], "") }
        return (data[..<newline], data[data.index(after: newline)...])
    }
}
