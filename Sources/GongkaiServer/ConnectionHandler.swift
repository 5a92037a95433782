import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// Answers a connection's requests one after another, in order, on the worker pool, so that
/// pipelined requests get their answers in the order sent while other connections run in
/// parallel. A connection has at most one request on the pool, so the pool's FIFO queue shares
/// the workers fairly between connections; reading stops while too many requests wait, so one
/// client cannot flood memory either.
final class ConnectionHandler: ChannelDuplexHandler {
    typealias InboundIn = InboundLine
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    static let maximumQueued = 64
    /// How long a draining connection still takes requests: enough to read what clients had
    /// sent before the signal, which the kernel already holds.
    static let drainGrace = TimeAmount.milliseconds(200)

    private let service: SearchService
    private let workers: NIOThreadPool
    private let tracker: ConnectionTracker
    private var connectionID = 0
    private var requestCount = 0
    private var queue: [InboundLine] = []
    /// The request on the pool; it may already have been answered with a timeout.
    private var inFlight: (number: Int, answered: Bool)?
    private var readHeld = false
    /// Over-long line: nothing after it is read as a request.
    private var ignoringInput = false
    /// Set by an over-long line, a half-close, or the end of a drain's grace period.
    private var closeWhenIdle = false
    private var closing = false
    private var lastWrite: EventLoopFuture<Void>?

    init(service: SearchService, workers: NIOThreadPool, tracker: ConnectionTracker) {
        self.service = service
        self.workers = workers
        self.tracker = tracker
    }

