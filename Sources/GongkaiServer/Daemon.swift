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
    /// Seconds a connection may sit idle before it is closed.
    public var idleTimeout: Int64 = 300
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
        let tracker = ConnectionTracker()
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
        let service = self.service
        let idleTimeout = configuration.idleTimeout
        return ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.backlog, value: 1024)
            // A client that half-closes after its requests still gets its answers.
            .childChannelOption(ChannelOptions.allowRemoteHalfClosure, value: true)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers([
                        IdleStateHandler(readTimeout: .seconds(idleTimeout)),
                        ByteToMessageHandler(LineFrameDecoder(maximumLength: Daemon.maximumLineLength)),
                        ConnectionHandler(service: service, workers: workers, tracker: tracker),
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
        let server = try SocketFile.create(path, mode: configuration.socketMode) {
            try bootstrap.bind(unixDomainSocketPath: path).wait()
        }
        logger.info("serving", metadata: metadata.merging(["socket": "\(path)"]) { $1 })
        return server
    }

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
