import ChineseAnalysis
import Testing

/// Real sentences from Index/corpus/*.txt.
let corpusTexts = [
    "项目支出主要包括西城区 2023 年度政府绩效管理项目及 2022 年度项目尾款、西城区视频会议系统运行维护项目、",
    "区政务大厅、相关专业大厅进驻事项的业务电话咨询、解答、以及咨询电话知识库更新完善工作。负责全区政府网站",
    "负责推进、指导、监督本区政府网站建设、发展及区政府门户网站的管理工作。",
    "\t丰台区2020年“互联网+政务服务”一网通办项目",
    "三公经费是指单位通过财政拨款资金安排的因公出国（境）费、公务用车购置及运行费和公务接待费。",
    "四、部门“三公”经费财政拨款预算说明",
    "\t\t满意度 指标\t服务对 象满意 度指标\t质检合格率\t≥\t95\t50-%\t1-正向 指标",
    "北京市朝阳区政务服务管理局\t01226-朝阳区政务服务管理局等保定级备案以及等级测评服务\t27.150000",
    "2010301-行政运行\t50101-工资奖金津补贴\t30101-基本工资\t188. 886000\t188. 886000",
    "北京市西城区政务服务管理局",
    "11010222T000000417336-西城区视频会议系统运行维护项目\t31-部门项目\t荣昊岩\t88064285\t270.800000",
    // Variants as other PDFs write them: traditional characters, full-width letters and digits.
    "負責全區政府網站及視頻會議系統的管理工作，ＬＥＤ顯示屏２０２３年",
]

@Suite struct IndexQueryContractTests {
    let analyzer = sharedAnalyzer

    /// A query matches exactly the texts that contain it, after normalisation (quotation marks
    /// inside terms are transparent: 三公经费 is in “三公”经费).
    @Test(arguments: ["视频会议", "政府网站", "咨询电话", "一网通办", "三公经费", "满意度", "等级测评", "西城", "2010301",
                      "視頻會議", "led显示屏", "2023年", "188.886000", "服务对象满意度", "系统运行维护", "统运",
                      "11010222T000000417336", "\"政府网站\"", "局", "办公"])
    func queryFindsExactlyTheTextsContainingIt(query: String) {
        let needle = analyzer.normalize(query).filter { $0 != "\"" }
        for text in corpusTexts {
            let contains = analyzer.normalize(text).filter { $0 != " " && $0 != "\"" }.contains(needle)
            #expect(analyzer.finds(query, in: text) == contains, "\(query) in \(text)")
        }
    }

    @Test func crossBoundaryMatchesDoNotGetTheWordBoost() {
        let text = "以及咨询电话知识库更新完善工作"
        #expect(analyzer.findsAsWords("咨询电话", in: text))
        #expect(analyzer.finds("询电", in: text))
        #expect(!analyzer.findsAsWords("询电", in: text))
        #expect(analyzer.finds("西城", in: "东西城墙"))
        #expect(!analyzer.findsAsWords("西城", in: "东西城墙"))
        #expect(analyzer.findsAsWords("政府网站", in: "负责全区政府网站建设"))
    }

    @Test func wordsInsideLongerWordsRankAsWords() {
        let text = "西城区视频会议系统运行维护项目"
        #expect(analyzer.findsAsWords("视频会议", in: text))
        #expect(analyzer.findsAsWords("运行维护", in: text))
    }

    @Test func termsAndPositions() {
        let terms = analyzer.indexTerms("西城区 2023 年度,ＬＥＤ")
        let byPosition = Dictionary(grouping: terms, by: \.position).mapValues { Set($0.map(\.term)) }
        // One term per position: the bigram starting there, or the character ending a run.
        #expect(byPosition[1] == ["#西城"])
        #expect(byPosition[2] == ["#城区"])
        #expect(byPosition[3] == ["#区"])
        #expect(byPosition[4] == ["2023"])
        #expect(byPosition[5] == ["#年度"])
        #expect(byPosition[6] == ["#度"])
        #expect(byPosition[7] == ["led"])
        // Words take no position.
        #expect(byPosition[nil] == ["西城区", "西城", "城区", "年度"])
        #expect(byPosition.count == 8)
    }

    @Test func noTermStartsWithACapitalOrIsASymbol() {
        for text in corpusTexts {
            for term in analyzer.indexTerms(text).map(\.term) {
                #expect(!(term.first.map { $0.isASCII && $0.isUppercase } ?? true), "\(term)")
                #expect(!["%", "-", "50-%", "、"].contains(term))
            }
        }
    }

    @Test func punctuationBreaksBigramsInTextsButNotInQueries() {
        #expect(!analyzer.finds("政府网站", in: "负责政府，网站"))
        #expect(analyzer.finds("政府，网站", in: "负责政府，网站"))
        #expect(analyzer.finds("政府，网站", in: "负责政府网站"))
    }

