import ChineseAnalysis
import Testing

@Suite struct NormalizationTests {
    let analyzer = sharedAnalyzer

    @Test func fullWidthAndCase() {
        #expect(analyzer.normalize("ＬＥＤ显示屏２０２３年") == "led显示屏2023年")
        #expect(analyzer.normalize("11010222T000000417336") == "11010222t000000417336")
    }

    @Test func traditionalToSimplified() {
        #expect(analyzer.normalize("視頻會議系統運行維護項目") == "视频会议系统运行维护项目")
    }

    @Test func punctuationVariants() {
        #expect(analyzer.normalize("（本级）【说明】“三公”") == "(本级)[说明]\"三公\"")
    }

    @Test func rejoinsWhatThePDFSplit() {
        #expect(analyzer.normalize("西城区 2023 年度") == "西城区2023年度")
        #expect(analyzer.normalize("188. 886000") == "188.886000")
        #expect(analyzer.normalize("服务对 象满意 度指标") == "服务对象满意度指标")
        // Table columns and Latin words stay apart.
        #expect(analyzer.normalize("188. 886000  188. 886000") == "188.886000 188.886000")
        #expect(analyzer.normalize("open data") == "open data")
    }
}
