import Foundation
import Glibc

extension ServedIndex {
    /// Throws `index_unavailable` when the served database folder was deleted or moved away.
    /// Xapian keeps reading the files it has open, so without this check searches fail now and
    /// then with a raw path in the message, and `stats` goes on reporting the old counts.
    /// Shards need no check: a shard that cannot be read is reported down.
    func checkPresent() throws {
        guard case .database(let path) = self else { return }
        // The indexer swaps a rebuilt database into place with two renames: a path missing for
        // a moment is looked at again before it counts as gone.
        for attempt in 0..<3 {
            if Self.isPresent(path) { return }
            if attempt < 2 { usleep(50_000) }
        }
        throw ProtocolError("index_unavailable", "the index at \(path) is gone (deleted or moved); restore it and restart the daemon, or start it on another --db")
    }

    /// A glass database folder holds `iamglass`; a single-file database is the file itself.
    private static func isPresent(_ path: String) -> Bool {
        var info = stat()
        guard stat(path, &info) == 0 else { return false }
        return (info.st_mode & S_IFMT) != S_IFDIR || access(path + "/iamglass", F_OK) == 0
    }
}
