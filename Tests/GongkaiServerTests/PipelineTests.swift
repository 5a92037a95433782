import ChineseAnalysis
import Foundation
import GongkaiIndex
@testable import GongkaiServer
import Logging
import NIOCore
import NIOEmbedded
import NIOTestUtils
import Testing

/// The server pipeline at the SwiftNIO level: the line framing under NIO's decoder verifier, and
/// the connection handler on an `EmbeddedChannel`, whose clock the tests move, answering with a
/// real `SearchService` over the sample corpus's index.
/// One after another: they share the service and compare its error count.
@Suite(.serialized) struct PipelineTests {
    // MARK: Line framing

    static func line(_ text: String) -> InboundLine { .line(ByteBuffer(string: text)) }

    @Test func lineFramingPassesNIOsDecoderVerifier() throws {
        let maximum = 32
        let pairs: [(String, [InboundLine])] = [
            (#"{"op":"ping"}"# + "\n", [Self.line(#"{"op":"ping"}"#)]),
            ("crlf\r\n", [Self.line("crlf")]),
            ("\n", [Self.line("")]),
            ("a\rb\n", [Self.line("a\rb")]),
            (String(repeating: "x", count: maximum) + "\n", [Self.line(String(repeating: "x", count: maximum))]),
            // Refused once, skipped to its newline, and the next line is read again.
            (String(repeating: "y", count: maximum + 1) + "\n", [.refused(LineFrameDecoder.tooLong(maximum))]),
            (String(repeating: "z", count: 3 * maximum) + "\n", [.refused(LineFrameDecoder.tooLong(maximum))]),
            ("经费\n", [Self.line("经费")]),
        ]
        try ByteToMessageDecoderVerifier.verifyDecoder(stringInputOutputPairs: pairs) {
            LineFrameDecoder(maximumLength: maximum)
        }
    }

    @Test func aLastLineWithoutNewlineIsALineAtTheEndOfInput() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(LineFrameDecoder(maximumLength: 32)))
        try channel.writeInbound(ByteBuffer(string: "first\nlast\r"))
        #expect(try channel.readInbound(as: InboundLine.self) == Self.line("first"))
        #expect(try channel.readInbound(as: InboundLine.self) == nil)
        channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        #expect(try channel.readInbound(as: InboundLine.self) == Self.line("last"))
        #expect(try channel.finish().isClean)

