import Dispatch
import Foundation
import Glibc
import Synchronization
import Testing
@testable import Disclosure

@Suite struct InterruptedReadTests {
    /// Signals interrupt blocking reads (a service manager's, a test runner's SIGCHLD): the
    /// reader reads on. Reads of regular files on a local disk are not interrupted and FIFOs are
    /// refused as sources, so the loop every source is read with is driven here by a FIFO's
    /// descriptor, whose reads are.
    @Test func aReadInterruptedByASignalGoesOn() throws {
        let directory = NSTemporaryDirectory() + "gongkai-read-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let fifo = directory + "/slow.txt"
        #expect(mkfifo(fifo, 0o600) == 0)
        // Without SA_RESTART a blocked read returns EINTR instead of restarting.
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in }
        sigemptyset(&action.sa_mask)
        action.sa_flags = 0
        sigaction(SIGUSR2, &action, nil)

        // Opening read-write never blocks, and keeps a writer on the FIFO until closed.
        let writer = open(fifo, O_RDWR | O_CLOEXEC)
        try #require(writer >= 0)
        let readerThread = Mutex<pthread_t?>(nil)
        let result = Mutex<Result<[UInt8], any Error>?>(nil)
        let done = DispatchSemaphore(value: 0)
        Thread {
            readerThread.withLock { $0 = pthread_self() }
            let read = Result { () throws -> [UInt8] in
                let fd = open(fifo, O_RDONLY | O_CLOEXEC)
                defer { close(fd) }
                return try FileBytes.readToEnd(fd, path: fifo)
            }
            result.withLock { $0 = read }
            done.signal()
        }.start()
        while readerThread.withLock({ $0 }) == nil { usleep(1000) }
        let lines = (0..<10).map { "第\($0)行：预算支出。\n" }
        for line in lines {
            for _ in 0..<3 {
                usleep(10_000)
                pthread_kill(readerThread.withLock { $0! }, SIGUSR2)
            }
            _ = Array(line.utf8).withUnsafeBytes { write(writer, $0.baseAddress, $0.count) }
        }
        usleep(10_000)
        close(writer)
        #expect(done.wait(timeout: .now() + 20) == .success)
        let bytes = try #require(result.withLock { $0 }).get()
        #expect(String(decoding: bytes, as: UTF8.self) == lines.joined())
    }

}
