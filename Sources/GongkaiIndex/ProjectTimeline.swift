import Disclosure
import Foundation

/// Which project a timeline is asked for.
public enum ProjectLookup: Sendable, Hashable {
    /// A project code (split codes rejoined, any case).
    case code(String)
    /// A project name in any year's spelling (`2023年度…` finds `2024年度…` too), optionally within a district.
    case name(String, district: String?)
    /// A project key as answers give it.
    case key(ProjectKey)
}

/// What was asked for does not exist: no such project, no such record.
public struct NotFoundError: Error, CustomStringConvertible, Equatable {
    public var message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}

/// A project followed through the years: per year and kind, its figure, where it is printed, the
/// change from the year before, budget against final, and its indicators.
public struct ProjectTimeline: Sendable {
    public var project: ProjectSummary
    /// One entry per year and kind, in year order, budget before final.
    public var entries: [TimelineEntry]
    /// Other projects the name matched, best first (the timeline is the best one's).
    public var alternatives: [ProjectSummary]
    public var revision: UInt64
    public var warnings: [String]
}

/// A project as a whole.
public struct ProjectSummary: Sendable {
    public var key: ProjectKey
    public var code: String?
    /// The name printed in the latest year.
    public var name: String
    /// Every name the project was printed under, oldest first.
    public var names: [String]
    public var district: String?
    /// The department in the latest year.
    public var department: String?
    public var years: [Int]
}

/// The project in one year's budget or final accounts.
public struct TimelineEntry: Sendable {
    /// The project record of this year and kind.
    public var hit: SearchHit
    /// How the record is linked to the project: by its code, or (a year without a code) by its
    /// name within the department and district.
    public var by: ProjectKey.Basis
    /// The year's figure: a budget's 项目总额 (else its 合计 …), a final's 全年执行数 where printed.
    public var amount: Amount?
    public var change: Change?
    public var execution: Execution?
    /// The project's indicators printed in this year's document(s).
    public var indicators: [SearchHit]
    /// Further project records of this year and kind (another document printing the project).
    public var others: [SearchHit]

    public var year: Int? { hit.info.year }
    public var kind: DocumentKind? { hit.info.kind }
    public var department: String? { hit.info.department }

    /// The change from the same kind's figure in the latest earlier year that has one.
    public struct Change: Sendable {
        public var fromYear: Int
        /// This year's figure minus that year's, exactly (万元).
        public var difference: AmountSum
        /// The difference as a percentage of that year's figure; nil when it was 0.
        public var percent: Double?
    }

    /// Budget against final (执行率) for a final entry.
    public struct Execution: Sendable {
        /// Where the budget figure comes from.
        public enum BudgetSource: String, Sendable {
            /// The same year's budget document (its figure, as the timeline shows it).
            case budget
            /// The final document's own 全年预算数 (or 年初预算数), when no budget of the year is indexed.
            case final
        }

        public var budget: Double
        public var budgetSource: BudgetSource
        /// The final document's 全年执行数.
        public var spent: Double
        /// spent / budget × 100; nil for a budget of 0.
        public var ratePercent: Double?
        /// The 执行率 the document prints, as printed.
        public var printedRate: String?
    }
}

