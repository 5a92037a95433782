import Glibc

/// The socket file of a daemon started by hand: reclaiming a stale one, refusing a live one, and
/// creating it with the configured permissions whatever the umask.
enum SocketFile {
    /// Before binding: a socket file left by a crash is removed; one a daemon answers on (or one
    /// that cannot be probed) is left alone and reported.
    static func prepare(_ path: String) throws {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        guard (info.st_mode & S_IFMT) == S_IFSOCK else { throw DaemonError.socketPathTaken(path) }
        switch probe(path) {
        case 0: throw DaemonError.socketInUse(path)
        case ECONNREFUSED: unlink(path)
        case let error: throw DaemonError.socketUnusable(path, String(cString: strerror(error)))
        }
    }

    /// 0 when something accepts connections at `path`, otherwise the errno of `connect`.
    static func probe(_ path: String) -> Int32 {
        guard var address = UnixAddress(path: path) else { return ENAMETOOLONG }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return errno }
        defer { close(fd) }
        return address.withSockaddr { connect(fd, $0, $1) } == 0 ? 0 : errno
    }

    /// Runs `bind` with a umask that already yields `mode`, so that the socket is never more
    /// open than asked, not even between bind and chmod; then sets the mode exactly, as a umask
    /// can only take permissions away.
    static func create<T>(_ path: String, mode: mode_t, bind: () throws -> T) throws -> T {
        let previous = umask(~mode & 0o777)
        let result: T
        do {
            defer { umask(previous) }
            result = try bind()
        }
        guard chmod(path, mode) == 0 else {
            throw DaemonError.socketUnusable(path, "chmod: " + String(cString: strerror(errno)))
        }
        return result
    }
}
