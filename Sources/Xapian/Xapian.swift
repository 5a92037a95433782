import CXapian
import Glibc

/// An error Xapian reported, carried across the C shim as its class name and message.
public struct XapianError: Error, CustomStringConvertible, Equatable {
    /// Xapian's exception class, e.g. `DatabaseOpeningError`, `DatabaseLockError`.
    public var type: String
    public var message: String

    public init(type: String, message: String) {
        self.type = type
        self.message = message
    }

    public var description: String { "\(type): \(message)" }

    /// Calls a shim function with an error out-parameter and throws what it reports.
    static func check<T>(_ body: (UnsafeMutablePointer<UnsafeMutablePointer<gk_error>?>) -> T) throws -> T {
        var error: UnsafeMutablePointer<gk_error>?
        let result = body(&error)
        if let error {
            defer { gk_error_free(error) }
            throw XapianError(type: error.pointee.type.map { String(cString: $0) } ?? "Error",
                              message: error.pointee.message.map { String(cString: $0) } ?? "")
        }
        return result
    }
}

/// A string the shim returns malloc'd (with its length), freed here; "" for none.
func ownedString(_ call: (inout Int, UnsafeMutablePointer<UnsafeMutablePointer<gk_error>?>) -> UnsafeMutablePointer<CChar>?) throws -> String {
    var length = 0
    let raw = try XapianError.check { call(&length, $0) }
    guard let raw else { return "" }
    defer { gk_string_free(raw) }
    return String(decoding: UnsafeRawBufferPointer(start: raw, count: length), as: UTF8.self)
}

/// Reads a '\n'-separated list the shim returns as a malloc'd string.
func listing(_ call: (inout Int, UnsafeMutablePointer<UnsafeMutablePointer<gk_error>?>) -> UnsafeMutablePointer<CChar>?) throws -> [String] {
    try ownedString(call).split(separator: "\n").map(String.init)
}

/// Xapian's order-preserving encoding of doubles for value slots.
public enum SortableSerialiser {
    public static func serialise(_ value: Double) -> [UInt8] {
        var buffer = [CChar](repeating: 0, count: 16)
        let length = gk_sortable_serialise(value, &buffer)
        return buffer[0..<length].map { UInt8(bitPattern: $0) }
    }

    public static func unserialise(_ bytes: [UInt8]) -> Double {
        bytes.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { gk_sortable_unserialise($0.baseAddress, $0.count) }
        }
    }
}

/// A document being built for the index. Not thread-safe; build, add, drop.
public final class Document {
    let handle: OpaquePointer

    public init() {
        guard let handle = gk_document_new() else { fatalError("out of memory allocating a Xapian document") }
        self.handle = handle
    }

    deinit { gk_document_free(handle) }

    public func setData(_ data: String) {
        var data = data
        data.withUTF8 { gk_document_set_data(handle, $0.baseAddress, $0.count) }
    }

    /// A term at a word position (from 1).
    public func addPosting(_ term: String, position: UInt32) {
        var term = term
        term.withUTF8 { gk_document_add_posting(handle, $0.baseAddress, $0.count, position) }
    }

    public func addTerm(_ term: String, wdfIncrement: UInt32 = 1) {
        var term = term
        term.withUTF8 { gk_document_add_term(handle, $0.baseAddress, $0.count, wdfIncrement) }
    }

    /// A filter term: matches, but adds nothing to relevance.
    public func addBooleanTerm(_ term: String) {
        var term = term
        term.withUTF8 { gk_document_add_boolean_term(handle, $0.baseAddress, $0.count) }
    }

    public func setValue(_ slot: UInt32, _ value: String) {
        var value = value
        value.withUTF8 { gk_document_set_value(handle, slot, $0.baseAddress, $0.count) }
    }

    public func setValue(_ slot: UInt32, bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { gk_document_set_value(handle, slot, $0.baseAddress, $0.count) }
        }
    }
}

/// The one writer of a database. Xapian locks the database for it; a second writer fails with
/// `DatabaseLockError` at once.
public final class WritableDatabase {
    let handle: OpaquePointer

