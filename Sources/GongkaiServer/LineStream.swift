import Foundation
import NIOCore

/// What a request produces: one answer line, or a stream of lines (an export) that a worker
/// writes as it makes them.
public enum Reply: Sendable {
    case line(String)
    case stream(LineStream)
}

/// A many-line answer: `produce` runs on a worker thread and writes every line to the sink,
/// stopping as soon as the sink says the client is gone.
public struct LineStream: Sendable {
    public let produce: @Sendable (LineSink) -> Void

    public init(produce: @escaping @Sendable (LineSink) -> Void) {
        self.produce = produce
    }
}

/// Where a stream's lines go.
public protocol LineSink: AnyObject, Sendable {
    /// Queues one line (without its newline). Blocks while the client is behind; false once the
    /// client is gone, after which the producer stops.
    func write(_ line: String) -> Bool
    /// Sends what is queued; the stream is over.
    func finish()
}

/// Collects a stream's lines, for callers without a connection (`SearchService.respond(to:)`).
/// Used by one thread: the one that runs the stream.
final class CollectingSink: LineSink, @unchecked Sendable {
    private(set) var lines: [String] = []

    func write(_ line: String) -> Bool {
        lines.append(line)
        return true
    }

    func finish() {}
}

/// Writes a stream's lines to a channel from a worker thread: lines are gathered into chunks,
/// at most a few chunks wait in the channel at a time (so a slow reader holds back the producer,
/// not memory), and a failed write or a closed channel makes the next `write` return false.
/// A client that reads nothing for `stallLimit` is disconnected.
final class ChannelLineSink: LineSink, @unchecked Sendable {
    static let chunkBytes = 64 * 1024
    static let maximumPendingChunks = 4
    static let stallLimit: TimeInterval = 30

    private let channel: Channel
    private var chunk: ByteBuffer
    // Guarded by `condition`.
    private let condition = NSCondition()
    private var pendingChunks = 0
    private var gone = false
    private var last: EventLoopFuture<Void>?

    init(channel: Channel) {
        self.channel = channel
        chunk = channel.allocator.buffer(capacity: Self.chunkBytes + 1024)
    }

    /// The future of the last chunk written, so that closing the connection waits for it.
    var lastWrite: EventLoopFuture<Void>? {
        condition.lock()
        defer { condition.unlock() }
        return last
    }

    func write(_ line: String) -> Bool {
        chunk.writeString(line)
        chunk.writeInteger(UInt8(ascii: "\n"))
        return chunk.readableBytes < Self.chunkBytes || send()
    }

    func finish() {
        if chunk.readableBytes > 0 { _ = send() }
    }

    /// Hands the chunk to the channel once fewer than `maximumPendingChunks` wait; false when the
    /// client is gone (or stalled too long).
    private func send() -> Bool {
        condition.lock()
        let deadline = Date().addingTimeInterval(Self.stallLimit)
        while pendingChunks >= Self.maximumPendingChunks && !gone {
            if !condition.wait(until: deadline) && pendingChunks >= Self.maximumPendingChunks {
                gone = true
                channel.close(promise: nil)
            }
        }
        guard !gone, channel.isActive else {
            gone = true
            condition.unlock()
            return false
        }
        pendingChunks += 1
        condition.unlock()
        let buffer = chunk
        chunk = channel.allocator.buffer(capacity: Self.chunkBytes + 1024)
        let future = channel.writeAndFlush(buffer)
        future.whenComplete { result in
            self.condition.lock()
            self.pendingChunks -= 1
            if case .failure = result { self.gone = true }
            self.condition.broadcast()
            self.condition.unlock()
        }
        condition.lock()
        last = future
        condition.unlock()
        return true
    }
}
