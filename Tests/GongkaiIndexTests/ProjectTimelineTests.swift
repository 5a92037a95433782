import ChineseAnalysis
import Disclosure
import Foundation
import Testing
@testable import GongkaiIndex

/// A sample disclosure rewritten for the next year, as the department would publish it: every
/// `20XX年` one year later, figures replaced as given, codes kept.
func addNextYearsCopy(of name: String, in scratch: Scratch, as copyName: String, replacing figures: [(String, String)] = []) throws {
    var text = try String(contentsOfFile: scratch.corpus + "/" + name, encoding: .utf8)
    let years = try NSRegularExpression(pattern: "(20[0-9]{2})(\\s*年)")
    var shifted = ""
    var cursor = text.startIndex
    for match in years.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
        let year = Range(match.range(at: 1), in: text)!
        shifted += text[cursor..<year.lowerBound] + String(Int(text[year])! + 1)
        cursor = year.upperBound
    }
    text = shifted + text[cursor...]
    for (old, new) in figures { text = text.replacingOccurrences(of: old, with: new) }
    try text.write(toFile: scratch.corpus + "/" + copyName, atomically: true, encoding: .utf8)
}

private func searcher(_ scratch: Scratch, sideStore: Bool = true) throws -> Searcher {
    let searcher = try Searcher(databasePath: scratch.database, analyzers: sharedAnalyzers)
    searcher.usesSideStore = sideStore
    return searcher
}

@Suite struct ProjectTimelineTests {
    static let videoConference = "11010222T000000417336"

