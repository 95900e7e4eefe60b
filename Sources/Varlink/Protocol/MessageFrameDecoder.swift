import Foundation
import NIOCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A message longer than the connection allows.
struct MessageTooLarge: Error, CustomStringConvertible {
    var limit: Int
    var description: String { "a message exceeded the limit of \(limit) bytes" }
}

/// Splits a byte stream into Varlink messages: JSON texts each terminated by
/// a NUL byte. Emits each message without its NUL, as `Data`.
///
/// A message longer than `maxMessageBytes` is an error: the stream cannot be
/// resynchronised, so the connection must be closed.
struct MessageFrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = Data

    let maxMessageBytes: Int
    /// How far the current partial message has been searched for its NUL, so
    /// that a message arriving in many reads is scanned once.
    private var scanned = 0

    init(maxMessageBytes: Int) {
        self.maxMessageBytes = maxMessageBytes
    }

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        let found: Int? = buffer.withUnsafeReadableBytes { bytes in
            guard bytes.count > scanned, let base = bytes.baseAddress else { return nil }
            guard let hit = memchr(base + scanned, 0, bytes.count - scanned) else { return nil }
            return base.distance(to: UnsafeRawPointer(hit))
        }
        guard let length = found else {
            scanned = buffer.readableBytes
            if scanned > maxMessageBytes { throw MessageTooLarge(limit: maxMessageBytes) }
            return .needMoreData
        }
        scanned = 0
        if length > maxMessageBytes { throw MessageTooLarge(limit: maxMessageBytes) }
        let message = buffer.withUnsafeReadableBytes { bytes in
            Data(bytes: bytes.baseAddress!, count: length)
        }
        buffer.moveReaderIndex(forwardBy: length + 1)
        context.fireChannelRead(Self.wrapInboundOut(message))
        return .continue
    }

    mutating func decodeLast(
        context: ChannelHandlerContext,
        buffer: inout ByteBuffer,
        seenEOF: Bool
    ) throws -> DecodingState {
        // A trailing partial message without its NUL is dropped.
        while try decode(context: context, buffer: &buffer) == .continue {}
        return .needMoreData
    }
}
