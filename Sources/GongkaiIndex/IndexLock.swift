import Foundation
import Glibc

/// Keeps a second indexer off a database for a whole run. Xapian's own lock goes with the
/// writer, and a fresh build closes the writer while it writes the parts and swaps them in;
/// this lock is held throughout. It is an `flock` on `<database>.lock`, beside the database
/// folder (which the swap replaces), so it also covers the staging folder, and the kernel
/// releases it when the process dies, however it dies: a crash never leaves a stale lock.
final class IndexLock {
    let path: String
    private let descriptor: Int32

    /// Takes the lock at once or throws `IndexError.locked(databasePath)`.
    init(databasePath: String) throws {
        path = IndexLock.path(for: databasePath)
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw IndexError.lockFile(path, String(cString: strerror(errno))) }
        while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            let failure = errno
            if failure == EINTR { continue }
            close(descriptor)
            if failure == EWOULDBLOCK { throw IndexError.locked(databasePath) }
            throw IndexError.lockFile(path, String(cString: strerror(failure)))
        }
    }

    /// Closing the descriptor releases the lock.
    deinit { close(descriptor) }

    /// `<database>.lock`, whatever trailing slashes the database path has.
    static func path(for databasePath: String) -> String {
        URL(fileURLWithPath: databasePath).standardizedFileURL.path + ".lock"
    }
}
