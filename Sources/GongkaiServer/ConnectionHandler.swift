import Foundation
import NIOCore
import NIOPosix

/// What a connection hands its requests to, and the lines it answers by itself. The daemon's is
/// a `SearchService` on a thread pool (`PooledSearchService`); tests drive the handler with others.
protocol RequestAnswering: Sendable {
    var requestTimeout: Duration { get }
    /// The answer to a request line, computed off the event loop; the future completes on
    /// `eventLoop` and never fails. Counted in `stats` when it completes.
    func answer(_ line: [UInt8], ticket: RequestTicket, on eventLoop: EventLoop) -> EventLoopFuture<Reply>
    /// Runs a many-line answer off the event loop, writing its lines to `sink`.
    func run(_ stream: LineStream, to sink: LineSink, on eventLoop: EventLoop) -> EventLoopFuture<Void>
    /// Input refused before it became a request. Counted.
    func errorLine(_ error: ProtocolError, ticket: RequestTicket) -> String
    /// A running request past its deadline. Not counted: its answer is, when it completes.
    func timeoutLine(ticket: RequestTicket) -> String
    /// A request that waited past its deadline and is not run. Counted.
    func expiredLine(ticket: RequestTicket) -> String
    func connectionOpened(_ id: Int)
    func connectionClosed(_ id: Int)
}

/// The daemon's requests: answered by a `SearchService` on the worker pool.
struct PooledSearchService: RequestAnswering {
    let service: SearchService
    let workers: NIOThreadPool

    var requestTimeout: Duration { service.requestTimeout }

    func answer(_ line: [UInt8], ticket: RequestTicket, on eventLoop: EventLoop) -> EventLoopFuture<Reply> {
        let service = self.service
        return workers.runIfActive(eventLoop: eventLoop) {
            // A request that waited for a worker past its deadline was already answered with a
            // timeout: running it now would only delay the requests queued behind it.
            guard ContinuousClock.now < ticket.deadline else { return .line(service.expiredLine(ticket: ticket)) }
            return service.reply(to: line, ticket: ticket)
        }.recover { _ in
            .line(service.errorLine(ProtocolError("unavailable", "the daemon is shutting down"), ticket: ticket))
        }
    }

    func run(_ stream: LineStream, to sink: LineSink, on eventLoop: EventLoop) -> EventLoopFuture<Void> {
        workers.runIfActive(eventLoop: eventLoop) { stream.produce(sink) }
    }

    func errorLine(_ error: ProtocolError, ticket: RequestTicket) -> String { service.errorLine(error, ticket: ticket) }
    func timeoutLine(ticket: RequestTicket) -> String { service.timeoutLine(ticket: ticket) }
    func expiredLine(ticket: RequestTicket) -> String { service.expiredLine(ticket: ticket) }
    func connectionOpened(_ id: Int) { service.connectionOpened(id) }
    func connectionClosed(_ id: Int) { service.connectionClosed(id) }
}

/// How long a connection may take, and how much it may hold.
struct ConnectionLimits: Sendable {
    /// A connection is closed when, for this long, it had nothing to answer and no whole request
    /// line arrived (bytes of an unfinished line do not count), or its client read none of the
    /// answers waiting for it.
    var idleTimeout: TimeAmount = .seconds(300)
    /// A request line must arrive whole within this long of its first byte.
    var lineTimeout: TimeAmount = .seconds(10)
    /// Reading stops while this many requests wait, or this many bytes of them (a single longer
    /// line is still taken).
    var maximumQueued = 64
    var maximumQueuedBytes = 64 << 10
    /// How long a closing connection waits for its client to read its last answers.
    var lingerTimeout: TimeAmount = .seconds(10)
    /// How long a draining connection still takes requests: enough to read what clients had
    /// sent before the signal, which the kernel already holds.
    var drainGrace: TimeAmount = .milliseconds(200)
}

/// Answers a connection's requests one after another, in order, on the worker pool, so that
/// pipelined requests get their answers in the order sent while other connections run in
/// parallel. A connection has at most one request on the pool, so the pool's FIFO queue shares
/// the workers fairly between connections.
///
/// A request's deadline runs from when its line arrived: one that waits past it is answered
/// `timeout` at once and never run, and a running one is answered `timeout` at its deadline.
/// Memory is bounded per connection: reading stops while too many requests wait or while
/// answers the client has not read are over the channel's write-buffer high-water mark, and no
/// new request is started until they are under it.
final class ConnectionHandler: ChannelDuplexHandler {
    typealias InboundIn = InboundLine
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private struct Waiting {
        /// A request line copied out of the read buffer, so that a waiting line holds only its
        /// own bytes, not the buffer it was read into; or a refusal.
        var line: Result<[UInt8], ProtocolError>
        var ticket: RequestTicket
        var deadline: NIODeadline
        var size: Int { (try? line.get().count) ?? 0 }
    }