    /// Issue 14: the next year's copy of 西城区人民政府办公室's budget, one project's amount
    /// changed and codes kept: its projects have one timeline over both years.
    @Test func aProjectKeepsItsCodeIntoTheNextYearsBudget() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        try addNextYearsCopy(of: "001_1a6cbd115fe7ae86.txt", in: scratch, as: "101_xicheng_next_year.txt",
                             replacing: [("270.800000", "300.500000")])
        _ = try index(scratch)
        for sideStore in [true, false] {
            let timeline = try searcher(scratch, sideStore: sideStore).projectTimeline(.code(Self.videoConference))
            #expect(timeline.project.key.rawValue == "code:" + Self.videoConference)
            #expect(timeline.project.name == "西城区视频会议系统运行维护项目")
            #expect(timeline.project.years == [2023, 2024])
            #expect(timeline.entries.map(\.year) == [2023, 2024])
            #expect(timeline.entries.allSatisfy { $0.kind == .budget && $0.by == .code })
            #expect(timeline.entries.map { $0.amount?.wanYuan } == [270.8, 300.5])
            #expect(timeline.entries[0].change == nil)
            let change = try #require(timeline.entries[1].change)
            #expect(change.fromYear == 2023 && change.difference.decimalText == "29.7")
            #expect(abs((change.percent ?? 0) - 29.7 / 270.8 * 100) < 1e-9)
            #expect(timeline.entries.map(\.hit.fileName) == ["001_1a6cbd115fe7ae86.txt", "101_xicheng_next_year.txt"])
            #expect(timeline.entries.allSatisfy { $0.indicators.count == 28 && $0.department == "北京市西城区人民政府办公室" })
        }
        // Every coded project of the document has both years; the unchanged ones no change.
        let unchanged = try searcher(scratch).projectTimeline(.code("11010222T000000417204"))
        #expect(unchanged.entries.map(\.year) == [2023, 2024])
        #expect(unchanged.entries[1].change?.difference == AmountSum(millionths: 0))
        #expect(unchanged.entries[1].change?.percent == 0)
    }

    /// A project without a code whose name changed only by its year is linked by name, and says so.
    @Test func aProjectWithoutCodeIsLinkedByItsNameAcrossYears() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        try addNextYearsCopy(of: "000_c0013659a1ffb08b.txt", in: scratch, as: "100_xicheng_next_year.txt")
        _ = try index(scratch)
        for lookup in [ProjectLookup.name("西城区2023年度政务服务体系质量监测项目", district: "西城"),
                       .name("西城区 2022 年度政务服务体系质量监测项目", district: nil),
                       .key(ProjectKey.name("西城区政务服务体系质量监测项目", department: "北京市西城区政务服务管理局", district: "西城区"))] {
            let timeline = try searcher(scratch).projectTimeline(lookup)
            #expect(timeline.project.key.basis == .name && timeline.project.code == nil)
            #expect(timeline.entries.map(\.year) == [2022, 2023])
            #expect(timeline.entries.allSatisfy { $0.by == .name })
            #expect(timeline.project.names == ["西城区2022年度政务服务体系质量监测项目", "西城区2023年度政务服务体系质量监测项目"])
            #expect(timeline.entries.map { $0.amount?.wanYuan } == [79.95, 79.95])
        }
    }

    /// A year in which the project had no code joins the timeline of its code, linked by name.
    @Test func aYearWithoutTheCodeJoinsTheCodedTimelineByName() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        // The next year's copy prints the project without its code (the PDF lost it).
        try addNextYearsCopy(of: "001_1a6cbd115fe7ae86.txt", in: scratch, as: "101_xicheng_next_year.txt",
                             replacing: [("11010222T000000417336-", "")])
        _ = try index(scratch)
        let timeline = try searcher(scratch).projectTimeline(.code(Self.videoConference))
        #expect(timeline.entries.map(\.year) == [2023, 2024])
        #expect(timeline.entries.map(\.by) == [.code, .name])
        // Asked by name, the project is the coded one.
        let byName = try searcher(scratch).projectTimeline(.name("西城区视频会议系统运行维护项目", district: "西城区"))
        #expect(byName.project.key == .code(Self.videoConference))
        #expect(byName.entries.map(\.by) == [.code, .name])
    }

    @Test func aFinalComparesSpendingWithTheBudgetItPrints() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        _ = try index(scratch)
        let timeline = try searcher(scratch).projectTimeline(.name("政管局党费返还留成党建经费", district: "丰台区"))
        let entry = try #require(timeline.entries.first)
        #expect(timeline.entries.count == 1 && entry.kind == .final && entry.year == 2021)
        #expect(entry.amount?.label == "全年执行数" && entry.amount?.wanYuan == 0.38)
        let execution = try #require(entry.execution)
        #expect(execution.budget == 0.4986 && execution.budgetSource == .final && execution.spent == 0.38)
        #expect(abs((execution.ratePercent ?? 0) - 0.38 / 0.4986 * 100) < 1e-9)
        #expect(execution.printedRate == "76%")
    }

    @Test func budgetAgainstFinalUsesTheYearsBudgetWhereThereIsOne() {
        let final = Record(type: .project, title: "x", text: "x", firstLine: 1, lastLine: 1, amounts: [
            Amount(label: "全年预算数", wanYuan: 110, printed: "110", unit: "万元"),
            Amount(label: "全年执行数", wanYuan: 99, printed: "99", unit: "万元"),
        ], fields: ["executionRate": "90%"])
        let budget = Amount(label: "项目总额", wanYuan: 100, printed: "100", unit: "万元")
        let against = ProjectTimeline.execution(of: final, budget: budget)
        #expect(against?.budget == 100 && against?.budgetSource == .budget && against?.ratePercent == 99 && against?.printedRate == "90%")
        let own = ProjectTimeline.execution(of: final, budget: nil)
        #expect(own?.budget == 110 && own?.budgetSource == .final && own?.ratePercent == 90)
        var unspent = final
        unspent.amounts.removeLast()
        #expect(ProjectTimeline.execution(of: unspent, budget: budget) == nil)
        #expect(ProjectTimeline.figure(of: final, kind: .final)?.label == "全年执行数")
        #expect(ProjectTimeline.figure(of: final, kind: .budget)?.label == "全年预算数")
    }

    @Test func aNameSeveralDepartmentsUseGivesTheOthersAsAlternatives() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        _ = try index(scratch)
        let timeline = try searcher(scratch).projectTimeline(.name("预留机动费", district: "西城区"))
        #expect(timeline.entries.count == 1)
        #expect(timeline.alternatives.count == 1)
        #expect(Set([timeline.project.department, timeline.alternatives[0].department])
            == ["北京市西城区人民政府办公室", "北京市西城区政务服务管理局"])
    }

    @Test func anUnknownProjectIsNotFoundNeverAnEmptyTimeline() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        _ = try index(scratch)
        let searcher = try searcher(scratch)
        #expect(throws: NotFoundError.self) { try searcher.projectTimeline(.code("11010222T000000000000")) }
        #expect(throws: NotFoundError.self) { try searcher.projectTimeline(.name("从未有过的项目", district: nil)) }
        #expect(throws: NotFoundError.self) { try searcher.projectTimeline(.name("预留机动费", district: "朝阳区")) }
        #expect(throws: NotFoundError.self) {
            try searcher.projectTimeline(.key(ProjectKey(rawValue: "name:西城区/某局/某项目")!))
        }
        #expect(throws: QueryError.self) { try searcher.projectTimeline(.name("2023年度", district: nil)) }
        #expect(throws: QueryError.self) { try searcher.projectTimeline(.name("预留机动费", district: "火星区")) }
    }

    /// Keys come from what the file prints: indexing it again (or another file changing) keeps them.
    @Test func keysSurviveReindexing() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        _ = try index(scratch)
        func keys() throws -> [String: String] {
            var keys: [String: String] = [:]
            _ = try searcher(scratch).forEachMatch(SearchRequest(query: "type:project")) { hits in
                for hit in hits { keys[hit.id] = hit.record.projectKey?.rawValue }
                return true
            }
            return keys
        }
        let before = try keys()
        #expect(before.count == SampleCorpusCounts.projects && before.values.allSatisfy { !$0.isEmpty })
        try FileManager.default.removeItem(atPath: try scratch.file("002"))
        _ = try index(scratch)
        try FileManager.default.copyItem(atPath: Scratch.corpus + "/002_e3bab72684dbaaaa.txt", toPath: scratch.corpus + "/002_e3bab72684dbaaaa.txt")
        let summary = try index(scratch)
        #expect(summary.added.count == 1)
        #expect(try keys() == before)
    }
}

