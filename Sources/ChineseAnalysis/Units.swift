/// What one position of the text holds.
enum UnitKind: UInt8 {
    /// One Han character.
    case han
    /// Digits, possibly with inner `.`, `·` or `:` between digits: 2023, 188.886000, 12:30.
    case number
    /// A run of letters and digits that holds a letter: led, 11010222t000000417336.
    case word
    /// Any other visible character (punctuation, %, symbols); it takes no index position.
    case symbol
}

/// A span of normalised text that segmentation treats as one symbol.
struct Unit {
    var start: Int32
    var end: Int32
    var kind: UnitKind
    /// Whitespace stood before this unit: segmentation never joins across it.
    var breaksBefore: Bool
    /// The dictionary key: the character itself, or a placeholder for any number or Latin word,
    /// so that a dictionary entry like 1998年 stands for every number followed by 年.
    var key: UInt32

    static let numberKey: UInt32 = 0xE000
    static let wordKey: UInt32 = 0xE001

    /// Splits normalised scalars into units.
    static func scan(_ s: [UInt32], into units: inout [Unit]) {
        units.removeAll(keepingCapacity: true)
        var i = 0
        var spaceBefore = false
        let n = s.count
        while i < n {
            let v = s[i]
            if v == 0x20 {
                spaceBefore = true
                i += 1
                continue
            }
            if CharacterClass.isHan(v) {
                units.append(Unit(start: Int32(i), end: Int32(i + 1), kind: .han, breaksBefore: spaceBefore, key: v))
                i += 1
            } else if CharacterClass.isWordCharacter(v) {
                var j = i + 1
                var allDigits = CharacterClass.isDigit(v)
                while j < n {
                    let c = s[j]
                    if CharacterClass.isWordCharacter(c) || CharacterClass.isCombiningMark(c) {
                        if !CharacterClass.isDigit(c) { allDigits = false }
                        j += 1
                    } else if CharacterClass.isNumberJoiner(c), j + 1 < n, CharacterClass.isDigit(s[j - 1]),
                              CharacterClass.isDigit(s[j + 1]) {
                        j += 2
                    } else {
                        break
                    }
                }
                units.append(Unit(start: Int32(i), end: Int32(j), kind: allDigits ? .number : .word,
                                  breaksBefore: spaceBefore, key: allDigits ? numberKey : wordKey))
                i = j
            } else {
                units.append(Unit(start: Int32(i), end: Int32(i + 1), kind: .symbol, breaksBefore: spaceBefore, key: v))
                i += 1
            }
            spaceBefore = false
        }
    }
}
