import Glibc

/// Reads source files: regular files only, with a size limit, reading again when a signal
/// interrupts (the daemon and the tests run child processes, whose SIGCHLD can arrive at any time).
public enum FileBytes {
    /// How much of a file `read(_:checkingStart:)` hands to its check before reading the rest.
    public static let startLength = 64 << 10
    /// Larger files are refused: no disclosure comes near it, and reading one would take that much memory.
    public static let maximumSize = 1 << 30

    /// The whole file at `path`. Refuses what is not a regular file (a FIFO would block, a device
    /// such as /dev/zero never ends), files over `maximumSize`, and files whose first
    /// `startLength` bytes `checkStart` throws on — without reading the rest.
    public static func read(_ path: String, maximumSize: Int = FileBytes.maximumSize,
                            checkingStart checkStart: (([UInt8]) throws -> Void)? = nil) throws -> [UInt8] {
        // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer.
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)
        guard fd >= 0 else { throw DisclosureError.unreadable(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw DisclosureError.unreadable(path: path, reason: String(cString: strerror(errno)))
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw DisclosureError.unreadable(path: path, reason: "not a regular file (\(kind(of: info.st_mode)))")
        }
        guard info.st_size <= maximumSize else {
            throw DisclosureError.unreadable(path: path, reason: "\(info.st_size) bytes, over the limit of \(maximumSize)")
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Int(info.st_size))
        if let checkStart {
            try append(from: fd, path: path, into: &bytes, upTo: startLength)
            try checkStart(bytes)
            if bytes.count < startLength { return bytes }
        }
        // Files in /proc state no size: the limit holds for what is read, too.
        try append(from: fd, path: path, into: &bytes, upTo: maximumSize + 1)
        guard bytes.count <= maximumSize else {
            throw DisclosureError.unreadable(path: path, reason: "over the limit of \(maximumSize) bytes")
        }
        return bytes
    }

    /// Everything an open descriptor still gives, up to `limit` bytes: the loop every read of a
    /// source goes through, reading on when a signal interrupts (kept apart so that tests can
    /// drive it with a descriptor that blocks, such as a FIFO's).
    public static func readToEnd(_ fd: Int32, path: String, limit: Int = FileBytes.maximumSize) throws -> [UInt8] {
        var bytes: [UInt8] = []
        try append(from: fd, path: path, into: &bytes, upTo: limit)
        return bytes
    }

    /// Reads until the end of the file or until `bytes` holds `limit` bytes.
    private static func append(from fd: Int32, path: String, into bytes: inout [UInt8], upTo limit: Int) throws {
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while bytes.count < limit {
            let wanted = min(chunk.count, limit - bytes.count)
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, wanted) }
            if n > 0 {
                bytes.append(contentsOf: chunk[0..<n])
            } else if n == 0 {
                return
            } else if errno != EINTR {
                throw DisclosureError.unreadable(path: path, reason: String(cString: strerror(errno)))
            }
        }
    }

    private static func kind(of mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFDIR: return "a directory"
        case S_IFIFO: return "a FIFO"
        case S_IFCHR: return "a character device"
        case S_IFBLK: return "a block device"
        case S_IFSOCK: return "a socket"
        default: return "not a plain file"
        }
    }
}
