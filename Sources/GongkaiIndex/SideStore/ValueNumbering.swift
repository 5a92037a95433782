import Glibc

/// A string compared and hashed by its UTF-8 bytes. `String`'s own hashing and `==` work on
/// the NFC form, which for Chinese text means normalizing every value each time: the largest
/// cost of opening a side store was numbering facet values that way. Facet values are terms'
/// bytes anyway (a filter matches the bytes), so bytes are also the right identity.
struct ByteString: Hashable {
    let string: String

    init(_ string: String) {
        var string = string
        string.makeContiguousUTF8()
        self.string = string
    }

    static func == (a: ByteString, b: ByteString) -> Bool {
        ByteString.compare(a.string, b.string) == 0
    }

    func hash(into hasher: inout Hasher) {
        var string = string
        string.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    }

    /// memcmp order of the UTF-8 bytes: negative, zero or positive.
    static func compare(_ a: String, _ b: String) -> Int {
        var a = a, b = b
        return a.withUTF8 { x in b.withUTF8 { y in compareBytes(UnsafeRawBufferPointer(x), UnsafeRawBufferPointer(y)) } }
    }

    /// Whether `a` comes before `b` in byte order.
    static func precedes(_ a: String, _ b: String) -> Bool { compare(a, b) < 0 }
}

/// Numbers values 1, 2, … in order of first sight, by their bytes; 0 is "no value".
struct ValueNumbering {
    /// The values behind ordinals 0…n (index 0: "", no value).
    private(set) var values: [String] = [""]
    private var ordinals: [ByteString: UInt32] = [:]

    init(capacity: Int = 0) {
        values.reserveCapacity(capacity + 1)
        ordinals.reserveCapacity(capacity)
    }

    mutating func ordinal(of value: String) -> UInt32 {
        let key = ByteString(value)
        if let known = ordinals[key] { return known }
        values.append(key.string)
        let ordinal = UInt32(values.count - 1)
        ordinals[key] = ordinal
        return ordinal
    }

    /// `values` (index 0: no value) sorted by bytes after index 0, and per old ordinal its new one.
    static func inByteOrder(_ values: [String]) -> (values: [String], renumbered: [UInt32]) {
        let order = values.indices.dropFirst().sorted { ByteString.precedes(values[$0], values[$1]) }
        var renumbered = [UInt32](repeating: 0, count: values.count)
        for (position, ordinal) in order.enumerated() { renumbered[ordinal] = UInt32(position + 1) }
        return ([""] + order.map { values[$0] }, renumbered)
    }

    /// Per ordinal, its rank (1…n) in byte order of the values; 0 keeps rank 0.
    static func byteRanks(_ values: [String]) -> [Int32] {
        // Dictionaries are written in byte order: then ranks are the ordinals, without a sort.
        if zip(values.dropFirst(), values.dropFirst(2)).allSatisfy({ ByteString.precedes($0, $1) }) {
            return values.indices.map(Int32.init)
        }
        return inByteOrder(values).renumbered.map(Int32.init)
    }
}

/// memcmp order of two byte strings: negative, zero or positive (a prefix comes first).
func compareBytes(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Int {
    let common = min(a.count, b.count)
    if common > 0, let p = a.baseAddress, let q = b.baseAddress {
        let result = memcmp(p, q, common)
        if result != 0 { return Int(result) }
    }
    return a.count - b.count
}