    @Test func corpusRowTerms() {
        let terms = Set(analyzer.indexTerms(corpusTexts[8]).map(\.term))
        #expect(terms.isSuperset(of: ["2010301", "行政运行", "行政", "运行", "#行政", "#政运", "50101", "188.886000",
                                      "基本工资", "#资"]))
        #expect(!terms.contains("188") && !terms.contains("886000"))
    }

    @Test func overlongTokensAreCutTheSameWayOnBothSides() {
        let code = String(repeating: "a1", count: 200)
        let text = "编号" + code + "结束"
        #expect(analyzer.indexTerms(text).allSatisfy { $0.term.utf8.count <= 240 })
        #expect(analyzer.finds(code, in: text))
    }

    @Test func singleCharactersAndSymbols() {
        #expect(analyzer.query(for: "局") == .anyStartingWith(Analyzer.characterTermPrefix + "局"))
        #expect(analyzer.query(for: "“”、") == nil)
        #expect(analyzer.query(for: "西城") == .withBonus(.term("#西城"), bonus: .boosted(.term("西城"), Analyzer.wordBoost)))
        // A character the query ends with may start a bigram in a text.
        #expect(analyzer.query(for: "2023年") == .phrase([.term("2023"), .anyStartingWith("#年")]))
        #expect(analyzer.query(for: "政府，网站") == .withBonus(
            .phrase([.term("#政府"), .anyStartingWith("#府"), .term("#网站")]),
            bonus: .boosted(.all([.term("政府"), .term("网站")]), Analyzer.wordBoost)))
    }

    @Test func concurrentUseGivesTheSameTerms() async {
        let text = corpusTexts[0]
        let expected = analyzer.indexTerms(text)
        await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<8 { group.addTask { sharedAnalyzer.indexTerms(text) == expected } }
            for await same in group { #expect(same) }
        }
    }
}

@Suite struct QuotedTermTests {
    @Test func quotationMarksInsideATermDoNotHideIt() throws {
        let analyzer = try Analyzer.standard()
        let indexed = analyzer.indexTerms("四、部门“三公”经费财政拨款预算说明")
        let terms = Set(indexed.map(\.term))
        #expect(terms.contains("#公经"))
        // 三公经费 typed plainly finds the quoted form; the quoted form finds itself.
        for query in ["三公经费", "“三公”经费"] {
            let recall = analyzer.query(for: query)
            #expect(recall != nil)
            #expect(Self.mentions(recall!, "#公经"))
        }
    }

    /// The side store lets a record holding the query's word skip the phrase check: that is only
    /// right if every text indexed with such a word term holds the word's bigram phrase.
    @Test func aHanWordTermProvesItsPhrase() {
        let analyzer = sharedAnalyzer
        let texts = corpusTexts + ["政务 服务中心", "政务\n服务大厅", "“政务”服务", "西城区政务服务管理局2023年度政务服务体系",
                                   "视频会议系统 运行维护项目", "电子政务内网机房运行维护"]
        var proofs = 0
        for text in texts {
            for term in analyzer.indexTerms(text) where term.position == nil {
                guard case .withBonus(.phrase(let parts), _)? = analyzer.query(for: term.term) else { continue }
                let bigrams = parts.compactMap { part -> String? in if case .term(let t) = part { return t } else { return nil } }
                guard bigrams.count == parts.count, Analyzer.wordTermHoldsPhrase(term.term, bigrams: bigrams) else { continue }
                proofs += 1
                #expect(analyzer.finds(term.term, in: text), "\(term.term) in \(text)")
            }
        }
        #expect(proofs >= 20)
        #expect(Analyzer.wordTermHoldsPhrase("政务服务", bigrams: ["#政务", "#务服", "#服务"]))
        #expect(!Analyzer.wordTermHoldsPhrase("政务服务", bigrams: ["#政务", "#服务"]))
        #expect(!Analyzer.wordTermHoldsPhrase("政务服务", bigrams: ["#务服", "#政务", "#服务"]))
        #expect(!Analyzer.wordTermHoldsPhrase("2023年度", bigrams: ["2023", "#年度"]))
    }

    static func mentions(_ query: TermQuery, _ term: String) -> Bool {
        switch query {
        case .term(let t): return t == term
        case .anyStartingWith: return false
        case .phrase(let parts), .all(let parts), .any(let parts): return parts.contains { mentions($0, term) }
        case .boosted(let inner, _): return mentions(inner, term)
        case .withBonus(let inner, let bonus): return mentions(inner, term) || mentions(bonus, term)
        }
    }
}
