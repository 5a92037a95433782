import Glibc

/// systemd's socket activation (`LISTEN_FDS`) and readiness notification (`NOTIFY_SOCKET`),
/// spoken directly so that no libsystemd is needed.
enum SystemdActivation {
    /// The first descriptor systemd passes (SD_LISTEN_FDS_START).
    static let firstDescriptor: CInt = 3
    /// The socket unit's `FileDescriptorName=`; picks our socket when several are passed.
    static let descriptorName = "gongkai"

    /// The listening socket systemd handed over, or nil when started by hand. Like
    /// `sd_listen_fds(1)`, it removes the variables so that no child process takes the socket
    /// for its own, and marks the descriptor close-on-exec.
    static func takeListeningSocket() throws -> CInt? {
        let pid = environment("LISTEN_PID"), count = environment("LISTEN_FDS"), names = environment("LISTEN_FDNAMES")
        for name in ["LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"] { unsetenv(name) }
        // Variables meant for another process (our parent) are not ours to use.
        guard let pid, Int32(pid) == getpid(), let count = count.flatMap(Int.init), count >= 1 else { return nil }
        let descriptor: CInt
        if count == 1 {
            descriptor = firstDescriptor
        } else {
            let given = names?.split(separator: ":", omittingEmptySubsequences: false).map(String.init) ?? []
            guard let index = given.firstIndex(of: descriptorName), index < count else {
                throw DaemonError.activation("systemd passed \(count) sockets (\(names ?? "unnamed")) and none is named '\(descriptorName)'")
            }
            descriptor = firstDescriptor + CInt(index)
        }
        try checkListeningUnixStream(descriptor)
        _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
        return descriptor
    }

    /// The protocol has no authentication of its own (file permissions are it), so only a
    /// listening Unix stream socket is accepted.
    private static func checkListeningUnixStream(_ descriptor: CInt) throws {
        func option(_ name: CInt) -> CInt? {
            var value: CInt = 0
            var length = socklen_t(MemoryLayout<CInt>.size)
            return getsockopt(descriptor, SOL_SOCKET, name, &value, &length) == 0 ? value : nil
        }
        guard option(SO_DOMAIN) == AF_UNIX, option(SO_TYPE) == CInt(SOCK_STREAM.rawValue), option(SO_ACCEPTCONN) == 1 else {
            throw DaemonError.activation("descriptor \(descriptor) from systemd is not a listening Unix stream socket")
        }
    }

    private static func environment(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }
}

/// Tells systemd about the daemon's state (`READY=1`, `STOPPING=1`) on `NOTIFY_SOCKET`.
struct SystemdNotifier {
    private let path: String?

    /// Takes `NOTIFY_SOCKET` out of the environment, so that only this process answers to it.
    static func fromEnvironment() -> SystemdNotifier {
        let path = getenv("NOTIFY_SOCKET").map { String(cString: $0) }
        unsetenv("NOTIFY_SOCKET")
        return SystemdNotifier(path: path?.isEmpty == false ? path : nil)
    }

    func notify(_ state: String) {
        guard let path else { return }
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return }
        defer { close(fd) }
        // An abstract socket is written with a leading '@' and addressed with a leading NUL.
        let abstract = path.hasPrefix("@")
        var bytes = Array(path.utf8)
        if abstract { bytes[0] = 0 }
        guard var address = UnixAddress(bytes: bytes, terminated: !abstract) else { return }
        _ = state.withCString { message in
            address.withSockaddr { sendto(fd, message, strlen(message), 0, $0, $1) }
        }
    }
}

/// A `sockaddr_un` for a filesystem path or an abstract name.
struct UnixAddress {
    private var storage = sockaddr_un()
    private let length: socklen_t

    /// The longest path: `sun_path` holds 108 bytes, the last for the terminating NUL.
    static let maximumPathLength = MemoryLayout.size(ofValue: sockaddr_un().sun_path) - 1

    init?(path: String) {
        self.init(bytes: Array(path.utf8), terminated: true)
    }

    /// `terminated`: a path ends with a NUL; an abstract name's length is exact.
    init?(bytes: [UInt8], terminated: Bool) {
        guard !bytes.isEmpty, bytes.count + (terminated ? 1 : 0) <= MemoryLayout.size(ofValue: storage.sun_path) else { return nil }
        storage.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &storage.sun_path) { $0.copyBytes(from: bytes) }
        length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count + (terminated ? 1 : 0))
    }

    mutating func withSockaddr<T>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> T) -> T {
        let length = self.length
        return withUnsafePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, length) } }
    }
}
