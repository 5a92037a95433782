import Disclosure
import Foundation
import Testing
import Xapian
@testable import GongkaiIndex

/// The corpus sharded in process: where files go, that re-runs are incremental and move files,
/// and that local shards searched as one answer as the single index does.
@Suite struct ShardedIndexTests {
    func indexSharded(_ scratch: Scratch, by key: ShardKey) throws -> IndexSummary {
        try ShardedIndexer(root: scratch.directory + "/sharded", key: key, lexicon: try sharedAnalyzers.lexicon()).run(paths: [scratch.corpus])
    }

    func shardDatabase(_ scratch: Scratch, _ shard: String) throws -> Database {
        try Database(path: scratch.directory + "/sharded/shards/" + shard)
    }

    @Test func everyFileLandsInTheShardOfItsDistrictAndAllShardsShareOneVocabulary() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let summary = try indexSharded(scratch, by: .district)
        #expect(summary.added.count == 4 && summary.failed.isEmpty && summary.documents == 4)
        let layout = ShardLayout(root: scratch.directory + "/sharded")
        let (key, shards) = try #require(try layout.read())
        #expect(key == .district && shards == ["chaoyang", "fengtai", "xicheng"])
        #expect(try ShardLocation.resolve(layout.root) == shards.map { .local(layout.root + "/shards/" + $0) })

