import Disclosure
import Xapian

/// The index schema: one table of fields (`fields`), from which the document builder, the
/// filters, the facets and the side store's columns are all derived, plus the few terms and
/// metadata keys that are not fields. `Index/SCHEMA.md` documents the same for outside tools (a
/// test holds the two together); change both together and bump `version`.
public enum Schema {
    /// Stored in the database; a different version means the index must be rebuilt.
    public static let version = "5"

    /// Boolean terms that are not fields: they identify records, they are not searched by users.
    public enum Prefix {
        /// The unique record id `<file name>:<ordinal>` (omega's `Q`).
        public static let uniqueID = "Q"
        /// The source file's name, to delete a file's records.
        public static let file = "XF"
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
        /// The version of the fiscal vocabulary (`FiscalVocabulary`) the index was written with.
        public static let fiscalVocabulary = "gongkai:fiscal-vocabulary"
    }

    /// The fields of a record: how each is indexed, filtered, faceted and stored in the side store.
    public static let fields: [IndexField] = [
        IndexField(.district, prefix: "XDIST", filter: .district,
                   facets: [FacetSpec("district", slot: 0, rendering: .text) { $0.info.district }],
                   terms: { $0.info.district.map { [$0] } ?? [] }),
        IndexField(.year, prefix: "Y", filter: .year, range: .year(slot: 1),
                   facets: [FacetSpec("year", slot: 1, rendering: .year) { $0.info.year.map(String.init) }],
                   terms: { $0.info.year.map { [String($0)] } ?? [] }),
        IndexField(.kind, prefix: "XK", filter: .kind,
                   facets: [FacetSpec("kind", slot: 2, rendering: .text) { $0.info.kind?.rawValue }],
                   terms: { $0.info.kind.map { [$0.rawValue] } ?? [] }),
        IndexField(.type, prefix: "XT", filter: .type,
                   facets: [FacetSpec("type", slot: 3, rendering: .text) { $0.record.type.rawValue }],
                   terms: { [$0.record.type.rawValue] }),
        IndexField(.department, prefix: "XDEPT", filter: .departmentContaining,
                   facets: [FacetSpec("department", slot: 4, rendering: .text) { $0.info.department }],
                   terms: { $0.info.department.map { [$0] } ?? [] }),
        // Every function code's 类, 款 and 项 and every economic code's 类 and 款 are terms, so
        // `code:201` finds everything under 201; the facets count the record's first function code.
        IndexField(.code, prefix: "XC", filter: .codeHierarchy,
                   facets: [
                       FacetSpec("code:类", slot: 5, rendering: .code) { $0.functionCodeLevel(3) },
                       FacetSpec("code:款", slot: 6, rendering: .code) { $0.functionCodeLevel(5) },
                       FacetSpec("code:项", slot: 7, rendering: .code) { $0.functionCodeLevel(7) },
                   ],
                   terms: { fields in fields.record.codes.flatMap(Schema.codeLevels).distinctInOrder }),
        IndexField(.amount, prefix: nil, filter: .amountRange, range: .amount(slot: 8), facets: [], terms: { _ in [] }),
        // A project is found by its code (split codes rejoined) or its name; the facet shows both.
        IndexField(.project, prefix: "XP", filter: .projectCodeOrName,
                   facets: [FacetSpec("project", slot: 9, rendering: .project) { $0.projectFacetValue }],
                   terms: { fields in [fields.projectCode, fields.record.projectName].compactMap { $0 } }),
        IndexField(.unit, prefix: "XU", filter: .exactValue,
                   facets: [], terms: { fields in fields.record.indicator?.unit.flatMap { $0.isEmpty ? nil : [$0] } ?? [] }),
        IndexField(.level, prefix: "XL", filter: .level,
                   facets: [FacetSpec("level", slot: 10, rendering: .text) { $0.info.level?.rawValue }],
                   terms: { $0.info.level.map { [$0.rawValue] } ?? [] }),
        IndexField(.city, prefix: "XA", filter: .exactValue,
                   facets: [FacetSpec("city", slot: 12, rendering: .text) { $0.info.city }],
                   terms: { $0.info.city.map { [$0] } ?? [] }),
        // Every record of a project carries the project's identity across documents (`ProjectKey`);
        // a record keyed by code is found under the key of its name too, so that the years in
        // which the project had no code join its timeline. A name key is long (district,
        // department and name): its term holds a hash of it, the key itself is derived from the
        // record's own fields when it is read.
        IndexField(.projectKey, prefix: "XI", filter: .exactValue, facets: [],
                   terms: { fields in fields.projectKeyTerms }, termValue: ProjectKey.termValue),
    ]

