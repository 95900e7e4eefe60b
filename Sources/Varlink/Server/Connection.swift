import Foundation
import Logging
import NIOCore
import Synchronization

/// One client connection of a `VarlinkServer`: reads calls, hands each to
/// its interface, and closes when the client is done, breaks the protocol,
/// or the server shuts down.
///
/// A call with nothing ahead of it is answered or started on the event loop
/// that read it (`read`); any other goes to the connection's reading task
/// (`serve`), which admits it in turn and runs it in a task of its own, or
/// answers it at once itself.
final class Connection: Sendable {
    let channel: any Channel
    let peer: VarlinkPeer
    let replies: ReplyQueue
    private let interfaces: InterfaceTable
    private let logger: Logger
    private let internalErrorName: String
    private let shape: MessageShape
    private let writeGracePeriod: Duration
    private let encoder = JSONEncoder()
    private let decoder = JSONDecoder()
    private let isShuttingDown = Atomic<Bool>(false)
    /// The server admitted the connection (within its limits) and serves it;
    /// until then the event loop answers nothing itself.
    private let isServing = Atomic<Bool>(false)

    init(
        channel: any Channel,
        peer: VarlinkPeer,
        interfaces: InterfaceTable,
        configuration: VarlinkServer.Configuration,
        logger: Logger
    ) {
        self.channel = channel
        self.peer = peer
        self.replies = ReplyQueue(
            channel: channel, maxInFlight: configuration.maxInFlightPerConnection,
            maxUnsentBytes: configuration.maxUnsentReplyBytesPerConnection)
        self.interfaces = interfaces
        self.internalErrorName = configuration.internalErrorName
        self.writeGracePeriod = configuration.shutdownGracePeriod
        self.shape = MessageShape(maxDepth: configuration.maxNestingDepth, maxStringBytes: configuration.maxStringBytes)
        var logger = logger
        logger[metadataKey: "varlink.peer.uid"] = "\(peer.uid)"
        logger[metadataKey: "varlink.peer.pid"] = "\(peer.pid)"
        self.logger = logger
    }

    /// The connection ended; thrown to end its task group.
    private struct Ended: Error {}

    /// What the event loop passes on to the connection's reading task.
    enum Inbound: Sendable {
        /// A call within the message limits that the plain reader read.
        case call(VarlinkCall)
        /// Any other message: the reading task decodes or refuses it.
        case message(Data)
    }

    /// Reads one message on the event loop. When nothing is ahead of a call
    /// on the connection (no call in flight or waiting, no reply on its way
    /// out), its interface answers it at once here and now, or starts it to
    /// finish later without a task (nil). Anything else is what to pass on
    /// to the reading task.
    func read(_ message: Data) -> Inbound? {
        guard let plain = message.withUnsafeBytes({ shape.check($0) == nil ? PlainCall.read($0) : nil }) else {
            return .message(message)
        }
        let call = VarlinkCall(header: plain.header, message: message, decoder: decoder, plainParameters: plain.parameters)
        guard !call.more, !call.oneway, !call.upgrade, isServing.load(ordering: .acquiring),
            !isShuttingDown.load(ordering: .relaxed), let interface = interfaces.interface(for: call.method), replies.beginImmediate()
        else { return .call(call) }
        if let answer = interface.answerAtOnce(call, peer: peer) {
            replies.finishImmediate(reply(call, { answer }))
            return nil
        }
        // The call takes its slot once started. Whatever finishes it runs on
        // this event loop, so after this returns, with the slot known.
        let slot = Atomic<Int>(-1)
        let finish = VarlinkFinish { [self] answer in
            channel.eventLoop.execute {
                self.replies.finishStarted(slot: slot.load(ordering: .relaxed), reply: self.reply(call, answer))
            }
        }
        guard interface.start(call, peer: peer, finish: finish) else {
            replies.finishImmediate(nil)
            return .call(call)
        }
        slot.store(replies.slotForStarted(), ordering: .relaxed)
        return nil
    }

    /// The final reply `answer` makes to `call`, encoded: its parameters or
    /// error, or an internal error (logged) if it throws anything else or
    /// cannot be encoded.
    private func reply(_ call: VarlinkCall, _ answer: () throws -> VarlinkAnswer) -> ByteBuffer? {
        do {
            return try VarlinkReplyWriter.message(answer: try answer(), encoder: encoder)
        } catch let error as VarlinkError {
            return try? VarlinkReplyWriter.message(error: error, encoder: encoder)
        } catch {
            logger.error("Varlink method failed", metadata: ["method": "\(call.method)", "error": "\(error)"])
            return try? VarlinkReplyWriter.message(error: VarlinkError(name: internalErrorName), encoder: encoder)
        }
    }

