import Dispatch
import Foundation
import Glibc
import Logging
import NIOCore
import NIOPosix

public struct DaemonConfiguration: Sendable {
    public var databasePath: String
    /// Where to bind; ignored when systemd hands over a listening socket.
    public var socketPath: String
    /// Permissions of the socket file: who may connect.
    public var socketMode: mode_t = 0o660
    /// Seconds a connection may go without a whole request line (and nothing to answer) before
    /// it is closed.
    public var idleTimeout: Int64 = 300
    /// Seconds a request line may take to arrive once its first byte has.
    public var lineTimeout: Double = 10
    /// Connections served at once; more are answered `too_many_connections` and closed.
    public var maximumConnections = 1024
    /// Bytes of unfinished request lines all connections together may hold beyond a small
    /// allowance each (`UnfinishedInputBudget.freePerConnection`).
    public var unfinishedInputBudget = 32 << 20
    /// How long SIGTERM waits for connections to finish before closing them.
    public var drainTimeout: Duration = .seconds(10)

    public init(databasePath: String, socketPath: String) {
        self.databasePath = databasePath
        self.socketPath = socketPath
    }
}

public enum DaemonError: Error, CustomStringConvertible {
    case socketInUse(String)
    case socketPathTaken(String)
    case socketUnusable(String, String)
    case activation(String)

    public var description: String {
        switch self {
        case .socketInUse(let path): return "another daemon is already answering on \(path); stop it first or choose another --socket"
        case .socketPathTaken(let path): return "\(path) exists and is not a socket; refusing to replace it"
        case .socketUnusable(let path, let reason): return "cannot use the socket \(path): \(reason)"
        case .activation(let reason): return "socket activation: \(reason)"
        }
    }
}

/// The daemon: a Unix stream socket speaking JSON lines, with systemd socket activation and
/// readiness, SIGHUP to reopen the index and SIGTERM to drain and exit.
public final class Daemon: Sendable {
    public static let maximumLineLength = 1 << 20

    let configuration: DaemonConfiguration
    let service: SearchService
    let logger: Logger

    public init(configuration: DaemonConfiguration, service: SearchService, logger: Logger) {
        self.configuration = configuration
        self.service = service
        self.logger = logger
    }

    /// Serves until SIGTERM or SIGINT, then answers what was received and returns.
    public func run() throws {
        // Handlers first, so that a SIGTERM during start-up drains instead of killing.
        let stop = DispatchSemaphore(value: 0)
        let signals = SignalHandlers()
        defer { signals.cancel() }
        signals.on(SIGHUP) { [logger, service] in
            logger.info("SIGHUP: reopening the index")
            service.reopen()
        }
        signals.on(SIGTERM) { stop.signal() }
        signals.on(SIGINT) { stop.signal() }
        let notifier = SystemdNotifier.fromEnvironment()
        let activated = try SystemdActivation.takeListeningSocket()
        raiseDescriptorLimit()

        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let workers = NIOThreadPool(numberOfThreads: service.workerCount)
        workers.start()
        defer {
            // Workers first: their last answers are written on the event loop.
            try? workers.syncShutdownGracefully()
            try? group.syncShutdownGracefully()
        }
        let tracker = ConnectionTracker(maximumConnections: configuration.maximumConnections)
        let server = try bind(bootstrap(group: group, workers: workers, tracker: tracker), activated: activated)

        notifier.notify("READY=1")
        stop.wait()

        logger.info("shutting down: answering requests already received")
        notifier.notify("STOPPING=1")
        try? server.close().wait()
        // A new daemon may bind the path while this one drains.
        if activated == nil { unlink(configuration.socketPath) }
        drain(tracker)
        logger.info("stopped")
    }

