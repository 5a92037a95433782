import Foundation
import Glibc
import Synchronization
import Xapian

/// The last resort for a Xapian error no code can catch. libxapian 1.4 throws from inside
/// noexcept code when a write fails while it flushes buffered postings (seen on a full disk
/// during a fresh build with many workers), and C++ can then only terminate: an abort (exit
/// 134) with the staging folder left behind. `exitOnUncaughtError` turns that into the
/// indexer's ordinary failure: the message, the folders registered here removed, the given
/// exit status.
public enum UncaughtXapianError {
    private struct Settings {
        var messagePrefix = ""
        var status: Int32 = 2
        var removeOnExit: Set<String> = []
        /// Databases being written: a full disk under one is the likely reason.
        var databases: Set<String> = []
    }

    private static let settings = Mutex(Settings())

    /// Installs the handler for this process: prints `<prefix>: database error: <Xapian's
    /// error>` on standard error, removes the registered folders and exits with `status`.
    public static func exitOnUncaughtError(messagePrefix: String, status: Int32) {
        settings.withLock {
            $0.messagePrefix = messagePrefix
            $0.status = status
        }
        setUncaughtXapianErrorHandler { type, message in
            // Copied out: other threads may still be running, and must not wait on us.
            let (prefix, status, folders, databases) = UncaughtXapianError.settings.withLock {
                ($0.messagePrefix, $0.status, $0.removeOnExit, $0.databases)
            }
            var reason = "\(type.map { String(cString: $0) } ?? "Error"): \(message.map { String(cString: $0) } ?? "")"
            // libxapian sometimes terminates without an exception at all; the disk tells why.
            for database in databases.sorted() where UncaughtXapianError.freeBytes(near: database).map({ $0 < 1 << 20 }) ?? false {
                reason += " (No space left on device: the file system of \(database) is full)"
                break
            }
            let line = Array("\(prefix): \(IndexError.database(reason))\n".utf8)
            _ = line.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
            for folder in folders { try? FileManager.default.removeItem(atPath: folder) }
            _exit(status)
        }
    }

    /// Names `database` as being written, for the message.
    static func writing(_ database: String) {
        settings.withLock { _ = $0.databases.insert(database) }
    }

    /// Bytes free to unprivileged users on the file system of `path` (or of its folder).
    private static func freeBytes(near path: String) -> UInt64? {
        var info = statvfs()
        for candidate in [path, (path as NSString).deletingLastPathComponent] where statvfs(candidate, &info) == 0 {
            return UInt64(info.f_bavail) * UInt64(info.f_frsize)
        }
        return nil
    }

    /// Removes `folder` should the process end by an uncaught Xapian error.
    static func removeOnExit(_ folder: String) {
        settings.withLock { _ = $0.removeOnExit.insert(folder) }
    }

    static func keep(_ folder: String) {
        settings.withLock { _ = $0.removeOnExit.remove(folder) }
    }
}
