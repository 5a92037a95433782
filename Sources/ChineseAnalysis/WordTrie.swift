import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Asks for transparent huge pages over the 2 MB-aligned part of a large buffer: the trie's
/// tables are written once at random, and 4 KB pages cost one fault each.
func adviseHugePages(_ buffer: UnsafeMutableRawBufferPointer) {
    #if os(Linux)
    guard buffer.count >= 4 << 20, let start = buffer.baseAddress else { return }
    let huge = 2 << 20
    let from = (Int(bitPattern: start) + huge - 1) & ~(huge - 1)
    let to = (Int(bitPattern: start) + buffer.count) & ~(huge - 1)
    guard to > from else { return }
    _ = madvise(UnsafeMutableRawPointer(bitPattern: from), to - from, MADV_HUGEPAGE)
    #endif
}

/// A trie over unit keys that grows as words are added, stored as one open-addressing hash table
/// from (node, key) to child node. Node 0 is the root. Used to read the text dictionaries and
/// to build restricted lexicons; segmentation uses the `FrozenTrie` made from its `image()`.
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

extension WordTrie {
    /// The trie in canonical form: nodes in preorder, children by ascending key.
    func image() -> TrieImage {
        // Children of each node, sorted by key (compressed rows).
        var edges: [(parent: Int32, key: UInt32, child: Int32)] = []
        edges.reserveCapacity(nodeCount)
        forEachEdge { edges.append(($0, $1, $2)) }
        edges.sort { $0.parent != $1.parent ? $0.parent < $1.parent : $0.key < $1.key }
        var rowStart = [Int](repeating: 0, count: nodeCount + 1)
        for edge in edges { rowStart[Int(edge.parent) + 1] += 1 }
        for i in 0..<nodeCount { rowStart[i + 1] += rowStart[i] }

        let values = Array(Set(frequencies.filter { $0 > 0 })).sorted()
        var index: [Double: UInt32] = [:]
        for (i, v) in values.enumerated() { index[v] = UInt32(i + 1) }
        var image = TrieImage(frequencyValues: [0] + values)
        image.reserveCapacity(nodeCount)
        // Preorder: a stack of (node, key) still to visit, children pushed in reverse.
        var stack: [(node: Int32, key: UInt32)] = [(0, 0)]
        while let (node, key) = stack.popLast() {
            let row = rowStart[Int(node)]..<rowStart[Int(node) + 1]
            let f = frequencies[Int(node)]
            image.append(key: key, frequencyIndex: f > 0 ? index[f]! : 0, childCount: UInt32(row.count))
            for e in row.reversed() { stack.append((edges[e].child, edges[e].key)) }
        }
        return image
    }
}

/// A trie as flat arrays: nodes in preorder (the root first), each with the key of the edge
/// from its parent, its word frequency (an index into `frequencyValues`; 0 = only a prefix) and
/// its number of children, which follow it in ascending key order. The compiled dictionary
/// stores this form; two tries hold the same words and frequencies exactly when their canonical
/// images are equal.
struct TrieImage: Equatable, Sendable {
    var keys: [UInt32] = []
    var frequencyIndices: [UInt32] = []
    var childCounts: [UInt32] = []
    /// Distinct word frequencies, ascending, after a leading 0.
    var frequencyValues: [Double] = [0]

    var nodeCount: Int { keys.count }

    mutating func reserveCapacity(_ n: Int) {
        keys.reserveCapacity(n)
        frequencyIndices.reserveCapacity(n)
        childCounts.reserveCapacity(n)
    }

    mutating func append(key: UInt32, frequencyIndex: UInt32, childCount: UInt32) {
        keys.append(key)
        frequencyIndices.append(frequencyIndex)
        childCounts.append(childCount)
    }
}

