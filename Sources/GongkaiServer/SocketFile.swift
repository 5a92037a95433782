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

    /// A listening socket bound at `path` with permissions `mode`: bound with a umask that
    /// already yields `mode`, so that the socket is never more open than asked, not even between
    /// bind and chmod; then the mode is set exactly, as a umask can only take permissions away.
    static func bindListening(_ path: String, mode: mode_t, backlog: Int32) throws -> CInt {
        guard var address = UnixAddress(path: path) else {
            throw DaemonError.socketUnusable(path, "the path is \(path.utf8.count) bytes; a Unix socket path is at most \(UnixAddress.maximumPathLength)")
        }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw DaemonError.socketUnusable(path, "socket: " + String(cString: strerror(errno))) }
        let previous = umask(~mode & 0o777)
        let bound = address.withSockaddr { bind(fd, $0, $1) }
        let bindError = errno
        umask(previous)
        guard bound == 0 else {
            close(fd)
            throw DaemonError.socketUnusable(path, reason(bindError, path: path))
        }
        guard chmod(path, mode) == 0, listen(fd, backlog) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            unlink(path)
            throw DaemonError.socketUnusable(path, reason)
        }
        return fd
    }

    private static func reason(_ error: Int32, path: String) -> String {
        let folder = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
        switch error {
        case ENOENT: return "the folder \(folder.isEmpty ? "/" : folder) does not exist"
        case ENOTDIR: return "a part of the folder \(folder) is not a folder"
        case EACCES: return "no permission to create a file in \(folder.isEmpty ? "/" : folder)"
        case EADDRINUSE: return "something was created at the path meanwhile"
        default: return String(cString: strerror(error))
        }
    }
}
