import Foundation

/// A trie over unit keys that grows as words are added, stored as one open-addressing hash table
/// from (node, key) to child node. Node 0 is the root. Segmentation uses its `FrozenTrie` copy.
struct WordTrie: Sendable {
    private var slotKeys: [UInt64]
    private var slotChildren: [Int32]
    private var mask: Int
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

/// A read-only copy of a `WordTrie` for segmentation. Each node's children sit in their own
/// small open-addressing table, and each slot carries what a walk needs next (the child's table
/// and its word log probability), so one step of a dictionary walk touches one cache line near the
/// previous one instead of several scattered ones.
struct FrozenTrie: Sendable {
    /// A node reached by a walk.
    struct Step {
        /// Start of the node's child table in `slots`; -1 when there is no such node.
        fileprivate var base: Int32
        /// Child table size - 1; -1 when the node has no children.
        fileprivate var mask: Int32
        /// log(frequency / total) of the word ending here; -infinity when it is only a prefix.
        var logProbability: Float

        var exists: Bool { base >= 0 }
        var isWord: Bool { logProbability > -.infinity }
    }

    private struct Slot {
        var key: UInt32
        var step: Step
    }

    private let slots: [Slot]
    /// Children of the root for keys below 0x10000, looked up directly.
    private let rootTable: [Step]
    let root: Step

    private static let emptyKey = UInt32.max
    private static let none = Step(base: -1, mask: -1, logProbability: -.infinity)

    init(_ trie: WordTrie, logTotal: Double) {
        let nodeCount = trie.nodeCount
        var childCounts = [Int32](repeating: 0, count: nodeCount)
        trie.forEachEdge { parent, _, _ in childCounts[Int(parent)] += 1 }
        // Table sizes: a power of two with load at most 2/3; bases in node order, so the tables of
        // words sharing a prefix (inserted together) lie close together.
        var bases = [Int32](repeating: 0, count: nodeCount)
        var masks = [Int32](repeating: -1, count: nodeCount)
        var total = 0
        for node in 0..<nodeCount where childCounts[node] > 0 {
            var size = 2
            while size * 2 < Int(childCounts[node]) * 3 { size <<= 1 }
            bases[node] = Int32(total)
            masks[node] = Int32(size - 1)
            total += size
        }
        func step(_ node: Int32) -> Step {
            let f = trie.frequencies[Int(node)]
            return Step(base: bases[Int(node)], mask: masks[Int(node)],
                        logProbability: f > 0 ? Float(log(f) - logTotal) : -.infinity)
        }
        var slots = [Slot](repeating: Slot(key: Self.emptyKey, step: Self.none), count: max(total, 1))
        var rootTable = [Step](repeating: Self.none, count: 0x10000)
        trie.forEachEdge { parent, key, child in
            let childStep = step(child)
            if parent == 0, key < 0x10000 { rootTable[Int(key)] = childStep }
            let base = Int(bases[Int(parent)]), mask = Int(masks[Int(parent)])
            var i = Self.hash(key) & mask
            while slots[base + i].key != Self.emptyKey { i = (i + 1) & mask }
            slots[base + i] = Slot(key: key, step: childStep)
        }
        self.slots = slots
        self.rootTable = rootTable
        self.root = step(0)
    }

    @inline(__always)
    private static func hash(_ key: UInt32) -> Int {
        Int(truncatingIfNeeded: (UInt64(key) &* 0x9E37_79B9_7F4A_7C15) >> 40)
    }

    /// The child of `from` along `key`; check `exists`.
    @inline(__always)
    func step(_ from: Step, _ key: UInt32) -> Step {
        if from.mask < 0 { return Self.none }
        if from.base == root.base, from.mask == root.mask, key < 0x10000 { return rootTable[Int(key)] }
        let base = Int(from.base), mask = Int(from.mask)
        var i = Self.hash(key) & mask
        while true {
            let slot = slots[base + i]
            if slot.key == key { return slot.step }
            if slot.key == Self.emptyKey { return Self.none }
            i = (i + 1) & mask
        }
    }

    /// Whether the key sequence is a word.
    func isWord(_ keys: ArraySlice<UInt32>) -> Bool {
        var at = root
        for key in keys {
            at = step(at, key)
            if !at.exists { return false }
        }
        return at.isWord
    }
}