        var records = 0
        var vocabularies = Set<String>()
        for (shard, district) in zip(shards, ["朝阳区", "丰台区", "西城区"]) {
            let database = try shardDatabase(scratch, shard)
            let count = try database.documentCount()
            let inDistrict = try database.termFrequency(Schema.field(.district).term(district)!)
            #expect(count > 0 && inDistrict == count)
            records += Int(count)
            vocabularies.insert(try database.metadata(Schema.Metadata.domainNames))
        }
        #expect(records == summary.records)
        #expect(vocabularies.count == 1)
    }

    @Test func everyDistrictHasAnASCIIShardName() {
        let names = DocumentInfoInference.districts.map(ShardKey.shardName(forDistrict:))
        #expect(names.allSatisfy { name in name.allSatisfy { $0.isASCII && $0.isLowercase } })
        #expect(Set(names).count == DocumentInfoInference.districts.count)
        #expect(ShardKey.district.shard(for: DocumentInfo()) == ShardKey.fallbackShard)
    }

    @Test func reRunsAreIncrementalAndAFileWhoseDistrictChangedMovesShard() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let first = try indexSharded(scratch, by: .district)
        let again = try indexSharded(scratch, by: .district)
        #expect(again.unchanged.count == 4 && again.records == 0 && again.documents == 4)

        let path = try scratch.file("004_")
        let text = try String(contentsOfFile: path, encoding: .utf8)
        try text.replacingOccurrences(of: "丰台", with: "海淀").write(toFile: path, atomically: true, encoding: .utf8)
        let moved = try indexSharded(scratch, by: .district)
        #expect(moved.updated == [path] && moved.added.isEmpty && moved.removed.isEmpty && moved.documents == 4)
        let fileTerm = Schema.term(Schema.Prefix.file, (path as NSString).lastPathComponent)
        #expect(try shardDatabase(scratch, "fengtai").termFrequency(fileTerm) == 0)
        #expect(try shardDatabase(scratch, "haidian").termFrequency(fileTerm) > 0)
        #expect(try ShardLayout(root: scratch.directory + "/sharded").read()?.shards == ["chaoyang", "fengtai", "haidian", "xicheng"])

        let searcher = try Searcher(shards: try localShards(scratch), analyzers: sharedAnalyzers)
        #expect(try searcher.search(SearchRequest()).total == first.records)
        #expect(try searcher.search(SearchRequest(filters: [.district: ["海淀区"]])).total > 0)
    }

    @Test func anotherKeyOrAnUnshardedIndexIsRefused() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        _ = try indexSharded(scratch, by: .year)
        #expect(throws: ShardingError.keyMismatch(scratch.directory + "/sharded", stored: .year, requested: .district)) {
            try indexSharded(scratch, by: .district)
        }
        _ = try index(scratch)
        #expect(throws: ShardingError.unshardedDatabase(scratch.database)) {
            try ShardedIndexer(root: scratch.database, key: .year, lexicon: try sharedAnalyzers.lexicon()).run(paths: [scratch.corpus])
        }
    }

    @Test func stubFilesNameLocalAndRemoteShards() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let stub = scratch.directory + "/cluster.stub"
        try "# two machines\nremote 10.0.0.2:9001\n\nauto shards/2023\nglass /srv/2022\n".write(toFile: stub, atomically: true, encoding: .utf8)
        #expect(try ShardLocation.resolve(stub) == [.remote(host: "10.0.0.2", port: 9001), .local(scratch.directory + "/shards/2023"), .local("/srv/2022")])
        #expect(try ShardLocation.resolve("tcp://127.0.0.1:9002") == [.remote(host: "127.0.0.1", port: 9002)])
        try "remote :ssh host xapian-progsrv /db\n".write(toFile: stub, atomically: true, encoding: .utf8)
        #expect(throws: ShardSpecError.self) { try ShardLocation.resolve(stub) }
        #expect(throws: ShardSpecError.self) { try ShardLocation.resolve("tcp://127.0.0.1") }
    }

    /// Ranking uses global statistics, so weights match the single index's; hits of equal weight
    /// (and amount, when sorted by it) may come in another order, since Xapian breaks ties by
    /// document id, which differs per shard: each such run is compared as a set.
    @Test func localShardsSearchedAsOneAnswerAsTheSingleIndex() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        _ = try index(scratch)
        _ = try indexSharded(scratch, by: .year)
        let single = try Searcher(databasePath: scratch.database, analyzers: sharedAnalyzers)
        let sharded = try Searcher(shards: try localShards(scratch), analyzers: sharedAnalyzers)
        let facets = try ["district", "year", "type", "department", "project", "code:项"].map(FacetRequest.named)
        let requests = [
            SearchRequest(query: "视频会议", facets: facets),
            SearchRequest(query: "政务服务 OR 网络安全", facets: facets),
            SearchRequest(query: "\"政府网站\"", facets: facets),
            SearchRequest(query: "type:line_item", facets: facets, sort: .amountDescending),
            SearchRequest(query: "满意度 year:2021..2022", filters: [.district: ["西城区"]], facets: facets),
            SearchRequest(query: "", facets: facets),
        ]
        for var request in requests {
            request.limit = SearchRequest.maximumLimit
            request.explain = true
            let expected = try single.search(request), actual = try sharded.search(request)
            #expect(actual.total == expected.total && actual.totalExact && expected.totalExact, "\(request.query)")
            #expect(try tieRuns(actual, request) == tieRuns(expected, request), "\(request.query)")
            #expect(actual.facets.map { $0.name + "\($0.values)" } == expected.facets.map { $0.name + "\($0.values)" }, "\(request.query)")
            #expect(actual.warnings.isEmpty)
        }
    }

    func localShards(_ scratch: Scratch) throws -> ShardSet {
        ShardSet(locations: try ShardLocation.resolve(scratch.directory + "/sharded"), requestTimeout: 5)
    }

    /// Hit ids in runs of equal order (weight, and amount when sorted by it), each run sorted and
    /// led by its key. A run the page cuts short is left out: which of its hits make the page is
    /// down to document ids.
    func tieRuns(_ response: SearchResponse, _ request: SearchRequest) throws -> [String] {
        var runs: [(key: String, ids: [String])] = []
        let hits = response.hits
        for hit in hits {
            let amount = request.sort == .relevance ? "" : hit.record.primaryAmount.map { "\($0.wanYuan)" } ?? ""
            let key = (hit.weight.map { "\(($0 * 1000).rounded() / 1000)" } ?? "") + "|" + amount
            if runs.last?.key != key { runs.append((key, [])) }
            runs[runs.count - 1].ids.append(hit.id)
        }
        if response.total > hits.count { runs.removeLast() }
        return runs.map { $0.key + " " + $0.ids.sorted().joined(separator: ",") }
    }
}