extension Searcher {
    /// The timeline of a project. An unknown project throws `NotFoundError`; a name several
    /// projects share gives the best match's timeline and the others as `alternatives`.
    public func projectTimeline(_ lookup: ProjectLookup, deadline: ContinuousClock.Instant? = nil) throws -> ProjectTimeline {
        let catalog = try currentCatalog()
        var warnings: [String] = []
        var alternatives: [ProjectSummary] = []
        var key: ProjectKey
        switch lookup {
        case .code(let code):
            guard !ProjectKey.normalizedCode(code).isEmpty else { throw QueryError("a project code must not be empty") }
            key = .code(code)
        case .key(let given):
            key = given
        case .name(let name, let district):
            let candidates = try projectCandidates(named: name, district: district, catalog: catalog, deadline: deadline)
            guard let best = candidates.first else {
                throw NotFoundError("no project named '\(name)'" + (district.map { " in \($0)" } ?? ""))
            }
            key = best.key
            alternatives = Array(candidates.dropFirst())
        }
        var linked = try linkedRecords(key, catalog: catalog, deadline: deadline, warnings: &warnings)
        // A name key also finds the coded records of that name: one code is the project's identity.
        if key.basis == .name {
            let codes = linked.compactMap { $0.hit.record.projectKey?.code }.distinctInOrder
            if codes.count == 1 {
                key = .code(codes[0])
                linked = try linkedRecords(key, catalog: catalog, deadline: deadline, warnings: &warnings)
            } else if !codes.isEmpty {
                // Several projects with codes share the name: each is its own.
                let uncoded = linked.filter { $0.hit.record.projectKey?.basis == .name }
                let coded = try codes.map { code in
                    ProjectTimeline.summary(of: try linkedRecords(.code(code), catalog: catalog, deadline: deadline, warnings: &warnings), key: .code(code))
                }.compactMap { $0 }
                if uncoded.isEmpty, let first = coded.first {
                    key = first.key
                    linked = try linkedRecords(key, catalog: catalog, deadline: deadline, warnings: &warnings)
                    alternatives = Array(coded.dropFirst()) + alternatives
                } else {
                    linked = uncoded
                    alternatives = coded + alternatives
                }
            }
        }
        let entries = ProjectTimeline.entries(linked, warnings: &warnings)
        guard let project = ProjectTimeline.summary(of: linked, key: key), !entries.isEmpty else {
            switch lookup {
            case .code(let code): throw NotFoundError("no project with code \(ProjectKey.normalizedCode(code))")
            case .key(let key): throw NotFoundError("no project with key \(key)")
            case .name(let name, let district):
                throw NotFoundError("no project named '\(name)'" + (district.map { " in \($0)" } ?? ""))
            }
        }
        return ProjectTimeline(project: project, entries: entries,
                               alternatives: alternatives.filter { $0.key != project.key }, revision: catalog.revision,
                               warnings: warnings)
    }

    /// A project's records (project records and indicators): those carrying its key, and for a
    /// code key also the records of the years without a code, linked by name.
    private func linkedRecords(_ key: ProjectKey, catalog: Catalog, deadline: ContinuousClock.Instant?,
                               warnings: inout [String]) throws -> [(hit: SearchHit, by: ProjectKey.Basis)] {
        let own = try records(carrying: key, catalog: catalog, deadline: deadline, warnings: &warnings)
        guard key.basis == .code else { return own.map { ($0, .name) } }
        var linked = own.map { (hit: $0, by: ProjectKey.Basis.code) }
        var ids = Set(own.map(\.id))
        let nameKeys = own.filter { $0.record.type == .project }.compactMap { hit in
            hit.record.projectName.map { ProjectKey.name($0, department: hit.info.department, district: hit.info.district) }
        }.distinctInOrder
        for nameKey in nameKeys {
            for hit in try records(carrying: nameKey, catalog: catalog, deadline: deadline, warnings: &warnings)
            where hit.record.projectKey?.basis == .name && ids.insert(hit.id).inserted {
                linked.append((hit, .name))
            }
        }
        return linked
    }

    /// The project records and indicators whose key terms hold `key`.
    private func records(carrying key: ProjectKey, catalog: Catalog, deadline: ContinuousClock.Instant?,
                         warnings: inout [String]) throws -> [SearchHit] {
        guard let keyTerm = Schema.field(.projectKey).term(key.rawValue) else { return [] }
        let types = [RecordType.project, .indicator].compactMap { Schema.field(.type).term($0.rawValue) }
        let compiled = CompiledQuery(query: .filter(.term(keyTerm), .anyTerm(types)), parsed: nil, highlightWords: [])
        var hits: [SearchHit] = []
        let walk = try forEachMatch(compiled, request: SearchRequest(sort: .yearAscending), catalog: catalog,
                                    deadline: deadline) { page in
            hits += page
            return true
        }
        warnings += walk.warnings
        return hits
    }

