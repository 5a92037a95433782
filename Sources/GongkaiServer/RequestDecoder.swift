import Disclosure
import GongkaiIndex

/// One request of the JSON-lines protocol, type-checked.
public enum Request: Sendable, Equatable {
    case search(SearchRequest)
    /// A project's timeline.
    case project(ProjectLookup)
    /// Projects like the one of a hit.
    case similar(hit: String, limit: Int)
    /// Every match of a search, streamed one line each, then a summary line.
    case export(SearchRequest)
    case stats
    case ping
}

/// An error answered as `{"ok": false, "error": {"code": …, "message": …}}`.
public struct ProtocolError: Error, Sendable, Equatable, CustomStringConvertible {
    public var code: String
    public var message: String

    public init(_ code: String, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }

    public static func badRequest(_ message: String) -> ProtocolError { ProtocolError("bad_request", message) }
}

/// Reads request lines: `{"id": …, "op": "search", "q": …, "filters": {…}, "facets": […],
/// "offset": 0, "limit": 10, "sort": "-amount", "explain": false}`, `{"op": "project", "code": …}`
/// or `{"op": "project", "name": …, "district": …}`, `{"op": "similar", "id": HIT_ID}`,
/// `{"op": "export", "q": …, "filters": {…}, "sort": …}`, `{"op": "stats"}`, `{"op": "ping"}`.
public enum RequestDecoder {
    public static func decode(_ line: some Collection<UInt8>) -> (id: JSONValue?, request: Result<Request, ProtocolError>) {
        let json: JSONValue
        do {
            json = try JSONValue.parse(line)
        } catch {
            return (nil, .failure(ProtocolError("bad_json", String(describing: error))))
        }
        guard case .object = json else {
            return (nil, .failure(.badRequest("a request must be a JSON object")))
        }
        let id = json["id"]
        do {
            return (id, .success(try request(from: json)))
        } catch let error as ProtocolError {
            return (id, .failure(error))
        } catch let error as QueryError {
            return (id, .failure(ProtocolError("bad_query", error.message)))
        } catch {
            return (id, .failure(.badRequest(String(describing: error))))
        }
    }

    /// Lines up to this long have their `id` looked for on the event loop, for the timeout
    /// answer of a request that is never run; every real request is shorter.
    static let cheapIDLimit = 64 << 10

    /// The `id` of a request line, or nil when it has none or is not a JSON object.
    static func clientID(in line: some Collection<UInt8>) -> JSONValue? {
        guard let json = try? JSONValue.parse(line), case .object = json else { return nil }
        return json["id"]
    }

    static let searchMembers: Set<String> = ["id", "op", "q", "filters", "facets", "sum", "offset", "limit", "sort", "explain"]
    static let exportMembers: Set<String> = ["id", "op", "q", "filters", "sort"]
    static let projectMembers: Set<String> = ["id", "op", "code", "name", "district", "key"]
    static let similarMembers: Set<String> = ["id", "op", "hit", "limit"]
    static let ops = "search, project, similar, export, stats, ping"

    static func request(from json: JSONValue) throws -> Request {
        let op: String
        switch json["op"] {
        case nil: throw ProtocolError.badRequest("missing \"op\" (\(ops))")
        case .string(let s)?: op = s
        default: throw ProtocolError.badRequest("\"op\" must be a string")
        }
        switch op {
        case "ping": return .ping
        case "stats": return .stats
        case "search": return .search(try search(from: json))
        case "export": return .export(try search(from: json, members: exportMembers, op: "export"))
        case "project": return .project(try project(from: json))
        case "similar": return try similar(from: json)
        default: throw ProtocolError("unknown_op", "unknown op '\(op)'; ops are \(ops)")
        }
    }

    /// Refuses members the op does not take.
    static func checkMembers(_ json: JSONValue, allowed: Set<String>, op: String) throws {
        guard case .object(let members) = json else { throw ProtocolError.badRequest("a request must be a JSON object") }
        if let unknown = members.map(\.0).first(where: { !allowed.contains($0) }) {
            throw ProtocolError.badRequest("unknown member \"\(unknown)\" in \(op) request")
        }
    }

    /// A non-empty string member, or nil when absent.
    static func text(_ json: JSONValue, _ name: String) throws -> String? {
        switch json[name] {
        case nil, .null?: return nil
        case .string(let s)? where !s.trimmingCharacters(in: .whitespaces).isEmpty: return s
        default: throw ProtocolError.badRequest("\"\(name)\" must be a non-empty string")
        }
    }

