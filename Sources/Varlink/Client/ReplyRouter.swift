import Foundation
import NIOCore

/// One reply as the client received it: the whole message, and its error
/// name when it is an error reply.
struct ReceivedReply: Sendable {
    var message: Data
    var error: String?
}

/// Where the replies to one call go.
enum ReplyRecipient: Sendable {
    /// A call expecting exactly one reply.
    case single(EventLoopPromise<ReceivedReply>)
    /// A `more` call: `deliver` gets each reply, `last` set on the final one,
    /// or an error that ends the stream.
    case stream(@Sendable (_ reply: Result<ReceivedReply, VarlinkClientError>, _ last: Bool) -> Void)

    func fail(_ error: VarlinkClientError) {
        switch self {
        case .single(let promise): promise.fail(error)
        case .stream(let deliver): deliver(.failure(error), true)
        }
    }
}

/// A call on its way out: its message and who waits for its replies (nil
/// for a oneway call).
struct OutgoingCall: Sendable {
    var message: ByteBuffer
    var recipient: ReplyRecipient?
}

/// Matches a client connection's replies to its calls: the first reply (or
/// stream of replies) belongs to the oldest call still waiting.
final class ReplyRouter: ChannelDuplexHandler {
    typealias InboundIn = Data
    typealias OutboundIn = OutgoingCall
    typealias OutboundOut = ByteBuffer

    private var waiting = CircularBuffer<ReplyRecipient>(initialCapacity: 16)
    private let decoder = JSONDecoder()
    private var isClosed = false

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let call = Self.unwrapOutboundIn(data)
        if isClosed {
            call.recipient?.fail(.closed)
            promise?.succeed()
            return
        }
        if let recipient = call.recipient {
            waiting.append(recipient)
        }
        context.write(Self.wrapOutboundOut(call.message), promise: nil)
        // The call now belongs to the router, which answers it even if the
        // write fails (the connection then closes and fails every call).
        promise?.succeed()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let message = Self.unwrapInboundIn(data)
        let header: ReplyHeader
        do {
            header = try decoder.decode(ReplyHeader.self, from: message)
        } catch {
            violation("a reply that is not a JSON object", context: context)
            return
        }
        guard let recipient = waiting.first else {
            violation("a reply to no call", context: context)
            return
        }
        let reply = ReceivedReply(message: message, error: header.error)
        let continues = header.error == nil && header.continues == true
        switch recipient {
        case .single(let promise):
            guard !continues else {
                violation("a reply with continues to a call without more", context: context)
                return
            }
            waiting.removeFirst()
            promise.succeed(reply)
        case .stream(let deliver):
            if !continues { waiting.removeFirst() }
            deliver(.success(reply), !continues)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll(.closed)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let error = error as? MessageTooLarge {
            violation("a reply longer than \(error.limit) bytes", context: context)
        } else {
            failAll(.closed)
            context.close(promise: nil)
        }
    }

    private func violation(_ what: String, context: ChannelHandlerContext) {
        failAll(.protocolViolation("the service sent \(what)"))
        context.close(promise: nil)
    }

    private func failAll(_ error: VarlinkClientError) {
        isClosed = true
        while let recipient = waiting.popFirst() {
            recipient.fail(error)
        }
    }
}
