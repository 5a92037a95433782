import Foundation
import Testing
import Xapian
@testable import GongkaiIndex

/// How the side store numbers facet values: by bytes, dictionaries written in byte order, and
/// one or several segments answering alike.
@Suite struct SideStoreTests {
    @Test func valuesAreNumberedByTheirBytes() {
        var numbering = ValueNumbering()
        let composed = "\u{E9}", decomposed = "e\u{301}"  // equal as Strings, not as bytes
        #expect(composed == decomposed)
        #expect(numbering.ordinal(of: "西城区") == 1)
        #expect(numbering.ordinal(of: composed) == 2)
        #expect(numbering.ordinal(of: decomposed) == 3)
        #expect(numbering.ordinal(of: "西城区") == 1)
        #expect(numbering.values == ["", "西城区", composed, decomposed])
    }

    @Test func ranksAndRenumberingFollowByteOrder() {
        let values = ["", "朝阳区", "2021", "东城区", "B"]
        let ranks = ValueNumbering.byteRanks(values)
        let expected = values.indices.dropFirst().sorted { Array(values[$0].utf8).lexicographicallyPrecedes(Array(values[$1].utf8)) }
        #expect(expected.map { ranks[$0] } == [1, 2, 3, 4])
        #expect(ranks[0] == 0)

        let (sorted, renumbered) = ValueNumbering.inByteOrder(values)
        #expect(sorted == ["", "2021", "B", "东城区", "朝阳区"])
        for old in values.indices { #expect(sorted[Int(renumbered[old])] == values[old]) }
        // Sorted already: ranks are the ordinals.
        #expect(ValueNumbering.byteRanks(sorted) == [0, 1, 2, 3, 4])
    }

    @Test func segmentsHoldTheirDictionariesInByteOrderAndAnswerAsOneMergedSegment() throws {
        let split = try Scratch(), merged = try Scratch()
        defer { split.remove(); merged.remove() }
        _ = try index(split) { $0.filesPerCommit = 1 }
        _ = try index(merged)

        let database = try Xapian.Database(path: split.database)
        let side = try #require(try SideIndex.open(SideStoreLayout(databasePath: split.database), revision: try database.revision()))
        #expect(side.segments.count > 1, "one commit per file writes one segment per file")
        for segment in side.segments {
            for dictionary in segment.dictionaries {
                #expect(zip(dictionary, dictionary.dropFirst()).allSatisfy { ByteString.precedes($0, $1) })
            }
        }
        let request = SearchRequest(query: "项目", facets: try ["district", "year", "type", "department", "project", "code:款"].map(FacetRequest.named),
                                    sumAmounts: true, limit: 20)
        let a = try search(split, request), b = try search(merged, request)
        #expect(a.total == b.total && a.sum == b.sum)
        #expect(a.facets.map { "\($0.name) \($0.values)" } == b.facets.map { "\($0.name) \($0.values)" })
        #expect(a.hits.map(\.id) == b.hits.map(\.id))
    }

    /// A side store written by an older build (another segment format) cannot be read: indexing
    /// again rebuilds the index instead of failing on it.
    @Test func aSegmentOfAnOlderFormatMakesTheIndexerRebuild() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        _ = try index(scratch)
        let before = try search(scratch, SearchRequest(query: "视频会议", limit: 5))
        let database = try Xapian.Database(path: scratch.database)
        let layout = SideStoreLayout(databasePath: scratch.database)
        let manifest = try #require(SideManifest.read(layout, revision: try database.revision()))
        for name in manifest.segments {
            let handle = try #require(FileHandle(forUpdatingAtPath: layout.path(name)))
            try handle.write(contentsOf: Array("GKSIDE05".utf8))
            try handle.close()
            #expect(!Segment.hasCurrentFormat(layout.path(name)))
        }
        let summary = try index(scratch)
        #expect(summary.rebuilt)
        let after = try search(scratch, SearchRequest(query: "视频会议", limit: 5))
        #expect(after.total == before.total && after.hits.map(\.id) == before.hits.map(\.id))
    }
}

@Suite struct StartUpTests {
    struct Unreadable: Error {}

    @Test func aLexiconThatCannotBeLoadedFailsTheSearcherWithItsError() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        _ = try index(scratch)
        let analyzers = AnalyzerCache(loadingLexicon: { throw Unreadable() }, vocabulary: sharedAnalyzers.vocabulary)
        #expect(throws: Unreadable.self) { try Searcher(databasePath: scratch.database, analyzers: analyzers) }
        #expect(throws: Unreadable.self) { try analyzers.lexicon() }
    }

    @Test func aLexiconLoadedAlongsideAnswersAsOneGivenAtOnce() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        _ = try index(scratch)
        let lexicon = try sharedAnalyzers.lexicon()
        let alongside = AnalyzerCache(loadingLexicon: { lexicon }, vocabulary: sharedAnalyzers.vocabulary)
        let request = SearchRequest(query: "视频会议", facets: [try FacetRequest.named("district")], limit: 5)
        let a = try Searcher(databasePath: scratch.database, analyzers: alongside).search(request)
        let b = try Searcher(databasePath: scratch.database, analyzers: sharedAnalyzers).search(request)
        #expect(a.total > 0 && a.total == b.total && a.hits.map(\.id) == b.hits.map(\.id))
    }
}
