import CXapian
import Glibc

/// A Xapian query. Immutable once built; not shared across threads (Xapian counts its
/// references without atomics).
public final class Query: CustomStringConvertible {
    let handle: OpaquePointer

    public enum Operator {
        case and, or, andNot, filter, andMaybe, phrase, near, synonym

        var code: Int32 {
            switch self {
            case .and: return Int32(GK_OP_AND)
            case .or: return Int32(GK_OP_OR)
            case .andNot: return Int32(GK_OP_AND_NOT)
            case .filter: return Int32(GK_OP_FILTER)
            case .andMaybe: return Int32(GK_OP_AND_MAYBE)
            case .phrase: return Int32(GK_OP_PHRASE)
            case .near: return Int32(GK_OP_NEAR)
            case .synonym: return Int32(GK_OP_SYNONYM)
            }
        }
    }

    private init(_ handle: OpaquePointer?) {
        guard let handle else { fatalError("out of memory building a Xapian query") }
        self.handle = handle
    }

    deinit { gk_query_free(handle) }

    public convenience init(term: String, wqf: UInt32 = 1) {
        var term = term
        self.init(term.withUTF8 { gk_query_term($0.baseAddress, $0.count, wqf) })
    }

    public static var matchAll: Query { Query(gk_query_match_all()) }
    public static var matchNothing: Query { Query(gk_query_match_nothing()) }

    /// `window` is the PHRASE/NEAR window; 0 means as many positions as there are subqueries.
    public convenience init(_ op: Operator, _ subqueries: [Query], window: UInt32 = 0) {
        let handles: [OpaquePointer?] = subqueries.map { $0.handle }
        let combined = handles.withUnsafeBufferPointer { gk_query_combine(op.code, $0.baseAddress, $0.count, window) }
        withExtendedLifetime(subqueries) {}
        self.init(combined)
    }

    /// Documents whose value in `slot` lies between the bounds (nil: open).
    public convenience init(valueRange slot: UInt32, low: [UInt8]?, high: [UInt8]?) {
        func call(_ lowPtr: UnsafePointer<CChar>?, _ lowCount: Int, _ highPtr: UnsafePointer<CChar>?, _ highCount: Int) -> OpaquePointer? {
            gk_query_value_range(slot, lowPtr, lowCount, highPtr, highCount)
        }
        let lowBytes = low.map { $0.map { CChar(bitPattern: $0) } }
        let highBytes = high.map { $0.map { CChar(bitPattern: $0) } }
        let handle: OpaquePointer?
        switch (lowBytes, highBytes) {
        case let (l?, h?):
            handle = l.withUnsafeBufferPointer { lb in h.withUnsafeBufferPointer { hb in call(lb.baseAddress, lb.count, hb.baseAddress, hb.count) } }
        case let (l?, nil):
            handle = l.withUnsafeBufferPointer { lb in call(lb.baseAddress, lb.count, nil, 0) }
        case let (nil, h?):
            handle = h.withUnsafeBufferPointer { hb in call(nil, 0, hb.baseAddress, hb.count) }
        case (nil, nil):
            handle = call(nil, 0, nil, 0)
        }
        self.init(handle)
    }

    /// Matches every document, weighing each by its value in `slot` (a prior, e.g. by record type).
    public convenience init(valueWeights slot: UInt32, _ weights: [String: Double], default defaultWeight: Double) {
        let keys = weights.keys.sorted()
        var pointers = keys.map { strdup($0) }
        defer { pointers.forEach { free($0) } }
        let lengths = keys.map { $0.utf8.count }
        let values = keys.map { weights[$0]! }
        let handle = pointers.withUnsafeMutableBufferPointer { buffer in
            buffer.withMemoryRebound(to: UnsafePointer<CChar>?.self) { keyBuffer in
                gk_query_value_weights(slot, keyBuffer.baseAddress, lengths, values, keys.count, defaultWeight)
            }
        }
        self.init(handle)
    }

    public func scaled(by factor: Double) -> Query {
        Query(gk_query_scale_weight(handle, factor))
    }

    public var description: String {
        guard let raw = gk_query_describe(handle) else { return "Query(?)" }
        defer { gk_string_free(raw) }
        return String(cString: raw)
    }
}
