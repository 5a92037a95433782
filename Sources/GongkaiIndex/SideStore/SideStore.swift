import Foundation
import Glibc

/// The side store of a database: segments and deleted docids under `<db>/side/`, one manifest per
/// Xapian revision (`manifest-<revision>`), written before the revision is committed so that a
/// reader of a revision always finds the side store of exactly that revision.
///
/// Manifest (text, one item per line): `gongkai side store 1`, then `segment <file>` per segment
/// in docid order, and `deleted <file>` when documents of the segments were deleted since (a
/// sorted array of u32 docids).
public struct SideStoreLayout: Sendable {
    public let databasePath: String

    public init(databasePath: String) {
        self.databasePath = databasePath
    }

    var folder: String { databasePath + "/side" }

    func manifestPath(_ revision: UInt64) -> String { folder + "/manifest-\(revision)" }

    func path(_ file: String) -> String { folder + "/" + file }

    static let header = "gongkai side store 1"
}

/// What one manifest lists.
struct SideManifest: Equatable {
    var segments: [String] = []
    var deleted: String?

    func encoded() -> String {
        ([SideStoreLayout.header] + segments.map { "segment " + $0 } + (deleted.map { ["deleted " + $0] } ?? [])).joined(separator: "\n") + "\n"
    }

    init(segments: [String] = [], deleted: String? = nil) {
        self.segments = segments
        self.deleted = deleted
    }

    init?(encoded text: String) {
        var lines = text.split(separator: "\n").map(String.init)
        guard lines.first == SideStoreLayout.header else { return nil }
        lines.removeFirst()
        for line in lines {
            let parts = line.split(separator: " ", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[1].contains("/") else { return nil }
            switch parts[0] {
            case "segment": segments.append(parts[1])
            case "deleted": deleted = parts[1]
            default: return nil
            }
        }
    }

    static func read(_ layout: SideStoreLayout, revision: UInt64) -> SideManifest? {
        guard let data = FileManager.default.contents(atPath: layout.manifestPath(revision)) else { return nil }
        return SideManifest(encoded: String(decoding: data, as: UTF8.self))
    }
}

/// Reading and writing sorted docid arrays (the deleted documents).
enum DocidFile {
    static func read(_ path: String) throws -> [UInt32] {
        guard let data = FileManager.default.contents(atPath: path), data.count % 4 == 0 else {
            throw SideStoreError.corrupt("cannot read the deleted documents \(path)")
        }
        return data.withUnsafeBytes { raw in
            (0..<(data.count / 4)).map { UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self)) }
        }
    }

    static func write(_ docids: [UInt32], to path: String, sync: Bool) throws {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(docids.count * 4)
        for docid in docids { bytes.appendLittleEndian(docid) }
        try SideFiles.writeAtomically(bytes, to: path, sync: sync)
    }
}
