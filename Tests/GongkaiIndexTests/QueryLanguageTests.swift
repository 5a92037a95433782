import Testing
@testable import GongkaiIndex

@Suite struct QueryLanguageTests {
    let language = QueryLanguage()

    @Test func wordsPhrasesFieldsAndOperators() throws {
        #expect(try language.parse("视频会议 district:西城") == .and([.word("视频会议"), .field("district", "西城")]))
        #expect(try language.parse("\"政府网站\"") == .phrase("政府网站"))
        #expect(try language.parse("法律 OR 顾问") == .or([.word("法律"), .word("顾问")]))
        #expect(try language.parse("(法律 OR 顾问) -诉讼") == .and([.or([.word("法律"), .word("顾问")]), .not(.word("诉讼"))]))
        #expect(try language.parse("a AND NOT b") == .and([.word("a"), .not(.word("b"))]))
        #expect(try language.parse("department:\"北京市西城区 人民政府办公室\"") == .field("department", "北京市西城区 人民政府办公室"))
        #expect(try language.parse("year:2021..2023") == .field("year", "2021..2023"))
        #expect(try language.parse("   ") == nil)
    }

    @Test func hyphenInsideAWordIsNotNegation() throws {
        #expect(try language.parse("2010301-行政运行") == .word("2010301-行政运行"))
    }

    @Test func malformedQueriesNameTheProblem() {
        func message(_ q: String) -> String? {
            do { _ = try language.parse(q); return nil } catch let error as QueryError { return error.message } catch { return nil }
        }
        #expect(message("\"unbalanced")?.contains("quote") == true)
        #expect(message("(a OR b")?.contains("unbalanced bracket") == true)
        #expect(message("()") == "empty brackets in query")
        #expect(message("a (（）) b") == "empty brackets in query")
        #expect(message("a OR")?.contains("word") == true)
        #expect(message(String(repeating: "(", count: 40) + "a" + String(repeating: ")", count: 40))?.contains("deeper") == true)
        #expect(message(String(repeating: "字", count: 3000))?.contains("longer") == true)
    }
}