    private func bootstrap(group: EventLoopGroup, workers: NIOThreadPool, tracker: ConnectionTracker) -> ServerBootstrap {
        let answering = PooledSearchService(service: service, workers: workers)
        let budget = UnfinishedInputBudget(capacity: configuration.unfinishedInputBudget)
        var connectionLimits = ConnectionLimits()
        connectionLimits.idleTimeout = .seconds(configuration.idleTimeout)
        connectionLimits.lineTimeout = .nanoseconds(Int64(configuration.lineTimeout * 1e9))
        let limits = connectionLimits
        return ServerBootstrap(group: group)
            .serverChannelInitializer { [logger] channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(AcceptPause(logger: logger))
                }
            }
            // A client that half-closes after its requests still gets its answers.
            .childChannelOption(ChannelOptions.allowRemoteHalfClosure, value: true)
            // Over 64 KiB of answers the client has not read, a connection stops reading and
            // starting requests (ConnectionHandler) until they are under 32 KiB.
            .childChannelOption(ChannelOptions.writeBufferWaterMark, value: ChannelOptions.Types.WriteBufferWaterMark(low: 32 << 10, high: 64 << 10))
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers([
                        ByteToMessageHandler(LineFrameDecoder(maximumLength: Daemon.maximumLineLength, budget: budget)),
                        ConnectionHandler(answering: answering, tracker: tracker, limits: limits),
                    ])
                }
            }
    }

    private func bind(_ bootstrap: ServerBootstrap, activated: CInt?) throws -> Channel {
        let metadata: Logger.Metadata = ["db": "\(configuration.databasePath)", "workers": "\(service.workerCount)"]
        if let activated {
            let server = try bootstrap.withBoundSocket(activated).wait()
            logger.info("serving a socket handed over by systemd", metadata: metadata)
            return server
        }
        let path = configuration.socketPath
        try SocketFile.prepare(path)
        // Bound here rather than by NIO, which refuses paths over 103 bytes though Linux takes 107,
        // and handed over as systemd hands over its socket.
        let descriptor = try SocketFile.bindListening(path, mode: configuration.socketMode, backlog: Self.backlog)
        let server: Channel
        do {
            server = try bootstrap.withBoundSocket(descriptor).wait()
        } catch {
            close(descriptor)
            unlink(path)
            throw DaemonError.socketUnusable(path, String(describing: error))
        }
        // NIO listens again with its default backlog of 128 when it takes a bound socket.
        _ = listen(descriptor, Self.backlog)
        logger.info("serving", metadata: metadata.merging(["socket": "\(path)"]) { $1 })
        return server
    }

    /// Connections the kernel holds for the daemon to accept.
    static let backlog: Int32 = 1024

    /// Lets every connection answer what it received, then waits for them to close; those still
    /// busy at the deadline are closed.
    private func drain(_ tracker: ConnectionTracker) {
        for channel in tracker.beginDraining() { channel.pipeline.fireUserInboundEventTriggered(DrainEvent()) }
        let deadline = Date().addingTimeInterval(SearchService.seconds(configuration.drainTimeout))
        guard !tracker.waitUntilAllClosed(deadline: deadline) else { return }
        let stuck = tracker.open
        logger.warning("closing connections still busy after the drain timeout", metadata: ["connections": "\(stuck.count)"])
        for channel in stuck { channel.close(promise: nil) }
        _ = tracker.waitUntilAllClosed(deadline: Date().addingTimeInterval(1))
    }

    /// Each connection is a descriptor; the soft limit (often 1024) is raised to the hard one.
    private func raiseDescriptorLimit() {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < limit.rlim_max else { return }
        limit.rlim_cur = limit.rlim_max
        _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }
}

/// Out of descriptors (EMFILE, ENFILE) or memory, `accept` fails while connections wait, and NIO
/// keeps the listening socket registered for reading after a failed accept: without a pause the
/// event loop spins on it at a full core. (NIO's `AcceptBackoffHandler` only delays new read
/// requests, and none is made while that read is still pending.) Accepting stops for a moment
/// by turning auto-read off, which takes the socket out of the poll set.
final class AcceptPause: ChannelInboundHandler {
    typealias InboundIn = Channel

    static let pause = TimeAmount.milliseconds(100)
    /// At most one warning in this long, however long the shortage lasts.
    static let warningInterval = TimeAmount.seconds(10)

    private let logger: Logger
    private var paused = false
    private var lastWarning: NIODeadline?

    init(logger: Logger) {
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.fireChannelRead(data)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        guard let error = error as? IOError, [EMFILE, ENFILE, ENOBUFS, ENOMEM].contains(error.errnoCode),
              let options = context.channel.syncOptions else {
            return context.fireErrorCaught(error)
        }
        let now = context.eventLoop.now
        if lastWarning.map({ now - $0 >= Self.warningInterval }) ?? true {
            lastWarning = now
            logger.warning("cannot accept connections, pausing", metadata: ["reason": "\(error)"])
        }
        guard !paused else { return }
        paused = true
        try? options.setOption(ChannelOptions.autoRead, value: false)
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        context.eventLoop.scheduleTask(in: Self.pause) {
            let (handler, context) = loopBound.value
            handler.paused = false
            try? context.channel.syncOptions?.setOption(ChannelOptions.autoRead, value: true)
        }
    }
}

/// Signal handling through Dispatch sources, so handlers run as ordinary code.
final class SignalHandlers: @unchecked Sendable {
    // Only touched from the thread that runs the daemon.
    private var sources: [DispatchSourceSignal] = []
    private let queue = DispatchQueue(label: "gongkai.signals")

    func on(_ signalNumber: Int32, _ handler: @escaping @Sendable () -> Void) {
        signal(signalNumber, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: queue)
        source.setEventHandler(handler: handler)
        source.resume()
        sources.append(source)
    }

    func cancel() {
        for source in sources { source.cancel() }
    }
}
