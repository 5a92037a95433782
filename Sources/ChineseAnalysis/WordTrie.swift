import Foundation

/// A trie over unit keys, stored as one open-addressing hash table from (node, key) to child
/// node, so a lookup is one multiply and usually one probe. Node 0 is the root.
struct WordTrie: Sendable {
    private var slotKeys: [UInt64]
    private var slotChildren: [Int32]
    private var mask: Int
    /// Children of the root for keys below 0x10000, looked up directly: every segmentation step
    /// starts there, and the flat table stays in cache.
    private var rootChildren = [Int32](repeating: -1, count: 0x10000)
    /// Frequency of the word ending at each node; 0 when the node is only a prefix.
    private(set) var frequencies: [Double] = [0]
    private(set) var wordCount = 0

    private static let empty = UInt64.max

    init(capacity: Int = 1 << 10) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        slotKeys = [UInt64](repeating: Self.empty, count: size)
        slotChildren = [Int32](repeating: -1, count: size)
        mask = size - 1
    }

    var nodeCount: Int { frequencies.count }

    @inline(__always)
    private static func slotKey(_ node: Int32, _ key: UInt32) -> UInt64 {
        UInt64(UInt32(bitPattern: node)) << 32 | UInt64(key)
    }

    @inline(__always)
    private func slot(for k: UInt64) -> Int {
        Int(truncatingIfNeeded: (k &* 0x9E37_79B9_7F4A_7C15) >> 40) & mask
    }

    /// The child of `node` along `key`, or -1.
    @inline(__always)
    func child(_ node: Int32, _ key: UInt32) -> Int32 {
        if node == 0, key < 0x10000 { return rootChildren[Int(key)] }
        let k = Self.slotKey(node, key)
        var i = slot(for: k)
        while true {
            let stored = slotKeys[i]
            if stored == k { return slotChildren[i] }
            if stored == Self.empty { return -1 }
            i = (i + 1) & mask
        }
    }

    /// The node of a whole key sequence, or -1.
    func node(of keys: some Sequence<UInt32>) -> Int32 {
        var node: Int32 = 0
        for key in keys {
            node = child(node, key)
            if node < 0 { return -1 }
        }
        return node
    }

    func frequency(of keys: some Sequence<UInt32>) -> Double {
        let n = node(of: keys)
        return n < 0 ? 0 : frequencies[Int(n)]
    }

    /// Sets the word's frequency to the larger of its old one and `frequency`; returns the old one.
    @discardableResult
    mutating func insert(_ keys: some Sequence<UInt32>, frequency: Double) -> Double {
        var node: Int32 = 0
        for key in keys {
            node = childCreating(node, key)
        }
        guard node != 0 else { return 0 }
        let old = frequencies[Int(node)]
        if old == 0 { wordCount += 1 }
        frequencies[Int(node)] = max(old, frequency)
        return old
    }

    private mutating func childCreating(_ node: Int32, _ key: UInt32) -> Int32 {
        let k = Self.slotKey(node, key)
        var i = slot(for: k)
        while true {
            let stored = slotKeys[i]
            if stored == k { return slotChildren[i] }
            if stored == Self.empty { break }
            i = (i + 1) & mask
        }
        let child = Int32(frequencies.count)
        frequencies.append(0)
        if node == 0, key < 0x10000 { rootChildren[Int(key)] = child }
        slotKeys[i] = k
        slotChildren[i] = child
        if frequencies.count * 3 > slotKeys.count * 2 { grow() }  // load factor 2/3
        return child
    }

    /// Calls `body(parent, key, child)` for every edge.
    func forEachEdge(_ body: (Int32, UInt32, Int32) -> Void) {
        for (i, k) in slotKeys.enumerated() where k != Self.empty {
            body(Int32(truncatingIfNeeded: k >> 32), UInt32(truncatingIfNeeded: k), slotChildren[i])
        }
    }

    private mutating func grow() {
        let oldKeys = slotKeys, oldChildren = slotChildren
        slotKeys = [UInt64](repeating: Self.empty, count: oldKeys.count * 2)
        slotChildren = [Int32](repeating: -1, count: oldKeys.count * 2)
        mask = slotKeys.count - 1
        for (i, k) in oldKeys.enumerated() where k != Self.empty {
            var j = slot(for: k)
            while slotKeys[j] != Self.empty { j = (j + 1) & mask }
            slotKeys[j] = k
            slotChildren[j] = oldChildren[i]
        }
    }
}