    public enum OpenMode {
        case createOrOpen
        case createOrOverwrite
    }

    public init(path: String, mode: OpenMode = .createOrOpen, noSync: Bool = false) throws {
        let code: Int32 = mode == .createOrOpen ? Int32(GK_OPEN_CREATE_OR_OPEN) : Int32(GK_OPEN_CREATE_OR_OVERWRITE)
        guard let handle = try XapianError.check({ gk_writable_open(path, code, noSync ? 1 : 0, $0) }) else {
            throw XapianError(type: "DatabaseOpeningError", message: "cannot open \(path) for writing")
        }
        self.handle = handle
    }

    /// Commits what is pending and releases the lock.
    deinit { gk_writable_free(handle) }

    @discardableResult
    public func replaceDocument(uniqueTerm: String, _ document: Document) throws -> UInt32 {
        var term = uniqueTerm
        return try term.withUTF8 { buffer in
            try XapianError.check { gk_writable_replace_by_term(handle, buffer.baseAddress, buffer.count, document.handle, $0) }
        }
    }

    /// Adds a document without looking for one to replace (the caller knows there is none).
    @discardableResult
    public func addDocument(_ document: Document) throws -> UInt32 {
        try XapianError.check { gk_writable_add(handle, document.handle, $0) }
    }

    public func deleteDocuments(term: String) throws {
        var term = term
        _ = try term.withUTF8 { buffer in
            try XapianError.check { gk_writable_delete_by_term(handle, buffer.baseAddress, buffer.count, $0) }
        }
    }

    public func setMetadata(_ key: String, _ value: String) throws {
        var value = value
        _ = try value.withUTF8 { buffer in
            try XapianError.check { gk_writable_set_metadata(handle, key, buffer.baseAddress, buffer.count, $0) }
        }
    }

    public func metadata(_ key: String) throws -> String {
        try ownedString { gk_writable_get_metadata(handle, key, &$0, $1) }
    }

    /// Every term that starts with `prefix`.
    public func allTerms(prefix: String) throws -> [String] {
        try listing { gk_writable_all_terms(handle, prefix, &$0, $1) }
    }

    /// Every metadata key that starts with `prefix`.
    public func metadataKeys(prefix: String) throws -> [String] {
        try listing { gk_writable_metadata_keys(handle, prefix, &$0, $1) }
    }

    public func commit() throws {
        _ = try XapianError.check { gk_writable_commit(handle, $0) }
    }

    /// Until `commitTransaction`, nothing is committed, not even by Xapian's automatic flushes;
    /// closing the database first throws the changes away.
    public func beginTransaction() throws {
        _ = try XapianError.check { gk_writable_begin_transaction(handle, $0) }
    }

    public func commitTransaction() throws {
        _ = try XapianError.check { gk_writable_commit_transaction(handle, $0) }
    }

    public func cancelTransaction() throws {
        _ = try XapianError.check { gk_writable_cancel_transaction(handle, $0) }
    }

    public var documentCount: UInt32 { gk_writable_doccount(handle) }

    /// The revision last committed; the next commit with changes makes `revision() + 1`.
    public func revision() throws -> UInt64 {
        try XapianError.check { gk_writable_revision(handle, $0) }
    }

    /// The docids of the documents indexed by `term`, uncommitted changes included.
    public func docids(term: String) throws -> [UInt32] {
        var term = term
        var count = 0
        let raw = try term.withUTF8 { buffer in
            try XapianError.check { gk_writable_postlist(handle, buffer.baseAddress, buffer.count, &count, $0) }
        }
        guard let raw else { return [] }
        defer { gk_string_free(UnsafeMutableRawPointer(raw).assumingMemoryBound(to: CChar.self)) }
        return Array(UnsafeBufferPointer(start: raw, count: count))
    }
}

