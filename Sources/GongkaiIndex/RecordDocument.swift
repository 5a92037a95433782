import ChineseAnalysis
import Disclosure
import Xapian

/// One parsed record made ready for the index: its Xapian document and what the side store keeps
/// of it, both derived from the schema's field table.
struct IndexedRecord {
    var id: String
    var document: Xapian.Document
    /// The analyzer's terms for the record's text, with positions where they have one.
    var contentTerms: [IndexTerm]
    /// The fields' boolean terms, with their prefixes.
    var fieldTerms: [String]
    /// Per facet of `Schema.facets`, the record's value (nil for none).
    var facetValues: [String?]
    /// The primary amount in millionths of 万元.
    var amount: Int64?
}

/// Turns one parsed record into the Xapian document the schema describes.
enum RecordDocument {
    /// The record's stable id: the file name and the record's place in the file.
    static func id(fileName: String, ordinal: Int) -> String {
        "\(fileName):\(ordinal)"
    }

    static func make(record: Record, ordinal: Int, document: ParsedDocument, analyzer: Analyzer) -> IndexedRecord {
        let id = id(fileName: document.fileName, ordinal: ordinal)
        let fields = RecordFields(record: record, info: document.info)
        let doc = Xapian.Document()

        let contentTerms = analyzer.indexTerms(record.title + "\n" + record.text)
        for term in contentTerms {
            if let position = term.position {
                doc.addPosting(term.term, position: position)
            } else {
                doc.addTerm(term.term)
            }
        }
        doc.addBooleanTerm(Schema.term(Schema.Prefix.uniqueID, id))
        doc.addBooleanTerm(Schema.term(Schema.Prefix.file, document.fileName))

        var fieldTerms: [String] = []
        for field in Schema.fields {
            for value in field.terms(fields) {
                if let term = field.term(value) { fieldTerms.append(term) }
            }
        }
        for term in fieldTerms { doc.addBooleanTerm(term) }
        let facetValues = Schema.facets.map { $0.value(fields) }
        for (facet, value) in zip(Schema.facets, facetValues) {
            if let value { doc.setValue(facet.slot, value) }
        }
        let amount = record.primaryAmount?.wanYuan
        if let amount {
            doc.setValue(Schema.amountSlot, bytes: SortableSerialiser.serialise(amount))
        }
        doc.setData(StoredRecord.encode(id: id, record: record) + "\n" + record.text)
        return IndexedRecord(id: id, document: doc, contentTerms: contentTerms, fieldTerms: fieldTerms,
                             facetValues: facetValues, amount: amount.map(AmountSum.millionths(ofWanYuan:)))
    }
}

/// The document data of a record: one line of JSON holding the record's own fields, a newline, and
/// the record's text (what snippets are cut from). The document's fields (district, year, kind,
/// department, level) and the record's type are in value slots, so they are not repeated here.
/// Data is decoded field by field and checked, never spliced into answers: a database we did not
/// write may hold anything.
enum StoredRecord {
    static func encode(id: String, record: Record) -> String {
        var members: [(String, JSONValue)] = [("id", .string(id)), ("title", .string(record.title))]
        var source: [(String, JSONValue)] = [("line", .int(record.firstLine)), ("last_line", .int(record.lastLine))]
        if let page = record.page { source.append(("page", .int(page))) }
        members.append(("source", .object(source)))
        if !record.section.isEmpty { members.append(("section", .array(record.section.map(JSONValue.string)))) }
        if let table = record.table { members.append(("table", .string(table))) }
        if !record.codes.isEmpty {
            members.append(("codes", .array(record.codes.map { code in
                var fields: [(String, JSONValue)] = [("scheme", .string(code.scheme.rawValue)), ("code", .string(code.code))]
                if let name = code.name { fields.append(("name", .string(name))) }
                return .object(fields)
            })))
        }
        if !record.amounts.isEmpty {
            members.append(("amounts", .array(record.amounts.map { amount in
                var fields: [(String, JSONValue)] = [
                    ("label", .string(amount.label)), ("wan_yuan", .double(amount.wanYuan)),
                    ("printed", .string(amount.printed)), ("unit", .string(amount.unit)),
                ]
                if let flag = amount.flag { fields.append(("flag", .string(flag))) }
                return .object(fields)
            })))
        }
        if let name = record.projectName { members.append(("project_name", .string(name))) }
        if let code = record.projectCode { members.append(("project_code", .string(Schema.normalizedProjectCode(code)))) }
        if let indicator = record.indicator {
            let fields: [(String, String?)] = [
                ("level1", indicator.level1), ("level2", indicator.level2), ("level3", indicator.level3),
                ("op", indicator.op), ("value", indicator.value), ("unit", indicator.unit), ("direction", indicator.direction),
            ]
            members.append(("indicator", .object(fields.compactMap { key, value in value.map { (key, .string($0)) } })))
        }
        if !record.fields.isEmpty {
            members.append(("fields", .object(record.fields.keys.sorted().map { ($0, .string(record.fields[$0]!)) })))
        }
        return JSONValue.object(members).serialized()
    }