@Suite struct MatchExportTests {
    /// Every match, a page at a time; each row's file and line lead back to its source text.
    @Test(arguments: [true, false])
    func anExportOfProjectsHasExactlyTotalRowsEachLeadingBackToItsSource(sideStore: Bool) throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        _ = try index(scratch)
        let searcher = try searcher(scratch, sideStore: sideStore)
        let request = SearchRequest(query: "type:project")
        let total = try searcher.search(request).total
        var rows: [ExportRow] = []
        let walk = try searcher.forEachMatch(request, pageSize: 7) { hits in
            #expect(hits.count <= 7)
            rows += hits.map(ExportRow.init)
            return true
        }
        #expect(total == SampleCorpusCounts.projects && rows.count == total && walk.total == total && walk.delivered == total && !walk.stopped)
        #expect(Set(rows.map(\.id)).count == total)
        var texts: [String: [String]] = [:]
        let projects = try searcher.search(SearchRequest(query: "type:project", limit: 1000)).hits
        for row in rows {
            let lines = try texts[row.file] ?? String(contentsOfFile: scratch.corpus + "/" + row.file, encoding: .utf8)
                .components(separatedBy: "\n")
            texts[row.file] = lines
            // The record starts at its line, and its lines print the project's name (or, as tables
            // spell it differently, an alias).
            let record = try #require(projects.first { $0.id == row.id })
            let firstLine = lines[row.line - 1]
            #expect(firstLine.contains { !$0.isWhitespace })
            let printed = lines[(row.line - 1)..<record.record.lastLine].joined().filter { !$0.isWhitespace }
            let names = [row.title] + (record.record.fields["aliases"]?.components(separatedBy: "；") ?? [])
            #expect(names.contains { printed.contains($0.filter { !$0.isWhitespace }) }, "\(row.id) \(row.file):\(row.line)")
        }
    }

    @Test func theConsumerStopsTheWalk() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        _ = try index(scratch)
        var pages = 0
        let walk = try searcher(scratch).forEachMatch(SearchRequest(), pageSize: 100) { _ in
            pages += 1
            return false
        }
        #expect(pages == 1 && walk.delivered == 100 && walk.stopped && walk.total == SampleCorpusCounts.records)
    }

    @Test func exportsOfBothEnginesHoldTheSameRecords() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        _ = try index(scratch)
        func ids(_ sideStore: Bool) throws -> [String] {
            var ids: [String] = []
            _ = try searcher(scratch, sideStore: sideStore).forEachMatch(SearchRequest(query: "视频会议 OR 三公经费", sort: .amountDescending)) { hits in
                ids += hits.map(\.id)
                return true
            }
            return ids
        }
        let side = try ids(true), xapian = try ids(false)
        #expect(!side.isEmpty && side.sorted() == xapian.sorted())
    }

    @Test func csvQuotesAsRFC4180() {
        #expect(CSV.record(["a", "b,c", "say \"hi\"", "two\nlines", "", "中文"]) == "a,\"b,c\",\"say \"\"hi\"\"\",\"two\nlines\",,中文\r\n")
        #expect(CSV.record(ExportRow.columns) == "id,type,title,district,year,kind,department,project_code,project_key,codes,amount_wan,file,line,page\r\n")
        #expect(CSV.byteOrderMark.utf8.elementsEqual([0xEF, 0xBB, 0xBF]))
    }
}

