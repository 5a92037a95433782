import ChineseAnalysis
import Testing

@Suite struct HighlightTests {
    let analyzer = sharedAnalyzer

    func marked(_ text: String, _ words: [String]) -> [String] {
        analyzer.highlightRanges(in: text, for: words).map { String(text[$0]) }
    }

    @Test func wholeMatchedSubstrings() {
        #expect(marked("负责全区政府网站建设及区政府门户网站", ["政府网站"]) == ["政府网站"])
        #expect(marked("西城区视频会议系统", ["视频", "会议系统"]) == ["视频会议系统"])
    }

    @Test func mapsNormalisationBackToTheOriginal() {
        #expect(marked("西城區視頻會議系統", ["视频会议"]) == ["視頻會議"])
        #expect(marked("ＬＥＤ顯示屏", ["led"]) == ["ＬＥＤ"])
        #expect(marked("西城区 2023 年度", ["2023年"]) == ["2023 年"])
    }
}