/// Calls `handler` with the exception's type and message when a C++ exception that nothing can
/// catch is about to terminate the process (libxapian throws from inside noexcept code when a
/// write fails during a flush). The handler should report, clean up and exit; if it returns,
/// the process aborts.
public func setUncaughtXapianErrorHandler(_ handler: @convention(c) (UnsafePointer<CChar>?, UnsafePointer<CChar>?) -> Void) {
    gk_set_terminate_handler(handler)
}

/// Merges databases into a new, compact one (as `xapian-compact` does). Document ids are
/// renumbered; nothing in the schema depends on them.
public func compactDatabases(_ sources: [String], into destination: String) throws {
    var pointers = sources.map { strdup($0) }
    defer { pointers.forEach { free($0) } }
    _ = try pointers.withUnsafeMutableBufferPointer { buffer in
        try buffer.withMemoryRebound(to: UnsafePointer<CChar>?.self) { rebound in
            try XapianError.check { gk_compact(rebound.baseAddress, rebound.count, destination, $0) }
        }
    }
}

/// A read-only view of a database at one revision. Not thread-safe: give each thread its own.
public final class Database {
    let handle: OpaquePointer
    /// The databases a combined database searches; kept alive as long as it is.
    private let parts: [Database]
    /// The folder (or stub file) opened; nil for remote and combined databases.
    public let path: String?

    public init(path: String) throws {
        guard let handle = try XapianError.check({ gk_database_open(path, $0) }) else {
            throw XapianError(type: "DatabaseOpeningError", message: "cannot open \(path)")
        }
        self.handle = handle
        parts = []
        self.path = path
    }

    /// A database served by `xapian-tcpsrv`. Each operation fails with `NetworkTimeoutError` after
    /// `timeoutMilliseconds`, connecting after `connectTimeoutMilliseconds`.
    public init(host: String, port: UInt16, timeoutMilliseconds: UInt32, connectTimeoutMilliseconds: UInt32) throws {
        guard let handle = try XapianError.check({
            gk_database_open_remote(host, UInt32(port), timeoutMilliseconds, connectTimeoutMilliseconds, $0)
        }) else {
            throw XapianError(type: "NetworkError", message: "cannot connect to \(host):\(port)")
        }
        self.handle = handle
        parts = []
        path = nil
    }

    /// One database searching `parts` as one: global statistics, merged ranking, facets over all.
    public init(combining parts: [Database]) throws {
        let handles: [OpaquePointer?] = parts.map(\.handle)
        guard let handle = try handles.withUnsafeBufferPointer({ buffer in
            try XapianError.check { gk_database_combine(buffer.baseAddress, buffer.count, $0) }
        }) else {
            throw XapianError(type: "InternalError", message: "cannot combine databases")
        }
        self.handle = handle
        self.parts = parts
        path = nil
    }

    deinit { gk_database_free(handle) }

    /// Moves to the newest committed revision; returns whether it changed.
    @discardableResult
    public func reopen() throws -> Bool {
        var changed: Int32 = 0
        _ = try XapianError.check { gk_database_reopen(handle, &changed, $0) }
        return changed != 0
    }

    public func documentCount() throws -> UInt32 {
        try XapianError.check { gk_database_doccount(handle, $0) }
    }

    public func revision() throws -> UInt64 {
        try XapianError.check { gk_database_revision(handle, $0) }
    }

    public func metadata(_ key: String) throws -> String {
        try ownedString { gk_database_get_metadata(handle, key, &$0, $1) }
    }

    public func termFrequency(_ term: String) throws -> UInt32 {
        var term = term
        return try term.withUTF8 { buffer in
            try XapianError.check { gk_database_termfreq(handle, buffer.baseAddress, buffer.count, $0) }
        }
    }

    /// Every term that starts with `prefix`.
    public func allTerms(prefix: String) throws -> [String] {
        try listing { gk_database_all_terms(handle, prefix, &$0, $1) }
    }

    /// Every metadata key that starts with `prefix`.
    public func metadataKeys(prefix: String) throws -> [String] {
        try listing { gk_database_metadata_keys(handle, prefix, &$0, $1) }
    }