@Suite struct FiscalVocabularyTests {
    @Test func partsAreFoundTransitivelyAndSynonymsBothWays() throws {
        let vocabulary = try FiscalVocabulary(text: """
            # version: 7
            # source: a test
            三公经费 => 因公出国（境）费 | 公务用车购置及运行费 | 公务接待费
            公务用车购置及运行费 = 公务用车购置及运行维护费
            公务用车购置及运行费 => 公务用车购置费 | 公务用车运行维护费
            因公出国（境）费 = 因公出国（境）费用
            """)
        #expect(vocabulary.version == "7" && vocabulary.sources == ["a test"])
        #expect(vocabulary.alternatives(for: "三公经费") == ["因公出国（境）费", "因公出国（境）费用", "公务用车购置及运行费",
                                                              "公务用车购置及运行维护费", "公务接待费", "公务用车购置费", "公务用车运行维护费"])
        #expect(vocabulary.alternatives(for: "公务用车购置及运行维护费") == ["公务用车购置及运行费", "公务用车购置费", "公务用车运行维护费"])
        #expect(vocabulary.alternatives(for: "公务接待费").isEmpty)
        #expect(vocabulary.alternatives(for: "因公出国(境)费") == ["因公出国（境）费用"])
        #expect(vocabulary.alternatives(for: " 三公 经费 ") == vocabulary.alternatives(for: "三公经费"))
    }

    @Test(arguments: ["三公经费 => 公务接待费", "# version: 1\n三公经费", "# version: 1\n => 公务接待费", "# version: 1\na = ", "# version: 1\na | b => c"])
    func aMalformedVocabularyIsRefused(text: String) {
        #expect(throws: DictionaryError.self) { try FiscalVocabulary(text: text) }
    }

    @Test func theShippedVocabularyStatesItsVersionAndSources() throws {
        let shipped = try FiscalVocabulary.loadDefault()
        #expect(!shipped.version.isEmpty && shipped.version != "none")
        #expect(shipped.sources.contains { $0.contains("政府收支分类科目") })
        #expect(shipped.sources.contains { $0.contains("“三公”经费") })
        #expect(Set(["因公出国（境）费", "公务用车购置及运行费", "公务接待费"]).isSubset(of: shipped.alternatives(for: "三公经费")))
    }

    /// Issue 14: `三公经费` also finds the rows of its three parts.
    @Test func sanGongJingFeiFindsTheRowsOfItsParts() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        _ = try index(scratch)
        let plain = AnalyzerCache(lexicon: try sharedAnalyzers.lexicon(), vocabulary: .none)
        func ids(_ query: String, _ analyzers: AnalyzerCache = sharedAnalyzers) throws -> Set<String> {
            Set(try Searcher(databasePath: scratch.database, analyzers: analyzers).search(SearchRequest(query: query, limit: 1000)).hits.map(\.id))
        }
        let expanded = try ids("三公经费"), unexpanded = try ids("三公经费", plain)
        let parts = try ids(#"公务接待费 OR "因公出国（境）费" OR 公务用车购置及运行费 OR 公务用车购置及运行维护费 OR 公务用车运行维护费"#, plain)
        #expect(unexpanded.isSubset(of: expanded) && expanded.count > unexpanded.count)
        let coded = try ids("code:30217", plain)  // 公务接待费 rows of the economic classification
        #expect(!coded.isEmpty && coded.isSubset(of: expanded))
        #expect(!parts.subtracting(unexpanded).isEmpty && parts.isSubset(of: expanded))
    }

    /// A classification name finds the records coded with it, whether or not they print the name.
    @Test func aClassificationNameFindsItsCodes() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        _ = try index(scratch)
        let searcher = try Searcher(databasePath: scratch.database, analyzers: sharedAnalyzers)
        let found = Set(try searcher.search(SearchRequest(query: "行政运行", limit: 1000)).hits.map(\.id))
        let catalog = try searcher.currentCatalog()
        let codes = catalog.codeNames.filter { $0.value == "行政运行" }.keys.sorted()
        #expect(!codes.isEmpty && codes.allSatisfy { $0.hasSuffix("01") })
        for code in codes {
            let coded = Set(try searcher.search(SearchRequest(query: "code:\(code)", limit: 1000)).hits.map(\.id))
            #expect(!coded.isEmpty && coded.isSubset(of: found), "\(code)")
        }
        let explained = try searcher.search(SearchRequest(query: "行政运行 三公经费", explain: true)).explanation
        let expansions = Dictionary(uniqueKeysWithValues: (explained?.expansions ?? []).map { ($0.word, $0.alternatives) })
        #expect(expansions["行政运行"] == codes.map { "code:" + $0 })
        #expect(expansions["三公经费"]?.contains("公务接待费") == true && expansions["三公经费"]?.contains("code:30217") == true)
    }

    /// The vocabulary's version is written with the index and decides cached answers.
    @Test func theVersionIsStoredWithTheIndexAndKeysTheCache() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        _ = try index(scratch) { $0.vocabularyVersion = sharedAnalyzers.vocabulary.version }
        let cache = ResultCache(capacity: 16)
        let first = try Searcher(databasePath: scratch.database, analyzers: sharedAnalyzers)
        first.cache = cache
        #expect(try first.currentCatalog().indexedVocabularyVersions == [sharedAnalyzers.vocabulary.version])
        let request = SearchRequest(query: "三公经费")
        #expect(try first.search(request).cached == false)
        #expect(try first.search(request).cached == true)
        let other = try Searcher(databasePath: scratch.database,
                                 analyzers: AnalyzerCache(lexicon: try sharedAnalyzers.lexicon(), vocabulary: .none))
        other.cache = cache
        let unexpanded = try other.search(request), expanded = try first.search(request)
        #expect(unexpanded.cached == false && unexpanded.total < expanded.total)
    }
}

