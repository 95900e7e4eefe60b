import Logging
import NIOCore

/// Closes a connection whose client starts a message and does not finish it
/// within the timeout, so that a half-sent message cannot hold a connection
/// (and its buffered bytes) open for ever.
///
/// Sits in front of the frame decoder and only looks for NUL terminators.
/// The clock runs while the server is ready to read: if reading is paused
/// (the client has not read its replies), the deadline moves on.
final class MessageTimeoutHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = NIOAny
    typealias OutboundOut = NIOAny

    private let timeout: TimeAmount
    private let logger: Logger
    /// Fires when the unfinished message's time is up.
    private var timer: Scheduled<Void>?
    /// The server asked for more bytes and has not had them yet.
    private var isReading = false

    init(timeout: TimeAmount, logger: Logger) {
        self.timeout = timeout
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        let bytes = buffer.readableBytesView
        if let lastTerminator = bytes.lastIndex(of: 0) {
            // Every message before it is complete; any bytes after it start a new one now.
            timer?.cancel()
            timer = nil
            if lastTerminator != bytes.index(before: bytes.endIndex) { arm(context) }
        } else if timer == nil, !bytes.isEmpty {
            arm(context)
        }
        context.fireChannelRead(data)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        isReading = false
        context.fireChannelReadComplete()
    }

    func read(context: ChannelHandlerContext) {
        isReading = true
        context.read()
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
    }

    private func arm(_ context: ChannelHandlerContext) {
        timer?.cancel()
        let bound = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(in: timeout) {
            bound.value.handler.expire(bound.value.context)
        }
    }

    private func expire(_ context: ChannelHandlerContext) {
        timer = nil
        guard isReading else {
            // The server is not reading: the client is waiting on us.
            arm(context)
            return
        }
        logger.notice("Closing Varlink connection that left a message unfinished", metadata: ["timeout": "\(timeout)"])
        context.close(promise: nil)
    }
}
