import Foundation
import NIOCore

/// Hands each message the frame decoder splits off to its connection on the
/// event loop: a call answered at once with nothing ahead of it is answered
/// there, with no task and no hop (`Connection.read`); everything else goes
/// on to the connection's reading task.
final class CallReader: ChannelInboundHandler {
    typealias InboundIn = Data
    typealias InboundOut = Connection.Inbound

    private let connection: Connection

    init(connection: Connection) {
        self.connection = connection
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let inbound = connection.read(unwrapInboundIn(data)) else { return }
        connection.replies.messageForwarded()
        context.fireChannelRead(wrapInboundOut(inbound))
    }
}