@Suite struct SimilarProjectsTests {
    @Test func similarProjectsAreOtherProjectsRankedByTheProjectsOwnWords() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        try addNextYearsCopy(of: "001_1a6cbd115fe7ae86.txt", in: scratch, as: "101_xicheng_next_year.txt")
        _ = try index(scratch)
        for sideStore in [true, false] {
            let searcher = try searcher(scratch, sideStore: sideStore)
            let project = try #require(try searcher.search(SearchRequest(query: "党建 type:project")).hits.first)
            let similar = try searcher.similarProjects(to: project.id)
            #expect(similar.source.id == project.id)
            #expect(!similar.terms.isEmpty && similar.terms.allSatisfy { Searcher.isWordTerm($0.term) })
            #expect(!similar.similar.isEmpty)
            #expect(similar.similar.allSatisfy { $0.record.type == .project && $0.record.projectKey != project.record.projectKey })
            #expect(Set(similar.similar.map { $0.record.projectKey }).count == similar.similar.count)
            #expect(similar.similar.first?.record.title.contains("党") == true)
        }
        let searcher = try searcher(scratch)
        #expect(throws: NotFoundError.self) { try searcher.similarProjects(to: "nothing.txt:1") }
    }

    @Test func wordTermsAreSegmentedWordsOnly() {
        #expect(Searcher.isWordTerm("视频会议") && Searcher.isWordTerm("led屏"))
        #expect(!Searcher.isWordTerm("#视频") && !Searcher.isWordTerm("XDIST西城区") && !Searcher.isWordTerm("2023年"))
        #expect(!Searcher.isWordTerm("11010222t000000417336") && !Searcher.isWordTerm("局") && !Searcher.isWordTerm("led"))
    }
}

/// What the parser makes of the sample corpus, so that counts follow the parser.
enum SampleCorpusCounts {
    static let parsed: [Record] = {
        let folder = Scratch.corpus
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return names.flatMap { (try? DisclosureParser().parseFile(atPath: folder + "/" + $0).records) ?? [] }
    }()
    static let records = parsed.count
    static let projects = parsed.filter { $0.type == .project }.count
}
