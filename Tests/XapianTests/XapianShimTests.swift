import Testing
import Glibc
@testable import Xapian

@Suite struct XapianShimTests {
    func temporaryDirectory() -> String {
        var template = Array("/tmp/gongkai-xapian-XXXXXX".utf8CString)
        let path = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
        return path
    }

    @Test func openingAMissingDatabaseThrowsInsteadOfCrashing() {
        #expect(throws: XapianError.self) { try Database(path: "/nonexistent/gongkai/db") }
        do {
            _ = try Database(path: "/nonexistent/gongkai/db")
        } catch let error as XapianError {
            #expect(error.type == "DatabaseNotFoundError")
            #expect(!error.message.isEmpty)
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test func writesThenSearchesWithFacetsAndSorting() throws {
        let dir = temporaryDirectory() + "/db"
        do {
            let writer = try WritableDatabase(path: dir)
            for (i, (word, facet)) in [("视频", "a"), ("视频", "b"), ("会议", "a")].enumerated() {
                let doc = Document()
                doc.addPosting(word, position: 1)
                doc.addBooleanTerm("Q\(i)")
                doc.setValue(0, facet)
                doc.setValue(1, bytes: SortableSerialiser.serialise(Double(i * 10)))
                doc.setData("doc\(i)")
                try writer.replaceDocument(uniqueTerm: "Q\(i)", doc)
            }
            try writer.commit()
            #expect(writer.documentCount == 3)
        }
        let db = try Database(path: dir)
        var options = SearchOptions()
        options.limit = 10
        options.facetSlots = [0]
        options.checkAtLeast = 100
        let result = try db.search(Query(term: "视频"), options: options)
        #expect(result.matches.map { String(decoding: $0.data, as: UTF8.self) }.sorted() == ["doc0", "doc1"])
        #expect(result.isExact)
        let facet = result.facets[0]!.map { (String(decoding: $0.value, as: UTF8.self), $0.count) }
        #expect(facet.map(\.0) == ["a", "b"] && facet.map(\.1) == [1, 1])

        options.sortSlot = 1
        options.sortDescending = true
        let sorted = try db.search(.matchAll, options: options)
        #expect(sorted.matches.map { String(decoding: $0.data, as: UTF8.self) } == ["doc2", "doc1", "doc0"])

        let ranged = try db.search(Query(valueRange: 1, low: SortableSerialiser.serialise(5), high: nil), options: options)
        #expect(ranged.matches.count == 2)
    }

    @Test func secondWriterFailsFastWithLockError() throws {
        let dir = temporaryDirectory() + "/db"
        let first = try WritableDatabase(path: dir)
        #expect(throws: XapianError.self) { try WritableDatabase(path: dir) }
        withExtendedLifetime(first) {}
    }

    @Test func queryDescriptionNamesTheOperator() {
        let q = Query(.phrase, [Query(term: "视频"), Query(term: "会议")])
        #expect(q.description.contains("PHRASE"))
    }
}
