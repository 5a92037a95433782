import ChineseAnalysis
import Disclosure
import Foundation
import Xapian

/// What a searcher reads: one database, or shards searched as one.
protocol SearchSource: AnyObject {
    /// Moves to the newest revision; true when the parts or their revisions may have changed.
    func refresh() throws -> Bool
    /// The databases searched, one per part (shard), and the one that searches them all.
    var parts: [Database] { get }
    var combined: Database { get }
    /// Whether every part is a local database (so it may have a side store).
    var allPartsLocal: Bool { get }
    /// What identifies the served state: the parts and their revisions.
    func signature() throws -> [UInt64]
    /// Every term that starts with `prefix`, for queries that expand a character.
    func terms(startingWith prefix: String) throws -> [String]
    /// Xapian's matches, and warnings about shards left out.
    func search(_ query: Query, options: SearchOptions) throws -> (result: SearchResult, warnings: [String])
    /// Warnings naming the parts left out of answers now (shards down); throws
    /// `ShardUnavailableError` when the shard policy allows no answer.
    func availability() throws -> [String]
}

extension Database: SearchSource {
    func refresh() throws -> Bool { try reopen() }
    var parts: [Database] { [self] }
    var combined: Database { self }
    var allPartsLocal: Bool { path != nil }
    func signature() throws -> [UInt64] { [try revision()] }
    func terms(startingWith prefix: String) throws -> [String] { try allTerms(prefix: prefix) }

    func search(_ query: Query, options: SearchOptions) throws -> (result: SearchResult, warnings: [String]) {
        (try search(query, options: options), [])
    }

    func availability() throws -> [String] { [] }
}

/// Catalogs of the served revision, shared by the searchers of one daemon: each revision's
/// state (names, side stores, precomputed facets) is built once, not once per worker.
public final class CatalogStore: @unchecked Sendable {
    // `latest` is guarded by `lock`; building happens under it so that workers wait for one build.
    private let lock = NSLock()
    private var latest: (signature: [UInt64], catalog: Catalog)?

    public init() {}

    func catalog(signature: [UInt64], build: () throws -> Catalog) throws -> Catalog {
        lock.lock()
        defer { lock.unlock() }
        if let latest, latest.signature == signature { return latest.catalog }
        let catalog = try build()
        latest = (signature, catalog)
        return catalog
    }
}

/// Answers searches over one database handle (or one per shard). Not thread-safe: each worker
/// thread owns one searcher (and so its own Xapian `Database`); the analyzer and catalog are
/// shared read-only.
public final class Searcher {
    private let analyzers: AnalyzerCache
    let source: SearchSource
    private let catalogs: CatalogStore
    private var catalog: Catalog
    private var servedSignature: [UInt64] = []
    private var lastReopenCheck = Date.distantPast
    /// How stale a searcher may be before it checks for a newer revision.
    public var reopenInterval: TimeInterval = 0.2
    /// Seconds Xapian's matcher may spend counting before it stops early and reports an estimate.
    public var timeLimit: Double = 5
    /// Answers already given for this revision, shared with other searchers; nil for none.
    public var cache: ResultCache?
    /// Whether side stores answer when every part has one; false runs Xapian's matcher, as for
    /// remote shards (to compare the two, and to measure).
    public var usesSideStore = true

    public convenience init(databasePath: String, analyzers: AnalyzerCache, catalogs: CatalogStore = CatalogStore()) throws {
        try self.init(source: try Database(path: databasePath), analyzers: analyzers, catalogs: catalogs)
    }

    /// A searcher over shards searched as one, with its own connections to them.
    public convenience init(shards: ShardSet, analyzers: AnalyzerCache, catalogs: CatalogStore = CatalogStore()) throws {
        try self.init(source: try ShardedDatabase(shards), analyzers: analyzers, catalogs: catalogs)
    }

