import NIOCore

/// Closes a connection that has sent nothing for the idle timeout and has
/// no call in flight. A connection with a streaming (`more`) call open is
/// not idle, however long the stream is quiet.
final class IdleConnectionCloser: ChannelInboundHandler {
    typealias InboundIn = NIOAny

    private let replies: ReplyQueue

    init(replies: ReplyQueue) {
        self.replies = replies
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let idle = event as? IdleStateHandler.IdleStateEvent, idle == .read {
            if replies.isIdle {
                // The last reply may have been queued to this event loop just
                // before the call left flight: close after it is written.
                let channel = context.channel
                context.eventLoop.execute { channel.close(promise: nil) }
            }
            return
        }
        context.fireUserInboundEventTriggered(event)
    }
}
