import ChineseAnalysis
import Foundation
import Xapian

/// What a searcher reads: one database, or shards searched as one.
protocol SearchSource: AnyObject {
    /// Moves to the newest revision; true when the catalog of `revision` is out of date.
    func refresh(servingRevision revision: UInt64) throws -> Bool
    func loadCatalog(analyzers: AnalyzerCache) throws -> Catalog
    /// Every term that starts with `prefix`, for queries that expand a character.
    func terms(startingWith prefix: String) throws -> [String]
    /// The matches, and warnings about shards left out.
    func search(_ query: Query, options: SearchOptions) throws -> (result: SearchResult, warnings: [String])
}

extension Database: SearchSource {
    func refresh(servingRevision revision: UInt64) throws -> Bool {
        try reopen() || (try self.revision()) != revision
    }

    func loadCatalog(analyzers: AnalyzerCache) throws -> Catalog {
        try Catalog.load(self, analyzers: analyzers)
    }

    func terms(startingWith prefix: String) throws -> [String] {
        try allTerms(prefix: prefix)
    }

    func search(_ query: Query, options: SearchOptions) throws -> (result: SearchResult, warnings: [String]) {
        (try search(query, options: options), [])
    }
}

/// Answers searches over one database handle (or one per shard). Not thread-safe: each worker
/// thread owns one searcher (and so its own Xapian `Database`); the analyzer and catalog are
/// shared read-only.
public final class Searcher {
    private let analyzers: AnalyzerCache
    private let source: SearchSource
    private var catalog: Catalog
    private var lastReopenCheck = Date.distantPast
    /// How stale a searcher may be before it checks for a newer revision.
    public var reopenInterval: TimeInterval = 0.2
    /// Seconds a match may spend counting before it stops early and reports an estimate.
    public var timeLimit: Double = 5

    public convenience init(databasePath: String, analyzers: AnalyzerCache) throws {
        try self.init(source: try Database(path: databasePath), analyzers: analyzers)
    }

    /// A searcher over shards searched as one, with its own connections to them.
    public convenience init(shards: ShardSet, analyzers: AnalyzerCache) throws {
        try self.init(source: try ShardedDatabase(shards), analyzers: analyzers)
    }

    init(source: SearchSource, analyzers: AnalyzerCache) throws {
        self.analyzers = analyzers
        self.source = source
        catalog = try source.loadCatalog(analyzers: analyzers)
        lastReopenCheck = Date()
    }

    /// The revision's catalog, after moving to the newest revision if it is time to look.
    public func currentCatalog(forceReopen: Bool = false) throws -> Catalog {
        let now = Date()
        if forceReopen || now.timeIntervalSince(lastReopenCheck) >= reopenInterval {
            lastReopenCheck = now
            if try source.refresh(servingRevision: catalog.revision) {
                catalog = try source.loadCatalog(analyzers: analyzers)
            }
        }
        return catalog
    }

    /// Answers already given for this revision, shared with other searchers; nil for none.
    public var cache: ResultCache?

    public func search(_ request: SearchRequest) throws -> SearchResponse {
        let catalog = try currentCatalog()
        let key = ResultCache.Key(revision: catalog.revision, request: request)
        if var cached = cache?.lookup(key) {
            cached.cached = true
            return cached
        }
        let response = try compute(request, catalog: catalog)
        cache?.store(response, for: key)
        return response
    }