    /// `{"code": …}`, `{"name": …, "district": …}` or `{"key": …}`: exactly one way to name the project.
    static func project(from json: JSONValue) throws -> ProjectLookup {
        try checkMembers(json, allowed: projectMembers, op: "project")
        let code = try text(json, "code"), name = try text(json, "name"), key = try text(json, "key")
        let district = try text(json, "district")
        switch (code, name, key) {
        case (let code?, nil, nil):
            guard district == nil else { throw ProtocolError.badRequest("\"district\" goes with \"name\", not with \"code\"") }
            return .code(code)
        case (nil, let name?, nil):
            return .name(name, district: district)
        case (nil, nil, let key?):
            guard district == nil else { throw ProtocolError.badRequest("\"district\" goes with \"name\", not with \"key\"") }
            guard let projectKey = ProjectKey(rawValue: key) else {
                throw ProtocolError.badRequest("\"key\" must be a project key (code:… or name:…), not '\(key)'")
            }
            return .key(projectKey)
        default:
            throw ProtocolError.badRequest("a project request names the project by one of \"code\", \"name\" (with an optional \"district\") or \"key\"")
        }
    }

    /// `{"op": "similar", "id": HIT_ID}`; with `"hit": HIT_ID` the `id` stays the client's own.
    static func similar(from json: JSONValue) throws -> Request {
        try checkMembers(json, allowed: similarMembers, op: "similar")
        guard let hit = try text(json, "hit") ?? json["id"]?.stringValue, !hit.isEmpty else {
            throw ProtocolError.badRequest("a similar request needs the hit's id: {\"op\": \"similar\", \"id\": \"<file>:<ordinal>\"}")
        }
        let limit = try integer(json["limit"], name: "limit", default: 10, range: 1...100)
        return .similar(hit: hit, limit: limit)
    }

    static func search(from json: JSONValue, members allowed: Set<String> = searchMembers, op: String = "search") throws -> SearchRequest {
        try checkMembers(json, allowed: allowed, op: op)
        var request = SearchRequest()
        switch json["q"] {
        case nil, .null?: break
        case .string(let q)?: request.query = q
        default: throw ProtocolError.badRequest("\"q\" must be a string")
        }
        if let filters = json["filters"], filters != .null {
            guard case .object(let fields) = filters else { throw ProtocolError.badRequest("\"filters\" must be an object") }
            for (name, value) in fields {
                let field = try FieldName.named(name)
                request.filters[field, default: []] += try filterValues(value, field: name)
            }
        }
        if let facets = json["facets"], facets != .null {
            guard case .array(let names) = facets else { throw ProtocolError.badRequest("\"facets\" must be an array of names") }
            guard names.count <= 16 else { throw ProtocolError.badRequest("at most 16 facets") }
            for name in names {
                guard case .string(let text) = name else { throw ProtocolError.badRequest("\"facets\" must be an array of names") }
                let facet = try FacetRequest.named(text)
                if !request.facets.contains(facet) { request.facets.append(facet) }
            }
        }
        switch json["sum"] {
        case nil, .null?: break
        case .string(let field)?:
            guard SearchRequest.summableFields.contains(field) else {
                throw ProtocolError.badRequest("cannot sum '\(field)'; \"sum\" takes " + SearchRequest.summableFields.joined(separator: ", "))
            }
            request.sumAmounts = true
        default: throw ProtocolError.badRequest("\"sum\" must be the name of a field (amount)")
        }
        request.offset = try integer(json["offset"], name: "offset", default: 0, range: 0...SearchRequest.maximumOffset)
        // Larger pages are capped rather than refused, as a page size is a wish, not a contract.
        switch json["limit"] {
        case nil, .null?: break
        case let value?:
            guard let limit = value.intValue, limit >= 0 else {
                throw ProtocolError.badRequest("\"limit\" must be a whole number from 0 (pages over \(SearchRequest.maximumLimit) hits are cut to \(SearchRequest.maximumLimit))")
            }
            request.limit = min(limit, SearchRequest.maximumLimit)
        }
        switch json["sort"] {
        case nil, .null?: break
        case .string(let s)?: request.sort = try SortOrder.named(s)
        default: throw ProtocolError.badRequest("\"sort\" must be a string")
        }
        switch json["explain"] {
        case nil, .null?: break
        case .bool(let b)?: request.explain = b
        default: throw ProtocolError.badRequest("\"explain\" must be true or false")
        }
        return request
    }

    /// A filter's values: one value or an array of them, numbers or strings.
    static func filterValues(_ value: JSONValue, field: String) throws -> [String] {
        let items: [JSONValue]
        if case .array(let array) = value { items = array } else { items = [value] }
        guard items.count <= 256 else { throw ProtocolError.badRequest("filter \(field) has more than 256 values") }
        return try items.map { item in
            switch item {
            case .string(let s): return s
            case .int(let i): return String(i)
            case .double(let d): return String(d)
            default: throw ProtocolError.badRequest("filter \(field) values must be strings or numbers")
            }
        }
    }

    static func integer(_ value: JSONValue?, name: String, default fallback: Int, range: ClosedRange<Int>) throws -> Int {
        guard let value, value != .null else { return fallback }
        guard let int = value.intValue else { throw ProtocolError.badRequest("\"\(name)\" must be a whole number") }
        guard range.contains(int) else {
            throw ProtocolError.badRequest("\"\(name)\" must be between \(range.lowerBound) and \(range.upperBound)")
        }
        return int
    }
}
