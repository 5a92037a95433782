import Glibc
import NIOConcurrencyHelpers
import NIOCore

/// A unit read off a connection: a whole request line, or input refused before it became one
/// (a line over the length limit, or one the daemon has no room to hold). A refusal is answered
/// with its error, then the connection is closed.
enum InboundLine: Equatable {
    case line(ByteBuffer)
    case refused(ProtocolError)
}

/// Fired when the first bytes of a line arrive and the line is not complete yet, so that the
/// connection can give the whole line a deadline.
struct LineBegun: Equatable {}

/// Bytes of unfinished lines held by all connections together. Each connection may hold a small
/// unfinished line of its own; beyond that it draws on this shared budget, so that many clients
/// trickling long unfinished lines cost the daemon a bounded amount of memory, not a megabyte each.
final class UnfinishedInputBudget: Sendable {
    /// What a connection holds without drawing on the budget: any real request fits.
    static let freePerConnection = 64 << 10

    let capacity: Int
    private let used = NIOLockedValueBox(0)

    init(capacity: Int) {
        self.capacity = capacity
    }

    /// No limit (tests of the framing alone).
    static var unlimited: UnfinishedInputBudget { UnfinishedInputBudget(capacity: .max) }

    var inUse: Int { used.withLockedValue { $0 } }

    /// Changes a holder's share from `held` to `wanted` bytes; false (and nothing changed) when
    /// growing it would go over the capacity.
    func resize(from held: Int, to wanted: Int) -> Bool {
        used.withLockedValue { used in
            if wanted > held, used - held + wanted > capacity { return false }
            used += wanted - held
            return true
        }
    }
}

/// Splits the byte stream at '\n' (a '\r' before it is dropped). A line longer than the limit, or
/// an unfinished line the shared budget has no room for, is refused once; its remaining bytes are
/// skipped up to the next newline (the connection closes after answering the refusal anyway).
/// At the end of input, a last line without its newline is still a line.
struct LineFrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = InboundLine

    let maximumLength: Int
    let budget: UnfinishedInputBudget
    /// Skipping the rest of a refused line.
    private var skipping = false
    /// Bytes already known to hold no newline, so a long line is not rescanned on every read.
    private var searchedUpTo = 0
    /// Whether `LineBegun` was fired for the unfinished line.
    private var announced = false
    /// This connection's share of the shared budget.
    private var drawn = 0

    init(maximumLength: Int, budget: UnfinishedInputBudget = .unlimited) {
        self.maximumLength = maximumLength
        self.budget = budget
    }

    static func tooLong(_ maximumLength: Int) -> ProtocolError {
        ProtocolError("line_too_long", "request line longer than \(maximumLength) bytes; closing the connection")
    }

    static let overloaded = ProtocolError(
        "overloaded", "the daemon holds too much unfinished input from other connections to take a line this long now; closing the connection")

    /// Where the next newline is, counted from the reader index, looking only past the bytes
    /// already searched (memchr: a byte loop is slow over megabyte lines).
    private func newlineOffset(in buffer: ByteBuffer) -> Int? {
        buffer.withUnsafeReadableBytes { bytes in
            guard bytes.count > searchedUpTo, let base = bytes.baseAddress,
                  let found = memchr(base + searchedUpTo, Int32(UInt8(ascii: "\n")), bytes.count - searchedUpTo) else { return nil }
            return UnsafeRawPointer(found) - base
        }
    }

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        let unfinished = buffer.readableBytes
        let newline = newlineOffset(in: buffer)
        if skipping {
            guard let newline else {
                buffer.moveReaderIndex(forwardBy: unfinished)
                return .needMoreData
            }
            buffer.moveReaderIndex(forwardBy: newline + 1)
            skipping = false
            return .continue
        }
        guard let length = newline else {
            searchedUpTo = unfinished
            if unfinished > maximumLength {
                refuse(Self.tooLong(maximumLength), context: context, buffer: &buffer)
                return .needMoreData
            }
            let wanted = max(0, unfinished - UnfinishedInputBudget.freePerConnection)
            guard budget.resize(from: drawn, to: wanted) else {
                refuse(Self.overloaded, context: context, buffer: &buffer)
                return .needMoreData
            }
            drawn = wanted
            if !announced {
                announced = true
                context.fireUserInboundEventTriggered(LineBegun())
            }
            return .needMoreData
        }
        lineEnded()
        guard length <= maximumLength else {
            refuse(Self.tooLong(maximumLength), context: context, buffer: &buffer)
            return .continue
        }
        var line = buffer.readSlice(length: length)!
        buffer.moveReaderIndex(forwardBy: 1)
        if line.readableBytesView.last == UInt8(ascii: "\r") { line.moveWriterIndex(to: line.writerIndex - 1) }
        context.fireChannelRead(wrapInboundOut(.line(line)))
        return .continue
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        // Whole lines first; then what is left is the last line, sent without its newline.
        while try decode(context: context, buffer: &buffer) == .continue {}
        if !skipping && buffer.readableBytes > 0 {
            var line = buffer.readSlice(length: buffer.readableBytes)!
            if line.readableBytesView.last == UInt8(ascii: "\r") { line.moveWriterIndex(to: line.writerIndex - 1) }
            context.fireChannelRead(wrapInboundOut(.line(line)))
        }
        buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
        lineEnded()
        return .needMoreData
    }

    mutating func decoderRemoved(context: ChannelHandlerContext) {
        lineEnded()
    }

    private mutating func lineEnded() {
        searchedUpTo = 0
        announced = false
        if drawn > 0 {
            _ = budget.resize(from: drawn, to: 0)
            drawn = 0
        }
    }

    /// Reports the line and skips it: what was read of it now, the rest up to its newline later.
    private mutating func refuse(_ error: ProtocolError, context: ChannelHandlerContext, buffer: inout ByteBuffer) {
        if let newline = newlineOffset(in: buffer) {
            buffer.moveReaderIndex(forwardBy: newline + 1)
        } else {
            buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
            skipping = true
        }
        lineEnded()
        context.fireChannelRead(wrapInboundOut(.refused(error)))
    }
}