/// A read-only copy of a `WordTrie` for segmentation: each hash slot also holds the child's log
/// probability, so one step of a dictionary walk touches one cache line, not three.
struct FrozenTrie: Sendable {
    struct Step {
        /// -1 when there is no such child.
        var node: Int32
        /// log(frequency / total) of the word ending here; -infinity when it is only a prefix.
        var logProbability: Float
    }

    private struct Slot {
        var key: UInt64
        var step: Step
    }

    private let slots: [Slot]
    private let mask: Int
    private let root: [Step]
    /// One bit per hash of each edge, 16 bits per edge: most lookups that end a dictionary walk
    /// fail, and this small table answers them without touching the large slot table.
    private let filter: [UInt64]
    private let filterMask: Int

    private static let empty = UInt64.max
    private static let none = Step(node: -1, logProbability: -.infinity)

    init(_ trie: WordTrie, logTotal: Double) {
        func logProbability(_ node: Int32) -> Float {
            let f = trie.frequencies[Int(node)]
            return f > 0 ? Float(log(f) - logTotal) : -.infinity
        }
        var size = 16
        while size < trie.nodeCount * 2 { size <<= 1 }  // load factor at most 1/2
        var slots = [Slot](repeating: Slot(key: Self.empty, step: Self.none), count: size)
        var root = [Step](repeating: Self.none, count: 0x10000)
        let mask = size - 1
        var filterBits = 64
        while filterBits < trie.nodeCount * 16 { filterBits <<= 1 }
        var filter = [UInt64](repeating: 0, count: filterBits / 64)
        let filterMask = filterBits - 1
        trie.forEachEdge { parent, key, child in
            let step = Step(node: child, logProbability: logProbability(child))
            if parent == 0, key < 0x10000 {
                root[Int(key)] = step
                return
            }
            let k = UInt64(UInt32(bitPattern: parent)) << 32 | UInt64(key)
            let h = k &* 0x9E37_79B9_7F4A_7C15
            let bit = Int(truncatingIfNeeded: h >> 8) & filterMask
            filter[bit >> 6] |= 1 << UInt64(bit & 63)
            var i = Int(truncatingIfNeeded: h >> 40) & mask
            while slots[i].key != Self.empty { i = (i + 1) & mask }
            slots[i] = Slot(key: k, step: step)
        }
        self.slots = slots
        self.mask = mask
        self.root = root
        self.filter = filter
        self.filterMask = filterMask
    }

    @inline(__always)
    func step(_ node: Int32, _ key: UInt32) -> Step {
        if node == 0, key < 0x10000 { return root[Int(key)] }
        let k = UInt64(UInt32(bitPattern: node)) << 32 | UInt64(key)
        let h = k &* 0x9E37_79B9_7F4A_7C15
        let bit = Int(truncatingIfNeeded: h >> 8) & filterMask
        if filter[bit >> 6] & (1 << UInt64(bit & 63)) == 0 { return Self.none }
        var i = Int(truncatingIfNeeded: h >> 40) & mask
        while true {
            let slot = slots[i]
            if slot.key == k { return slot.step }
            if slot.key == Self.empty { return Self.none }
            i = (i + 1) & mask
        }
    }

    /// Whether the key sequence is a word.
    func isWord(_ keys: ArraySlice<UInt32>) -> Bool {
        var step = Step(node: 0, logProbability: -.infinity)
        for key in keys {
            step = self.step(step.node, key)
            if step.node < 0 { return false }
        }
        return step.logProbability > -.infinity
    }
}