    /// The projects a name may mean, best first: project records whose name is the name once year
    /// markers, spaces and bracket styles are set aside (else contains it), grouped by project.
    private func projectCandidates(named name: String, district: String?, catalog: Catalog,
                                   deadline: ContinuousClock.Instant?) throws -> [ProjectSummary] {
        let wanted = ProjectKey.normalizedName(name)
        guard !wanted.isEmpty else { throw QueryError("a project name must hold more than spaces and year markers") }
        let names = ProjectNameIndex.of(catalog).names(matching: wanted)
        guard !names.isEmpty else { return [] }
        var filters: [MatchQuery] = [.anyTerm([RecordType.project.rawValue].compactMap(Schema.field(.type).term))]
        if let district { filters.append(try FilterResolver(catalog: catalog).query(.district, district)) }
        let compiled = CompiledQuery(query: .filter(.anyTerm(names.compactMap(Schema.field(.project).term)), .and(filters)),
                                     parsed: nil, highlightWords: [])
        var byKey: [ProjectKey: [SearchHit]] = [:]
        var order: [ProjectKey] = []
        _ = try forEachMatch(compiled, request: SearchRequest(sort: .yearAscending), catalog: catalog, deadline: deadline) { page in
            for hit in page {
                guard let key = hit.record.projectKey else { continue }
                if byKey[key] == nil { order.append(key) }
                byKey[key, default: []].append(hit)
            }
            return true
        }
        // A year without a code belongs to the coded project of the same name.
        var absorbed = Set<ProjectKey>()
        for key in order where key.basis == .code {
            for hit in byKey[key]! {
                if let name = hit.record.projectName {
                    absorbed.insert(.name(name, department: hit.info.department, district: hit.info.district))
                }
            }
        }
        let candidates = order.filter { !absorbed.contains($0) }.compactMap { key in
            ProjectTimeline.summary(of: byKey[key]!.map { ($0, key.basis) }, key: key).map { summary in
                (summary, exact: byKey[key]!.contains { $0.record.projectName.map(ProjectKey.normalizedName) == wanted })
            }
        }
        return candidates.sorted { a, b in
            if a.exact != b.exact { return a.exact }
            if a.0.years.count != b.0.years.count { return a.0.years.count > b.0.years.count }
            if a.0.years.last != b.0.years.last { return (a.0.years.last ?? 0) > (b.0.years.last ?? 0) }
            return a.0.key.rawValue < b.0.key.rawValue
        }.map(\.0)
    }
}

/// How a timeline is made from a project's records.
extension ProjectTimeline {
    static func summary(of linked: [(hit: SearchHit, by: ProjectKey.Basis)], key: ProjectKey) -> ProjectSummary? {
        let projects = linked.map(\.hit).filter { $0.record.type == .project }.sorted(by: Self.chronological)
        guard let latest = projects.last ?? linked.last?.hit else { return nil }
        return ProjectSummary(key: key, code: key.code ?? latest.record.projectCode.map(ProjectKey.normalizedCode),
                              name: latest.record.projectName ?? latest.record.title,
                              names: projects.compactMap(\.record.projectName).distinctInOrder,
                              district: latest.info.district, department: latest.info.department,
                              years: linked.compactMap(\.hit.info.year).distinctInOrder.sorted())
    }

    /// Oldest first, budget before final, then by file and line.
    static func chronological(_ a: SearchHit, _ b: SearchHit) -> Bool {
        let left = (a.info.year ?? Int.max, kindOrder(a.info.kind)), right = (b.info.year ?? Int.max, kindOrder(b.info.kind))
        if left != right { return left < right }
        if a.fileName != b.fileName { return a.fileName < b.fileName }
        return a.record.firstLine < b.record.firstLine
    }

    private static func kindOrder(_ kind: DocumentKind?) -> Int {
        switch kind {
        case .budget?: return 0
        case .final?: return 1
        case nil: return 2
        }
    }

