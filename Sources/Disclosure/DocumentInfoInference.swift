import Foundation

/// Infers district, year, kind, department, level and city from a document's text.
public enum DocumentInfoInference {
    /// Beijing's 16 districts.
    public static let districts = BeijingDistricts.all.map(\.name)

    /// Accepts `西城区`, `西城` and returns the full name, or nil for anything else.
    public static func canonicalDistrict(_ name: String) -> String? {
        BeijingDistricts.named(name)?.name
    }

    static func infer(lines: [String]) -> DocumentInfo {
        var info = DocumentInfo()
        var districtVotes: [String: Int] = [:]
        var yearVotes: [Int: Int] = [:]
        var budgetVotes = 0
        var finalVotes = 0
        var departments = Votes()
        var places = Votes()
        var nonEmpty = 0
        var afterContents = 0  // lines still to read after a 目录 line
        var namedByTitle = false

        for (index, raw) in lines.enumerated() {
            let line = SourceLines.mayChangeWhenCleanedAgain(raw) ? SourceLines.clean(raw) : raw
            if line.isEmpty { continue }
            nonEmpty += 1
            // Headings near the top speak for the whole document; later mentions count less.
            let weight = index < 80 ? 3 : 1
            let mentions = plainMentions(in: line) ?? Mentions(
                districts: districts.filter { line.containsText($0) }, division: line.containsText("市") || line.containsText("县"),
                final: line.containsText("决算"), budget: line.containsText("预算") && !line.containsText("年初预算"))
            for district in mentions.districts {
                districtVotes[district, default: 0] += weight
            }
            // A name needs a city (市), a county (县) or one of Beijing's districts before its organ.
            // Once the title or an opening sentence has named the publisher, later mentions (weight 1
            // each) no longer count: a table listing other bodies must not outvote the title.
            if mentions.division || !mentions.districts.isEmpty, index < 80 || !namedByTitle {
                for name in names(in: line) {
                    let vote = nameWeight(name, titleZone: nonEmpty <= 15, afterContents: afterContents > 0, early: index < 80)
                    if name.department != nil { departments.add(name, vote) } else { places.add(name, vote) }
                    if name.department != nil && vote >= 6 { namedByTitle = true }
                }
            }
            for year in yearsBeforeNianDu(in: line) {
                yearVotes[year, default: 0] += weight
            }
            if mentions.final { finalVotes += weight }
            if mentions.budget { budgetVotes += weight }
            if afterContents > 0 { afterContents -= 1 }
            if line.utf8.count <= 72, line.containsText("目录") || line.containsText("目 录") { afterContents = 6 }
        }
        info.year = yearVotes.max { $0.value < $1.value || ($0.value == $1.value && $0.key < $1.key) }?.key
        if finalVotes + budgetVotes > 0 {
            info.kind = finalVotes * 2 >= budgetVotes ? .final : .budget
        }
        // A department named with its city (and district) places the document; one named after a
        // bare Beijing district (`西城区政务服务管理局`) counts only when no full name is found.
        if let department = departments.best(bare: false) ?? departments.best(bare: true) {
            info.department = department.bareDistrict ? BeijingDistricts.city + department.department! : department.department
            info.city = department.city
            info.district = department.district
        } else if let district = districtVotes.max(by: { $0.value < $1.value || ($0.value == $1.value && $0.key > $1.key) })?.key {
            info.district = district
            info.city = BeijingDistricts.city
        } else if let place = places.best(bare: false) {
            info.city = place.city
            info.district = place.district
        }
        info.level = info.district != nil ? .district : info.city != nil ? .municipal : nil
        return info
    }

    /// The names of a line; of a table row, only of its cells that may hold one (most cells are
    /// figures and codes), none counted as at the start of a line.
    private static func names(in line: String) -> [AdministrativeName] {
        guard line.containsTab else { return AdministrativeName.names(in: line) }
        return line.pieces(separatedBy: UInt8(ascii: "\t")).flatMap { piece -> [AdministrativeName] in
            guard piece.containsText("市") || piece.containsText("县") || piece.containsText("区") else { return [] }
            return AdministrativeName.names(in: String(piece)).map { name in
                var name = name
                name.atLineStart = false
                return name
            }
        }
    }

    /// How much a name's place in the document says about who published it: the title lines, the
    /// first lines after 目录 and a sentence `XX是…的工作部门` name the publisher; other mentions
    /// (a table cell, a sentence about another body) count little.
    private static func nameWeight(_ name: AdministrativeName, titleZone: Bool, afterContents: Bool, early: Bool) -> Int {
        if name.atLineStart && titleZone { return 10 }
        if name.atLineStart && ["是", "（以下简称", "(以下简称", "为区政府", "为市政府", "作为"].contains(where: name.following.hasPrefix) {
            return 8
        }
        if name.atLineStart && afterContents { return 6 }
        return early ? 2 : 1
    }

    /// Votes for names; ties go to the name seen first.
    private struct Votes {
        var scores: [String: Int] = [:]
        var names: [(key: String, name: AdministrativeName)] = []

        mutating func add(_ name: AdministrativeName, _ vote: Int) {
            let key = (name.bareDistrict ? "bare:" : "") + (name.department ?? ((name.city ?? "") + (name.district ?? "")))
            if scores[key] == nil { names.append((key, name)) }
            scores[key, default: 0] += vote
        }

        func best(bare: Bool) -> AdministrativeName? {
            var winner: (score: Int, name: AdministrativeName)?
            for (key, name) in names where name.bareDistrict == bare {
                let score = scores[key]!
                if winner == nil || score > winner!.score { winner = (score, name) }
            }
            return winner?.name
        }
    }

    /// The department a line names (the first name with an organ's suffix), for tests.
    static func departmentName(in line: String) -> String? {
        AdministrativeName.names(in: line).first { $0.department != nil }?.department
    }

    private struct Mentions {
        var districts: [String]
        /// Whether the line holds 市 or 县, so that it may name a city's or county's organ.
        var division: Bool
        var final: Bool
        var budget: Bool
    }

    /// The searches of `infer` on a plain line's bytes, its plainness checked once; nil for a line
    /// that is not plain. Every district's name ends in 区: most lines need no search for the 16.
    private static func plainMentions(in line: String) -> Mentions? {
        let mentions = line.utf8.withContiguousStorageIfAvailable { bytes -> Mentions? in
            guard PlainText.isPlain(bytes) else { return nil }
            let district = PlainText.contains("区", in: bytes)
            return Mentions(
                districts: district ? districts.filter { PlainText.contains($0, in: bytes) } : [],
                division: PlainText.contains("市", in: bytes) || PlainText.contains("县", in: bytes),
                final: PlainText.contains("决算", in: bytes),
                budget: PlainText.contains("预算", in: bytes) && !PlainText.contains("年初预算", in: bytes))
        }
        return mentions ?? nil
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
