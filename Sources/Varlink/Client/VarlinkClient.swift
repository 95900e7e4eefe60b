import Foundation
import NIOCore
import NIOPosix

/// A connection to a Varlink service on a Unix socket.
///
/// Calls may be made concurrently from many tasks: they are pipelined on the
/// one connection and each gets its own replies, matched by order. A `more`
/// call's stream holds back the replies to calls made after it until it
/// ends, so an endless stream (a watch) is best given a client of its own.
public final class VarlinkClient: Sendable {
    private let channel: any Channel
    private let encoder = JSONEncoder()
    private let decoder = JSONDecoder()

    private init(channel: any Channel) {
        self.channel = channel
    }

    deinit {
        channel.close(promise: nil)
    }

    /// Connects to the service listening at `unixPath`.
    ///
    /// - Parameter maxReplyBytes: the longest reply accepted; a longer one
    ///   is a protocol violation that closes the connection.
    /// - Throws: `VarlinkClientError.connect` with the system's reason
    ///   (no such file, permission denied, connection refused, …).
    public static func connect(
        unixPath: String,
        maxReplyBytes: Int = 64 << 20
    ) async throws(VarlinkClientError) -> VarlinkClient {
        let bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    try pipeline.addHandler(ByteToMessageHandler(MessageFrameDecoder(maxMessageBytes: maxReplyBytes)))
                    try pipeline.addHandler(ReplyRouter())
                }
            }
        do {
            let channel = try await bootstrap.connect(unixDomainSocketPath: unixPath).get()
            return VarlinkClient(channel: channel)
        } catch let error as IOError {
            throw .connect(path: unixPath, reason: UnixSocketFile.describe(error.errnoCode))
        } catch let error as SocketAddressError {
            throw .connect(path: unixPath, reason: "not a usable socket path (\(error))")
        } catch {
            throw .connect(path: unixPath, reason: "\(error)")
        }
    }

    /// Calls `method` with `parameters` and decodes the reply's parameters as `R`.
    ///
    /// - Throws: `VarlinkClientError.remote` when the service answers with an
    ///   error; other cases when the call could not be completed.
    public func call<P: Encodable & Sendable, R: Decodable & Sendable>(
        _ method: String,
        _ parameters: P,
        returning: R.Type = R.self
    ) async throws(VarlinkClientError) -> R {
        let message = try encode(method, parameters, more: false, oneway: false)
        let promise = channel.eventLoop.makePromise(of: ReceivedReply.self)
        send(OutgoingCall(message: message, recipient: .single(promise)))
        let reply: ReceivedReply
        do {
            reply = try await promise.futureResult.get()
        } catch let error as VarlinkClientError {
            throw error
        } catch {
            throw .closed
        }
        return try decode(reply, of: method, as: R.self)
    }

    /// Calls `method` without parameters and decodes the reply's parameters as `R`.
    public func call<R: Decodable & Sendable>(
        _ method: String,
        returning: R.Type = R.self
    ) async throws(VarlinkClientError) -> R {
        try await call(method, EmptyParameters(), returning: R.self)
    }

    /// Calls `method` with raw parameters (nil sends `{}`) and returns the
    /// reply's parameters as a JSON object.
    public func call(_ method: String, parameters: JSONValue?) async throws(VarlinkClientError) -> JSONValue {
        try await call(method, parameters ?? .object([:]), returning: JSONValue.self)
    }

    /// Calls `method` with `more` and yields each reply's parameters as `R`;
    /// the stream ends after the service's last reply, and throws
    /// `VarlinkClientError` for an error reply or a broken connection.
    ///
    /// Ending the iteration early does not stop the service's stream (Varlink
    /// has no cancellation short of closing the connection); its remaining
    /// replies are discarded.
    public func callMore<P: Encodable & Sendable, R: Decodable & Sendable>(
        _ method: String,
        _ parameters: P,
        returning: R.Type = R.self
    ) -> AsyncThrowingStream<R, any Error> {
        let (stream, continuation) = AsyncThrowingStream<R, any Error>.makeStream()
        let message: ByteBuffer
        do {
            message = try encode(method, parameters, more: true, oneway: false)
        } catch {
            continuation.finish(throwing: error)
            return stream
        }
        let decoder = self.decoder
        let recipient = ReplyRecipient.stream { result, last in
            switch result {
            case .success(let reply):
                do {
                    continuation.yield(try Self.decode(reply, of: method, as: R.self, decoder: decoder))
                    if last { continuation.finish() }
                } catch {
                    continuation.finish(throwing: error)
                }
            case .failure(let error):
                continuation.finish(throwing: error)
            }
        }
        send(OutgoingCall(message: message, recipient: recipient))
        return stream
    }

    /// Calls `method` with `more` and raw parameters (nil sends `{}`); yields
    /// each reply's parameters.
    public func callMore(_ method: String, parameters: JSONValue?) -> AsyncThrowingStream<JSONValue, any Error> {
        callMore(method, parameters ?? .object([:]), returning: JSONValue.self)
    }

    /// Calls `method` with `oneway`: the service sends no reply. Returns once
    /// the call is handed to the connection.
    public func callOneway<P: Encodable & Sendable>(_ method: String, _ parameters: P) async throws(VarlinkClientError)
    {
        let message = try encode(method, parameters, more: false, oneway: true)
        do {
            try await channel.writeAndFlush(OutgoingCall(message: message, recipient: nil)).get()
        } catch {
            throw .closed
        }
    }

    /// Calls `method` with `oneway` and raw parameters (nil sends `{}`).
    public func callOneway(_ method: String, parameters: JSONValue?) async throws(VarlinkClientError) {
        try await callOneway(method, parameters ?? .object([:]))
    }

    /// Closes the connection; calls still waiting fail with `.closed`.
    public func close() async {
        try? await channel.close()
    }

    // MARK: Messages

    private func send(_ call: OutgoingCall) {
        channel.writeAndFlush(call).whenFailure { _ in
            // The router never saw the call: the connection was already closed.
            call.recipient?.fail(.closed)
        }
    }

    private func encode<P: Encodable>(
        _ method: String,
        _ parameters: P,
        more: Bool,
        oneway: Bool
    ) throws(VarlinkClientError) -> ByteBuffer {
        let envelope = CallEnvelope(
            method: method, parameters: parameters, more: more ? true : nil, oneway: oneway ? true : nil)
        do {
            return VarlinkReplyWriter.frame(try encoder.encode(envelope))
        } catch {
            throw .invalidCall(method: method, reason: "\(error)")
        }
    }

    private func decode<R: Decodable>(_ reply: ReceivedReply, of method: String, as type: R.Type)
        throws(VarlinkClientError) -> R
    {
        try Self.decode(reply, of: method, as: type, decoder: decoder)
    }

    private static func decode<R: Decodable>(
        _ reply: ReceivedReply,
        of method: String,
        as type: R.Type,
        decoder: JSONDecoder
    ) throws(VarlinkClientError) -> R {
        if let name = reply.error {
            let parameters = (try? decoder.decode(ErrorEnvelope.self, from: reply.message))?.parameters ?? [:]
            throw .remote(VarlinkError(name: name, parameters: parameters))
        }
        do {
            if let parameters = try decoder.decode(ParametersEnvelope<R>.self, from: reply.message).parameters {
                return parameters
            }
            return try decoder.decode(R.self, from: JSONText.emptyObject)
        } catch let error as DecodingError {
            let path = error.parameterPath(inEnvelope: true)
            throw .invalidReply(method: method, reason: path.isEmpty ? "\(error)" : "bad value at \(path)")
        } catch {
            throw .invalidReply(method: method, reason: "\(error)")
        }
    }
}
