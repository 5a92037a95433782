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
    public var workers = System.coreCount
    /// Seconds a connection may sit idle before it is closed.
    public var idleTimeout: Int64 = 300

    public init(databasePath: String, socketPath: String) {
        self.databasePath = databasePath
        self.socketPath = socketPath
    }
}

public enum DaemonError: Error, CustomStringConvertible {
    case socketInUse(String)
    case socketPathTaken(String)

    public var description: String {
        switch self {
        case .socketInUse(let path): return "another daemon is already answering on \(path)"
        case .socketPathTaken(let path): return "\(path) exists and is not a socket; refusing to replace it"
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
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let workers = NIOThreadPool(numberOfThreads: max(1, configuration.workers))
        workers.start()
        let tracker = ConnectionTracker()
        let service = self.service
        let idleTimeout = configuration.idleTimeout

        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.backlog, value: 1024)
            .childChannelOption(ChannelOptions.autoRead, value: true)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers([
                        IdleStateHandler(readTimeout: .seconds(idleTimeout)),
                        ByteToMessageHandler(LineFrameDecoder(maximumLength: Daemon.maximumLineLength)),
                        ConnectionHandler(service: service, workers: workers, tracker: tracker),
                    ])
                }
            }

        let server: Channel
        if let descriptor = SystemdActivation.listeningDescriptor() {
            server = try bootstrap.withBoundSocket(descriptor).wait()
            logger.info("serving a socket handed over by systemd", metadata: ["db": "\(configuration.databasePath)"])
        } else {
            try SocketFile.prepare(configuration.socketPath)
            server = try bootstrap.bind(unixDomainSocketPath: configuration.socketPath).wait()
            chmod(configuration.socketPath, configuration.socketMode)
            logger.info("serving", metadata: ["socket": "\(configuration.socketPath)", "db": "\(configuration.databasePath)"])
        }

        let stop = DispatchSemaphore(value: 0)
        let signals = SignalHandlers()
        signals.on(SIGHUP) { [logger] in
            logger.info("SIGHUP: reopening the index")
            service.reopen()
        }
        signals.on(SIGTERM) { stop.signal() }
        signals.on(SIGINT) { stop.signal() }
        SystemdActivation.notify("READY=1")
        stop.wait()

        logger.info("shutting down: answering requests already received")
        SystemdActivation.notify("STOPPING=1")
        try? server.close().wait()
        let open = tracker.open
        for channel in open { channel.pipeline.fireUserInboundEventTriggered(DrainEvent()) }
        let deadline = Date().addingTimeInterval(10)
        for channel in open {
            while channel.isActive && Date() < deadline { usleep(10_000) }
        }
        if SystemdActivation.listeningDescriptor() == nil { unlink(configuration.socketPath) }
        try? workers.syncShutdownGracefully()
        try? group.syncShutdownGracefully()
        signals.cancel()
    }
}

/// The socket file before binding: a stale one from a crash is removed; a live one (a daemon
/// answers on it) is left alone and reported.
enum SocketFile {
    static func prepare(_ path: String) throws {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        guard (info.st_mode & S_IFMT) == S_IFSOCK else { throw DaemonError.socketPathTaken(path) }
        if isAnswering(path) { throw DaemonError.socketInUse(path) }
        unlink(path)
    }

    static func isAnswering(_ path: String) -> Bool {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard path.utf8.count < capacity else { return false }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: path.utf8)
            raw[path.utf8.count] = 0
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        return result == 0
    }
}

/// systemd's socket activation (`LISTEN_FDS`) and readiness notification (`NOTIFY_SOCKET`),
/// spoken directly so that no libsystemd is needed.
enum SystemdActivation {
    static func listeningDescriptor() -> CInt? {
        let environment = ProcessInfo.processInfo.environment
        guard let pid = environment["LISTEN_PID"].flatMap(Int32.init), pid == getpid(),
              let count = environment["LISTEN_FDS"].flatMap(Int.init), count >= 1 else { return nil }
        return 3
    }

    static func notify(_ state: String) {
        guard var path = ProcessInfo.processInfo.environment["NOTIFY_SOCKET"], !path.isEmpty else { return }
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { return }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        // An abstract socket is written with a leading '@' and addressed with a leading NUL.
        let abstract = path.hasPrefix("@")
        if abstract { path.removeFirst() }
        let bytes = Array(path.utf8)
        let offset = abstract ? 1 : 0
        guard bytes.count + offset < MemoryLayout.size(ofValue: address.sun_path) else { return }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, byte) in bytes.enumerated() { raw[i + offset] = byte }
        }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count + offset)
        _ = state.withCString { message in
            withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(fd, message, strlen(message), 0, $0, length)
                }
            }
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
