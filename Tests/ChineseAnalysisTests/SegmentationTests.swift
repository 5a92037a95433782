import ChineseAnalysis
import Testing

@Suite struct SegmentationTests {
    let analyzer = sharedAnalyzer

    @Test func corpusSentence() {
        #expect(analyzer.segment("以及咨询电话知识库更新完善工作。负责全区政府网站")
            == ["以及", "咨询电话", "知识库", "更新", "完善", "工作", "。", "负责", "全区", "政府", "网站"])
    }

    @Test func numbersAndCodesStayWhole() {
        #expect(analyzer.segment("2010301-行政运行\t188. 886000")
            == ["2010301", "-", "行政运行", "188.886000"])
        #expect(analyzer.segment("11010222T000000417336-西城区").prefix(2) == ["11010222t000000417336", "-"])
        #expect(analyzer.segment("95\t50-%") == ["95", "50", "-", "%"])
    }

    @Test func domainNamesAreWords() {
        #expect(analyzer.segment("西城区视频会议系统运行维护项目") == ["西城区视频会议系统运行维护项目"])
        #expect(analyzer.segment("丰台区2021年一网通办项目").contains("一网通办项目"))
        // Recurring parts of names become words of their own.
        #expect(analyzer.segment("服务器运行维护费用").contains("运行维护"))
    }

    @Test func originalCharactersForBenchmarks() {
        #expect(analyzer.segmentKeepingOriginal("視頻會議和ＬＥＤ顯示屏， 2023 年")
            == ["視頻會議", "和", "ＬＥＤ", "顯示屏", "，", "2023", "年"])
    }

    @Test func traditionalAndFullWidthTextGivesTheSameTerms() {
        let simplified = "负责全区政府网站及视频会议系统的管理工作,led显示屏2023年"
        let variant = "負責全區政府網站及視頻會議系統的管理工作，ＬＥＤ顯示屏２０２３年"
        #expect(analyzer.segment(variant) == analyzer.segment(simplified))
        #expect(analyzer.indexTerms(variant) == analyzer.indexTerms(simplified))
    }

    @Test func unknownRunsAreKept() {
        let text = "荣昊岩负责"
        #expect(analyzer.segment(text).joined() == text)
    }

    @Test func learningIsDeterministic() throws {
        let lexicon = try Lexicon.loadDefault()
        let a = Analyzer(lexicon: lexicon, domainNames: corpusNames)
        let b = Analyzer(lexicon: lexicon, domainNames: corpusNames.reversed()).learning(names: ["行政运行"])
        let text = "西城区视频会议系统设备备品备件和西城区政府网站运行维护项目，行政运行支出"
        #expect(a.domainNames == b.domainNames)
        #expect(a.indexTerms(text) == b.indexTerms(text))
    }

    @Test func missingDictionaryNamesThePathsTried() {
        #expect {
            try Lexicon.load(directory: "/nonexistent/dictionaries")
        } throws: { error in
            "\(error)".contains("/nonexistent/dictionaries")
        }
    }
}