    private struct Running {
        var ticket: RequestTicket
        var deadline: NIODeadline
        var answered = false
    }

    private let answering: RequestAnswering
    private let tracker: ConnectionTracker
    private let limits: ConnectionLimits
    private var connectionID = 0
    private var admitted = false
    private var requestCount = 0
    private var queue = CircularBuffer<Waiting>()
    private var queuedBytes = 0
    /// The request on the pool; it may already have been answered with a timeout.
    private var running: Running?
    private var readHeld = false
    /// After a refusal: nothing more is read as a request.
    private var ignoringInput = false
    /// Set by a refusal, a half-close, or the end of a drain's grace period.
    private var closeWhenIdle = false
    private var closing = false
    private var lastWrite: EventLoopFuture<Void>?
    /// The last whole line or answer; the idle timeout counts from it.
    private var lastActivity = NIODeadline.uptimeNanoseconds(0)
    private var lineBegunAt: NIODeadline?
    private var deadlineTimer: (at: NIODeadline, task: Scheduled<Void>)?
    private var idleTimer: Scheduled<Void>?
    private var lineTimer: Scheduled<Void>?

    init(answering: RequestAnswering, tracker: ConnectionTracker, limits: ConnectionLimits = ConnectionLimits()) {
        self.answering = answering
        self.tracker = tracker
        self.limits = limits
    }

    // MARK: Events

    func channelActive(context: ChannelHandlerContext) {
        switch tracker.opened(context.channel) {
        case .refused(let limit):
            let error = ProtocolError("too_many_connections", "the daemon serves at most \(limit) connection\(limit == 1 ? "" : "s") at once; try again later")
            write(answering.errorLine(error, ticket: RequestTicket(number: "-", budget: answering.requestTimeout)), context: context)
            close(context: context)
        case .admitted(let id, let draining):
            admitted = true
            connectionID = id
            answering.connectionOpened(id)
            lastActivity = context.eventLoop.now
            armIdleTimer(context: context)
            if draining { startDraining(context: context) }
        }
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        // Nobody is left to answer: queued requests are dropped instead of computed.
        queue.removeAll()
        queuedBytes = 0
        for timer in [deadlineTimer?.task, idleTimer, lineTimer] { timer?.cancel() }
        if admitted {
            tracker.closed(context.channel)
            answering.connectionClosed(connectionID)
        }
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard admitted, !ignoringInput, !closing, context.channel.isActive else { return }
        let line = unwrapInboundIn(data)
        endLineDeadline()
        switch line {
        case .line(let buffer):
            enqueue(.success(Array(buffer.readableBytesView)), context: context)
        case .refused(let error):
            refuseFurtherInput()
            enqueue(.failure(error), context: context)
        }
    }