    struct DecodeError: Error, CustomStringConvertible {
        let description: String
    }

    /// The record id, the file name (from the id) and the record, of type `type`.
    static func decode(_ data: some Collection<UInt8>, type: RecordType) throws -> (id: String, fileName: String, record: Record) {
        let bytes = Array(data)
        let newline = bytes.firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count
        guard let json = try? JSONValue.parse(bytes[..<newline]), case .object = json else {
            throw DecodeError(description: "document data is not a Gongkai record")
        }
        guard let textBytes = UTF8Validation.string(bytes[min(newline + 1, bytes.count)...]) else {
            throw DecodeError(description: "record text is not UTF-8")
        }
        func string(_ key: String, in object: JSONValue = json) throws -> String? {
            switch object[key] {
            case nil, .null?: return nil
            case .string(let s)?: return s
            default: throw DecodeError(description: "\(key) is not a string")
            }
        }
        func int(_ key: String, in object: JSONValue) throws -> Int? {
            switch object[key] {
            case nil, .null?: return nil
            case let value?:
                guard let int = value.intValue else { throw DecodeError(description: "\(key) is not a whole number") }
                return int
            }
        }
        func array(_ key: String) throws -> [JSONValue] {
            switch json[key] {
            case nil, .null?: return []
            case .array(let items)?: return items
            default: throw DecodeError(description: "\(key) is not an array")
            }
        }
        guard let id = try string("id"), let colon = id.lastIndex(of: ":"), colon > id.startIndex else {
            throw DecodeError(description: "record has no id")
        }
        guard let source = json["source"], case .object = source, let line = try int("line", in: source) else {
            throw DecodeError(description: "record \(id) has no source line")
        }
        let codes = try array("codes").map { item -> ClassificationCode in
            guard let scheme = try string("scheme", in: item).flatMap(CodeScheme.init(rawValue:)),
                  let code = try string("code", in: item) else { throw DecodeError(description: "bad code in \(id)") }
            return ClassificationCode(scheme: scheme, code: code, name: try string("name", in: item))
        }
        let amounts = try array("amounts").map { item -> Amount in
            guard let label = try string("label", in: item), let printed = try string("printed", in: item),
                  let unit = try string("unit", in: item), let value = item["wan_yuan"], let wanYuan = value.doubleValue else {
                throw DecodeError(description: "bad amount in \(id)")
            }
            return Amount(label: label, wanYuan: wanYuan, printed: printed, unit: unit, flag: try string("flag", in: item))
        }
        var indicator: Indicator?
        if let object = json["indicator"], case .object = object {
            indicator = Indicator(level1: try string("level1", in: object), level2: try string("level2", in: object),
                                  level3: try string("level3", in: object), op: try string("op", in: object),
                                  value: try string("value", in: object), unit: try string("unit", in: object),
                                  direction: try string("direction", in: object))
        }
        var fields: [String: String] = [:]
        if case .object(let members)? = json["fields"] {
            for (key, value) in members {
                guard let text = value.stringValue else { throw DecodeError(description: "field \(key) of \(id) is not text") }
                fields[key] = text
            }
        }
        var record = Record(type: type, title: try string("title") ?? "", text: textBytes,
                            section: try array("section").compactMap(\.stringValue), table: try string("table"),
                            firstLine: line, lastLine: try int("last_line", in: source) ?? line, codes: codes,
                            amounts: amounts, projectName: try string("project_name"), projectCode: try string("project_code"),
                            indicator: indicator, fields: fields)
        record.page = try int("page", in: source)
        return (id, String(id[..<colon]), record)
    }
}