    private func compute(_ request: SearchRequest, catalog: Catalog) throws -> SearchResponse {
        let analyzer = catalog.analyzer
        let compiler = QueryCompiler(analyzer: analyzer, resolver: FilterResolver(catalog: catalog),
                                     termsStartingWith: source.terms(startingWith:))
        let compiled = try compiler.compile(query: request.query, filters: request.filters)

        var options = SearchOptions()
        options.offset = UInt32(clamping: request.offset)
        options.limit = UInt32(clamping: min(request.limit, SearchRequest.maximumLimit))
        // Facet counts are exact only when every match is looked at.
        options.checkAtLeast = request.facets.isEmpty ? options.offset + options.limit + 1 : UInt32(clamping: catalog.recordCount)
        options.facetSlots = Array(Set(request.facets.map(\.slot))).sorted()
        options.timeLimit = timeLimit
        switch request.sort {
        case .relevance: break
        case .amountAscending, .amountDescending:
            options.sortSlot = Schema.Slot.amount
            options.sortDescending = request.sort == .amountDescending
        case .yearAscending, .yearDescending:
            options.sortSlot = Schema.Slot.year
            options.sortDescending = request.sort == .yearDescending
        }
        let (result, warnings) = try source.search(compiled.query, options: options)

        let snippets = SnippetMaker(analyzer: analyzer, queryWords: compiled.highlightWords)
        let hits = result.matches.map { match -> JSONValue in
            let stored = StoredHit.decode(match.data)
            var snippet = ""
            JSONValue.writeString(snippets.snippet(for: String(stored.text)), to: &snippet)
            // With `explain`, each hit says how much it weighed.
            let weight = request.explain ? ",\"weight\":" + JSONValue.double((match.weight * 1000).rounded() / 1000).serialized() : ""
            return .raw(stored.json.dropLast() + ",\"snippet\":" + snippet + weight + "}")
        }
        let facets = request.facets.map { facet -> (name: String, values: [JSONValue]) in
            let counted = (result.facets[facet.slot] ?? [])
                .map { (value: String(decoding: $0.value, as: UTF8.self), count: Int($0.count)) }
                .sorted { $0.count != $1.count ? $0.count > $1.count : $0.value < $1.value }
                .prefix(facet.limit)
            return (facet.name, counted.map { entry in facetEntry(facet, value: entry.value, count: entry.count, catalog: catalog) })
        }
        var explanation: JSONValue?
        if request.explain {
            explanation = .object([
                ("parsed", .string(compiled.parsed?.description ?? "")),
                ("xapian", .string(compiled.query.description)),
            ])
        }
        return SearchResponse(
            total: Int(result.isExact ? result.matchesLowerBound : result.matchesEstimated),
            totalExact: result.isExact, hits: hits, facets: facets, explanation: explanation,
            revision: catalog.revision, warnings: warnings)
    }

    private func facetEntry(_ facet: FacetRequest, value: String, count: Int, catalog: Catalog) -> JSONValue {
        switch facet.field {
        case .year:
            return .object([("value", Int(value).map(JSONValue.int) ?? .string(value)), ("count", .int(count))])
        case .code:
            var members: [(String, JSONValue)] = [("value", .string(value))]
            if let name = catalog.codeNames[value] { members.append(("name", .string(name))) }
            members.append(("count", .int(count)))
            return .object(members)
        case .project:
            let parts = value.split(separator: "\t", maxSplits: 1).map(String.init)
            var members: [(String, JSONValue)] = [("value", .string(parts[0]))]
            if parts.count == 2 { members.append(("name", .string(parts[1]))) }
            members.append(("count", .int(count)))
            return .object(members)
        default:
            return .object([("value", .string(value)), ("count", .int(count))])
        }
    }
}

/// Short excerpts of a record's text around the query's words, matches marked with `<b>…</b>`.
struct SnippetMaker {
    let analyzer: Analyzer
    let queryWords: [String]
    /// Characters in a snippet.
    var length = 120

    func snippet(for text: String) -> String {
        let ranges = queryWords.isEmpty ? [] : analyzer.highlightRanges(in: text, for: queryWords)
        let windowStart: String.Index
        if let first = ranges.first {
            // Start a little before the first match so that it reads in context.
            windowStart = text.index(first.lowerBound, offsetBy: -20, limitedBy: text.startIndex) ?? text.startIndex
        } else {
            windowStart = text.startIndex
        }
        let windowEnd = text.index(windowStart, offsetBy: length, limitedBy: text.endIndex) ?? text.endIndex
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
        var out = ""
        var lastWasSpace = false
        for scalar in text.unicodeScalars {
            if scalar == "\n" || scalar == "\t" || scalar == "\r" || scalar == " " {
                if !lastWasSpace { out.unicodeScalars.append(" ") }
                lastWasSpace = true
            } else {
                out.unicodeScalars.append(scalar)
                lastWasSpace = false
            }
        }
        return out
    }
}
