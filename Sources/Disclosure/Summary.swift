extension ParsedDocument {
    /// A readable account of the parse: the document, its record counts, then per table the
    /// line items and indicators read and whether its stated totals agree.
    public var summary: String {
        var out = ["\(fileName)\(format == .text ? "" : " (\(format.displayName))"): \(info.summary)"]
        let counts = RecordType.allCases.map { type in "\(records.filter { $0.type == type }.count) \(type.rawValue)" }
        out.append("  records: " + counts.joined(separator: ", "))
        var tables: [String] = []
        for record in records { if let table = record.table, !tables.contains(table) { tables.append(table) } }
        // Checks of a side or a form of a table (`收支总表（收入）`, `自评表（项目）`) print under it
        // unless the side has records of its own.
        func owner(_ check: TotalCheck) -> String? {
            tables.contains(check.table) ? check.table : tables.first { check.table.hasPrefix($0 + "（") }
        }
        for table in tables {
            let rows = records.filter { $0.table == table }
            let items = rows.filter { $0.type == .lineItem }.count
            let indicators = rows.filter { $0.type == .indicator }.count
            let unit = rows.lazy.flatMap(\.amounts).first?.unit
            var parts: [String] = []
            if items > 0 { parts.append("\(items) line items") }
            if indicators > 0 { parts.append("\(indicators) indicators") }
            if parts.isEmpty { parts.append("text only") }
            out.append("  \(table)\(unit.map { "（\($0)）" } ?? ""): " + parts.joined(separator: ", "))
            for check in totalChecks where owner(check) == table {
                out.append("    " + check.summary)
            }
        }
        let projects = records.filter { $0.type == .project }
        if !projects.isEmpty {
            out.append("  projects:")
            for project in projects {
                let code = project.projectCode.map { " [\($0)]" } ?? ""
                let amount = project.primaryAmount.map { " \($0.label) \($0.wanYuan.formatted6) 万元" } ?? ""
                let indicators = records.filter { $0.type == .indicator && $0.projectName == project.title }.count
                out.append("    \(project.title)\(code)\(amount), \(indicators) indicators")
            }
        }
        let flagged = records.flatMap { record in record.amounts.compactMap { $0.flag.map { "\(record.title): \($0)" } } }
        for flag in flagged { out.append("  flagged: \(flag)") }
        return out.joined(separator: "\n")
    }
}

extension DocumentInfo {
    var summary: String {
        let place = level == .municipal ? city.map { "\($0) (municipal)" } : district.map { city.map { "\($0)\(district!)" } ?? $0 }
        return [place, year.map(String.init), kind?.rawValue, department].compactMap { $0 }.joined(separator: " ")
    }
}

extension TotalCheck {
    var summary: String {
        let place = "\(table == column ? "" : table + " ")\(column) line \(line)"
        if agrees {
            return "agrees: \(place) total \(stated.formatted6)" + (note.map { " (\($0))" } ?? "")
        }
        return "DISAGREES: \(place) states \(stated.formatted6), rows sum to \(summed.formatted6)"
            + (reason.map { ": \($0)" } ?? "")
    }
}
