import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The compiled dictionary: the three text dictionaries after parsing and normalisation, as
/// flat little-endian arrays that load without per-word work (see Index/dictionaries/README.md).
/// The text files stay the source of truth: the compiled file records their sizes and hashes,
/// is used only while the sizes still match, and `gongkai segment --compile-dictionary` remakes it.
///
/// Layout: magic; sizes and FNV-1a hashes of jieba-words, hmm-bmes and t2s-characters; the total
/// frequency; counts (nodes, frequency values, t2s pairs, emission rows); the frequency values
/// (Float64); per node in preorder its key (UInt32), frequency index (UInt16) and child count
/// (UInt16); the t2s pairs (UInt32, UInt32); the HMM start (4 Float64), transitions (16 Float64),
/// emission keys (UInt32) and rows (4 Float64 each); the magic again.
extension Lexicon {
    /// File name of the compiled dictionary, next to the text files.
    public static let compiledFile = "lexicon.bin"
    static let compiledMagic: UInt64 = 0x3130_5845_4C4B_4147  // "GAKLEX01"
    static var sourceFiles: [String] { [wordsFile, hmmFile, simplifiedFile] }

    /// Reads the text dictionaries in `directory` (or the located one) and writes their compiled
    /// form to `output` (default: `compiledFile` in that directory); returns the path written.
    @discardableResult
    public static func compile(directory: String? = nil, output: String? = nil) throws -> String {
        let dir = try locateDirectory(explicit: directory)
        let lexicon = try loadText(directory: dir)
        let bytes = try lexicon.compiledBytes(sources: sourceFingerprints(directory: dir))
        let path = output ?? dir + "/" + compiledFile
        guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else {
            throw DictionaryError.unreadable(path: path)
        }
        return path
    }

    /// Whether the compiled file in `directory` was made from the text files there, judged by
    /// their full contents (the loader only compares sizes).
    public static func compiledFileIsCurrent(directory: String? = nil) throws -> Bool {
        let dir = try locateDirectory(explicit: directory)
        guard let data = FileManager.default.contents(atPath: dir + "/" + compiledFile) else { return false }
        let expected = try sourceFingerprints(directory: dir)
        return data.withUnsafeBytes { raw in
            var reader = ByteReader(raw)
            guard reader.u64() == compiledMagic else { return false }
            let recorded = (0..<6).map { _ in reader.u64() }
            return recorded == expected.map(\.size) + expected.map(\.hash)
        }
    }

    /// Size and FNV-1a 64 hash of each text dictionary.
    static func sourceFingerprints(directory: String) throws -> [(size: UInt64, hash: UInt64)] {
        try sourceFiles.map { name in
            let path = directory + "/" + name
            guard let data = FileManager.default.contents(atPath: path) else { throw DictionaryError.unreadable(path: path) }
            var hash: UInt64 = 0xCBF2_9CE4_8422_2325
            data.withUnsafeBytes { raw in
                for byte in raw { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
            }
            return (UInt64(data.count), hash)
        }
    }

    private static func fileSize(_ path: String) -> UInt64? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return UInt64(info.st_size)
    }

    /// The compiled dictionary of `directory`, or nil when there is none, when the text files'
    /// sizes differ from the recorded ones, or when it is malformed.
    static func loadCompiled(directory: String) -> Lexicon? {
        let path = directory + "/" + compiledFile
        guard fileSize(path) != nil, let data = FileManager.default.contents(atPath: path) else { return nil }
        let sizes = sourceFiles.map { fileSize(directory + "/" + $0) }
        return data.withUnsafeBytes { raw -> Lexicon? in
            var reader = ByteReader(raw)
            guard reader.u64() == compiledMagic else { return nil }
            for size in sizes where reader.u64() != size { return nil }
            for _ in 0..<3 { _ = reader.u64() }  // hashes
            let totalFrequency = Double(bitPattern: reader.u64())
            let nodeCount = Int(reader.u32()), valueCount = Int(reader.u32())
            let pairCount = Int(reader.u32()), emissionCount = Int(reader.u32())
            let needed = valueCount * 8 + nodeCount * 8 + pairCount * 8 + 20 * 8 + emissionCount * 36 + 8
            guard reader.ok, reader.remaining == needed else { return nil }
            var image = TrieImage(frequencyValues: reader.array(valueCount) { Double(bitPattern: $0.u64()) })
            image.keys = reader.u32Array(nodeCount)
            image.frequencyIndices = reader.u16ArrayWidened(nodeCount)
            image.childCounts = reader.u16ArrayWidened(nodeCount)
            let pairs = reader.array(pairCount) { ($0.u32(), $0.u32()) }
            var hmm = HMMModel()
            hmm.start = reader.states()
            for s in 0..<4 { hmm.transition[s] = reader.states() }
            let emissionKeys = reader.array(emissionCount) { $0.u32() }
            hmm.emission.reserveCapacity(emissionCount)
            for key in emissionKeys { hmm.emission[key] = reader.states() }
            guard reader.u64() == compiledMagic, reader.ok, reader.remaining == 0,
                  let trie = FrozenTrie(image, logTotal: logTotal(totalFrequency)) else { return nil }
            return Lexicon(normalizer: Normalizer(pairs: pairs), trie: trie, totalFrequency: totalFrequency,
                           hmm: hmm, isCompiled: true)
        }
    }