    func channelActive(context: ChannelHandlerContext) {
        let (id, draining) = tracker.opened(context.channel)
        connectionID = id
        service.connectionOpened(id)
        if draining { startDraining(context: context) }
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        // Nobody is left to answer: queued requests are dropped instead of computed.
        queue.removeAll()
        tracker.closed(context.channel)
        service.connectionClosed(connectionID)
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !ignoringInput, !closing else { return }
        let line = unwrapInboundIn(data)
        if case .tooLong = line {
            ignoringInput = true
            closeWhenIdle = true
        }
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
        switch event {
        case IdleStateHandler.IdleStateEvent.read:
            if isIdle { close(context: context) }
        case ChannelEvent.inputClosed:
            // The client sent all it will (a half-close): answer it, then close.
            closeWhenIdle = true
            closeIfIdle(context: context)
        case is DrainEvent:
            startDraining(context: context)
        default:
            context.fireUserInboundEventTriggered(event)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        close(context: context)
    }

    private var isIdle: Bool { inFlight == nil && queue.isEmpty }

    private func startDraining(context: ChannelHandlerContext) {
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        context.eventLoop.scheduleTask(in: Self.drainGrace) {
            let (handler, context) = loopBound.value
            handler.closeWhenIdle = true
            handler.closeIfIdle(context: context)
        }
    }

    private func processNext(context: ChannelHandlerContext) {
        guard inFlight == nil, !closing else { return }
        guard !queue.isEmpty else { return closeIfIdle(context: context) }
        let next = queue.removeFirst()
        if readHeld && queue.count < Self.maximumQueued {
            readHeld = false
            context.read()
        }
        requestCount += 1
        let ticket = RequestTicket(number: "\(connectionID).\(requestCount)", budget: service.requestTimeout)
        switch next {
        case .tooLong:
            write(service.errorLine(
                ProtocolError("line_too_long", "request line longer than \(Daemon.maximumLineLength) bytes; closing the connection"),
                ticket: ticket), context: context)
            processNext(context: context)
        case .line(let buffer):
            run(Array(buffer.readableBytesView), ticket: ticket, context: context)
        }
    }

    /// Runs a request on the pool. Past its time budget the client is answered with a timeout
    /// while the worker finishes; the connection's next request waits for that worker, so a
    /// client sending slow queries cannot pile up work.
    private func run(_ bytes: [UInt8], ticket: RequestTicket, context: ChannelHandlerContext) {
        let number = requestCount
        inFlight = (number, false)
        let service = self.service
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        let timer = context.eventLoop.scheduleTask(in: TimeAmount(ticket.budget)) {
            let (handler, context) = loopBound.value
            guard handler.inFlight?.number == number, handler.inFlight?.answered == false else { return }
            handler.inFlight?.answered = true
            handler.write(service.timeoutLine(ticket: ticket), context: context)
        }
        workers.runIfActive(eventLoop: context.eventLoop) { service.reply(to: bytes, ticket: ticket) }
            .whenComplete { result in
                timer.cancel()
                let (handler, context) = loopBound.value
                guard handler.inFlight?.number == number else { return }
                if handler.inFlight?.answered == false {
                    switch result {
                    case .success(.line(let line)): handler.write(line, context: context)
                    case .success(.stream(let stream)):
                        handler.inFlight?.answered = true
                        return handler.stream(stream, number: number, context: context)
                    case .failure:
                        handler.write(service.errorLine(ProtocolError("unavailable", "the daemon is shutting down"), ticket: ticket),
                                      context: context)
                    }
                }
                handler.inFlight = nil
                handler.processNext(context: context)
            }
    }

    /// Runs a many-line answer (an export) on the pool, writing its lines as they come; it has no
    /// time budget (it lasts as long as the client reads), and the connection's next request
    /// waits for its end. See `LineStream`.
    private func stream(_ stream: LineStream, number: Int, context: ChannelHandlerContext) {
        let sink = ChannelLineSink(channel: context.channel)
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        workers.runIfActive(eventLoop: context.eventLoop) { stream.produce(sink) }
            .whenComplete { _ in
                let (handler, context) = loopBound.value
                handler.lastWrite = sink.lastWrite ?? handler.lastWrite
                guard handler.inFlight?.number == number else { return }
                handler.inFlight = nil
                handler.processNext(context: context)
            }
    }

    private func write(_ line: String, context: ChannelHandlerContext) {
        guard context.channel.isActive else { return }
        var buffer = context.channel.allocator.buffer(capacity: line.utf8.count + 1)
        buffer.writeString(line)
        buffer.writeInteger(UInt8(ascii: "\n"))
        lastWrite = context.writeAndFlush(wrapOutboundOut(buffer))
    }

    private func closeIfIdle(context: ChannelHandlerContext) {
        if closeWhenIdle && isIdle { close(context: context) }
    }

    /// Closes once the last answer has left, so that it is not cut off.
    private func close(context: ChannelHandlerContext) {
        guard !closing else { return }
        closing = true
        queue.removeAll()
        guard let lastWrite else { return context.close(promise: nil) }
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        lastWrite.whenComplete { _ in loopBound.value.close(promise: nil) }
    }
}

/// Sent to every connection on shutdown: answer what was received, then close.
struct DrainEvent {}

/// Knows the open connections, so that shutdown can drain them and wait for them to close.
final class ConnectionTracker: @unchecked Sendable {
    // All state is guarded by `condition`.
    private let condition = NSCondition()
    private var channels: [ObjectIdentifier: Channel] = [:]
    private var lastID = 0
    private var draining = false

    /// A new connection's id, and whether it must drain at once (shutdown has begun).
    func opened(_ channel: Channel) -> (id: Int, draining: Bool) {
        condition.lock()
        defer { condition.unlock() }
        channels[ObjectIdentifier(channel)] = channel
        lastID += 1
        return (lastID, draining)
    }

    func closed(_ channel: Channel) {
        condition.lock()
        channels.removeValue(forKey: ObjectIdentifier(channel))
        condition.broadcast()
        condition.unlock()
    }

    /// From now on new connections drain at once; returns the ones open now.
    func beginDraining() -> [Channel] {
        condition.lock()
        defer { condition.unlock() }
        draining = true
        return Array(channels.values)
    }

    var open: [Channel] {
        condition.lock()
        defer { condition.unlock() }
        return Array(channels.values)
    }

    /// False when some are still open at the deadline.
    func waitUntilAllClosed(deadline: Date) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while !channels.isEmpty {
            if !condition.wait(until: deadline) { return channels.isEmpty }
        }
        return true
    }
}