/// The trie segmentation walks. Each node's children sit in their own small open-addressing
/// table, and each slot carries what a walk needs next (the child's table and its word log
/// probability), so one step of a dictionary walk touches one cache line near the previous one
/// instead of several scattered ones. Tables are laid out in preorder, so the tables along one
/// word lie close together.
///
/// Words can be added in place (`insert`; a node whose table fills up moves it to the end); the
/// log probabilities and the root lookup table are then stale until `rebase(logTotal:)`.
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

    private var slots: [Slot]
    /// Per slot: the child's word frequency, as an index into `frequencyValues` (0: no word).
    private var slotFrequencies: [UInt32]
    /// Word frequencies; [0] is 0. Inserted words append theirs.
    private var frequencyValues: [Double]
    /// Children of the root for keys below 0x10000, looked up directly.
    private var rootTable: [Step]
    private(set) var root: Step
    private(set) var wordCount: Int

    private static let emptyKey = UInt32.max
    private static let none = Step(base: -1, mask: -1, logProbability: -.infinity)
    private static let emptySlot = Slot(key: emptyKey, step: none)

    /// Smallest table (a power of two, at least 2) holding `count` children at load at most 2/3.
    @inline(__always)
    private static func tableSize(_ count: Int) -> Int {
        var size = 2
        while size * 2 < count * 3 { size <<= 1 }
        return size
    }

    /// Builds the tables of `image` with log probabilities against `logTotal`; nil when the
    /// image is not a well-formed preorder.
    init?(_ image: TrieImage, logTotal: Double) {
        let n = image.nodeCount
        guard n >= 1, image.frequencyIndices.count == n, image.childCounts.count == n,
              image.frequencyValues.first == 0 else { return nil }
        let valueCount = UInt32(image.frequencyValues.count)
        var bases = [Int32](repeating: 0, count: n)
        var masks = [Int32](repeating: -1, count: n)
        var total = 0
        var words = 0
        for i in 0..<n {
            guard image.frequencyIndices[i] < valueCount else { return nil }
            if image.frequencyIndices[i] != 0 { words += 1 }
            let count = Int(image.childCounts[i])
            guard count > 0 else { continue }
            guard count < n else { return nil }
            let size = Self.tableSize(count)
            bases[i] = Int32(total)
            masks[i] = Int32(size - 1)
            total += size
            guard total < Int(Int32.max) else { return nil }
        }
        let logTable = Self.logTable(image.frequencyValues, logTotal: logTotal)
        var slots = [Slot](unsafeUninitializedCapacity: max(total, 1)) { buffer, count in
            adviseHugePages(UnsafeMutableRawBufferPointer(buffer))
            buffer.initialize(repeating: Self.emptySlot)
            count = buffer.count
        }
        var slotFrequencies = [UInt32](unsafeUninitializedCapacity: max(total, 1)) { buffer, count in
            adviseHugePages(UnsafeMutableRawBufferPointer(buffer))
            buffer.initialize(repeating: 0)
            count = buffer.count
        }
        // Each node goes into its parent's table (the parent is the innermost open node of the
        // preorder). Each parent receives exactly its child count, so tables never fill up.
        let wellFormed = slots.withUnsafeMutableBufferPointer { slots in
            slotFrequencies.withUnsafeMutableBufferPointer { slotFrequencies in
                image.keys.withUnsafeBufferPointer { keys in
                    image.frequencyIndices.withUnsafeBufferPointer { frequencyIndices in
                        image.childCounts.withUnsafeBufferPointer { childCounts in
                            var stack: [(node: Int, remaining: UInt32)] = [(0, childCounts[0])]
                            stack.reserveCapacity(64)
                            for i in 1..<max(n, 1) {
                                while let last = stack.last, last.remaining == 0 { stack.removeLast() }
                                guard !stack.isEmpty else { return false }
                                let parent = stack[stack.count - 1].node
                                stack[stack.count - 1].remaining -= 1
                                let key = keys[i]
                                guard key != Self.emptyKey else { return false }
                                let f = frequencyIndices[i]
                                let base = Int(bases[parent]), mask = Int(masks[parent])
                                var j = Self.hash(key) & mask
                                while slots[base + j].key != Self.emptyKey {
                                    guard slots[base + j].key != key else { return false }  // duplicate child
                                    j = (j + 1) & mask
                                }
                                slots[base + j] = Slot(key: key, step: Step(base: bases[i], mask: masks[i],
                                                                            logProbability: logTable[Int(f)]))
                                slotFrequencies[base + j] = f
                                if childCounts[i] > 0 { stack.append((i, childCounts[i])) }
                            }
                            return stack.allSatisfy { $0.remaining == 0 }
                        }
                    }
                }
            }
        }
        guard wellFormed else { return nil }
        self.slots = slots
        self.slotFrequencies = slotFrequencies
        self.frequencyValues = image.frequencyValues
        self.root = Step(base: bases[0], mask: masks[0], logProbability: -.infinity)
        self.wordCount = words
        self.rootTable = []
        rebuildRootTable()
    }

    private static func logTable(_ values: [Double], logTotal: Double) -> [Float] {
        values.map { $0 > 0 ? Float(log($0) - logTotal) : -.infinity }
    }

    private mutating func rebuildRootTable() {
        if rootTable.count != 0x10000 {
            rootTable = [Step](repeating: Self.none, count: 0x10000)
        } else {
            for i in rootTable.indices { rootTable[i] = Self.none }
        }
        guard root.mask >= 0 else { return }
        let base = Int(root.base)
        for i in base...(base + Int(root.mask)) where slots[i].key < 0x10000 {
            rootTable[Int(slots[i].key)] = slots[i].step
        }
    }

    /// Log probabilities against `logTotal` (log of the new total frequency), and the root
    /// lookup table, after `insert`.
    mutating func rebase(logTotal: Double) {
        let logTable = Self.logTable(frequencyValues, logTotal: logTotal)
        slots.withUnsafeMutableBufferPointer { slots in
            slotFrequencies.withUnsafeBufferPointer { frequencies in
                logTable.withUnsafeBufferPointer { logTable in
                    for i in slots.indices {
                        slots[i].step.logProbability = logTable[Int(frequencies[i])]
                    }
                }
            }
        }
        rebuildRootTable()
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

    // MARK: Editing

    /// The slot of `from`'s child along `key`, or -1. Does not use the root table.
    private func slotIndex(_ from: Step, _ key: UInt32) -> Int {
        if from.mask < 0 { return -1 }
        let base = Int(from.base), mask = Int(from.mask)
        var i = Self.hash(key) & mask
        while true {
            let k = slots[base + i].key
            if k == key { return base + i }
            if k == Self.emptyKey { return -1 }
            i = (i + 1) & mask
        }
    }

    /// Frequency of the word `keys`; 0 when it is not a word. Valid between `insert` and `rebase`.
    func frequency(of keys: some Sequence<UInt32>) -> Double {
        var at = root
        var slot = -1
        for key in keys {
            slot = slotIndex(at, key)
            if slot < 0 { return 0 }
            at = slots[slot].step
        }
        return slot < 0 ? 0 : frequencyValues[Int(slotFrequencies[slot])]
    }

    /// Room for about `keyCount` more keys without growing the arrays step by step (the first
    /// edit of a shared trie copies it once, here).
    mutating func reserveCapacity(forKeys keyCount: Int) {
        let capacity = slots.count + 4 * keyCount
        if slots.capacity < capacity { slots = Self.copy(slots, capacity: capacity) }
        if slotFrequencies.capacity < capacity { slotFrequencies = Self.copy(slotFrequencies, capacity: capacity) }
        frequencyValues.reserveCapacity(frequencyValues.count + keyCount)
    }

    /// `array` in a new buffer of `capacity`, on huge pages where possible.
    private static func copy<T>(_ array: [T], capacity: Int) -> [T] {
        var result = [T](unsafeUninitializedCapacity: capacity) { buffer, count in
            adviseHugePages(UnsafeMutableRawBufferPointer(buffer))
            count = 0
        }
        result.append(contentsOf: array)
        return result
    }

    /// Sets the word's frequency to the larger of its old one and `frequency`; returns the old
    /// one. Call `rebase` before walking the trie again.
    @discardableResult
    mutating func insert(_ keys: some Sequence<UInt32>, frequency: Double) -> Double {
        var at = root
        var parentSlot = -1  // the slot holding `at`'s step; -1 for the root
        for key in keys {
            var slot = slotIndex(at, key)
            if slot < 0 {
                slot = addChild(key, to: &at, heldIn: parentSlot)
            }
            parentSlot = slot
            at = slots[slot].step
        }
        guard parentSlot >= 0 else { return 0 }
        let old = frequencyValues[Int(slotFrequencies[parentSlot])]
        if old == 0 { wordCount += 1 }
        if frequency > old {
            slotFrequencies[parentSlot] = UInt32(frequencyValues.count)
            frequencyValues.append(frequency)
        }
        return old
    }

    /// Adds a child (a prefix, no word) to `node`, whose step is held in slot `holder` (-1: the
    /// root); moves the node's table to the end when it is full. Returns the child's slot.
    private mutating func addChild(_ key: UInt32, to node: inout Step, heldIn holder: Int) -> Int {
        var count = 0
        if node.mask >= 0 {
            for i in Int(node.base)...Int(node.base + node.mask) where slots[i].key != Self.emptyKey { count += 1 }
        }
        if Self.tableSize(count + 1) > Int(node.mask) + 1 {
            let size = Self.tableSize(count + 1)
            let newBase = slots.count
            slots.append(contentsOf: repeatElement(Self.emptySlot, count: size))
            slotFrequencies.append(contentsOf: repeatElement(0, count: size))
            if node.mask >= 0 {
                for i in Int(node.base)...Int(node.base + node.mask) where slots[i].key != Self.emptyKey {
                    var j = Self.hash(slots[i].key) & (size - 1)
                    while slots[newBase + j].key != Self.emptyKey { j = (j + 1) & (size - 1) }
                    slots[newBase + j] = slots[i]
                    slotFrequencies[newBase + j] = slotFrequencies[i]
                    slots[i] = Self.emptySlot
                    slotFrequencies[i] = 0
                }
            }
            node.base = Int32(newBase)
            node.mask = Int32(size - 1)
            if holder < 0 { root = node } else { slots[holder].step = node }
        }
        let base = Int(node.base), mask = Int(node.mask)
        var j = Self.hash(key) & mask
        while slots[base + j].key != Self.emptyKey { j = (j + 1) & mask }
        // A leaf: base 0 so that it exists, no table.
        slots[base + j] = Slot(key: key, step: Step(base: 0, mask: -1, logProbability: -.infinity))
        slotFrequencies[base + j] = 0
        return base + j
    }

    // MARK: Canonical form

    /// The words and frequencies in canonical form (see `TrieImage`).
    func image() -> TrieImage {
        var children: [(key: UInt32, slot: Int)] = []
        var values: [Double: UInt32] = [:]
        var distinct: [Double] = []
        for i in slots.indices where slots[i].key != Self.emptyKey && slotFrequencies[i] != 0 {
            let v = frequencyValues[Int(slotFrequencies[i])]
            if values[v] == nil { values[v] = 0; distinct.append(v) }
        }
        distinct.sort()
        for (i, v) in distinct.enumerated() { values[v] = UInt32(i + 1) }
        var image = TrieImage(frequencyValues: [0] + distinct)
        // Stack of (step, key, frequency index) still to emit.
        var stack: [(step: Step, key: UInt32, frequency: UInt32)] = [(root, 0, 0)]
        while let (step, key, frequency) = stack.popLast() {
            children.removeAll(keepingCapacity: true)
            if step.mask >= 0 {
                for i in Int(step.base)...Int(step.base + step.mask) where slots[i].key != Self.emptyKey {
                    children.append((slots[i].key, i))
                }
            }
            children.sort { $0.key < $1.key }
            image.append(key: key, frequencyIndex: frequency, childCount: UInt32(children.count))
            for child in children.reversed() {
                let f = slotFrequencies[child.slot]
                stack.append((slots[child.slot].step, child.key, f == 0 ? 0 : values[frequencyValues[Int(f)]]!))
            }
        }
        return image
    }
}
