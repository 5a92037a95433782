import Glibc

public enum ClientError: Error, CustomStringConvertible {
    case cannotConnect(String, String)
    case connectionClosed
    case io(String)

    public var description: String {
        switch self {
        case .cannotConnect(let path, let reason): return "cannot connect to the daemon at \(path): \(reason) (is `gongkai serve` running?)"
        case .connectionClosed: return "the daemon closed the connection"
        case .io(let reason): return "socket error: \(reason)"
        }
    }
}

/// A blocking JSON-lines client for the daemon's socket: send a line, read a line.
public final class SocketClient {
    private let fd: Int32
    private var pending: [UInt8] = []

    public init(socketPath: String, timeoutSeconds: Int = 30) throws {
        // Close-on-exec: a process started meanwhile must not keep the connection open.
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw ClientError.io(String(cString: strerror(errno))) }
        guard var address = UnixAddress(path: socketPath) else {
            close(fd)
            throw ClientError.cannotConnect(socketPath, "path too long")
        }
        guard address.withSockaddr({ connect(fd, $0, $1) }) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw ClientError.cannotConnect(socketPath, reason)
        }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    /// Sends raw bytes as they are (tests use this for malformed input).
    public func send(bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard written > 0 else { throw ClientError.io(String(cString: strerror(errno))) }
            offset += written
        }
    }

    /// Tells the daemon nothing more will be sent; answers still arrive.
    public func finishSending() {
        shutdown(fd, Int32(SHUT_WR))
    }

    public func send(line: String) throws {
        try send(bytes: Array((line + "\n").utf8))
    }

    /// The next line from the daemon, without its newline.
    public func readLine() throws -> String {
        while true {
            if let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: pending[..<newline], as: UTF8.self)
                pending.removeSubrange(...newline)
                return line
            }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count == 0 { throw ClientError.connectionClosed }
            guard count > 0 else { throw ClientError.io(String(cString: strerror(errno))) }
            pending += chunk[..<count]
        }
    }

    public func request(_ line: String) throws -> String {
        try send(line: line)
        return try readLine()
    }
}
