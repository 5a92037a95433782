import Disclosure
import Foundation

/// Turns a field and its typed value into the query it filters by, following the field's
/// `FilterSyntax` in the schema. Values of one field separated by `|` are alternatives.
struct FilterResolver {
    let catalog: Catalog

    func query(_ name: FieldName, _ raw: String) throws -> MatchQuery {
        let field = Schema.field(name)
        let values = raw.split(separator: "|").map { String($0).trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !values.isEmpty else { throw QueryError("field \(name.rawValue): has no value") }
        if let range = field.range, field.filter == .amountRange || values.contains(where: { $0.contains("..") }) {
            guard values.count == 1 else { throw QueryError("\(name.rawValue): takes one range") }
            return try rangeQuery(name, range, values[0])
        }
        var terms: [String] = []
        for value in values {
            terms += try self.values(field, value).compactMap(field.term)
        }
        return MatchQuery.anyTerm(terms)
    }

    /// The field's term values for one typed value.
    private func values(_ field: IndexField, _ value: String) throws -> [String] {
        switch field.filter {
        case .district:
            if let district = DocumentInfoInference.canonicalDistrict(value) { return [district] }
            // Other cities' districts are known by the names the index holds.
            let known = catalog.districts.filter { $0 == value || $0.dropLast() == Substring(value) }
            guard !known.isEmpty else {
                throw QueryError("unknown district '\(value)'; districts are " + (DocumentInfoInference.districts + catalog.districts).distinctInOrder.joined(separator: " "))
            }
            return known
        case .year:
            guard let year = Int(value), (1900...2999).contains(year) else {
                throw QueryError("year must be a year like 2023 or a range like 2021..2023, not '\(value)'")
            }
            return [String(year)]
        case .kind:
            let kinds = ["budget": "budget", "预算": "budget", "final": "final", "决算": "final"]
            guard let kind = kinds[value.lowercased()] else { throw QueryError("kind must be budget or final, not '\(value)'") }
            return [kind]
        case .type:
            let normalized = value.lowercased().replacingOccurrences(of: "-", with: "_")
            let type = normalized == "lineitem" ? "line_item" : normalized
            guard RecordType(rawValue: type) != nil else {
                throw QueryError("type must be one of " + RecordType.allCases.map(\.rawValue).joined(separator: ", ") + ", not '\(value)'")
            }
            return [type]
        case .level:
            let levels = ["municipal": "municipal", "市级": "municipal", "市": "municipal", "district": "district", "区级": "district", "区": "district"]
            guard let level = levels[value.lowercased()] else { throw QueryError("level must be municipal or district, not '\(value)'") }
            return [level]
        case .departmentContaining:
            return catalog.departments(matching: value)
        case .projectCodeOrName:
            let code = Schema.normalizedProjectCode(value)
            if Catalog.looksLikeProjectCode(code) { return [code] }
            return catalog.projectNames(matching: value)
        case .codeHierarchy:
            let digits = String(value.prefix { $0.isASCII && $0.isNumber })
            guard [3, 5, 7].contains(digits.count), digits.count == value.count || value.dropFirst(digits.count).first == "-" else {
                throw QueryError("code must be a classification code of 3, 5 or 7 digits (201, 20103, 2010301, 30227), not '\(value)'")
            }
            return [digits]
        case .exactValue:
            return [value]
        case .amountRange:
            throw QueryError("amount takes a range such as 100..500")
        }
    }

    private func rangeQuery(_ name: FieldName, _ slot: RangeSlot, _ value: String) throws -> MatchQuery {
        let bounds = value.components(separatedBy: "..")
        guard bounds.count <= 2 else { throw QueryError("\(name.rawValue): '\(value)' is not a range like 100..500") }
        let lowText = bounds[0]
        let highText = bounds.count == 2 ? bounds[1] : bounds[0]
        switch slot {
        case .year:
            func year(_ text: String) throws -> Int? {
                if text.isEmpty { return nil }
                guard let y = Int(text), (1900...2999).contains(y) else {
                    throw QueryError("year must be a year like 2023 or a range like 2021..2023, not '\(value)'")
                }
                return y
            }
            let low = try year(lowText), high = try year(highText)
            guard low != nil || high != nil else { throw QueryError("year range '\(value)' has no bounds") }
            if let low, let high, low > high {
                throw QueryError("year range '\(value)' is reversed; write \(high)..\(low)")
            }
            return .range(.year(low: low, high: high))
        case .amount:
            let low = try AmountParser.wanYuan(lowText, in: value)
            let high = try AmountParser.wanYuan(highText, in: value)
            guard low != nil || high != nil else { throw QueryError("amount range '\(value)' has no bounds") }
            if let low, let high, low > high {
                throw QueryError("amount range '\(value)' is reversed; the smaller bound comes first")
            }
            return .range(.amount(low: low.map(AmountSum.millionths(ofWanYuan:)), high: high.map(AmountSum.millionths(ofWanYuan:))))
        }
    }
}

extension FilterSyntax: Equatable {}

extension MatchQuery {
    /// Any of these terms; nothing for none (a department or project name nothing contains).
    static func anyTerm(_ terms: [String]) -> MatchQuery {
        switch terms.count {
        case 0: return .nothing
        case 1: return .term(terms[0])
        default: return .or(terms.map(MatchQuery.term))
        }
    }
}

/// Amounts typed in queries: 万元 by default, or with a unit (`1000000元`, `2亿元`, `300万`).
enum AmountParser {
    static func wanYuan(_ text: String, in whole: String) throws -> Double? {
        var number = text.trimmingCharacters(in: .whitespaces)
        if number.isEmpty { return nil }
        var factor = 1.0
        for (suffix, f) in [("万元", 1.0), ("亿元", 10_000.0), ("元", 0.0001), ("万", 1.0), ("亿", 10_000.0)] where number.hasSuffix(suffix) {
            number.removeLast(suffix.count)
            factor = f
            break
        }
        number = number.replacingOccurrences(of: ",", with: "")
        guard let value = Double(number), value.isFinite, abs(value * factor) < 9e12 else {
            throw QueryError("amount must be a number in 万元 or with a unit (1000000元), not '\(whole)'")
        }
        return value * factor
    }
}
