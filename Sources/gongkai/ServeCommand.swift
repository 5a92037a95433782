import ArgumentParser
import ChineseAnalysis
import Foundation
import GongkaiIndex
import GongkaiServer
import Logging

/// `gongkai serve`: the daemon.
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Answer JSON-lines search requests on a Unix socket (or a socket systemd hands over)."
    )

    @Option(help: "The database folder (sharded or not), or a Xapian stub file listing databases (served as shards). Default: $GONGKAI_DB or ./gongkai.db")
    var db: String = Defaults.database

    @Option(name: .customLong("shard"), help: ArgumentHelp(
        "A shard to search instead of --db: a database folder, tcp://HOST:PORT (xapian-tcpsrv), a sharded index's folder or a Xapian stub file. Repeat for several.",
        valueName: "shard"))
    var shards: [String] = []

    @Option(help: "When a shard does not answer: partial (answer from the others, with warnings) or fail (a shard_unavailable error).")
    var shardPolicy: ShardPolicy = .partial

    @Option(help: "The socket path. Default: $GONGKAI_SOCKET or /tmp/gongkai.sock")
    var socket: String = Defaults.socket

    @Option(help: "Permissions of the socket file, in octal.")
    var socketMode: String = "0660"

    @Option(help: "Worker threads (each with its own database handle). Default: the number of cores.")
    var workers: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: "Seconds a connection may go without a whole request line while it has nothing to answer, or without its client reading its answers, before it is closed.")
    var idleTimeout: Int64 = 300

    @Option(help: "Seconds a request line may take to arrive once its first byte has.")
    var lineTimeout: Double = 10

    @Option(help: "Connections served at once; more are answered too_many_connections and closed.")
    var maxConnections = 1024

    @Option(help: "Seconds a request may take before it is answered with a timeout error.")
    var requestTimeout: Double = 5

    @Option(help: "Answers kept for repeated searches of the served revision (0 turns the cache off).")
    var cacheEntries = 1024

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: Logger.Level = .info

    func validate() throws {
        guard let mode = UInt32(socketMode, radix: 8), mode <= 0o777 else {
            throw ValidationError("--socket-mode must be octal permissions such as 0660")
        }
        guard workers >= 1 else { throw ValidationError("--workers must be at least 1") }
        guard cacheEntries >= 0 else { throw ValidationError("--cache-entries must be 0 or more") }
        guard idleTimeout >= 1 else { throw ValidationError("--idle-timeout must be at least 1 second") }
        guard requestTimeout > 0 else { throw ValidationError("--request-timeout must be positive") }
        guard lineTimeout > 0 else { throw ValidationError("--line-timeout must be positive") }
        guard maxConnections >= 1 else { throw ValidationError("--max-connections must be at least 1") }
    }

    func run() throws {
        let level = logLevel
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "gongkai")
        var configuration = DaemonConfiguration(databasePath: shards.isEmpty ? db : shards.joined(separator: ","), socketPath: socket)
        configuration.socketMode = UInt32(socketMode, radix: 8)!
        configuration.idleTimeout = idleTimeout
        configuration.lineTimeout = lineTimeout
        configuration.maximumConnections = maxConnections
        do {
            let service = try SearchService(index: try servedIndex(), analyzers: AnalyzerCache(loadingLexicon: { try Lexicon.loadDefault() }, vocabulary: try FiscalVocabulary.loadDefault()),
                                            workers: workers,
                                            requestTimeout: .milliseconds(Int64(requestTimeout * 1000)),
                                            cacheEntries: cacheEntries, logger: logger)
            try Daemon(configuration: configuration, service: service, logger: logger).run()
        } catch {
            printError("gongkai serve: \(error)")
            throw ExitCode(1)
        }
    }

    /// A sharded folder and a stub file are served as shards, as Xapian's own tools open a stub:
    /// Xapian cannot report one revision for several databases.
    private func servedIndex() throws -> ServedIndex {
        guard !shards.isEmpty || ShardLocation.isShardSet(db) else { return .database(db) }
        let locations = try (shards.isEmpty ? [db] : shards).flatMap(ShardLocation.resolve)
        return .shards(ShardSet(locations: locations, policy: shardPolicy, requestTimeout: requestTimeout))
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
extension ShardPolicy: ExpressibleByArgument {}
