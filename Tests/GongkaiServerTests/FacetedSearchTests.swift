import Disclosure
import Foundation
import GongkaiIndex
import Testing

/// Faceted search over the sample corpus, through the real daemon.
@Suite(.serialized) struct FacetedSearchTests {
    /// The corpus as the parser sees it, to derive expected answers independently of the index.
    static let parsed: [ParsedDocument] = {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: TestPaths.corpus).sorted()) ?? []
        return files.compactMap { try? DisclosureParser().parseFile(atPath: TestPaths.corpus + "/" + $0) }
    }()

    func hits(_ response: JSONValue) -> [JSONValue] {
        if case .array(let hits)? = response["hits"] { return hits }
        return []
    }

    func facet(_ response: JSONValue, _ name: String) -> [String: Int] {
        guard case .array(let entries)? = response["facets"]?[name] else { return [:] }
        var counts: [String: Int] = [:]
        for entry in entries {
            let value = entry["value"].map { $0.stringValue ?? $0.serialized() } ?? "?"
            counts[value] = entry["count"]?.intValue
        }
        return counts
    }

    @Test func videoConferenceInXichengFindsTheTwo2023ProjectsFirst() throws {
        let daemon = try DaemonProcess()
        defer { daemon.stop() }
        let response = try daemon.request(#"{"op":"search","q":"视频会议 district:西城","limit":5}"#)
        let top = hits(response).prefix(2)
        #expect(top.allSatisfy { $0["type"] == .string("project") && $0["year"] == .int(2023) && $0["district"] == .string("西城区") })
        #expect(Set(top.compactMap { $0["project_code"]?.stringValue }) == ["11010222T000000417336", "11010223T000002017670"])
    }

    @Test func codeFiltersFollowTheClassificationHierarchy() throws {
        let daemon = try DaemonProcess()
        defer { daemon.stop() }
        let broad = try daemon.request(#"{"op":"search","q":"code:201 type:line_item","facets":["district","code:项","code:类"],"limit":0}"#)
        let items = facet(broad, "code:项")
        #expect(items["2011301"] != nil && items["2010301"] != nil)
        #expect(facet(broad, "district")["朝阳区"] != nil && facet(broad, "district")["西城区"] != nil)
        guard case .array(let classes)? = broad["facets"]?["code:类"] else { Issue.record("no code:类 facet"); return }
        #expect(classes.allSatisfy { $0["value"] == .string("201") && $0["name"] == .string("一般公共服务支出") })

        let narrow = try daemon.request(#"{"op":"search","q":"code:2010301","facets":["district"],"limit":1000}"#)
        #expect(facet(narrow, "district")["朝阳区"] == nil)
        #expect(hits(narrow).allSatisfy { hit in
            guard case .array(let codes)? = hit["codes"] else { return false }
            return codes.contains { $0["code"]?.stringValue?.hasPrefix("2010301") == true }
        })
        // The same filter as JSON.
        let json = try daemon.request(#"{"op":"search","filters":{"code":["2010301"]},"limit":0}"#)
        #expect(json["total"] == narrow["total"])
    }

    @Test func amountRangesReturnExactlyTheProjectsInRange() throws {
        let daemon = try DaemonProcess()
        defer { daemon.stop() }
        let expected = Set(Self.parsed.flatMap { document in
            document.records.filter { $0.type == .project && ($0.primaryAmount?.wanYuan ?? -1) >= 1000 }
                .map { "\(document.fileName):\($0.projectName ?? "")" }
        })
        #expect(!expected.isEmpty)
        let response = try daemon.request(#"{"op":"search","q":"type:project amount:1000..","limit":1000}"#)
        let found = Set(hits(response).map { "\($0["source"]?["file"]?.stringValue ?? ""):\($0["project_name"]?.stringValue ?? "")" })
        #expect(found == expected)
        let inYuan = try daemon.request(#"{"op":"search","q":"type:project amount:10000000元..","limit":1000}"#)
        #expect(inYuan["total"] == response["total"])
    }

    @Test func emptyQueryFacetsCountEveryRecordPerDistrictAndYear() throws {
        let daemon = try DaemonProcess()
        defer { daemon.stop() }
        let response = try daemon.request(#"{"op":"search","q":"","facets":["district","year","kind","type"],"limit":0}"#)
        var districts: [String: Int] = [:], years: [String: Int] = [:]
        for document in Self.parsed {
            districts[document.info.district ?? "", default: 0] += document.records.count
            years[String(document.info.year ?? 0), default: 0] += document.records.count
        }
        #expect(facet(response, "district") == districts)
        #expect(facet(response, "year") == years)
        #expect(response["total"]?.intValue == Self.parsed.reduce(0) { $0 + $1.records.count })
        #expect(facet(response, "kind")["final"] == Self.parsed.filter { $0.info.kind == .final }.reduce(0) { $0 + $1.records.count })
    }

    @Test func sortingPaginationFacetConsistencyAndExplain() throws {
        let daemon = try DaemonProcess()
        defer { daemon.stop() }
        for (sort, ascending) in [("amount", true), ("-amount", false)] {
            let response = try daemon.request(#"{"op":"search","q":"type:line_item","sort":"\#(sort)","limit":200}"#)
            let amounts = hits(response).compactMap { hit -> Double? in
                switch hit["amount"]?["value"] { case .int(let i)?: return Double(i); case .double(let d)?: return d; default: return nil }
            }
            #expect(amounts.count > 100)
            #expect(amounts == (ascending ? amounts.sorted() : amounts.sorted(by: >)))
        }
        let page1 = try daemon.request(#"{"op":"search","q":"政务服务","limit":5}"#)
        let page2 = try daemon.request(#"{"op":"search","q":"政务服务","offset":5,"limit":5}"#)
        let both = try daemon.request(#"{"op":"search","q":"政务服务","limit":10}"#)
        #expect((hits(page1) + hits(page2)).map { $0["id"] } == hits(both).map { $0["id"] })

        // A facet never contradicts the filters.
        let filtered = try daemon.request(#"{"op":"search","q":"满意度 year:2021..2022","facets":["year","district"],"limit":0}"#)
        #expect(Set(facet(filtered, "year").keys).isSubset(of: ["2021", "2022"]))
        #expect(facet(filtered, "year").values.reduce(0, +) == filtered["total"]?.intValue)

        let explained = try daemon.request(#"{"op":"search","q":"视频会议 OR 法律 -诉讼","explain":true,"limit":0}"#)
        #expect(explained["explain"]?["parsed"]?.stringValue?.contains("OR") == true)
        #expect(explained["explain"]?["query"]?.stringValue?.isEmpty == false)

        let unknownField = try daemon.request(#"{"op":"search","q":"colour:red"}"#)
        #expect(unknownField["error"]?["message"]?.stringValue?.contains("colour") == true)
        let badYear = try daemon.request(#"{"op":"search","q":"year:abc"}"#)
        #expect(badYear["error"]?["code"] == .string("bad_query"))
    }
}

/// The result cache: a repeated search is answered from it, identically, until a new revision.
@Suite(.serialized) struct ResultCacheTests {
    @Test func repeatedSearchesComeFromTheCacheUntilTheIndexChanges() throws {
        let scratch = TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        try FileManager.default.copyItem(atPath: TestPaths.corpus, toPath: scratch + "/corpus")
        let daemon = try DaemonProcess(corpus: scratch + "/corpus")
        defer { daemon.stop() }
        let client = try daemon.client()
        let request = #"{"op":"search","q":"蓝鲸计划 OR 视频会议","facets":["district","code:类"],"limit":5}"#
        let first = try client.request(request)
        let second = try client.request(request)
        #expect(!first.contains(#""cached":true"#))
        #expect(second.contains(#""cached":true"#))
        #expect(withoutTiming(first) == withoutTiming(second))
        let stats = try JSONValue.parse(Array(try client.request(#"{"op":"stats"}"#).utf8))
        #expect(stats["cache"]?["hits"] == .int(1))

        // A new revision: the same search is computed again and sees the new record.
        let file = scratch + "/corpus/002_e3bab72684dbaaaa.txt"
        try (try String(contentsOfFile: file, encoding: .utf8) + "\n朝阳区蓝鲸计划。\n").write(toFile: file, atomically: true, encoding: .utf8)
        #expect(try runGongkai(["index", "--db", daemon.databasePath, scratch + "/corpus"]).status == 0)
        var third = ""
        for _ in 0..<50 {
            third = try client.request(request)
            if !third.contains(#""cached":true"#) { break }
            usleep(100_000)
        }
        let total = { (line: String) in (try? JSONValue.parse(Array(line.utf8)))?["total"]?.intValue ?? 0 }
        #expect(!third.contains(#""cached":true"#))
        #expect(total(third) == total(first) + 1)
    }
}
