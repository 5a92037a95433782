/// Text after normalisation, as unicode scalar values, with the original scalar offset of each
/// value so that results can be mapped back to the text the user sees.
struct NormalizedText {
    var scalars: [UInt32] = []
    /// `origins[i]` is the offset, in unicode scalars of the original text, of `scalars[i]`.
    var origins: [Int32] = []
}

/// Maps text to the form every other step sees: half-width ASCII, lower case, Simplified Chinese,
/// one spelling per punctuation mark, and numbers or words the PDF extractor split rejoined.
/// Character mapping is one scalar to one scalar; only whitespace is dropped.
struct Normalizer: Sendable, Equatable {
    /// Traditional to Simplified for BMP characters (0 = unchanged); a flat table because this
    /// lookup runs for every character.
    private let simplifiedBMP: [UInt32]
    private let simplifiedAstral: [UInt32: UInt32]

    init(traditionalToSimplified: [UInt32: UInt32]) {
        self.init(pairs: traditionalToSimplified.lazy.map { ($0.key, $0.value) })
    }

    init(pairs: some Sequence<(UInt32, UInt32)>) {
        var bmp = [UInt32](repeating: 0, count: 0x10000)
        var astral: [UInt32: UInt32] = [:]
        for (from, to) in pairs {
            if from < 0x10000 { bmp[Int(from)] = to } else { astral[from] = to }
        }
        simplifiedBMP = bmp
        simplifiedAstral = astral
    }

    /// The Traditional to Simplified pairs the normalizer was made from, by Traditional character.
    var traditionalToSimplified: [(UInt32, UInt32)] {
        var pairs: [(UInt32, UInt32)] = []
        for (from, to) in simplifiedBMP.enumerated() where to != 0 { pairs.append((UInt32(from), to)) }
        pairs += simplifiedAstral.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        return pairs
    }

    /// The normalised form of one scalar; whitespace becomes U+0020.
    func map(_ value: UInt32) -> UInt32 {
        switch value {
        case 0x41...0x5A: return value + 0x20
        case 0..<0x80: return CharacterClass.isSpace(value) ? 0x20 : value
        case 0xFF01...0xFF5E:
            let ascii = value - 0xFEE0
            return (0x41...0x5A).contains(ascii) ? ascii + 0x20 : ascii
        case 0x3000, 0x00A0, 0x2000...0x200B, 0x202F, 0x205F: return 0x20
        case 0x201C, 0x201D, 0x201E, 0x201F, 0x2033, 0x301D, 0x301E: return 0x22  // “ ” „ ‟ ″ 〝 〞
        case 0x2018, 0x2019, 0x201A, 0x201B, 0x2032: return 0x27  // ‘ ’ ‚ ‛ ′
        case 0x3010, 0x3014, 0x3016, 0x3018, 0x301A: return 0x5B  // 【 〔 〖 〘 〚
        case 0x3011, 0x3015, 0x3017, 0x3019, 0x301B: return 0x5D
        case 0x2010...0x2015, 0x2212, 0xFE58, 0xFE63: return 0x2D  // hyphens, dashes, minus
        case 0x2236: return 0x3A  // ∶ ratio colon
        case 0x30FB, 0x2027, 0x2022: return 0xB7  // ・ ‧ • as middle dot
        case 0xFF61: return 0x3002  // ｡ as 。
        case 0x80..<0x3000: return Self.lowercased(value)
        default:
            if value < 0x10000 {
                let simplified = simplifiedBMP[Int(value)]
                return simplified == 0 ? value : simplified
            }
            return simplifiedAstral[value] ?? value
        }
    }

    private static func lowercased(_ value: UInt32) -> UInt32 {
        guard let scalar = Unicode.Scalar(value), scalar.properties.changesWhenLowercased else { return value }
        let lower = scalar.properties.lowercaseMapping.unicodeScalars
        return lower.count == 1 ? lower.first!.value : value
    }

    /// Maps every scalar and drops whitespace that a PDF extractor put inside Chinese text or
    /// numbers (`2023 年`, `西城区 2023`, `188. 886000`); keeps one space between numbers (table
    /// columns) and between Latin words; drops leading and trailing whitespace.
    func normalize(_ text: String) -> NormalizedText {
        var out = NormalizedText()
        let capacity = text.utf8.count
        out.scalars.reserveCapacity(capacity)
        out.origins.reserveCapacity(capacity)
        var offset: Int32 = 0
        var pendingSpace: Int32 = -1  // origin of the whitespace run before the current scalar
        for scalar in text.unicodeScalars {
            let v = map(scalar.value)
            if v == 0x20 {
                if pendingSpace < 0 { pendingSpace = offset }
                offset += 1
                continue
            }
            if pendingSpace >= 0 {
                if !out.scalars.isEmpty, !Self.joinsAcrossSpace(out.scalars, v) {
                    out.scalars.append(0x20)
                    out.origins.append(pendingSpace)
                }
                pendingSpace = -1
            }
            out.scalars.append(v)
            out.origins.append(offset)
            offset += 1
        }
        return out
    }

    private static func joinsAcrossSpace(_ before: [UInt32], _ after: UInt32) -> Bool {
        let last = before[before.count - 1]
        let afterDigit = CharacterClass.isDigit(after)
        if CharacterClass.isHan(last) { return CharacterClass.isHan(after) || afterDigit }
        if CharacterClass.isDigit(last) { return CharacterClass.isHan(after) }
        return last == 0x2E && afterDigit && before.count >= 2 && CharacterClass.isDigit(before[before.count - 2])
    }
}

/// Character classes on normalised scalar values.
enum CharacterClass {
    static func isHan(_ v: UInt32) -> Bool {
        switch v {
        case 0x3007, 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xF900...0xFAFF, 0x20000...0x323AF: return true
        default: return false
        }
    }

    static func isDigit(_ v: UInt32) -> Bool { v >= 0x30 && v <= 0x39 }

    static func isSpace(_ v: UInt32) -> Bool { v == 0x20 || (v >= 0x09 && v <= 0x0D) }

    /// Letters and digits that form Latin-style words and codes (not Han).
    static func isWordCharacter(_ v: UInt32) -> Bool {
        if v < 0x80 { return (v >= 0x61 && v <= 0x7A) || isDigit(v) }
        if isHan(v) || (0x2000..<0x3040).contains(v) { return false }  // Han, punctuation, CJK symbols
        guard let scalar = Unicode.Scalar(v) else { return false }
        return scalar.properties.isAlphabetic || scalar.properties.numericType == .decimal
    }

    /// Accents and other marks that belong to the letter before them (decomposed é).
    static func isCombiningMark(_ v: UInt32) -> Bool {
        guard v >= 0x300, !isHan(v), let scalar = Unicode.Scalar(v) else { return false }
        switch scalar.properties.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark: return true
        default: return false
        }
    }

    /// Marks that may stand between digits of one number: 188.886000, 14·9, 12:30.
    static func isNumberJoiner(_ v: UInt32) -> Bool { v == 0x2E || v == 0xB7 || v == 0x3A }
}
