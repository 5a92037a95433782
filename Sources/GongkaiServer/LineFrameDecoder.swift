import NIOCore

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
    /// Bytes already known to hold no newline, so a long line is not rescanned on every read.
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
        guard let newline = view.dropFirst(searchedUpTo).firstIndex(of: UInt8(ascii: "\n")) else {
            searchedUpTo = view.count
            if view.count > maximumLength { overflow(context: context, buffer: &buffer) }
            return .needMoreData
        }
        searchedUpTo = 0
        let length = newline - view.startIndex
        guard length <= maximumLength else {
            overflow(context: context, buffer: &buffer)
            return .needMoreData
        }
        var line = buffer.readSlice(length: length)!
        buffer.moveReaderIndex(forwardBy: 1)
        if line.readableBytesView.last == UInt8(ascii: "\r") { line.moveWriterIndex(to: line.writerIndex - 1) }
        context.fireChannelRead(wrapInboundOut(.line(line)))
        return .continue
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        // Complete lines before a half-close are answered; half a line then a hang-up is not a request.
        while try decode(context: context, buffer: &buffer) == .continue {}
        buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
        return .needMoreData
    }

    private mutating func overflow(context: ChannelHandlerContext, buffer: inout ByteBuffer) {
        overflowed = true
        buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
        context.fireChannelRead(wrapInboundOut(.tooLong))
    }
}
