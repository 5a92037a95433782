/// What a table was found under, shared by every record read from it.
struct TableContext {
    let title: String
    let unit: String
    let section: [String]
}

/// Everything the readers produce while walking one document.
struct ParseOutput {
    var records: [Record] = []
    var checks: [TotalCheck] = []
    var codeNames: [String: String] = [:]
    var projects = ProjectRegistry()

    mutating func noteCodes(_ codes: [ClassificationCode]) {
        for code in codes {
            if let name = code.name, !name.isEmpty, codeNames[code.code] == nil { codeNames[code.code] = name }
        }
    }

    /// A passage holding a table's caption, header and the rows no other record took, so that
    /// nothing printed in the table is lost to search.
    mutating func addTableNotes(_ context: TableContext, caption: [(line: Int, text: String)], rows: [TableRow]) {
        let texts = caption.map(\.text) + rows.map(\.text)
        guard !texts.isEmpty else { return }
        let numbers = caption.map(\.line) + rows.flatMap { [$0.lines.lowerBound, $0.lines.upperBound] }
        records.append(Record(type: .passage, title: context.title, text: texts.joined(separator: "\n"),
                              section: context.section, table: context.title,
                              firstLine: numbers.min()!, lastLine: numbers.max()!))
    }
}

/// Money figures are stored in 万元; a figure too large for any district department is kept as
/// printed and flagged rather than guessed into another unit.
enum Money {
    static let implausibleWanYuan = 100_000.0

    static func amount(label: String, cell: String, unit: String) -> Amount? {
        guard let value = Cell.number(cell) else { return nil }
        let wanYuan = unit == "元" ? value / 10_000 : value
        let flag = wanYuan >= implausibleWanYuan
            ? "\(cell.compacted) \(unit) is over \(Int(implausibleWanYuan)) 万元; probably printed in 元" : nil
        return Amount(label: label, wanYuan: wanYuan, printed: cell, unit: unit, flag: flag)
    }

    static func equal(_ a: Double, _ b: Double) -> Bool { abs(a - b) < 0.00051 }
}