    /// Serves the connection until it closes.
    func serve(_ asyncChannel: NIOAsyncChannel<Inbound, Never>) async {
        logger.debug("Varlink connection opened")
        isServing.store(true, ordering: .releasing)
        defer {
            replies.close()
            logger.debug("Varlink connection closed")
        }
        do {
            try await asyncChannel.executeThenClose { inbound in
                try await withThrowingDiscardingTaskGroup { group in
                    let channel = self.channel
                    group.addTask {
                        // The client hung up: cancel whatever is still running for it.
                        // (Waits on a promise of its own, which cancellation can complete.)
                        let closed = channel.eventLoop.makePromise(of: Void.self)
                        channel.closeFuture.cascade(to: closed)
                        await withTaskCancellationHandler {
                            try? await closed.futureResult.get()
                        } onCancel: {
                            closed.succeed()
                        }
                        throw Ended()
                    }
                    do {
                        var drain = ReplyQueue.Drain.answerAll
                        reading: for try await message in inbound {
                            if isShuttingDown.load(ordering: .relaxed) { break }
                            switch await receive(message) {
                            case .call(let call, let slot, let answer):
                                replies.messageTakenIn()
                                if let answer {
                                    await perform(call, slot: slot, answer: answer)
                                } else {
                                    group.addTask { await self.perform(call, slot: slot) }
                                }
                            case .answered:
                                replies.messageTakenIn()
                            case .stop:
                                drain = .finishShortCalls
                                break reading
                            }
                        }
                        logger.trace("Varlink connection stopped reading", metadata: ["drain": "\(drain)"])
                        replies.beginDrain(drain)
                    } catch {
                        logger.notice(
                            "Closing Varlink connection that broke framing",
                            metadata: ["error": "\(error)"]
                        )
                        replies.beginDrain(.finishShortCalls)
                    }
                    let drain = await replies.waitForDrain()
                    logger.trace("Varlink connection drained", metadata: ["drain": "\(drain)"])
                    // Closing discards writes still queued: let the last replies reach the client.
                    await replies.waitUntilWritten(limit: writeGracePeriod)
                    throw Ended()
                }
            }
        } catch is Ended {
        } catch {
            logger.debug("Varlink connection failed", metadata: ["error": "\(error)"])
        }
    }

    /// Stops reading calls; lets running calls other than `more` streams
    /// finish, cancels the streams, then closes.
    func shutdown() {
        logger.trace("Varlink connection shutting down")
        isShuttingDown.store(true, ordering: .relaxed)
        replies.beginDrain(.finishShortCalls)
        channel.close(mode: .input, promise: nil)
    }

    private enum Received {
        /// A call to hand to its interface, or to answer as it was at once.
        case call(VarlinkCall, slot: Int?, answer: VarlinkAnswer?)
        /// A call the reader answered itself.
        case answered
        /// Not a Varlink call: stop reading and close.
        case stop
    }

    /// Admits one call, or decodes a message the event loop passed on as it
    /// was and admits or refuses it.
    private func receive(_ inbound: Inbound) async -> Received {
        let call: VarlinkCall
        switch inbound {
        case .call(let read):
            call = read
        case .message(let message):
            switch await decode(message) {
            case .call(let decoded): call = decoded
            case .refused(let received): return received
            }
        }
        if call.upgrade {
            // An upgrade would hand the socket to the interface, which this server does not do.
            await replyFromReader(.invalidParameter("upgrade"))
            return .answered
        }
        if call.oneway && call.more {
            await replyFromReader(.invalidParameter("more"))
            return .answered
        }
        switch await replies.admit(expectsReply: !call.oneway, isShort: !call.more) {
        case .admitted(let slot):
            // Answered at once only now that the calls before it are done.
            let answer = call.more ? nil : interfaces.interface(for: call.method)?.answerAtOnce(call, peer: peer)
            return .call(call, slot: slot, answer: answer)
        case .cancelled:
            return .stop
        }
    }

    private enum Decoded {
        case call(VarlinkCall)
        case refused(Received)
    }

