/// Reading the content of single table cells: money figures, units, codes, indicator operators.
enum Cell {
    /// A money figure once PDF splits are repaired: `188. 886000`, `1, 546. 1 90000`, `<b>3,819.05</b>`.
    /// Nil for anything that is not a plain decimal number.
    static func number(_ cell: String) -> Double? {
        var cell = cell
        switch cell.withUTF8(plainNumber) {
        case .decided(let number): return number
        case .notPlain: return slowNumber(cell)
        }
    }

    private enum PlainNumber {
        case decided(Double?)
        case notPlain
    }

    /// `number` scalar by scalar while they are plain, so Characters. The first scalar that is no
    /// part of a number decides even before a scalar that is not plain: its Character cannot be one.
    private static func plainNumber(_ bytes: UnsafeBufferPointer<UInt8>) -> PlainNumber {
        var digits: [UInt8] = []
        var sawDigit = false
        var sawPoint = false
        var index = 0
        while index < bytes.count {
            let (value, length) = PlainText.scalar(at: index, in: bytes)
            index += length
            guard PlainText.isPlain(value) else { return .notPlain }
            if PlainText.isWhitespace(plain: value) || value == UInt32(UInt8(ascii: ",")) { continue }
            switch value {
            case UInt32(UInt8(ascii: "0"))...UInt32(UInt8(ascii: "9")): sawDigit = true
            case UInt32(UInt8(ascii: ".")) where !sawPoint: sawPoint = true
            case UInt32(UInt8(ascii: "-")) where digits.isEmpty: break
            default: return .decided(nil)
            }
            digits.append(UInt8(value))
        }
        guard sawDigit, digits.last != UInt8(ascii: ".") else { return .decided(nil) }
        return .decided(Double(String(decoding: digits, as: UTF8.self)))
    }

    private static func slowNumber(_ cell: String) -> Double? {
        var digits = ""
        var sawDigit = false
        var sawPoint = false
        for ch in cell where !ch.isWhitespace && ch != "," {
            if ch.isASCII && ch.isNumber {
                sawDigit = true
            } else if ch == "." && !sawPoint {
                sawPoint = true
            } else if ch == "-" && digits.isEmpty {
            } else {
                return nil
            }
            digits.append(ch)
        }
        guard sawDigit, digits.last != "." else { return nil }
        return Double(digits)
    }

    /// `万元` or `元` from a caption such as `金额单位：万元` or a header such as `总体资金情况（元）`.
    static func unit(in text: String) -> String? {
        let compact = text.compacted
        for marker in ["单位：", "单位:", "（", "("] {
            var rest = Substring(compact)
            while let range = rest.rangeOfText(marker) {
                let after = rest[range.upperBound...]
                if after.hasPrefix("万元") { return "万元" }
                if after.hasPrefix("元") { return "元" }
                rest = after
            }
        }
        return nil
    }