    /// One entry per year and kind holding a project record, with changes and execution filled in.
    static func entries(_ linked: [(hit: SearchHit, by: ProjectKey.Basis)], warnings: inout [String]) -> [TimelineEntry] {
        struct YearKind: Hashable { var year: Int?; var kind: DocumentKind? }
        let sorted = linked.sorted { chronological($0.hit, $1.hit) }
        var groups: [YearKind: [(hit: SearchHit, by: ProjectKey.Basis)]] = [:]
        var order: [YearKind] = []
        for item in sorted {
            let key = YearKind(year: item.hit.info.year, kind: item.hit.info.kind)
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append(item)
        }
        var entries: [TimelineEntry] = []
        for key in order {
            let group = groups[key]!
            let projects = group.filter { $0.hit.record.type == .project }
            guard let primary = projects.first else {
                warnings.append("indicators of \(key.year.map(String.init) ?? "an unknown year") \(key.kind?.rawValue ?? "") have no project record; left out")
                continue
            }
            entries.append(TimelineEntry(hit: primary.hit, by: primary.by, amount: figure(of: primary.hit.record, kind: key.kind),
                                         change: nil, execution: nil,
                                         indicators: group.filter { $0.hit.record.type == .indicator }.map(\.hit),
                                         others: projects.dropFirst().map(\.hit)))
        }
        for index in entries.indices {
            let entry = entries[index]
            if let year = entry.year, let amount = entry.amount,
               let previous = entries[..<index].last(where: { $0.kind == entry.kind && $0.year.map { $0 < year } == true && $0.amount != nil }),
               let previousYear = previous.year, let previousAmount = previous.amount {
                let difference = AmountSum(millionths: AmountSum.millionths(ofWanYuan: amount.wanYuan)
                    - AmountSum.millionths(ofWanYuan: previousAmount.wanYuan))
                entries[index].change = TimelineEntry.Change(
                    fromYear: previousYear, difference: difference,
                    percent: previousAmount.wanYuan == 0 ? nil : difference.wanYuan / previousAmount.wanYuan * 100)
            }
            if entry.kind == .final {
                let budget = entries.first { $0.kind == .budget && $0.year == entry.year && $0.year != nil }
                entries[index].execution = execution(of: entry.hit.record, budget: budget?.amount)
            }
        }
        return entries
    }

    /// A budget's primary amount; a final's 全年执行数 where the document prints it.
    public static func figure(of record: Record, kind: DocumentKind?) -> Amount? {
        if kind == .final, let spent = record.amounts.first(where: { $0.label == "全年执行数" }) { return spent }
        return record.primaryAmount
    }

    /// 执行率: the final's 全年执行数 against the year's budget, else against the final's own 全年预算数.
    static func execution(of final: Record, budget: Amount?) -> TimelineEntry.Execution? {
        guard let spent = final.amounts.first(where: { $0.label == "全年执行数" }) else { return nil }
        let planned: (Double, TimelineEntry.Execution.BudgetSource)
        if let budget {
            planned = (budget.wanYuan, .budget)
        } else if let own = final.amounts.first(where: { $0.label == "全年预算数" }) ?? final.amounts.first(where: { $0.label == "年初预算数" }) {
            planned = (own.wanYuan, .final)
        } else {
            return nil
        }
        return TimelineEntry.Execution(budget: planned.0, budgetSource: planned.1, spent: spent.wanYuan,
                                       ratePercent: planned.0 == 0 ? nil : spent.wanYuan / planned.0 * 100,
                                       printedRate: final.fields["executionRate"])
    }
}

/// The project names of a revision by their normalised form (`ProjectKey.normalizedName`), built
/// once per catalog when a name is first looked up.
final class ProjectNameIndex: @unchecked Sendable {
    // Immutable after init.
    private let exact: [String: [String]]
    private let all: [(normalized: String, name: String)]

    private init(names: [String]) {
        all = names.map { (ProjectKey.normalizedName($0), $0) }
        var exact: [String: [String]] = [:]
        for (normalized, name) in all { exact[normalized, default: []].append(name) }
        self.exact = exact
    }

    /// Names equal to `normalized` once normalised, else (at most `maximumContaining`, the
    /// shortest: the closest) containing it.
    func names(matching normalized: String) -> [String] {
        if let names = exact[normalized] { return names }
        let containing = all.filter { $0.normalized.contains(normalized) }
        return containing.sorted { ($0.normalized.count, $0.name) < ($1.normalized.count, $1.name) }
            .prefix(Self.maximumContaining).map(\.name)
    }

    /// A word many names contain (`经费`) names no project; beyond this many, the closest are taken.
    static let maximumContaining = 200

    // `latest` is guarded by `lock`; one daemon serves one revision at a time.
    private static let lock = NSLock()
    nonisolated(unsafe) private static var latest: (catalog: Weak, index: ProjectNameIndex)?

    private struct Weak {
        weak var catalog: Catalog?
    }

    static func of(_ catalog: Catalog) -> ProjectNameIndex {
        lock.lock()
        defer { lock.unlock() }
        if let latest, latest.catalog.catalog === catalog { return latest.index }
        let index = ProjectNameIndex(names: catalog.projectNames)
        latest = (Weak(catalog: catalog), index)
        return index
    }
}
