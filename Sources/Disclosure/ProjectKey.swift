/// The identity of a project across documents and years: every record of a project (its project
/// record, its table rows, its indicators) carries the same key. A project code keeps its identity
/// from the year it was created into later budgets and finals, so a record with a code is keyed by
/// it (`code:11010222T000000417336`); a project without one is keyed by its normalised name within
/// its department and district (`name:西城区/北京市西城区政务服务管理局/西城区政务服务体系质量监测项目`),
/// year markers removed, so that `2022年度…` and `2023年度…` are one project.
///
/// Keys depend only on what the document prints, so re-indexing an unchanged file gives the same keys.
public struct ProjectKey: Sendable, Hashable, Codable, CustomStringConvertible {
    /// `code:<code>` or `name:<district>/<department>/<name>`.
    public let rawValue: String

    /// How a key links records.
    public enum Basis: String, Sendable, Codable {
        case code
        case name
    }

    /// A key as written (by `rawValue`), or nil when it is neither a code key nor a name key.
    public init?(rawValue: String) {
        guard rawValue.hasPrefix(Self.codeMarker) || rawValue.hasPrefix(Self.nameMarker),
              rawValue.utf8.count > Self.codeMarker.utf8.count else { return nil }
        self.rawValue = rawValue
    }

    private init(unchecked rawValue: String) {
        self.rawValue = rawValue
    }

    static let codeMarker = "code:"
    static let nameMarker = "name:"

    /// The key of a project code as printed (spaces the PDF put inside it removed, upper case).
    public static func code(_ code: String) -> ProjectKey {
        ProjectKey(unchecked: codeMarker + normalizedCode(code))
    }

    /// The key of a project name within its department and district.
    public static func name(_ name: String, department: String?, district: String?) -> ProjectKey {
        nameKey(normalized: normalizedName(name), department: department, district: district)
    }

    private static func nameKey(normalized: String, department: String?, district: String?) -> ProjectKey {
        ProjectKey(unchecked: nameMarker + [district ?? "", compact(department ?? ""), normalized].joined(separator: "/"))
    }

    /// The key of a record's project: by code when it has one, else by name; nil for a record of no project.
    public static func of(code: String?, name: String?, department: String?, district: String?) -> ProjectKey? {
        if let code, !normalizedCode(code).isEmpty { return .code(code) }
        if let name {
            let normalized = normalizedName(name)
            if !normalized.isEmpty { return nameKey(normalized: normalized, department: department, district: district) }
        }
        return nil
    }

    public var basis: Basis { rawValue.hasPrefix(Self.codeMarker) ? .code : .name }

    /// The project code of a code key.
    public var code: String? { basis == .code ? String(rawValue.dropFirst(Self.codeMarker.count)) : nil }

    public var description: String { rawValue }

    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let key = ProjectKey(rawValue: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a project key: \(text)"))
        }
        self = key
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    /// Project codes as printed may be split by the PDF (`11010522T0000004 23872`).
    public static func normalizedCode(_ code: String) -> String {
        // Most codes are printed whole: digits and capitals, already their own key.
        if code.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x41...0x5A).contains($0) }) { return code }
        return String(code.filter { !$0.isWhitespace }).uppercased()
    }

    /// A project name as it links across years: compatibility forms folded (full-width letters,
    /// digits and brackets), Latin lower case, whitespace and quotation marks dropped, every kind
    /// of bracket written `(` `)`, and year markers (`2023年度`, `2024年`, `2023 年度`) removed, with
    /// any brackets they leave empty.
    public static func normalizedName(_ name: String) -> String {
        // ASCII and the CJK Unified Ideographs are their own compatibility forms: most names skip
        // Foundation's NFKC, which cost 4% of a top-10 search (keys are derived when hits are read).
        let plain = name.unicodeScalars.allSatisfy { $0.isASCII || (0x4E00...0x9FFF).contains($0.value) }
        var scalars: [Unicode.Scalar] = []
        // Lower case changes nothing in such a name without capitals.
        let folded = plain && !name.utf8.contains(where: { (0x41...0x5A).contains($0) })
            ? name : (plain ? name : name.precomposedStringWithCompatibilityMapping).lowercased()
        for scalar in folded.unicodeScalars {
            // An ideograph is no space, quotation mark or bracket: its properties need no lookup.
            if (0x4E00...0x9FFF).contains(scalar.value) {
                scalars.append(scalar)
                continue
            }
            if scalar.properties.isWhitespace || quotationMarks.contains(scalar) { continue }
            scalars.append(openingBrackets.contains(scalar) ? "(" : closingBrackets.contains(scalar) ? ")" : scalar)
        }
        var kept: [Unicode.Scalar] = []
        var index = 0
        while index < scalars.count {
            if let end = yearMarkerEnd(scalars, at: index) {
                index = end
                continue
            }
            if scalars[index] == ")", kept.last == "(" {
                kept.removeLast()
                index += 1
                continue
            }
            kept.append(scalars[index])
            index += 1
        }
        var text = ""
        text.unicodeScalars.append(contentsOf: kept)
        return text
    }

    /// A department or district name without the spaces a PDF put inside it.
    static func compact(_ text: String) -> String {
        // Most names hold no space: they are returned as they are. Ideographs need no lookup.
        func isSpace(_ scalar: Unicode.Scalar) -> Bool {
            !(0x4E00...0x9FFF).contains(scalar.value) && scalar.properties.isWhitespace
        }
        guard text.unicodeScalars.contains(where: isSpace) else { return text }
        var kept = String.UnicodeScalarView()
        for scalar in text.unicodeScalars where !isSpace(scalar) { kept.append(scalar) }
        return String(kept)
    }

    /// Where a year marker starting at `index` ends: four digits 19xx or 20xx, not part of a longer
    /// number, followed by 年 or 年度.
    private static func yearMarkerEnd(_ scalars: [Unicode.Scalar], at index: Int) -> Int? {
        func isDigit(_ i: Int) -> Bool { i < scalars.count && ("0"..."9").contains(scalars[i]) }
        guard index + 4 < scalars.count, (0..<4).allSatisfy({ isDigit(index + $0) }), !(index > 0 && isDigit(index - 1)) else {
            return nil
        }
        let century = (scalars[index], scalars[index + 1])
        guard century == ("1", "9") || century == ("2", "0"), scalars[index + 4] == "年" else { return nil }
        return index + 5 < scalars.count && scalars[index + 5] == "度" ? index + 6 : index + 5
    }

    // After compatibility mapping, full-width （）［］ are already ASCII.
    private static let openingBrackets: Set<Unicode.Scalar> = ["[", "{", "【", "〔", "〖", "〘", "〚", "［", "｛"]
    private static let closingBrackets: Set<Unicode.Scalar> = ["]", "}", "】", "〕", "〗", "〙", "〛", "］", "｝"]
    private static let quotationMarks: Set<Unicode.Scalar> = ["\"", "'", "“", "”", "‘", "’", "„", "‟", "「", "」", "『", "』"]
}