    /// The field called `name`.
    public static func field(_ name: FieldName) -> IndexField {
        fields.first { $0.name == name }!
    }

    /// Every facet of every field, in table order.
    public static let facets: [FacetSpec] = fields.flatMap(\.facets)

    /// The value slot holding the primary amount (万元, sortable-serialised).
    static let amountSlot: UInt32 = {
        guard case .amount(let slot)? = field(.amount).range else { preconditionFailure("amount has no slot") }
        return slot
    }()

    /// The value slot holding the year (4 digits, so string order is numeric order).
    static let yearSlot: UInt32 = {
        guard case .year(let slot)? = field(.year).range else { preconditionFailure("year has no slot") }
        return slot
    }()

    static let typeSlot: UInt32 = field(.type).facets[0].slot

    /// Xapian refuses terms longer than 245 bytes. Longer terms keep their start and end in a
    /// hash of the whole, as omega's `hash_long_term` does, so that two long values stay two terms.
    static let maximumTermBytes = 240
    private static let hashedTailBytes = 17  // "~" and 16 hex digits

    /// A boolean term: the prefix, a `:` when the value starts with a capital letter (omega's
    /// convention, so that `XP` + `T…` cannot read as another prefix), then the value.
    public static func term(_ prefix: String, _ value: String) -> String {
        let separator = prefix.utf8.count > 1 && value.utf8.first.map { (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) } == true
        let term = prefix + (separator ? ":" : "") + value
        guard term.utf8.count > maximumTermBytes else { return term }
        var kept = Substring(term)
        while kept.utf8.count > maximumTermBytes - hashedTailBytes { kept.removeLast() }
        return kept + "~" + fnv1a64Hex(term)
    }

    static func fnv1a64Hex(_ text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01B3
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
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
        ProjectKey.normalizedCode(code)
    }
}

/// The names of the fields a query can filter on, as typed in `field:value` and as keys of `filters`.
public enum FieldName: String, Sendable, CaseIterable {
    case district, year, kind, type, department, project, code, amount, unit, level, city
    case projectKey = "project_key"

    public static func named(_ name: String) throws -> FieldName {
        guard let field = FieldName(rawValue: name.lowercased()) else {
            throw QueryError("unknown field '\(name)'; fields are " + allCases.map(\.rawValue).joined(separator: ", "))
        }
        return field
    }
}

/// One row of the schema's field table.
public struct IndexField: Sendable {
    public let name: FieldName
    /// Prefix of the field's boolean terms (wdf 0); nil for a field filtered by range only.
    public let termPrefix: String?
    /// How `field:value` is read.
    let filter: FilterSyntax
    /// A value slot that range filters (`year:2021..2023`, `amount:100..500`) and sorting read.
    let range: RangeSlot?
    /// The facets the field offers, each with its value slot and side-store column.
    public let facets: [FacetSpec]
    /// The values of the field's boolean terms for a record, without the prefix.
    let terms: @Sendable (RecordFields) -> [String]

    /// How a value is written in the term (itself, unless the field says otherwise).
    let termValue: @Sendable (String) -> String

    init(_ name: FieldName, prefix: String?, filter: FilterSyntax, range: RangeSlot? = nil, facets: [FacetSpec],
         terms: @escaping @Sendable (RecordFields) -> [String], termValue: @escaping @Sendable (String) -> String = { $0 }) {
        self.name = name
        termPrefix = prefix
        self.filter = filter
        self.range = range
        self.facets = facets
        self.terms = terms
        self.termValue = termValue
    }

    /// The boolean term for one value of the field.
    func term(_ value: String) -> String? {
        termPrefix.map { Schema.term($0, termValue(value)) }
    }
}