    func read(context: ChannelHandlerContext) {
        if mustHoldReading(context: context) {
            readHeld = true
        } else {
            readHeld = false
            context.read()
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        // The client read its answers.
        if context.channel.isWritable { lastActivity = context.eventLoop.now }
        advance(context: context)
        context.fireChannelWritabilityChanged()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        switch event {
        case is LineBegun:
            startLineDeadline(context: context)
        case ChannelEvent.inputClosed:
            // The client sent all it will (a half-close): answer it, then close.
            closeWhenIdle = true
            advance(context: context)
        case is DrainEvent:
            startDraining(context: context)
        default:
            context.fireUserInboundEventTriggered(event)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }

    // MARK: The queue

    private var isIdle: Bool { running == nil && queue.isEmpty }

    private func enqueue(_ line: Result<[UInt8], ProtocolError>, context: ChannelHandlerContext) {
        requestCount += 1
        let ticket = RequestTicket(number: "\(connectionID).\(requestCount)", budget: answering.requestTimeout)
        let now = context.eventLoop.now
        let waiting = Waiting(line: line, ticket: ticket, deadline: now + TimeAmount(ticket.budget))
        queue.append(waiting)
        queuedBytes += waiting.size
        lastActivity = now
        advance(context: context)
    }

    private func popFirst() -> Waiting {
        let first = queue.removeFirst()
        queuedBytes -= first.size
        return first
    }

    /// Moves the connection on after any event: times out what is past its deadline, answers
    /// in order what needs no worker, starts the next request, reads on when there is room, and
    /// closes when done.
    private func advance(context: ChannelHandlerContext) {
        guard !closing, context.channel.isActive else { return }
        let now = context.eventLoop.now
        if let current = running, !current.answered, now >= current.deadline {
            running?.answered = true
            write(answering.timeoutLine(ticket: current.ticket), context: context)
        }
        // Only once everything before them is answered, so that answers stay in order.
        while running?.answered ?? true, let head = queue.first {
            if case .failure(let error) = head.line {
                _ = popFirst()
                write(answering.errorLine(error, ticket: head.ticket), context: context)
            } else if now >= head.deadline {
                _ = popFirst()
                if case .success(let bytes) = head.line, bytes.count <= RequestDecoder.cheapIDLimit {
                    head.ticket.clientID = RequestDecoder.clientID(in: bytes)
                }
                write(answering.expiredLine(ticket: head.ticket), context: context)
            } else {
                break
            }
        }
        if running == nil, context.channel.isWritable, let head = queue.first, case .success(let bytes) = head.line {
            _ = popFirst()
            start(bytes, ticket: head.ticket, deadline: head.deadline, context: context)
        }
        if readHeld && !mustHoldReading(context: context) {
            readHeld = false
            context.read()
        }
        armDeadlineTimer(context: context)
        if closeWhenIdle && isIdle { close(context: context) }
    }

    private func mustHoldReading(context: ChannelHandlerContext) -> Bool {
        !admitted || ignoringInput || closing || !context.channel.isWritable
            || queue.count >= limits.maximumQueued || queuedBytes >= limits.maximumQueuedBytes
    }

    /// Runs a request on the pool. Past its deadline the client is answered with a timeout
    /// while the worker finishes; the connection's next request waits for that worker, so a
    /// client sending slow queries cannot pile up work.
    private func start(_ bytes: [UInt8], ticket: RequestTicket, deadline: NIODeadline, context: ChannelHandlerContext) {
        running = Running(ticket: ticket, deadline: deadline)
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        answering.answer(bytes, ticket: ticket, on: context.eventLoop).whenSuccess { reply in
            let (handler, context) = loopBound.value
            guard let current = handler.running, current.ticket === ticket else { return }
            switch reply {
            case .line(let line):
                handler.running = nil
                if !current.answered { handler.write(line, context: context) }
                handler.advance(context: context)
            case .stream(let stream):
                if current.answered {
                    handler.running = nil
                    return handler.advance(context: context)
                }
                handler.stream(stream, ticket: ticket, context: context)
            }
        }
    }

    /// Runs a many-line answer (an export) on the pool, writing its lines as they come; it has no
    /// time budget (it lasts as long as the client reads), and the connection's next request
    /// waits for its end. See `LineStream`.
    private func stream(_ stream: LineStream, ticket: RequestTicket, context: ChannelHandlerContext) {
        // Answered from now on: the deadline no longer applies.
        running?.answered = true
        let sink = ChannelLineSink(channel: context.channel)
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        answering.run(stream, to: sink, on: context.eventLoop).whenComplete { _ in
            let (handler, context) = loopBound.value
            handler.lastWrite = sink.lastWrite ?? handler.lastWrite
            handler.lastActivity = context.eventLoop.now
            guard let current = handler.running, current.ticket === ticket else { return }
            handler.running = nil
            handler.advance(context: context)
        }
    }

    private func write(_ line: String, context: ChannelHandlerContext) {
        guard context.channel.isActive else { return }
        var buffer = context.channel.allocator.buffer(capacity: line.utf8.count + 1)
        buffer.writeString(line)
        buffer.writeInteger(UInt8(ascii: "\n"))
        lastWrite = context.writeAndFlush(wrapOutboundOut(buffer))
        lastActivity = context.eventLoop.now
    }

    private func refuseFurtherInput() {
        ignoringInput = true
        closeWhenIdle = true
        lineTimer?.cancel()
        lineBegunAt = nil
    }

    // MARK: Timers

    /// The next deadline that needs action: the running request's, or else the first waiting one's.
    private func armDeadlineTimer(context: ChannelHandlerContext) {
        var next: NIODeadline?
        if let current = running, !current.answered {
            next = current.deadline
        } else if let head = queue.first, case .success = head.line {
            next = head.deadline
        }
        guard next != deadlineTimer?.at else { return }
        deadlineTimer?.task.cancel()
        deadlineTimer = nil
        guard let next else { return }
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        let task = context.eventLoop.scheduleTask(deadline: next) {
            let (handler, context) = loopBound.value
            handler.deadlineTimer = nil
            handler.advance(context: context)
        }
        deadlineTimer = (next, task)
    }

    private func armIdleTimer(context: ChannelHandlerContext) {
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        idleTimer = context.eventLoop.scheduleTask(deadline: lastActivity + limits.idleTimeout) {
            let (handler, context) = loopBound.value
            guard !handler.closing else { return }
            let now = context.eventLoop.now
            // Waiting on the client: for its next request, or for it to read its answers.
            if !handler.isIdle && context.channel.isWritable {
                handler.lastActivity = now
            } else if now >= handler.lastActivity + handler.limits.idleTimeout {
                // A client that stopped reading will not take its last answers either.
                return handler.close(context: context, waitingForLastAnswer: handler.isIdle)
            }
            handler.armIdleTimer(context: context)
        }
    }

    private func startLineDeadline(context: ChannelHandlerContext) {
        guard !ignoringInput, !closing else { return }
        lineBegunAt = context.eventLoop.now
        lineTimer?.cancel()
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        lineTimer = context.eventLoop.scheduleTask(in: limits.lineTimeout) {
            let (handler, context) = loopBound.value
            handler.lineTimer = nil
            guard handler.lineBegunAt != nil, !handler.closing, !handler.ignoringInput else { return }
            // While the daemon itself stopped reading, the client is not the slow one.
            if handler.readHeld { return handler.startLineDeadline(context: context) }
            let seconds = Double(handler.limits.lineTimeout.nanoseconds) / 1e9
            handler.refuseFurtherInput()
            handler.enqueue(.failure(ProtocolError("line_timeout", "request line not finished within \(seconds) s; closing the connection")),
                            context: context)
        }
    }

    private func endLineDeadline() {
        lineBegunAt = nil
        lineTimer?.cancel()
        lineTimer = nil
    }

    private func startDraining(context: ChannelHandlerContext) {
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        context.eventLoop.scheduleTask(in: limits.drainGrace) {
            let (handler, context) = loopBound.value
            handler.closeWhenIdle = true
            handler.advance(context: context)
        }
    }

    /// Closes once the last answer has left, so that it is not cut off; a client that does not
    /// read it gets `lingerTimeout` to do so.
    private func close(context: ChannelHandlerContext, waitingForLastAnswer: Bool = true) {
        guard !closing else { return }
        closing = true
        queue.removeAll()
        queuedBytes = 0
        for timer in [deadlineTimer?.task, idleTimer, lineTimer] { timer?.cancel() }
        guard waitingForLastAnswer, let lastWrite else { return context.close(promise: nil) }
        let channel = context.channel
        let linger = context.eventLoop.scheduleTask(in: limits.lingerTimeout) { channel.close(promise: nil) }
        lastWrite.whenComplete { _ in
            linger.cancel()
            channel.close(promise: nil)
        }
    }
}

/// Sent to every connection on shutdown: answer what was received, then close.
struct DrainEvent {}

/// Knows the open connections, so that shutdown can drain them and wait for them to close, and
/// refuses connections over the limit.
final class ConnectionTracker: @unchecked Sendable {
    enum Admission: Equatable {
        case admitted(id: Int, draining: Bool)
        case refused(limit: Int)
    }

    let maximumConnections: Int
    // All state is guarded by `condition`.
    private let condition = NSCondition()
    private var channels: [ObjectIdentifier: Channel] = [:]
    private var lastID = 0
    private var draining = false

    init(maximumConnections: Int = .max) {
        self.maximumConnections = maximumConnections
    }

    /// A new connection's id and whether it must drain at once (shutdown has begun), or its
    /// refusal when as many as allowed are open.
    func opened(_ channel: Channel) -> Admission {
        condition.lock()
        defer { condition.unlock() }
        guard channels.count < maximumConnections else { return .refused(limit: maximumConnections) }
        channels[ObjectIdentifier(channel)] = channel
        lastID += 1
        return .admitted(id: lastID, draining: draining)
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