        // The rest of a refused line is not a line.
        let refusing = EmbeddedChannel(handler: ByteToMessageHandler(LineFrameDecoder(maximumLength: 4)))
        try refusing.writeInbound(ByteBuffer(string: "toolong"))
        #expect(try refusing.readInbound(as: InboundLine.self) == .refused(LineFrameDecoder.tooLong(4)))
        refusing.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        #expect(try refusing.readInbound(as: InboundLine.self) == nil)
        _ = try refusing.finish()
    }

    @Test func unfinishedLinesShareOneBudgetAndGiveItBack() throws {
        let free = UnfinishedInputBudget.freePerConnection
        let budget = UnfinishedInputBudget(capacity: 100_000)
        let first = EmbeddedChannel(handler: ByteToMessageHandler(LineFrameDecoder(maximumLength: 1 << 20, budget: budget)))
        let second = EmbeddedChannel(handler: ByteToMessageHandler(LineFrameDecoder(maximumLength: 1 << 20, budget: budget)))
        // Within its own allowance a connection draws nothing.
        try first.writeInbound(ByteBuffer(string: String(repeating: "a", count: free)))
        #expect(budget.inUse == 0)
        try first.writeInbound(ByteBuffer(string: String(repeating: "a", count: 90_000)))
        #expect(budget.inUse == 90_000)
        try second.writeInbound(ByteBuffer(string: String(repeating: "b", count: free + 20_000)))
        #expect(try second.readInbound(as: InboundLine.self) == .refused(LineFrameDecoder.overloaded))
        #expect(budget.inUse == 90_000)
        // A finished line gives its share back, and so does a closed connection.
        try first.writeInbound(ByteBuffer(string: "\n"))
        if case .line(let line)? = try first.readInbound(as: InboundLine.self) { #expect(line.readableBytes == free + 90_000) } else { Issue.record("no line") }
        #expect(budget.inUse == 0)
        let third = EmbeddedChannel(handler: ByteToMessageHandler(LineFrameDecoder(maximumLength: 1 << 20, budget: budget)))
        try third.writeInbound(ByteBuffer(string: String(repeating: "c", count: free + 50_000)))
        #expect(budget.inUse == 50_000)
        _ = try third.finish()
        #expect(budget.inUse == 0)
        _ = try first.finish(); _ = try second.finish()
    }

    // MARK: The connection handler

    /// A search service over a copy of the sample corpus's index, shared by the tests.
    static let service: Result<SearchService, TestFailure> = {
        let databasePath = TestPaths.temporaryDirectory() + "/db"
        do {
            try TemplateIndex.copy(to: databasePath)
            return .success(try SearchService(databasePath: databasePath, analyzers: AnalyzerCache(lexicon: try Lexicon.loadDefault(), vocabulary: try FiscalVocabulary.loadDefault()), workers: 1,
                                              requestTimeout: .seconds(1), logger: Logger(label: "pipeline", factory: { _ in SwiftLogNoOpLogHandler() })))
        } catch {
            return .failure(TestFailure("\(error)"))
        }
    }()

    /// A connection on an embedded channel: framing, the handler, and a counter of the reads it
    /// lets through to the socket.
    final class Connection {
        let channel: EmbeddedChannel
        let worker: SlowWorker
        let reads = ReadCounter()

        init(worker: SlowWorker, tracker: ConnectionTracker = ConnectionTracker(), limits: ConnectionLimits = ConnectionLimits()) throws {
            self.worker = worker
            channel = EmbeddedChannel()
            try channel.pipeline.syncOperations.addHandlers([
                reads,
                ByteToMessageHandler(LineFrameDecoder(maximumLength: 1 << 20)),
                ConnectionHandler(answering: worker, tracker: tracker, limits: limits),
            ])
            try channel.connect(to: SocketAddress(unixDomainSocketPath: "/gongkai-test")).wait()
        }

        func send(_ text: String) throws {
            try channel.writeInbound(ByteBuffer(string: text))
        }

        /// Answers written so far, parsed.
        func answers() throws -> [JSONValue] {
            var answers: [JSONValue] = []
            while var buffer = try channel.readOutbound(as: ByteBuffer.self) {
                for line in buffer.readString(length: buffer.readableBytes)!.split(separator: "\n") {
                    answers.append(try JSONValue.parse(Array(line.utf8)))
                }
            }
            return answers
        }

        func advance(_ time: TimeAmount) {
            channel.embeddedEventLoop.advanceTime(by: time)
        }
    }

    /// Counts the reads that reach the socket.
    final class ReadCounter: ChannelOutboundHandler {
        typealias OutboundIn = Any
        var count = 0
        func read(context: ChannelHandlerContext) {
            count += 1
            context.read()
        }
    }

    /// A worker that takes `delay` of the embedded loop's time to hand over the real service's
    /// answer, and remembers the requests it was given.
    final class SlowWorker: RequestAnswering, @unchecked Sendable {
        // Used from the embedded loop only, which is the test's thread.
        let service: SearchService
        var delay: TimeAmount
        private(set) var started: [String] = []

        init(delay: TimeAmount) throws {
            service = try PipelineTests.service.get()
            self.delay = delay
        }

        var requestTimeout: Duration { service.requestTimeout }

        func answer(_ line: [UInt8], ticket: RequestTicket, on eventLoop: EventLoop) -> EventLoopFuture<Reply> {
            started.append(String(decoding: line, as: UTF8.self))
            let answer = service.reply(to: line, ticket: ticket)
            if delay == .zero { return eventLoop.makeSucceededFuture(answer) }
            return eventLoop.scheduleTask(in: delay) { answer }.futureResult
        }

        func run(_ stream: LineStream, to sink: LineSink, on eventLoop: EventLoop) -> EventLoopFuture<Void> {
            stream.produce(sink)
            return eventLoop.makeSucceededVoidFuture()
        }

        func errorLine(_ error: ProtocolError, ticket: RequestTicket) -> String { service.errorLine(error, ticket: ticket) }
        func timeoutLine(ticket: RequestTicket) -> String { service.timeoutLine(ticket: ticket) }
        func expiredLine(ticket: RequestTicket) -> String { service.expiredLine(ticket: ticket) }
        func connectionOpened(_ id: Int) {}
        func connectionClosed(_ id: Int) {}
    }

    static func request(_ id: Int, _ op: String = #""op":"search","q":"经费","limit":1"#) -> String {
        #"{"id":\#(id),\#(op)}"# + "\n"
    }

    @Test func answersComeInTheOrderSent() throws {
        let connection = try Connection(worker: try SlowWorker(delay: .milliseconds(30)))
        try connection.send(Self.request(1) + Self.request(2, #""op":"ping""#) + Self.request(3, #""op":"stats""#) + Self.request(4, #""op":"fly""#))
        #expect(try connection.answers().isEmpty)
        for _ in 0..<4 { connection.advance(.milliseconds(30)) }
        let answers = try connection.answers()
        #expect(answers.map { $0["id"] } == [.int(1), .int(2), .int(3), .int(4)])
        #expect(answers[0]["ok"] == .bool(true) && (answers[0]["total"]?.intValue ?? 0) > 0)
        #expect(answers[2]["documents"] == .int(4))
        #expect(answers[3]["error"]?["code"] == .string("unknown_op"))
        #expect(connection.channel.isActive)
    }

    @Test func readingStopsWhileTheQueueIsFullAndResumesAsItDrains() throws {
        let connection = try Connection(worker: try SlowWorker(delay: .milliseconds(10)))
        let limits = ConnectionLimits()
        try connection.send((0..<(limits.maximumQueued + 1)).map { Self.request($0, #""op":"ping""#) }.joined())
        let reads = connection.reads.count
        connection.channel.read()
        #expect(connection.reads.count == reads, "read on with \(limits.maximumQueued) requests waiting")
        // One answered: one below the limit, and the read held back goes through.
        connection.advance(.milliseconds(10))
        connection.advance(.milliseconds(10))
        #expect(connection.reads.count == reads + 1)
        for _ in 0..<limits.maximumQueued { connection.advance(.milliseconds(10)) }
        #expect(try connection.answers().map { $0["id"]?.intValue } == (0...limits.maximumQueued).map { $0 })

        // Bytes count too: a few long lines fill the queue as many short ones do.
        let long = #"{"op":"ping","id":""# + String(repeating: "p", count: limits.maximumQueuedBytes / 2) + "\"}\n"
        try connection.send(long + long + long)
        let before = connection.reads.count
        connection.channel.read()
        #expect(connection.reads.count == before)
    }

    @Test func requestsWaitingPastTheirDeadlineAreAnsweredAtOnceWithoutRunning() throws {
        let worker = try SlowWorker(delay: .seconds(10))
        let connection = try Connection(worker: worker)
        let errorsBefore = try Self.errorCount()
        try connection.send(Self.request(1) + Self.request(2) + Self.request(3))
        connection.advance(.milliseconds(999))
        #expect(try connection.answers().isEmpty)
        // The busy worker's request times out at its deadline, and the two behind it with it.
        connection.advance(.milliseconds(1))
        let answers = try connection.answers()
        #expect(answers.map { $0["id"] } == [.int(1), .int(2), .int(3)])
        #expect(answers.allSatisfy { $0["error"]?["code"] == .string("timeout") })
        #expect(worker.started.count == 1)
        #expect(try Self.errorCount() == errorsBefore + 2)
        // The connection's next request waits for the busy worker, then runs.
        connection.advance(.milliseconds(8500))
        try connection.send(Self.request(4, #""op":"ping""#))
        worker.delay = .zero
        connection.advance(.milliseconds(499))
        #expect(try connection.answers().isEmpty)
        connection.advance(.milliseconds(1))
        #expect(try connection.answers().map { $0["ok"] } == [.bool(true)])
        #expect(worker.started.count == 2)
    }

    static func errorCount() throws -> Int {
        try JSONValue.parse(Array(try service.get().respond(to: Array(#"{"op":"stats"}"#.utf8)).utf8))["errors"]?.intValue ?? -1
    }

    @Test func noNewRequestStartsWhileUnreadAnswersAreOverTheHighWaterMark() throws {
        let worker = try SlowWorker(delay: .zero)
        let connection = try Connection(worker: worker)
        connection.channel.isWritable = false
        connection.channel.pipeline.fireChannelWritabilityChanged()
        try connection.send(Self.request(1, #""op":"ping""#) + Self.request(2, #""op":"ping""#))
        let reads = connection.reads.count
        connection.channel.read()
        #expect(worker.started.isEmpty && connection.reads.count == reads)
        connection.channel.isWritable = true
        connection.channel.pipeline.fireChannelWritabilityChanged()
        #expect(try connection.answers().map { $0["id"] } == [.int(1), .int(2)])
        // The read held back goes through.
        #expect(connection.reads.count == reads + 1)
    }

    @Test func aClientThatStopsReadingIsClosedAfterTheIdleTimeout() throws {
        var limits = ConnectionLimits()
        limits.idleTimeout = .seconds(1)
        let connection = try Connection(worker: try SlowWorker(delay: .zero), limits: limits)
        connection.channel.isWritable = false
        connection.channel.pipeline.fireChannelWritabilityChanged()
        try connection.send(Self.request(1, #""op":"ping""#))
        connection.advance(.milliseconds(999))
        #expect(connection.channel.isActive)
        connection.advance(.milliseconds(1))
        #expect(!connection.channel.isActive)
    }

    @Test func drainAnswersWhatWasReceivedThenCloses() throws {
        let worker = try SlowWorker(delay: .milliseconds(500))
        let connection = try Connection(worker: worker)
        try connection.send(Self.request(1) + Self.request(2, #""op":"ping""#))
        connection.channel.pipeline.fireUserInboundEventTriggered(DrainEvent())
        // Within the grace period requests are still taken.
        connection.advance(.milliseconds(100))
        try connection.send(Self.request(3, #""op":"ping""#))
        connection.advance(.milliseconds(100))
        #expect(connection.channel.isActive)
        connection.advance(.milliseconds(300))
        connection.advance(.milliseconds(500))
        #expect(connection.channel.isActive)
        connection.advance(.milliseconds(500))
        #expect(try connection.answers().map { $0["id"] } == [.int(1), .int(2), .int(3)])
        #expect(!connection.channel.isActive)
    }

    @Test func aLineMustArriveWholeWithinItsDeadlineAndTricklingIsNotActivity() throws {
        var limits = ConnectionLimits()
        limits.idleTimeout = .seconds(1)
        limits.lineTimeout = .seconds(10)
        // A byte every 100 ms does not keep a connection open past the idle timeout.
        let trickling = try Connection(worker: try SlowWorker(delay: .zero), limits: limits)
        for _ in 0..<9 {
            try trickling.send("{")
            trickling.advance(.milliseconds(100))
        }
        #expect(trickling.channel.isActive)
        try trickling.send("{")
        trickling.advance(.milliseconds(100))
        #expect(!trickling.channel.isActive)

        // A line that takes longer than its deadline is answered, then the connection closed.
        limits.idleTimeout = .seconds(300)
        let slow = try Connection(worker: try SlowWorker(delay: .zero), limits: limits)
        try slow.send(Self.request(1, #""op":"ping""#) + #"{"op":"pi"#)
        slow.advance(.seconds(9))
        #expect(try slow.answers().map { $0["id"] } == [.int(1)])
        #expect(slow.channel.isActive)
        slow.advance(.seconds(1))
        #expect(try slow.answers().map { $0["error"]?["code"] } == [.string("line_timeout")])
        #expect(!slow.channel.isActive)
    }

    @Test func aLastRequestWithoutNewlineIsAnsweredOnHalfClose() throws {
        let connection = try Connection(worker: try SlowWorker(delay: .zero))
        try connection.send(Self.request(1, #""op":"ping""#) + #"{"id":2,"op":"ping"}"#)
        connection.channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        #expect(try connection.answers().map { $0["id"] } == [.int(1), .int(2)])
        #expect(!connection.channel.isActive)
    }

    @Test func connectionsOverTheLimitAreToldAndClosed() throws {
        let tracker = ConnectionTracker(maximumConnections: 1)
        let first = try Connection(worker: try SlowWorker(delay: .zero), tracker: tracker)
        let second = try Connection(worker: try SlowWorker(delay: .zero), tracker: tracker)
        let refusal = try second.answers()
        #expect(refusal.count == 1 && refusal[0]["error"]?["code"] == .string("too_many_connections"))
        #expect(refusal.first?["error"]?["message"]?.stringValue?.contains("at most 1 connection") == true)
        #expect(!second.channel.isActive)
        try first.send(Self.request(1, #""op":"ping""#))
        #expect(try first.answers().map { $0["ok"] } == [.bool(true)])
        // Once the first has gone, a new one is served.
        _ = try first.channel.finish()
        let third = try Connection(worker: try SlowWorker(delay: .zero), tracker: tracker)
        try third.send(Self.request(3, #""op":"ping""#))
        #expect(try third.answers().map { $0["id"] } == [.int(3)])
    }
}