/// How a filter value is read: the filter parsers of `FilterResolver`, one per kind of field.
enum FilterSyntax: Sendable {
    /// A district's full or short name (`西城区`, `西城`).
    case district
    /// A year, or a range of years through the year slot.
    case year
    /// `budget`/`final` or `预算`/`决算`.
    case kind
    /// A record type (`project`, `line_item`, …).
    case type
    /// Department names that contain the text.
    case departmentContaining
    /// A classification code of 3, 5 or 7 digits, optionally with its name (`2010301-行政运行`).
    case codeHierarchy
    /// An amount range in 万元 or with a unit.
    case amountRange
    /// A project code (split codes rejoined) or the names of projects that contain the text.
    case projectCodeOrName
    /// The value as it is.
    case exactValue
    /// `municipal` or `district`.
    case level
}

/// A value slot that range filters and sorting read.
enum RangeSlot: Sendable {
    /// Four-digit years as text.
    case year(slot: UInt32)
    /// 万元, `sortable_serialise`d.
    case amount(slot: UInt32)
}

/// A facet: its name in requests and answers, its value slot (Xapian's `ValueCountMatchSpy`
/// counts it), its side-store column (the same name), and how its values read in answers.
public struct FacetSpec: Sendable, Hashable {
    /// `district`, `code:类`, …
    public let name: String
    public let slot: UInt32
    let rendering: FacetRendering
    /// The slot's value for a record, nil for none.
    let value: @Sendable (RecordFields) -> String?

    init(_ name: String, slot: UInt32, rendering: FacetRendering, value: @escaping @Sendable (RecordFields) -> String?) {
        self.name = name
        self.slot = slot
        self.rendering = rendering
        self.value = value
    }

    public static func == (a: FacetSpec, b: FacetSpec) -> Bool { a.name == b.name }
    public func hash(into hasher: inout Hasher) { hasher.combine(name) }
}

/// How a facet's stored values read in an answer.
enum FacetRendering: Sendable {
    case text
    /// The value is a year: a number in answers.
    case year
    /// A classification code, with its name from the index's code names.
    case code
    /// `<code>\t<name>` or a name alone: `value` is the code, `name` the name.
    case project
}

/// A record with its document's info: what the field table reads.
struct RecordFields {
    let record: Record
    let info: DocumentInfo

    var projectCode: String? { record.projectCode.map(Schema.normalizedProjectCode) }

    /// `<code>\t<name>`, the name alone when there is no code, the code alone when there is no name.
    var projectFacetValue: String? {
        guard let key = projectCode ?? record.projectName else { return nil }
        guard projectCode != nil, let name = record.projectName else { return key }
        return key + "\t" + name
    }

    /// The record's project key, and for a key by code also the key its name would have.
    /// The record's project keys (raw; `ProjectKey.termValue` shortens them in the terms).
    var projectKeyTerms: [String] {
        guard let key = record.projectKey else { return [] }
        guard key.basis == .code, let name = record.projectName else { return [key.rawValue] }
        return [key.rawValue, ProjectKey.name(name, department: info.department, district: info.district).rawValue]
    }

    /// The record's first function code cut to `digits` (类 3, 款 5, 项 7), when it has that level.
    func functionCodeLevel(_ digits: Int) -> String? {
        guard let code = record.codes.first(where: { $0.scheme == .function })?.code, code.count >= digits else { return nil }
        return String(code.prefix(digits))
    }
}

extension Array where Element: Hashable {
    /// The elements without repeats, in first-seen order.
    var distinctInOrder: [Element] {
        var seen = Set<Element>()
        return filter { seen.insert($0).inserted }
    }
}

extension ProjectKey {
    /// A key as its `XI` term holds it: a code key as it is, a name key as `name:` and the 16 hex
    /// digits of the FNV-1a 64 hash of the whole key.
    @Sendable static func termValue(_ raw: String) -> String {
        raw.hasPrefix("name:") ? "name:" + Schema.fnv1a64Hex(raw) : raw
    }
}

extension Record {
    /// The record with its project key, derived from its own fields and its document's, as the
    /// parser derived it.
    func withProjectKey(in info: DocumentInfo) -> Record {
        var record = self
        record.projectKey = ProjectKey.of(code: projectCode, name: projectName, department: info.department, district: info.district)
        return record
    }
}
