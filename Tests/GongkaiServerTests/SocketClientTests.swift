import Foundation
import Glibc
@testable import GongkaiServer
import Testing

/// The socket client carries on when signals interrupt its reads and writes: a process with
/// signal handlers or child processes gets EINTR at any time.
@Suite(.serialized) struct SocketClientTests {
    /// SIGUSR1 with a handler installed without SA_RESTART, so that a blocking call it
    /// interrupts returns EINTR instead of being restarted by the kernel.
    static let interruptingSignal: Int32 = {
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in }
        action.sa_flags = 0
        sigemptyset(&action.sa_mask)
        sigaction(SIGUSR1, &action, nil)
        return SIGUSR1
    }()

    /// A thread blocked in the client, which the test interrupts, and what it got.
    final class BlockedClient: @unchecked Sendable {
        private let lock = NSLock()
        private var thread: pthread_t?
        private var outcome: Result<String, Error>?
        private let done = DispatchSemaphore(value: 0)

        init(_ body: @escaping @Sendable () throws -> String) {
            let started = DispatchSemaphore(value: 0)
            Thread { [self] in
                // Threads inherit the test runner's signal mask, which blocks the signal.
                var unblocked = sigset_t()
                sigemptyset(&unblocked)
                sigaddset(&unblocked, SocketClientTests.interruptingSignal)
                pthread_sigmask(SIG_UNBLOCK, &unblocked, nil)
                lock.withLock { thread = pthread_self() }
                started.signal()
                let result = Result { try body() }
                lock.withLock { outcome = result }
                done.signal()
            }.start()
            started.wait()
        }

        func interrupt(times: Int) {
            for _ in 0..<times {
                usleep(50_000)
                if let thread = lock.withLock({ thread }), lock.withLock({ outcome }) == nil {
                    pthread_kill(thread, SocketClientTests.interruptingSignal)
                }
            }
        }

        func result() throws -> String {
            guard done.wait(timeout: .now() + 20) == .success else { throw TestFailure("the client never returned") }
            return try lock.withLock { outcome! }.get()
        }
    }

    @Test func aReadInterruptedBySignalsGoesOn() throws {
        let directory = TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/server.sock"
        let listening = try boundSocket(path, type: SOCK_STREAM)
        defer { close(listening) }
        let reader = BlockedClient {
            let client = try SocketClient(socketPath: path)
            return try client.readLine()
        }
        let server = accept(listening, nil, nil)
        defer { close(server) }
        reader.interrupt(times: 5)
        _ = "answer\n".withCString { send(server, $0, 7, Int32(MSG_NOSIGNAL)) }
        #expect(try reader.result() == "answer")
    }

    @Test func aWriteInterruptedBySignalsSendsEverything() throws {
        let directory = TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/server.sock"
        let listening = try boundSocket(path, type: SOCK_STREAM)
        defer { close(listening) }
        let size = 8 << 20
        let writer = BlockedClient {
            let client = try SocketClient(socketPath: path)
            // Far more than the socket buffers hold: the send blocks until the server reads.
            try client.send(bytes: [UInt8](repeating: UInt8(ascii: "x"), count: size))
            return "sent"
        }
        let server = accept(listening, nil, nil)
        defer { close(server) }
        writer.interrupt(times: 8)
        var received = 0
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while received < size {
            let count = buffer.withUnsafeMutableBytes { read(server, $0.baseAddress, $0.count) }
            guard count > 0 else { break }
            received += count
        }
        #expect(try writer.result() == "sent")
        #expect(received == size)
    }
}