    init(source: SearchSource, analyzers: AnalyzerCache, catalogs: CatalogStore) throws {
        self.analyzers = analyzers
        self.source = source
        self.catalogs = catalogs
        servedSignature = try source.signature()
        catalog = try catalogs.catalog(signature: servedSignature) { try Self.loadCatalog(source, analyzers: analyzers) }
        lastReopenCheck = Date()
    }

    private static func loadCatalog(_ source: SearchSource, analyzers: AnalyzerCache) throws -> Catalog {
        let parts = source.parts
        // Xapian's remote backend does not report revisions: only local parts have one.
        let revisions = try parts.map { $0.path == nil ? 0 : try $0.revision() }
        func openSides() throws -> [SideIndex]? {
            guard source.allPartsLocal, !parts.isEmpty else { return nil }
            var sides: [SideIndex] = []
            for (part, revision) in zip(parts, revisions) {
                guard let path = part.path, let side = try SideIndex.open(SideStoreLayout(databasePath: path), revision: revision) else {
                    return nil
                }
                sides.append(side)
            }
            return sides
        }
        return try Catalog.load(combined: source.combined, parts: parts, revision: revisions.reduce(0, +), openSides: openSides,
                                analyzers: analyzers)
    }

    /// The revision's catalog, after moving to the newest revision if it is time to look.
    public func currentCatalog(forceReopen: Bool = false) throws -> Catalog {
        let now = Date()
        if forceReopen || now.timeIntervalSince(lastReopenCheck) >= reopenInterval {
            lastReopenCheck = now
            _ = try source.refresh()
            let signature = try source.signature()
            if signature != servedSignature {
                catalog = try catalogs.catalog(signature: signature) { try Self.loadCatalog(source, analyzers: analyzers) }
                servedSignature = signature
            }
        }
        return catalog
    }

    /// Answers a search; past `deadline` it stops with `SearchDeadlineExceeded`.
    public func search(_ request: SearchRequest, deadline: ContinuousClock.Instant? = nil) throws -> SearchResponse {
        let catalog = try currentCatalog()
        let key = ResultCache.Key(revision: catalog.revision, vocabulary: catalog.expansion.vocabulary.version, request: request)
        if var cached = cache?.lookup(key) {
            cached.cached = true
            return cached
        }
        let compiled = try compile(request, catalog: catalog)
        let response = try run(compiled, request: request, catalog: catalog, deadline: deadline)
        cache?.store(response, for: key)
        return response
    }

    /// The request's query and filters as the engines run them.
    func compile(_ request: SearchRequest, catalog: Catalog) throws -> CompiledQuery {
        let compiler = QueryCompiler(analyzer: catalog.analyzer, resolver: FilterResolver(catalog: catalog),
                                     expansion: catalog.expansion)
        return try compiler.compile(query: request.query, filters: request.filters)
    }

    /// Answers a compiled query (the request gives paging, facets and sort) with the side stores
    /// when every part has one, else with Xapian's matcher.
    func run(_ compiled: CompiledQuery, request: SearchRequest, catalog: Catalog,
             deadline: ContinuousClock.Instant?) throws -> SearchResponse {
        let snippets = SnippetMaker(analyzer: catalog.analyzer, queryWords: compiled.highlightWords)
        var response: SearchResponse
        if usesSideStore, let sides = catalog.sides {
            let warnings = try source.availability()
            response = try SideSearch(catalog: catalog, sideSet: sides, parts: source.parts, request: request,
                                      compiled: compiled, snippets: snippets, deadline: deadline).run()
            response.warnings += warnings
        } else {
            response = try XapianSearch(catalog: catalog, source: source, request: request, compiled: compiled,
                                        snippets: snippets, timeLimit: timeLimit).run()
        }
        response.explanation?.expansions = compiled.expansions
        return response
    }
}

