import Disclosure
import Foundation

/// What an export (or any walk over every match) went through.
public struct MatchWalk: Sendable {
    /// Matches of the query.
    public var total: Int
    /// Hits handed to the consumer; fewer than `total` when it stopped early or documents were left out.
    public var delivered: Int
    /// Whether the consumer stopped before the end.
    public var stopped: Bool
    public var revision: UInt64
    /// Documents left out (unreadable data), and why.
    public var warnings: [String]
}

extension Searcher {
    /// Every match of `request` (its query, filters and sort; its offset, limit and facets do not
    /// apply), handed to `consume` a page of `pageSize` hits at a time, until `consume` returns
    /// false. Matches are found once, as record places, and their documents are read page by page,
    /// so memory holds one page of documents however many match. `deadline` bounds finding the
    /// matches, not the consumer (an export streams as fast as its client reads).
    public func forEachMatch(_ request: SearchRequest, pageSize: Int = 1000, deadline: ContinuousClock.Instant? = nil,
                             _ consume: ([SearchHit]) throws -> Bool) throws -> MatchWalk {
        let catalog = try currentCatalog()
        let compiled = try compile(request, catalog: catalog)
        return try forEachMatch(compiled, request: request, catalog: catalog, pageSize: pageSize, deadline: deadline, consume)
    }

    /// `forEachMatch` for a query already compiled (project timelines build their own).
    func forEachMatch(_ compiled: CompiledQuery, request: SearchRequest, catalog: Catalog, pageSize: Int = 1000,
                      deadline: ContinuousClock.Instant?, _ consume: ([SearchHit]) throws -> Bool) throws -> MatchWalk {
        let pageSize = max(1, min(pageSize, SearchRequest.maximumLimit))
        // Exports carry no snippets worth cutting: the text is in the source.
        let snippets = SnippetMaker(analyzer: catalog.analyzer, queryWords: [])
        var walk = MatchWalk(total: 0, delivered: 0, stopped: false, revision: catalog.revision, warnings: [])
        if usesSideStore, let sides = catalog.sides {
            walk.warnings += try source.availability()
            let search = SideSearch(catalog: catalog, sideSet: sides, parts: source.parts, request: request,
                                    compiled: compiled, snippets: snippets, deadline: deadline)
            let matches = try search.orderedMatches()
            walk.total = matches.count
            var start = 0
            while start < matches.count {
                var page: [SearchHit] = []
                page.reserveCapacity(pageSize)
                for candidate in matches[start..<min(start + pageSize, matches.count)] {
                    do {
                        page.append(try search.hit(candidate))
                    } catch let error as StoredRecord.DecodeError {
                        walk.warnings.append("document \(candidate.docid) left out: \(error)")
                    }
                }
                start += pageSize
                walk.delivered += page.count
                if try !consume(page) {
                    walk.stopped = start < matches.count
                    return walk
                }
            }
            return walk
        }
        // Xapian's matcher, a page at a time: remote shards serve documents only through it.
        var page = request
        page.facets = []
        page.sumAmounts = false
        page.explain = false
        page.limit = pageSize
        page.offset = 0
        while true {
            let response = try XapianSearch(catalog: catalog, source: source, request: page, compiled: compiled,
                                            snippets: snippets, timeLimit: timeLimit).run()
            walk.warnings += response.warnings.filter { !walk.warnings.contains($0) }
            walk.total = max(walk.total, page.offset + response.hits.count)
            walk.delivered += response.hits.count
            // A short page is the last; pages are cut by the matcher, so estimates do not matter.
            let more = response.hits.count == pageSize
            if try !consume(response.hits) {
                walk.stopped = more
                return walk
            }
            guard more else { return walk }
            page.offset += pageSize
        }
    }
}

/// One exported match: the columns of `gongkai search --export` and of the daemon's `export` rows.
/// `file` and `line` are the record's first source line.
public struct ExportRow: Sendable, Equatable {
    /// The CSV header, in column order.
    public static let columns = ["id", "type", "title", "district", "year", "kind", "department", "project_code",
                                 "project_key", "codes", "amount_wan", "file", "line", "page"]

    public var id: String
    public var type: String
    public var title: String
    public var district: String?
    public var year: Int?
    public var kind: String?
    public var department: String?
    public var projectCode: String?
    public var projectKey: String?
    /// Every classification code of the record, as printed.
    public var codes: [String]
    /// The primary amount in 万元, as an exact decimal numeral.
    public var amountWan: String?
    public var file: String
    public var line: Int
    public var page: Int?

    public init(id: String, type: String, title: String, district: String?, year: Int?, kind: String?, department: String?,
                projectCode: String?, projectKey: String?, codes: [String], amountWan: String?, file: String, line: Int, page: Int?) {
        self.id = id
        self.type = type
        self.title = title
        self.district = district
        self.year = year
        self.kind = kind
        self.department = department
        self.projectCode = projectCode
        self.projectKey = projectKey
        self.codes = codes
        self.amountWan = amountWan
        self.file = file
        self.line = line
        self.page = page
    }

    public init(_ hit: SearchHit) {
        let record = hit.record
        id = hit.id
        type = record.type.rawValue
        title = record.title
        district = hit.info.district
        year = hit.info.year
        kind = hit.info.kind?.rawValue
        department = hit.info.department
        projectCode = record.projectCode.map(Schema.normalizedProjectCode)
        projectKey = record.projectKey?.rawValue
        codes = record.codes.map(\.code)
        amountWan = record.primaryAmount.map { AmountSum(millionths: AmountSum.millionths(ofWanYuan: $0.wanYuan)).decimalText }
        file = hit.fileName
        line = record.firstLine
        page = record.page
    }

    /// The row's fields as CSV cells, in `columns` order (codes separated by `;`).
    public var cells: [String] {
        [id, type, title, district ?? "", year.map(String.init) ?? "", kind ?? "", department ?? "", projectCode ?? "",
         projectKey ?? "", codes.joined(separator: ";"), amountWan ?? "", file, String(line), page.map(String.init) ?? ""]
    }
}

/// RFC 4180 CSV: a field holding a comma, a double quote, CR or LF is quoted with its quotes
/// doubled; records end with CR LF.
public enum CSV {
    /// Excel reads a UTF-8 file as UTF-8 (and Chinese correctly) only when it starts with this.
    public static let byteOrderMark = "\u{FEFF}"

    public static func record(_ fields: [String]) -> String {
        fields.map(field).joined(separator: ",") + "\r\n"
    }

    public static func field(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 0x0A || $0 == 0x0D }) else {
            return text
        }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
