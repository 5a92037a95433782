import Disclosure

/// The index schema: term prefixes, value slots and metadata keys. `Index/SCHEMA.md` documents
/// the same for outside tools; change both together and bump `version`.
public enum Schema {
    /// Stored in the database; a different version means the index must be rebuilt.
    public static let version = "3"

    /// Boolean (filter) term prefixes, after Xapian omega's conventions: `Q` for the unique id,
    /// `X…` for user fields.
    public enum Prefix {
        public static let uniqueID = "Q"
        public static let file = "XF"
        public static let district = "XD"
        public static let year = "Y"
        public static let kind = "XK"
        public static let type = "XT"
        public static let department = "XDEPT"
        /// Every classification code and its ancestors (`XC201`, `XC20103`, `XC2010301`, `XC30227`).
        public static let code = "XC"
        /// Project code and project name.
        public static let project = "XP"
        /// Indicator unit (`XU%`).
        public static let unit = "XU"
    }

    /// Value slots, for facets, sorting and ranges.
    public enum Slot {
        public static let district: UInt32 = 0
        public static let year: UInt32 = 1
        public static let kind: UInt32 = 2
        public static let type: UInt32 = 3
        public static let department: UInt32 = 4
        /// Function code at 类 (3 digits), 款 (5) and 项 (7) level.
        public static let functionClass: UInt32 = 5
        public static let functionSection: UInt32 = 6
        public static let functionItem: UInt32 = 7
        /// Primary amount in 万元, sortable-serialised.
        public static let amount: UInt32 = 8
        /// Project code, or the project name when it has no code.
        public static let project: UInt32 = 9
    }

    /// Metadata keys.
    public enum Metadata {
        public static let schemaVersion = "gongkai:schema"
        /// Prefix of one key per indexed file (`gongkai:file:<path>`), holding its manifest entry.
        public static let filePrefix = "gongkai:file:"
        /// Classification code → name as printed, JSON object.
        public static let codeNames = "gongkai:code-names"
        /// Names the analyzer learns words from, one per line.
        public static let domainNames = "gongkai:domain-names"
        /// The words the analyzer learned from those names, so the daemon need not learn them again.
        public static let domainVocabulary = "gongkai:domain-vocabulary"
        public static let documentCount = "gongkai:documents"
    }

    /// Xapian refuses terms longer than 245 bytes; longer filter values are cut at a character.
    static func term(_ prefix: String, _ value: String) -> String {
        var term = prefix + value
        while term.utf8.count > 240 { term.removeLast() }
        return term
    }

    /// The prefixes of a function code: 类, 款, 项 (`2010301` → 201, 20103, 2010301).
    public static func functionCodeLevels(_ code: String) -> [String] {
        [3, 5, 7].compactMap { code.count >= $0 ? String(code.prefix($0)) : nil }
    }

    /// The prefixes of an economic code: 类 and 款 (`30227` → 302, 30227).
    public static func economicCodeLevels(_ code: String) -> [String] {
        [3, 5].compactMap { code.count >= $0 ? String(code.prefix($0)) : nil }
    }

    static func codeLevels(_ code: ClassificationCode) -> [String] {
        code.scheme == .function ? functionCodeLevels(code.code) : economicCodeLevels(code.code)
    }

    /// Project codes as printed may be split by the PDF (`11010522T0000004 23872`).
    public static func normalizedProjectCode(_ code: String) -> String {
        String(code.filter { !$0.isWhitespace }).uppercased()
    }
}