    /// Decodes a message outside the plain reader's subset or limits with
    /// `JSONDecoder`, refusing what is not a call.
    private func decode(_ message: Data) async -> Decoded {
        switch message.withUnsafeBytes({ shape.check($0) }) {
        case nil:
            break
        case .tooDeep:
            logger.notice(
                "Closing Varlink connection that sent JSON nested deeper than \(shape.maxDepth) levels",
                metadata: ["limit": "maxNestingDepth"])
            return .refused(.stop)
        case .stringTooLong(let field):
            logger.notice(
                "Refusing a Varlink call with a string longer than \(shape.maxStringBytes) bytes",
                metadata: ["limit": "maxStringBytes", "field": "\(field)"])
            // Answered unless it is a oneway call (then dropped, as a call that fails would be).
            if (try? decoder.decode(CallHeader.self, from: message))?.oneway != true {
                await replyFromReader(.invalidParameter(field))
            }
            return .refused(.answered)
        }
        let header: CallHeader
        do {
            header = try decoder.decode(CallHeader.self, from: message)
        } catch let error as DecodingError {
            switch error {
            case .dataCorrupted:
                logger.notice("Closing Varlink connection that sent invalid JSON")
            case .typeMismatch(_, let context) where context.codingPath.isEmpty:
                logger.notice("Closing Varlink connection that sent a message that is not an object")
            default:
                let field = error.parameterPath(inEnvelope: false)
                logger.notice("Closing Varlink connection that sent a malformed call", metadata: ["field": "\(field)"])
                await replyFromReader(.invalidParameter(field))
            }
            return .refused(.stop)
        } catch {
            return .refused(.stop)
        }
        return .call(VarlinkCall(header: header, message: message, decoder: decoder))
    }

    /// Answers, in order, a call that the reader rejected itself.
    private func replyFromReader(_ error: VarlinkError) async {
        guard case .admitted(let slot?) = await replies.admit(expectsReply: true, isShort: true) else { return }
        let writer = VarlinkReplyWriter(destination: .connection(replies, slot: slot), more: false, encoder: encoder)
        try? await writer.send(error)
        replies.abandon(slot: slot)
        replies.shortCallReturned()
    }

    /// Runs one call's handler, or sends the answer it had at once, and
    /// makes sure the call is answered.
    private func perform(_ call: VarlinkCall, slot: Int?, answer: VarlinkAnswer? = nil) async {
        defer {
            if let slot {
                replies.abandon(slot: slot)
            } else {
                replies.onewayCompleted()
            }
            if !call.more { replies.shortCallReturned() }
        }
        let destination: VarlinkReplyWriter.Destination = slot.map { .connection(replies, slot: $0) } ?? .discard
        let writer = VarlinkReplyWriter(destination: destination, more: call.more, encoder: encoder)
        do {
            if let answer {
                try await writer.send(answer)
                return
            }
            guard let interface = interfaces.interface(for: call.method) else {
                let name = call.interface
                throw name.isEmpty ? VarlinkError.methodNotFound(call.method) : .interfaceNotFound(String(name))
            }
            try await interface.handle(call, peer: peer, replies: writer)
            if writer.isOpen {
                try await writer.send(EmptyParameters())
            }
        } catch let error as VarlinkError {
            await reply(error, to: call, writer: writer)
        } catch is CancellationError {
            // The connection is closing; the slot is abandoned below.
        } catch VarlinkReplyError.connectionClosed {
        } catch {
            logger.error(
                "Varlink method failed",
                metadata: ["method": "\(call.method)", "error": "\(error)"]
            )
            await reply(VarlinkError(name: internalErrorName), to: call, writer: writer)
        }
    }

    private func reply(_ error: VarlinkError, to call: VarlinkCall, writer: VarlinkReplyWriter) async {
        guard writer.isOpen else {
            if !call.oneway {
                logger.error(
                    "Varlink method threw after its last reply",
                    metadata: ["method": "\(call.method)", "error": "\(error)"]
                )
            }
            return
        }
        try? await writer.send(error)
    }
}

/// The interfaces a server dispatches to, found by a method's interface part.
struct InterfaceTable: Sendable {
    private let entries: [(name: String, interface: any VarlinkInterface)]

    init(_ interfaces: [any VarlinkInterface]) {
        self.entries = interfaces.map { ($0.name, $0) }
    }

    /// The interface of `method` (the name up to its last dot), if served.
    func interface(for method: String) -> (any VarlinkInterface)? {
        let utf8 = method.utf8
        guard let dot = utf8.lastIndex(of: UInt8(ascii: ".")) else { return nil }
        let length = utf8.distance(from: utf8.startIndex, to: dot)
        for entry in entries where entry.name.utf8.count == length {
            if utf8[..<dot].elementsEqual(entry.name.utf8) { return entry.interface }
        }
        return nil
    }
}
