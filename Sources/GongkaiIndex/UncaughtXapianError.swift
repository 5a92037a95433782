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
            let error = IndexError.database("\(type.map { String(cString: $0) } ?? "Error"): \(message.map { String(cString: $0) } ?? "")")
            // Copied out: other threads may still be running, and must not wait on us.
            let (prefix, status, folders) = UncaughtXapianError.settings.withLock { ($0.messagePrefix, $0.status, $0.removeOnExit) }
            let line = Array("\(prefix): \(error)\n".utf8)
            _ = line.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
            for folder in folders { try? FileManager.default.removeItem(atPath: folder) }
            _exit(status)
        }
    }

    /// Removes `folder` should the process end by an uncaught Xapian error.
    static func removeOnExit(_ folder: String) {
        settings.withLock { _ = $0.removeOnExit.insert(folder) }
    }

    static func keep(_ folder: String) {
        settings.withLock { _ = $0.removeOnExit.remove(folder) }
    }
}