/// The facet values of a tally, most frequent first, as answers show them.
/// Values already in order are kept in it.
func facetValues(_ request: FacetRequest, counts: [(value: String, count: Int, sum: Int64?)], catalog: Catalog, ordered: Bool = true) -> FacetResult {
    let sorted = ordered ? counts.prefix(request.limit) : counts.filter { $0.count > 0 }
        .sorted { $0.count != $1.count ? $0.count > $1.count : $0.value.utf8.lexicographicallyPrecedes($1.value.utf8) }
        .prefix(request.limit)
    return FacetResult(name: request.name, values: sorted.map { entry in
        var value = FacetValue(value: entry.value, isNumber: false, name: nil, count: entry.count,
                               sum: entry.sum.map(AmountSum.init(millionths:)))
        switch request.spec.rendering {
        case .text: break
        case .year: value.isNumber = Int(entry.value) != nil
        case .code: value.name = catalog.codeNames[entry.value]
        case .project:
            if let tab = entry.value.firstIndex(of: "\t") {
                value.value = String(entry.value[..<tab])
                value.name = String(entry.value[entry.value.index(after: tab)...])
            }
        }
        return value
    })
}

/// The document fields of a hit, from the values of the document-level facets.
func documentInfo(facetValue: (String) -> String?) -> DocumentInfo {
    DocumentInfo(district: facetValue("district"), year: facetValue("year").flatMap { Int($0) },
                 kind: facetValue("kind").flatMap(DocumentKind.init(rawValue:)), department: facetValue("department"),
                 level: facetValue("level").flatMap(AdministrativeLevel.init(rawValue:)), city: facetValue("city"))
}

/// A search answered by Xapian's matcher: over remote shards, and for indexes without a side
/// store. Facet counts come from Xapian's `ValueCountMatchSpy`, which remote shards run too.
struct XapianSearch {
    let catalog: Catalog
    let source: SearchSource
    let request: SearchRequest
    let compiled: CompiledQuery
    let snippets: SnippetMaker
    let timeLimit: Double

    /// Slots returned with each hit: the document's fields and the record type.
    static let hitFacets = ["district", "year", "kind", "department", "level", "city", "type"]
    static let hitValueSlots = hitFacets.map { name in Schema.facets.first { $0.name == name }!.slot }

    /// The hit of a match returned with `hitValueSlots`.
    static func hit(_ match: SearchResult.Match, snippets: SnippetMaker) throws -> SearchHit {
        func value(_ name: String) -> String? {
            guard let index = hitFacets.firstIndex(of: name), !match.values[index].isEmpty,
                  let text = UTF8Validation.string(match.values[index]) else { return nil }
            return text
        }
        guard let type = value("type").flatMap(RecordType.init(rawValue:)) else {
            throw StoredRecord.DecodeError(description: "not a Gongkai record (no record type)")
        }
        let decoded = try StoredRecord.decode(match.data, type: type)
        let info = documentInfo(facetValue: value)
        return SearchHit(id: decoded.id, fileName: decoded.fileName, record: decoded.record.withProjectKey(in: info), info: info,
                         snippet: snippets.snippet(for: decoded.record.text), weight: nil)
    }

