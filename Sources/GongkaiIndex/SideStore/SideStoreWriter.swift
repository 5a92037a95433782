import Foundation

/// Keeps a database's side store in step with its Xapian writer: records added go into a new
/// segment, deleted docids are noted, and before each Xapian commit `prepareCommit` writes the
/// manifest of the revision that commit makes. Small segments are merged as they accumulate.
final class SideStoreWriter {
    let layout: SideStoreLayout
    private var manifest: SideManifest
    private var deleted: [UInt32]
    private var builder: SegmentBuilder?
    private var pendingDeletes = false
    private let sync: Bool
    /// Segments are merged down to this many.
    static let maximumSegments = 8

    /// The side store of `revision` (the revision the writer opened), or an empty one when the
    /// database is empty. Throws `SideStoreError.corrupt` when a database with documents has no
    /// side store of its revision: the caller rebuilds.
    init(layout: SideStoreLayout, revision: UInt64, databaseIsEmpty: Bool, sync: Bool = true) throws {
        self.layout = layout
        self.sync = sync
        try FileManager.default.createDirectory(atPath: layout.folder, withIntermediateDirectories: true)
        if let manifest = SideManifest.read(layout, revision: revision) {
            self.manifest = manifest
            deleted = try manifest.deleted.map { try DocidFile.read(layout.path($0)) } ?? []
        } else if databaseIsEmpty {
            manifest = SideManifest()
            deleted = []
        } else {
            throw SideStoreError.corrupt("no side store for revision \(revision) of \(layout.databasePath)")
        }
    }

    /// A record Xapian stored as `docid`.
    func add(_ record: IndexedRecord, docid: UInt32) throws {
        if let current = builder, current.nextDocid != docid {
            try flushSegment(revision: nil)
        }
        if builder == nil { builder = SegmentBuilder(firstDocid: docid) }
        builder!.add(record, docid: docid)
    }

    /// Documents Xapian deleted (of earlier segments, or of the segment being built).
    func delete(_ docids: [UInt32]) {
        guard !docids.isEmpty else { return }
        deleted += docids  // sorted and made unique at the commit
        pendingDeletes = true
    }

    private var fileCounter = 0

    private func newFileName(_ stem: String, revision: UInt64?) -> String {
        fileCounter += 1
        return "\(stem)-\(revision.map(String.init) ?? "x")-\(ProcessInfo.processInfo.processIdentifier)-\(fileCounter)-\(UInt32.random(in: 0...UInt32.max))"
    }

    private func flushSegment(revision: UInt64?) throws {
        guard let current = builder, !current.isEmpty else { builder = nil; return }
        let name = newFileName("seg", revision: revision) + ".gks"
        try current.write(to: layout.path(name), sync: sync)
        manifest.segments.append(name)
        builder = nil
    }

    /// Writes what is pending and the manifest of `revision`, the revision the next Xapian
    /// commit will make. Call it right before that commit.
    func prepareCommit(revision: UInt64) throws {
        if pendingDeletes { deleted = Array(Set(deleted)).sorted() }
        try flushSegment(revision: revision)
        try mergeIfNeeded(revision: revision)
        if pendingDeletes || manifest.deleted == nil && !deleted.isEmpty {
            if deleted.isEmpty {
                manifest.deleted = nil
            } else {
                let name = newFileName("del", revision: revision) + ".bin"
                try DocidFile.write(deleted, to: layout.path(name), sync: sync)
                manifest.deleted = name
            }
            pendingDeletes = false
        }
        try SideFiles.writeAtomically(Array(manifest.encoded().utf8), to: layout.manifestPath(revision), sync: sync)
    }

    /// After the commit of `revision`: files no manifest of the last few revisions names go.
    /// Readers still on an older revision keep their mappings of removed files.
    func committed(revision: UInt64) {
        let keep = 3
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: layout.folder) else { return }
        var referenced = Set<String>()
        var kept = Set<String>()
        for r in (revision >= UInt64(keep) ? revision - UInt64(keep) + 1 : 0)...revision {
            guard let manifest = SideManifest.read(layout, revision: r) else { continue }
            kept.insert("manifest-\(r)")
            referenced.formUnion(manifest.segments)
            if let deleted = manifest.deleted { referenced.insert(deleted) }
        }
        for name in names where !referenced.contains(name) && !kept.contains(name) {
            // Manifests of later revisions were written by a run that did not commit them.
            if name.hasPrefix("manifest-"), let r = UInt64(name.dropFirst("manifest-".count)), r > revision { continue }
            unlink(layout.path(name))
        }
    }

    /// Merges neighbouring small segments until at most `maximumSegments` remain, and rewrites
    /// everything once deleted documents make up a tenth of it.
    private func mergeIfNeeded(revision: UInt64) throws {
        guard !manifest.segments.isEmpty else { return }
        var segments = try manifest.segments.map { try Segment(path: layout.path($0), facetCount: Schema.facets.count) }
        let total = segments.reduce(0) { $0 + $1.span }
        if !deleted.isEmpty && deleted.count * 10 >= total {
            try replace(0..<segments.count, in: &segments, revision: revision)
            return
        }
        while segments.count > Self.maximumSegments {
            let pairSpans = (0..<(segments.count - 1)).map { segments[$0].span + segments[$0 + 1].span }
            let pair = pairSpans.indices.min { pairSpans[$0] < pairSpans[$1] }!
            try replace(pair..<(pair + 2), in: &segments, revision: revision)
        }
    }

    private func replace(_ range: Range<Int>, in segments: inout [Segment], revision: UInt64) throws {
        let name = newFileName("seg", revision: revision) + ".gks"
        let parts = Array(segments[range])
        let first = parts.first!.firstDocid
        let end = parts.map { $0.firstDocid + UInt32($0.span) }.max()!
        let dropped = Set(deleted.filter { $0 >= first && $0 < end })
        try SegmentMerger.merge(parts.map { SegmentMerger.Source(segment: $0, offset: 0) }, deleted: dropped,
                                into: layout.path(name), sync: sync)
        segments.replaceSubrange(range, with: [try Segment(path: layout.path(name), facetCount: Schema.facets.count)])
        manifest.segments.replaceSubrange(range, with: [name])
        if !dropped.isEmpty {
            deleted.removeAll { dropped.contains($0) }
            pendingDeletes = true
        }
    }

    /// Starts over with no segments (a rebuild).
    func removeEverything() {
        manifest = SideManifest()
        builder = nil
        if !deleted.isEmpty { pendingDeletes = true }
        deleted = []
    }

    /// Adopts a segment written elsewhere (a parallel build's merged parts).
    func adopt(segmentAt path: String) throws {
        let name = newFileName("seg", revision: nil) + ".gks"
        guard rename(path, layout.path(name)) == 0 else {
            throw SideStoreError.io("cannot move \(path) into the side store: \(String(cString: strerror(errno)))")
        }
        manifest.segments.append(name)
    }
}
