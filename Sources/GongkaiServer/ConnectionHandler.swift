import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// A unit read off a connection: a whole request line, or a line that grew past the limit.
enum InboundLine {
    case line(ByteBuffer)
    case tooLong
}

/// Splits the byte stream at '\n' (a '\r' before it is dropped). A line longer than the limit is
/// reported once and the rest of the stream ignored: the connection is closed after the answer.
struct LineFrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = InboundLine

    let maximumLength: Int
    private var overflowed = false
    private var searchedUpTo = 0

    init(maximumLength: Int) {
        self.maximumLength = maximumLength
    }

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        if overflowed {
            buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
            return .needMoreData
        }
        let view = buffer.readableBytesView
        if let newline = view.dropFirst(searchedUpTo).firstIndex(of: UInt8(ascii: "\n")) {
            let length = newline - view.startIndex
            searchedUpTo = 0
            guard length <= maximumLength else {
                overflowed = true
                context.fireChannelRead(wrapInboundOut(.tooLong))
                buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
                return .needMoreData
            }
            var line = buffer.readSlice(length: length)!
            buffer.moveReaderIndex(forwardBy: 1)
            if line.readableBytesView.last == UInt8(ascii: "\r") { line = line.getSlice(at: line.readerIndex, length: line.readableBytes - 1)! }
            context.fireChannelRead(wrapInboundOut(.line(line)))
            return .continue
        }
        searchedUpTo = view.count
        if view.count > maximumLength {
            overflowed = true
            context.fireChannelRead(wrapInboundOut(.tooLong))
            buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
        }
        return .needMoreData
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        // Half a line then a hang-up: nothing to answer, nobody to answer to.
        buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
        return .needMoreData
    }
}

/// Answers a connection's requests one after another, in order, on the worker pool, so that
/// pipelined requests get their answers in the order sent while other connections run in
/// parallel. Stops reading while too many requests wait, so one client cannot flood memory.
final class ConnectionHandler: ChannelDuplexHandler {
    typealias InboundIn = InboundLine
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let service: SearchService
    private let workers: NIOThreadPool
    private let tracker: ConnectionTracker
    private var queue: [InboundLine] = []
    private var busy = false
    private var readHeld = false
    private var closeWhenDrained = false
    private static let maximumQueued = 64

    init(service: SearchService, workers: NIOThreadPool, tracker: ConnectionTracker) {
        self.service = service
        self.workers = workers
        self.tracker = tracker
    }

    func channelActive(context: ChannelHandlerContext) {
        tracker.opened(context.channel)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        tracker.closed(context.channel)
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if closeWhenDrained { return }
        let line = unwrapInboundIn(data)
        if case .tooLong = line { closeWhenDrained = true }
        queue.append(line)
        processNext(context: context)
    }

    func read(context: ChannelHandlerContext) {
        if queue.count >= Self.maximumQueued {
            readHeld = true
        } else {
            context.read()
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let idle = event as? IdleStateHandler.IdleStateEvent, idle == .read, !busy, queue.isEmpty {
            context.close(promise: nil)
            return
        }
        if event is DrainEvent {
            closeWhenDrained = true
            if !busy && queue.isEmpty { context.close(promise: nil) }
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }

    private func processNext(context: ChannelHandlerContext) {
        guard !busy else { return }
        guard !queue.isEmpty else {
            if closeWhenDrained { context.close(promise: nil) }
            return
        }
        busy = true
        let next = queue.removeFirst()
        if readHeld && queue.count < Self.maximumQueued {
            readHeld = false
            context.read()
        }
        let service = self.service
        let answer: EventLoopFuture<String>
        switch next {
        case .tooLong:
            answer = context.eventLoop.makeSucceededFuture(service.errorLine(
                ProtocolError("line_too_long", "request line longer than \(Daemon.maximumLineLength) bytes; closing the connection")))
        case .line(let buffer):
            let bytes = Array(buffer.readableBytesView)
            answer = workers.runIfActive(eventLoop: context.eventLoop) { service.respond(to: bytes) }
        }
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        answer.whenComplete { result in
            let (handler, context) = loopBound.value
            var line: String
            switch result {
            case .success(let text): line = text
            case .failure: line = service.errorLine(ProtocolError("unavailable", "the daemon is shutting down"))
            }
            line += "\n"
            context.writeAndFlush(handler.wrapOutboundOut(ByteBuffer(string: line)), promise: nil)
            handler.busy = false
            handler.processNext(context: context)
        }
    }
}

/// Sent to every connection on shutdown: answer what was received, then close.
struct DrainEvent {}

/// Knows the open connections, so that shutdown can drain them.
final class ConnectionTracker: @unchecked Sendable {
    // Guarded by `lock`.
    private let lock = NIOLock()
    private var channels: [ObjectIdentifier: Channel] = [:]

    func opened(_ channel: Channel) {
        lock.withLock { channels[ObjectIdentifier(channel)] = channel }
    }

    func closed(_ channel: Channel) {
        _ = lock.withLock { channels.removeValue(forKey: ObjectIdentifier(channel)) }
    }

    var open: [Channel] { lock.withLock { Array(channels.values) } }
}