    /// The data of one document.
    public func documentData(_ docid: UInt32) throws -> [UInt8] {
        var length = 0
        let raw = try XapianError.check { gk_database_document_data(handle, docid, &length, $0) }
        guard let raw else { return [] }
        defer { gk_string_free(raw) }
        return Array(UnsafeRawBufferPointer(start: raw, count: length))
    }

    public func search(_ query: Query, options: SearchOptions) throws -> SearchResult {
        let slots = options.facetSlots
        let valueSlots = options.hitValueSlots
        let result = try slots.withUnsafeBufferPointer { slotBuffer in
            try valueSlots.withUnsafeBufferPointer { valueBuffer in
                var raw = gk_search_options(
                    offset: options.offset, limit: options.limit, check_at_least: options.checkAtLeast,
                    sort_slot: options.sortSlot.map(Int32.init) ?? -1, sort_descending: options.sortDescending ? 1 : 0,
                    facet_slots: slotBuffer.baseAddress, facet_slot_count: slotBuffer.count,
                    time_limit: options.timeLimit, hit_value_slots: valueBuffer.baseAddress,
                    hit_value_slot_count: valueBuffer.count)
                return try XapianError.check { gk_search(handle, query.handle, &raw, $0) }
            }
        }
        guard let result else { throw XapianError(type: "InternalError", message: "search returned nothing") }
        defer { gk_result_free(result) }
        return SearchResult(result, facetSlots: slots, valueSlots: valueSlots.count)
    }
}

public struct SearchOptions: Sendable {
    public var offset: UInt32 = 0
    public var limit: UInt32 = 10
    public var checkAtLeast: UInt32 = 0
    public var sortSlot: UInt32?
    public var sortDescending = false
    public var facetSlots: [UInt32] = []
    /// Value slots returned with each hit.
    public var hitValueSlots: [UInt32] = []
    /// Seconds; 0 for none.
    public var timeLimit: Double = 0

    public init() {}
}

public struct SearchResult: Sendable {
    public struct Match: Sendable {
        public var docid: UInt32
        public var weight: Double
        public var data: [UInt8]
        /// The values of `SearchOptions.hitValueSlots`, in that order.
        public var values: [[UInt8]]
    }

    public var matchesLowerBound: UInt32
    public var matchesEstimated: UInt32
    public var matchesUpperBound: UInt32
    public var matches: [Match]
    /// Per facet slot: each distinct value with the number of matching documents holding it.
    public var facets: [UInt32: [(value: [UInt8], count: UInt32)]]

    init(_ raw: OpaquePointer, facetSlots: [UInt32], valueSlots: Int) {
        matchesLowerBound = gk_result_matches_lower_bound(raw)
        matchesEstimated = gk_result_matches_estimated(raw)
        matchesUpperBound = gk_result_matches_upper_bound(raw)
        matches = (0..<gk_result_size(raw)).map { i in
            var length = 0
            let data = gk_result_data(raw, i, &length)
            let values = (0..<valueSlots).map { slot -> [UInt8] in
                var valueLength = 0
                let value = gk_result_hit_value(raw, i, slot, &valueLength)
                return Array(UnsafeRawBufferPointer(start: value, count: valueLength))
            }
            return Match(docid: gk_result_docid(raw, i), weight: gk_result_weight(raw, i),
                         data: Array(UnsafeRawBufferPointer(start: data, count: length)), values: values)
        }
        var facets: [UInt32: [(value: [UInt8], count: UInt32)]] = [:]
        for (index, slot) in facetSlots.enumerated() {
            facets[slot] = (0..<gk_result_facet_size(raw, index)).map { v in
                var length = 0
                let value = gk_result_facet_value(raw, index, v, &length)
                let bytes = Array(UnsafeRawBufferPointer(start: value, count: length))
                return (bytes, gk_result_facet_count(raw, index, v))
            }
        }
        self.facets = facets
    }

    /// Whether the counts are exact: the bounds meet.
    public var isExact: Bool { matchesLowerBound == matchesUpperBound }
}