    /// This lexicon in the compiled format.
    func compiledBytes(sources: [(size: UInt64, hash: UInt64)]) throws -> [UInt8] {
        let image = trie.image()
        guard image.frequencyValues.count <= 0x10000, image.childCounts.allSatisfy({ $0 <= 0xFFFF }) else {
            throw DictionaryError.malformed(path: Self.compiledFile, line: 0)
        }
        var out = ByteWriter()
        out.u64(Self.compiledMagic)
        for source in sources { out.u64(source.size) }
        for source in sources { out.u64(source.hash) }
        out.u64(totalFrequency.bitPattern)
        let pairs = normalizer.traditionalToSimplified
        let emission = hmm.emission.sorted { $0.key < $1.key }
        for count in [image.nodeCount, image.frequencyValues.count, pairs.count, emission.count] { out.u32(UInt32(count)) }
        for v in image.frequencyValues { out.u64(v.bitPattern) }
        for k in image.keys { out.u32(k) }
        for f in image.frequencyIndices { out.u16(UInt16(f)) }
        for c in image.childCounts { out.u16(UInt16(c)) }
        for (from, to) in pairs { out.u32(from); out.u32(to) }
        out.states(hmm.start)
        for s in 0..<4 { out.states(hmm.transition[s]) }
        for (key, _) in emission { out.u32(key) }
        for (_, row) in emission { out.states(row) }
        out.u64(Self.compiledMagic)
        return out.bytes
    }

    /// Whether two lexicons hold the same words, frequencies, total, normalisation and HMM.
    func isIdentical(to other: Lexicon) -> Bool {
        totalFrequency.bitPattern == other.totalFrequency.bitPattern && normalizer == other.normalizer
            && hmm == other.hmm && trie.image() == other.trie.image()
    }
}

struct ByteWriter {
    var bytes: [UInt8] = []
    mutating func u16(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func states(_ s: HMMModel.States) { for i in 0..<4 { u64(s[i].bitPattern) } }
}

/// Reads little-endian values; past the end it yields zeros and clears `ok`.
struct ByteReader {
    let raw: UnsafeRawBufferPointer
    var offset = 0
    var ok = true

    init(_ raw: UnsafeRawBufferPointer) { self.raw = raw }

    var remaining: Int { raw.count - offset }

    @inline(__always)
    private mutating func take<T: FixedWidthInteger>(_: T.Type) -> T {
        let size = MemoryLayout<T>.size
        guard offset + size <= raw.count else {
            ok = false
            return 0
        }
        defer { offset += size }
        return T(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: T.self))
    }

    mutating func u16() -> UInt16 { take(UInt16.self) }
    mutating func u32() -> UInt32 { take(UInt32.self) }
    mutating func u64() -> UInt64 { take(UInt64.self) }
    mutating func states() -> HMMModel.States {
        var s = HMMModel.States()
        for i in 0..<4 { s[i] = Double(bitPattern: u64()) }
        return s
    }

    /// `count` UInt32 values in one copy (on little-endian machines).
    mutating func u32Array(_ count: Int) -> [UInt32] {
        #if _endian(little)
        guard count >= 0, offset + count * 4 <= raw.count else {
            ok = false
            return []
        }
        defer { offset += count * 4 }
        return [UInt32](unsafeUninitializedCapacity: count) { buffer, initialized in
            UnsafeMutableRawBufferPointer(buffer).copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[offset..<(offset + count * 4)]))
            initialized = count
        }
        #else
        return array(count) { $0.u32() }
        #endif
    }

    /// `count` UInt16 values as UInt32.
    mutating func u16ArrayWidened(_ count: Int) -> [UInt32] {
        guard count >= 0, offset + count * 2 <= raw.count else {
            ok = false
            return []
        }
        defer { offset += count * 2 }
        let start = offset
        return [UInt32](unsafeUninitializedCapacity: count) { buffer, initialized in
            for i in 0..<count {
                buffer[i] = UInt32(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: start + 2 * i, as: UInt16.self)))
            }
            initialized = count
        }
    }

    mutating func array<T>(_ count: Int, _ element: (inout ByteReader) -> T) -> [T] {
        var result: [T] = []
        result.reserveCapacity(count)
        for _ in 0..<count { result.append(element(&self)) }
        return result
    }
}
