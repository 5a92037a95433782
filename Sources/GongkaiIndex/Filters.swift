import Disclosure
import Xapian

/// The fields a query can filter on, as typed in `field:value` and as keys of `filters`.
public enum FilterField: String, Sendable, CaseIterable {
    case district, year, kind, type, department, project, code, amount, unit

    public static func named(_ name: String) throws -> FilterField {
        guard let field = FilterField(rawValue: name.lowercased()) else {
            throw QueryError("unknown field '\(name)'; fields are " + allCases.map(\.rawValue).joined(separator: ", "))
        }
        return field
    }
}

/// A filter's meaning, independent of Xapian: which terms or which value range it accepts.
enum FilterCondition: Equatable {
    /// Any of these boolean terms.
    case anyTerm([String])
    /// A value slot within bounds (serialised), nil bounds open.
    case valueRange(slot: UInt32, low: [UInt8]?, high: [UInt8]?)
    /// Matches nothing (a department or project name nothing contains).
    case nothing
}

/// Turns a field and its typed value into a condition. Values of one field separated by `|`
/// are alternatives.
struct FilterResolver {
    let catalog: Catalog

    func condition(_ field: FilterField, _ raw: String) throws -> FilterCondition {
        let values = raw.split(separator: "|").map { String($0).trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !values.isEmpty else { throw QueryError("field \(field.rawValue): has no value") }
        if field == .amount || (field == .year && values.count == 1 && values[0].contains("..")) {
            guard values.count == 1 else { throw QueryError("\(field.rawValue): takes one range") }
            return try range(field, values[0])
        }
        var terms: [String] = []
        for value in values {
            terms += try self.terms(field, value)
        }
        return terms.isEmpty ? .nothing : .anyTerm(terms)
    }

    private func terms(_ field: FilterField, _ value: String) throws -> [String] {
        switch field {
        case .district:
            guard let district = DocumentInfoInference.canonicalDistrict(value) else {
                throw QueryError("unknown district '\(value)'; districts are " + DocumentInfoInference.districts.joined(separator: " "))
            }
            return [Schema.term(Schema.Prefix.district, district)]
        case .year:
            guard let year = Int(value), (1900...2999).contains(year) else {
                throw QueryError("year must be a year like 2023 or a range like 2021..2023, not '\(value)'")
            }
            return [Schema.term(Schema.Prefix.year, String(year))]
        case .kind:
            let kinds = ["budget": "budget", "预算": "budget", "final": "final", "决算": "final"]
            guard let kind = kinds[value.lowercased()] else {
                throw QueryError("kind must be budget or final, not '\(value)'")
            }
            return [Schema.term(Schema.Prefix.kind, kind)]
        case .type:
            let normalized = value.lowercased().replacingOccurrences(of: "-", with: "_")
            let type = normalized == "lineitem" ? "line_item" : normalized
            guard RecordType(rawValue: type) != nil else {
                throw QueryError("type must be one of " + RecordType.allCases.map(\.rawValue).joined(separator: ", ") + ", not '\(value)'")
            }
            return [Schema.term(Schema.Prefix.type, type)]
        case .department:
            return catalog.departments(matching: value).map { Schema.term(Schema.Prefix.department, $0) }
        case .project:
            let code = Schema.normalizedProjectCode(value)
            if Catalog.looksLikeProjectCode(code) { return [Schema.term(Schema.Prefix.project, code)] }
            return catalog.projectNames(matching: value).map { Schema.term(Schema.Prefix.project, $0) }
        case .code:
            let digits = String(value.prefix { $0.isASCII && $0.isNumber })
            guard [3, 5, 7].contains(digits.count), digits.count == value.count || value.dropFirst(digits.count).first == "-" else {
                throw QueryError("code must be a classification code of 3, 5 or 7 digits (201, 20103, 2010301, 30227), not '\(value)'")
            }
            return [Schema.term(Schema.Prefix.code, digits)]
        case .unit:
            return [Schema.term(Schema.Prefix.unit, value)]
        case .amount:
            throw QueryError("amount takes a range")
        }
    }

    private func range(_ field: FilterField, _ value: String) throws -> FilterCondition {
        let bounds = value.components(separatedBy: "..")
        guard bounds.count <= 2 else { throw QueryError("\(field.rawValue): '\(value)' is not a range like 100..500") }
        let lowText = bounds[0]
        let highText = bounds.count == 2 ? bounds[1] : bounds[0]
        switch field {
        case .year:
            func year(_ text: String) throws -> [UInt8]? {
                if text.isEmpty { return nil }
                guard let y = Int(text), (1900...2999).contains(y) else {
                    throw QueryError("year must be a year like 2023 or a range like 2021..2023, not '\(value)'")
                }
                return Array(String(y).utf8)
            }
            let low = try year(lowText), high = try year(highText)
            guard low != nil || high != nil else { throw QueryError("year range '\(value)' has no bounds") }
            return .valueRange(slot: Schema.Slot.year, low: low, high: high)
        default:
            let low = try AmountParser.wanYuan(lowText, in: value)
            let high = try AmountParser.wanYuan(highText, in: value)
            guard low != nil || high != nil else { throw QueryError("amount range '\(value)' has no bounds") }
            if let low, let high, low > high { return .nothing }
            return .valueRange(slot: Schema.Slot.amount, low: low.map(SortableSerialiser.serialise),
                               high: high.map(SortableSerialiser.serialise))
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
        guard let value = Double(number), value.isFinite else {
            throw QueryError("amount must be a number in 万元 or with a unit (1000000元), not '\(whole)'")
        }
        return value * factor
    }
}

import Foundation
