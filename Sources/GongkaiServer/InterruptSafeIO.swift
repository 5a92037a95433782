import Glibc

/// Reads and writes that are tried again when a signal interrupts them (EINTR): a process with
/// signal handlers or child processes (SIGCHLD) gets interrupted calls at any time, and an
/// interruption is not a failure.
public enum InterruptSafeIO {
    /// A call that failed for another reason than an interruption.
    public struct Failure: Error, CustomStringConvertible {
        public let code: Int32
        public var description: String { String(cString: strerror(code)) }
    }

    /// Reads what is there, up to `buffer.count` bytes, waiting for at least one; 0 at the end of
    /// the input.
    public static func read(_ descriptor: Int32, into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while true {
            let count = Glibc.read(descriptor, buffer.baseAddress, buffer.count)
            if count >= 0 { return count }
            if errno != EINTR { throw Failure(code: errno) }
        }
    }

    /// Sends all of `bytes` on a socket, however many calls it takes. A peer that has gone gives
    /// EPIPE, not SIGPIPE.
    public static func sendAll(_ socket: Int32, _ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let sent = Glibc.send(socket, bytes.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
            if sent >= 0 {
                offset += sent
            } else if errno != EINTR {
                throw Failure(code: errno)
            }
        }
    }
}