    /// A classification-style code at the start of a cell: `2010301-行政运行` → (`2010301`, `行政运行`);
    /// the digits may be split by spaces (`299001 -北京市…`).
    static func code(_ cell: String) -> (code: String, name: String)? {
        guard let dash = firstDash(in: cell) else { return nil }
        let code = cell[..<dash].compacted
        // ASCII digits and capitals, the first a digit. On bytes: every byte of a Character that is
        // not one scalar, or not ASCII, fails the test.
        guard code.utf8.count >= 2, code.utf8.allSatisfy({ isDigit($0) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) }),
              isDigit(code.utf8.first!) else { return nil }
        let name = Wrapped.normalizeSpaces(String(cell[cell.index(after: dash)...].trimmingWhitespace))
        return (code, name)
    }

    /// The first `-` or `－` Character; found on bytes when the cell is plain. Neither has a
    /// canonical equivalent, so a cell without their bytes has neither.
    private static func firstDash(in cell: String) -> String.Index? {
        var cell = cell
        let offset: Int?? = cell.withUTF8 { bytes in
            guard bytes.contains(UInt8(ascii: "-")) || PlainText.contains("－", in: bytes) else { return .some(nil) }
            guard PlainText.isPlain(bytes) else { return nil }
            var index = 0
            while index < bytes.count {
                let (value, length) = PlainText.scalar(at: index, in: bytes)
                if value == UInt32(UInt8(ascii: "-")) || value == 0xFF0D { return .some(index) }
                index += length
            }
            return .some(nil)
        }
        guard let offset else { return cell.firstIndex { $0 == "-" || $0 == "－" } }
        return offset.map { cell.utf8.index(cell.utf8.startIndex, offsetBy: $0) }
    }

    /// The scheme a code belongs to judging by its shape: 3/5/7 digits starting with 2 are functional
    /// (类/款/项), 5 digits starting with 5 or 3 are government / department economic codes.
    static func scheme(ofCode code: String) -> CodeScheme? {
        guard code.utf8.allSatisfy(isDigit) else { return nil }  // ASCII digits: a byte each
        switch (code.utf8.first, code.utf8.count) {
        case (UInt8(ascii: "2"), 3), (UInt8(ascii: "2"), 5), (UInt8(ascii: "2"), 7): return .function
        case (UInt8(ascii: "5"), 3), (UInt8(ascii: "5"), 5): return .governmentEconomic
        case (UInt8(ascii: "3"), 3), (UInt8(ascii: "3"), 5): return .departmentEconomic
        default: return nil
        }
    }

    private static func isDigit(_ byte: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }

    static let operators: Set<String> = ["≥", "≤", "=", "<", ">", "＝", "≠", "定性", "＞", "＜"]

    static func indicatorOperator(_ cell: String) -> String? {
        let compact = cell.compacted
        guard !PlainText.isPlain(compact, longerThan: 6), operators.contains(compact) else { return nil }
        switch compact {
        case "＝": return "="
        case "＞": return ">"
        case "＜": return "<"
        default: return compact
        }
    }

    static let level1Names = ["产出指标", "效益指标", "满意度指标", "成本指标"]

    static func isLevel1(_ cell: String) -> Bool {
        let compact = cell.compacted
        return !PlainText.isPlain(compact, longerThan: 15) && level1Names.contains(compact)
    }

    /// 二级指标 names: 数量指标, 社会效益指标, 服务对象满意度指标, 经济成本指标, 时效成本 …
    static func isLevel2(_ cell: String) -> Bool {
        let compact = cell.compacted
        guard !compact.hasAtMost(3), compact.hasAtMost(12), !isLevel1(compact) else { return false }
        return compact.hasSuffixText("指标") || compact.hasSuffixText("成本") || compact == "服务对象满意度"
    }

    /// The 一级 indicator a 二级 one belongs to when the table leaves it blank.
    static func level1(forLevel2 level2: String) -> String? {
        if ["数量指标", "质量指标", "时效指标", "成本指标", "时效成本"].contains(level2) { return "产出指标" }
        if level2.containsText("成本") { return "成本指标" }
        if level2.containsText("效益") || level2.containsText("影响") { return "效益指标" }
        if level2.containsText("满意") { return "满意度指标" }
        return nil
    }

    /// `50-%` → `%`, `158-万` → `万`, `105-座（处）` → `座（处）`, `100- 套` → `套`.
    static func indicatorUnit(_ cell: String) -> String? {
        let compact = cell.compacted
        guard !compact.isEmpty else { return nil }
        if let coded = code(compact), coded.code.allSatisfy({ $0.isNumber }), !coded.name.isEmpty { return coded.name }
        return compact
    }

    /// `1-正向指标` → `正向`, `2-反向 指标` → `反向`.
    static func direction(_ cell: String) -> String? {
        let compact = cell.compacted
        if compact.containsText("正向") { return "正向" }
        if compact.containsText("反向") { return "反向" }
        return nil
    }

    /// A 项目代码 such as `11010222T000000417336`: 8 digits, a letter, 12 digits.
    static func isProjectCode(_ text: String) -> Bool { hasProjectCodeShape(text, length: 21...21) }

    /// The start of a project code cut short by a cell boundary (`11010525T0000034`).
    static func isPartialProjectCode(_ text: String) -> Bool { hasProjectCodeShape(text, length: 10...20) }

    /// ASCII digits with an ASCII letter ninth. On bytes: each Character must be a single ASCII
    /// scalar, so byte positions are Character positions, and any other byte fails the test.
    private static func hasProjectCodeShape(_ text: String, length: ClosedRange<Int>) -> Bool {
        guard length.contains(text.utf8.count) else { return false }
        return text.utf8.enumerated().allSatisfy { position, byte in
            position == 8 ? (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                : isDigit(byte)
        }
    }

    /// `11010522T0000004 23872-区政府信息公开专项法律服务` → code and name; the code's OCR spaces removed.
    static func projectCodeAndName(_ cell: String) -> (code: String, name: String)? {
        guard let coded = code(cell), isProjectCode(coded.code) else { return nil }
        return coded
    }
}
