import Foundation

/// Infers district, year, kind and department from a document's text.
public enum DocumentInfoInference {
    /// Beijing's 16 districts.
    public static let districts = [
        "东城区", "西城区", "朝阳区", "丰台区", "石景山区", "海淀区", "门头沟区", "房山区",
        "通州区", "顺义区", "昌平区", "大兴区", "怀柔区", "平谷区", "密云区", "延庆区",
    ]

    /// Accepts `西城区`, `西城` and returns the full name, or nil for anything else.
    public static func canonicalDistrict(_ name: String) -> String? {
        let trimmed = name.trimmingSpaces
        if districts.contains(trimmed) { return trimmed }
        return districts.first { $0.dropLast() == Substring(trimmed) }
    }

    static func infer(lines: [String]) -> DocumentInfo {
        var info = DocumentInfo()
        var districtVotes: [String: Int] = [:]
        var yearVotes: [Int: Int] = [:]
        var budgetVotes = 0
        var finalVotes = 0
        var departmentVotes: [String: Int] = [:]

        for (index, raw) in lines.enumerated() {
            let line = SourceLines.mayChangeWhenCleanedAgain(raw) ? SourceLines.clean(raw) : raw
            if line.isEmpty { continue }
            // Headings near the top speak for the whole document; later mentions count less.
            let weight = index < 80 ? 3 : 1
            let mentions = plainMentions(in: line) ?? Mentions(
                districts: districts.filter { line.containsText($0) }, final: line.containsText("决算"),
                budget: line.containsText("预算") && !line.containsText("年初预算"))
            for district in mentions.districts {
                districtVotes[district, default: 0] += weight
            }
            if let department = departmentName(in: line) {
                departmentVotes[department, default: 0] += weight
            }
            for year in yearsBeforeNianDu(in: line) {
                yearVotes[year, default: 0] += weight
            }
            if mentions.final { finalVotes += weight }
            if mentions.budget { budgetVotes += weight }
        }
        info.district = districtVotes.max { $0.value < $1.value || ($0.value == $1.value && $0.key > $1.key) }?.key
        info.year = yearVotes.max { $0.value < $1.value || ($0.value == $1.value && $0.key < $1.key) }?.key
        if finalVotes + budgetVotes > 0 {
            info.kind = finalVotes * 2 >= budgetVotes ? .final : .budget
        }
        info.department = departmentVotes.max { $0.value < $1.value || ($0.value == $1.value && $0.key > $1.key) }?.key
        if info.district == nil, let department = info.department {
            info.district = districts.first { department.containsText($0) }
        }
        return info
    }

    private struct Mentions {
        var districts: [String]
        var final: Bool
        var budget: Bool
    }

    /// The searches of `infer` on a plain line's bytes, its plainness checked once; nil for a line
    /// that is not plain. Every district's name ends in 区: most lines need no search for the 16.
    private static func plainMentions(in line: String) -> Mentions? {
        let mentions = line.utf8.withContiguousStorageIfAvailable { bytes -> Mentions? in
            guard PlainText.isPlain(bytes) else { return nil }
            return Mentions(
                districts: PlainText.contains("区", in: bytes) ? districts.filter { PlainText.contains($0, in: bytes) } : [],
                final: PlainText.contains("决算", in: bytes),
                budget: PlainText.contains("预算", in: bytes) && !PlainText.contains("年初预算", in: bytes))
        }
        return mentions ?? nil
    }

    /// `北京市西城区人民政府办公室` from a line that names it at its start.
    static func departmentName(in line: String) -> String? {
        guard let start = line.rangeOfText("北京市") else { return nil }
        var run = plainNameRun(line[start.lowerBound...])
        if case .notPlain = run { run = nameRun(line[start.lowerBound...]) }
        guard case .name(var name) = run else { return nil }
        guard cityDistricts.contains(where: { name.hasPrefix($0) }) else { return nil }
        for suffix in ["部门预算", "部门决算", "预算", "决算", "年度", "年"] {
            if let r = name.rangeOfText(suffix) { name = String(name[..<r.lowerBound]) }
        }
        guard name.count > 6, !cityDistricts.contains(name) else { return nil }
        return name
    }

    /// `北京市东城区` …
    private static let cityDistricts = districts.map { "北京市" + $0 }

    private enum NameRun {
        case name(String)
        case tooLong
        case notPlain
    }

    private static let nameStops: [Character] = Array("0123456789，。：:（(、“\"")

    /// The Characters up to whitespace, a digit or punctuation; too long past 30.
    private static func nameRun(_ text: Substring) -> NameRun {
        var name = ""
        var count = 0  // name.count, without counting again for every Character
        for ch in text {
            if ch.isWhitespace || nameStops.contains(ch) { break }
            name.append(ch)
            count += 1
            if count > 30 { return .tooLong }
        }
        return .name(name)
    }

    /// `nameRun` on the scalars of plain text, which are its Characters.
    private static func plainNameRun(_ text: Substring) -> NameRun {
        let stops = nameStops.map { $0.unicodeScalars.first!.value }
        let run = text.utf8.withContiguousStorageIfAvailable { bytes -> NameRun in
            guard PlainText.isPlain(bytes) else { return .notPlain }
            var end = 0
            var count = 0
            while end < bytes.count {
                let (value, length) = PlainText.scalar(at: end, in: bytes)
                if PlainText.isWhitespace(plain: value) || stops.contains(value) { break }
                end += length
                count += 1
                if count > 30 { return .tooLong }
            }
            return .name(String(decoding: UnsafeBufferPointer(rebasing: bytes[..<end]), as: UTF8.self))
        }
        return run ?? .notPlain
    }

    /// Years written as `2023年` or `2023 年` (four digits from 2000 to 2099).
    static func yearsBeforeNianDu(in line: String) -> [Int] {
        // On UTF-8 bytes: the digits, spaces and 年 compared are single scalars, and no byte of a
        // multi-byte scalar equals an ASCII one, so this finds what a scan of the scalars finds.
        var line = line
        return line.withUTF8 { bytes in
            let nian: [UInt8] = [0xE5, 0xB9, 0xB4]  // 年
            func isDigit(_ index: Int) -> Bool { bytes[index] >= UInt8(ascii: "0") && bytes[index] <= UInt8(ascii: "9") }
            var years: [Int] = []
            var i = 0
            while i + 4 <= bytes.count {
                if isDigit(i) && isDigit(i + 1) && isDigit(i + 2) && isDigit(i + 3) && (i == 0 || !isDigit(i - 1)) {
                    var j = i + 4
                    while j < bytes.count && bytes[j] == UInt8(ascii: " ") { j += 1 }
                    if j + 3 <= bytes.count && bytes[j] == nian[0] && bytes[j + 1] == nian[1] && bytes[j + 2] == nian[2] {
                        let year = (i..<i + 4).reduce(0) { $0 * 10 + Int(bytes[$1] - UInt8(ascii: "0")) }
                        if (2000...2099).contains(year) { years.append(year) }
                    }
                    i += 4
                } else {
                    i += 1
                }
            }
            return years
        }
    }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s = s.dropFirst() }
        while let l = s.last, l.isWhitespace { s = s.dropLast() }
        return String(s)
    }
}