    func run() throws -> SearchResponse {
        var builder = XapianQueryBuilder(termsStartingWith: source.terms(startingWith:))
        let query = try builder.build(compiled.query)
        var options = SearchOptions()
        options.offset = UInt32(clamping: request.offset)
        options.limit = UInt32(clamping: min(request.limit, SearchRequest.maximumLimit))
        let counting = !request.facets.isEmpty || request.sumAmounts
        // Facet counts and sums are exact only when every match is looked at.
        options.checkAtLeast = counting ? UInt32(clamping: catalog.recordCount) : options.offset + options.limit + 1
        var facetSlots = request.facets.map(\.spec.slot)
        if request.sumAmounts { facetSlots.append(Schema.amountSlot) }
        options.facetSlots = Array(Set(facetSlots)).sorted()
        options.hitValueSlots = Self.hitValueSlots
        options.timeLimit = timeLimit
        switch request.sort {
        case .relevance: break
        case .amountAscending, .amountDescending:
            options.sortSlot = Schema.amountSlot
            options.sortDescending = request.sort.isDescending
        case .yearAscending, .yearDescending:
            options.sortSlot = Schema.yearSlot
            options.sortDescending = request.sort.isDescending
        }
        let (result, shardWarnings) = try source.search(query, options: options)
        var warnings = shardWarnings

        var hits: [SearchHit] = []
        for match in result.matches {
            do {
                var hit = try Self.hit(match, snippets: snippets)
                hit.weight = request.explain ? match.weight : nil
                hits.append(hit)
            } catch {
                warnings.append("document \(match.docid) left out: \(error)")
            }
        }
        let facets = request.facets.map { facet in
            facetValues(facet, counts: (result.facets[facet.spec.slot] ?? []).compactMap { entry in
                UTF8Validation.string(entry.value).map { ($0, Int(entry.count), nil) }
            }, catalog: catalog, ordered: false)
        }
        var sum: AmountSum?
        if request.sumAmounts {
            var total = AmountSum()
            for entry in result.facets[Schema.amountSlot] ?? [] {
                total.millionths &+= AmountSum.millionths(ofWanYuan: SortableSerialiser.unserialise(entry.value)) &* Int64(entry.count)
            }
            sum = total
            if !request.facets.isEmpty {
                warnings.append("sums per facet value need the side store, which remote shards do not serve; only the total sum is given")
            }
        }
        var explanation: Explanation?
        if request.explain {
            explanation = Explanation(parsed: compiled.parsed?.description ?? "", compiled: query.description, engine: "xapian")
        }
        return SearchResponse(total: Int(result.isExact ? result.matchesLowerBound : result.matchesEstimated),
                              totalExact: result.isExact, hits: hits, facets: facets, sum: sum,
                              facetsExact: !counting || result.isExact, explanation: explanation,
                              revision: catalog.revision, warnings: warnings)
    }
}

/// Short excerpts of a record's text around the query's words, matches marked with `<b>…</b>`.
struct SnippetMaker {
    let analyzer: Analyzer
    /// The query's words as `Analyzer.highlightRanges` looks for them.
    let needles: HighlightNeedles
    /// Unicode scalars in a snippet (Chinese characters are one each). Counted in scalars, not
    /// `Character`s: grapheme breaking cost a quarter of the time of making a snippet.
    var length = 120

    init(analyzer: Analyzer, queryWords: [String]) {
        self.analyzer = analyzer
        needles = analyzer.highlightNeedles(queryWords)
    }

    func snippet(for text: String) -> String {
        let ranges = analyzer.highlightRanges(in: text, needles: needles)
        let windowStart: String.Index
        if let first = ranges.first {
            // Start a little before the first match so that it reads in context.
            windowStart = text.unicodeScalars.index(first.lowerBound, offsetBy: -20, limitedBy: text.startIndex) ?? text.startIndex
        } else {
            windowStart = text.startIndex
        }
        let windowEnd = text.unicodeScalars.index(windowStart, offsetBy: length, limitedBy: text.endIndex) ?? text.endIndex
        var out = windowStart > text.startIndex ? "…" : ""
        var cursor = windowStart
        for range in ranges where range.lowerBound >= cursor && range.upperBound <= windowEnd {
            out += text[cursor..<range.lowerBound]
            out += "<b>" + text[range] + "</b>"
            cursor = range.upperBound
        }
        out += text[cursor..<windowEnd]
        if windowEnd < text.endIndex { out += "…" }
        return Self.collapsingWhitespace(out)
    }

    /// Table cells and wrapped lines read as one line in a snippet.
    static func collapsingWhitespace(_ text: String) -> String {
        // By bytes: the four are ASCII, and no byte of a multi-byte UTF-8 sequence is.
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        var lastWasSpace = false
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\n"), UInt8(ascii: "\t"), UInt8(ascii: "\r"), UInt8(ascii: " "):
                if !lastWasSpace { out.append(UInt8(ascii: " ")) }
                lastWasSpace = true
            default:
                out.append(byte)
                lastWasSpace = false
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
