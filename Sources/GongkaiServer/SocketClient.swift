import Glibc

public enum ClientError: Error, CustomStringConvertible {
    case cannotConnect(String, String)
    case connectionClosed
    case timedOut(Int)
    case io(String)

    public var description: String {
        switch self {
        case .cannotConnect(let path, let reason): return "cannot connect to the daemon at \(path): \(reason) (is `gongkai serve` running?)"
        case .connectionClosed: return "the daemon closed the connection"
        case .timedOut(let seconds): return "the daemon did not answer within \(seconds) s"
        case .io(let reason): return "socket error: \(reason)"
        }
    }
}

/// A blocking JSON-lines client for the daemon's socket: send a line, read a line.
public final class SocketClient {
    private let fd: Int32
    private let timeoutSeconds: Int
    private var pending: [UInt8] = []

    public init(socketPath: String, timeoutSeconds: Int = 30) throws {
        self.timeoutSeconds = timeoutSeconds
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
        do {
            try bytes.withUnsafeBytes { try InterruptSafeIO.sendAll(fd, $0) }
        } catch let failure as InterruptSafeIO.Failure {
            throw ClientError.io(failure.description)
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
            let count: Int
            do {
                count = try chunk.withUnsafeMutableBytes { try InterruptSafeIO.read(fd, into: $0) }
            } catch let failure as InterruptSafeIO.Failure where failure.code == EAGAIN {
                throw ClientError.timedOut(timeoutSeconds)
            } catch let failure as InterruptSafeIO.Failure {
                throw ClientError.io(failure.description)
            }
            if count == 0 { throw ClientError.connectionClosed }
            pending += chunk[..<count]
        }
    }

    public func request(_ line: String) throws -> String {
        do {
            try send(line: line)
        } catch {
            // A daemon that refuses the connection (too many) answers why at once and closes,
            // which can fail the send: its answer is still there to read.
            if let answer = try? readLine() { return answer }
            throw error
        }
        return try readLine()
    }
}
