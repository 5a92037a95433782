import ChineseAnalysis
import Dispatch
import Foundation
import Xapian

/// Builds a new database on several threads. Xapian allows one writer per database, and adding
/// documents is most of an indexer's work, so each worker writes its own part databases (without
/// fsync: a crash only loses parts that are thrown away anyway) and Xapian's compactor merges the
/// parts into one, as `xapian-compact` would. A worker starts a new part every `filesPerPart`
/// files: each flush of buffered postings merges into the part's B-trees, which costs more the
/// bigger they grow, while the compactor merges any number of parts in one pass. (2,000
/// generated documents on 2 cores: 83 s with one part per worker, 74–76 s with parts of 100–250
/// files, 79 s with 500.)
struct ParallelBuild {
    /// Folder for the parts and the merged result; removed by the caller.
    let staging: String
    let analyzer: Analyzer
    let workers: Int
    var filesPerPart = 100

    struct Result {
        /// Per input file, in input order.
        var outcomes: [FileOutcome]
        /// The merged database, with every file's manifest entry in its metadata.
        var mergedPath: String
        /// The side-store segment of the merged database (renumbered as the compactor did).
        var sideSegmentPath: String
        var codeNames: [String: String]
    }

    enum FileOutcome {
        case written(FileEntry)
        case failed(String, String)
    }

    /// Writes `files` into parts and merges them. `onFile` is called after each file, one call
    /// at a time, with the file's position in `files`.
    func run(files: [String], onFile: @escaping @Sendable (Int, FileOutcome) -> Void) throws -> Result {
        try? FileManager.default.removeItem(atPath: staging)
        try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: true)
        let shared = SharedBuildState(count: files.count)
        let preparer = FilePreparer(analyzer: analyzer)

        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            do {
                var part: WritableDatabase?
                var partPath = ""
                var segment = SegmentBuilder(firstDocid: 1)
                var filesInPart = 0
                func finishPart() throws {
                    try part?.commit()
                    if part != nil { try segment.write(to: partPath + ".gks", sync: false) }
                    part = nil
                }
                while let index = shared.nextFile() {
                    if part == nil {
                        partPath = shared.newPartPath(in: staging)
                        part = try WritableDatabase(path: partPath, mode: .createOrOverwrite, noSync: true)
                        segment = SegmentBuilder(firstDocid: 1)
                    }
                    let outcome: FileOutcome
                    switch preparer.prepare(files[index]) {
                    case .failed(let path, let reason):
                        outcome = .failed(path, reason)
                    case .prepared(let file):
                        for record in file.records { segment.add(record, docid: try part!.addDocument(record.document)) }
                        try part!.setMetadata(Schema.Metadata.filePrefix + file.entry.path, file.entry.encoded)
                        shared.addCodeNames(file.codeNames)
                        outcome = .written(file.entry)
                    }
                    shared.finish(index, outcome, onFile)
                    filesInPart += 1
                    if filesInPart == filesPerPart {
                        try finishPart()
                        filesInPart = 0
                    }
                }
                try finishPart()
            } catch {
                shared.fail(error)
            }
        }
        if let error = shared.error { throw error }

        let merged = staging + "/merged"
        try compactDatabases(shared.partPaths, into: merged)
        // The compactor renumbers the parts' documents consecutively, part after part.
        var offset: UInt32 = 0
        var sources: [SegmentMerger.Source] = []
        for path in shared.partPaths {
            let segment = try Segment(path: path + ".gks", facetCount: Schema.facets.count)
            sources.append(SegmentMerger.Source(segment: segment, offset: offset))
            offset += UInt32(segment.span)
        }
        let sideSegment = staging + "/merged.gks"
        try SegmentMerger.merge(sources, deleted: [], into: sideSegment, sync: true)
        return Result(outcomes: shared.outcomes.map { $0! }, mergedPath: merged, sideSegmentPath: sideSegment,
                      codeNames: shared.codeNames)
    }
}

/// What the workers of a parallel build share, behind one lock.
private final class SharedBuildState: @unchecked Sendable {
    // Everything below is guarded by `lock`.
    private let lock = NSLock()
    private var next = 0
    private(set) var outcomes: [ParallelBuild.FileOutcome?]
    private(set) var codeNames: [String: String] = [:]
    private(set) var error: Error?
    private(set) var partPaths: [String] = []

    init(count: Int) {
        outcomes = Array(repeating: nil, count: count)
    }

    /// The next file to prepare, or nil when all are taken or a worker failed.
    func nextFile() -> Int? {
        lock.lock()
        defer { lock.unlock() }
        guard error == nil, next < outcomes.count else { return nil }
        next += 1
        return next - 1
    }

    /// A path for one more part database under `staging`.
    func newPartPath(in staging: String) -> String {
        lock.lock()
        defer { lock.unlock() }
        partPaths.append("\(staging)/part-\(partPaths.count)")
        return partPaths.last!
    }

    func finish(_ index: Int, _ outcome: ParallelBuild.FileOutcome, _ onFile: (Int, ParallelBuild.FileOutcome) -> Void) {
        lock.lock()
        defer { lock.unlock() }
        outcomes[index] = outcome
        onFile(index, outcome)
    }

    func addCodeNames(_ names: [String: String]) {
        lock.lock()
        defer { lock.unlock() }
        CodeNames.merge(names, into: &codeNames)
    }

    func fail(_ failure: Error) {
        lock.lock()
        defer { lock.unlock() }
        if error == nil { error = failure }
    }
}
