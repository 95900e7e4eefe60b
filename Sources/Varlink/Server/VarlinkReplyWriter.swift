import Foundation
import NIOCore
import Synchronization

/// Sends the replies to one call, in order with the connection's other
/// replies.
///
/// A call without `more` gets exactly one reply; a `more` call gets any
/// number with `continues: true` and a last one without. Replies to a
/// `oneway` call are discarded. A handler that returns without sending its
/// last reply gets an empty one (`{}`) sent for it.
public struct VarlinkReplyWriter: Sendable {
    enum Destination: Sendable {
        case connection(ReplyQueue, slot: Int)
        case discard
        case capture(VarlinkReplyCapture)
    }

    let destination: Destination
    let more: Bool
    let encoder: JSONEncoder

    init(destination: Destination, more: Bool, encoder: JSONEncoder) {
        self.destination = destination
        self.more = more
        self.encoder = encoder
    }

    /// A writer that records replies in `capture` instead of sending them;
    /// for testing an interface without a socket.
    public init(capturingInto capture: VarlinkReplyCapture, for call: VarlinkCall) {
        self.init(destination: call.oneway ? .discard : .capture(capture), more: call.more, encoder: JSONEncoder())
    }

    /// Sends a reply with `parameters` (which must encode as a JSON object).
    ///
    /// - Parameter continues: more replies follow; only for a `more` call.
    /// - Throws: `VarlinkReplyError`; when the connection is gone, a handler
    ///   streaming replies should stop.
    public func send<T: Encodable & Sendable>(_ parameters: T, continues: Bool = false) async throws {
        if continues && !more { throw VarlinkReplyError.continuesWithoutMore }
        switch destination {
        case .discard:
            return
        case .capture(let capture):
            try capture.record(.success(JSONValue(encoding: parameters)), continues: continues)
        case .connection(let queue, let slot):
            try await Self.send(
                Self.message(parameters: parameters, continues: continues, encoder: encoder), to: queue, slot: slot,
                final: !continues)
        }
    }

    /// Sends a reply whose parameters are the JSON object `json` holds, written
    /// by hand where `JSONEncoder` would cost too much.
    ///
    /// - Parameter continues: more replies follow; only for a `more` call.
    public func send(json: JSONWriter, continues: Bool = false) async throws {
        if continues && !more { throw VarlinkReplyError.continuesWithoutMore }
        switch destination {
        case .discard:
            return
        case .capture(let capture):
            let parameters: JSONValue
            do {
                parameters = try JSONDecoder().decode(JSONValue.self, from: Data(json.bytes))
            } catch {
                throw VarlinkReplyError.encoding(String(describing: error))
            }
            try capture.record(.success(parameters), continues: continues)
        case .connection(let queue, let slot):
            try await Self.send(Self.message(json: json, continues: continues), to: queue, slot: slot, final: !continues)
        }
    }

    /// Sends an error as the last reply.
    func send(_ error: VarlinkError) async throws {
        switch destination {
        case .discard:
            return
        case .capture(let capture):
            try capture.record(.failure(error), continues: false)
        case .connection(let queue, let slot):
            try await Self.send(Self.message(error: error, encoder: encoder), to: queue, slot: slot, final: true)
        }
    }

    /// Sends a call's answer as its last reply.
    public func send(_ answer: VarlinkAnswer) async throws {
        switch answer {
        case .parameters(let parameters): try await send(parameters)
        case .json(let json): try await send(json: json)
        case .error(let error): try await send(error)
        }
    }

    /// Whether the call still awaits its last reply.
    var isOpen: Bool {
        switch destination {
        case .discard: return false
        case .capture(let capture): return !capture.isFinished
        case .connection(let queue, let slot): return queue.isOpen(slot: slot)
        }
    }

    private static func send(_ message: ByteBuffer, to queue: ReplyQueue, slot: Int, final: Bool) async throws {
        do {
            try await queue.send(message, slot: slot, final: final)
        } catch .connectionClosed {
            throw VarlinkReplyError.connectionClosed
        } catch .alreadyFinished {
            throw VarlinkReplyError.alreadyReplied
        }
    }

    // MARK: Messages

    /// A reply with `parameters`, framed (NUL-terminated).
    static func message(
        parameters: some Encodable, continues: Bool, encoder: JSONEncoder
    ) throws(VarlinkReplyError) -> ByteBuffer {
        do {
            return frame(try encoder.encode(ReplyEnvelope(parameters: parameters, continues: continues ? true : nil)))
        } catch {
            throw .encoding(String(describing: error))
        }
    }

    /// A reply whose parameters are the object `json` holds, framed.
    static func message(json: JSONWriter, continues: Bool) -> ByteBuffer {
        let head = #"{"parameters":"#.utf8
        let tail = continues ? #","continues":true}"#.utf8 : "}".utf8
        var message = ByteBuffer()
        message.reserveCapacity(head.count + json.bytes.count + tail.count + 1)
        message.writeBytes(head)
        message.writeBytes(json.bytes)
        message.writeBytes(tail)
        message.writeInteger(UInt8(0))
        return message
    }

    /// An error reply, framed.
    static func message(error: VarlinkError, encoder: JSONEncoder) throws(VarlinkReplyError) -> ByteBuffer {
        do {
            return frame(try encoder.encode(ErrorEnvelope(error: error.name, parameters: error.parameters)))
        } catch {
            throw .encoding(String(describing: error))
        }
    }

    /// The last reply `answer` makes, framed.
    static func message(answer: VarlinkAnswer, encoder: JSONEncoder) throws(VarlinkReplyError) -> ByteBuffer {
        switch answer {
        case .parameters(let parameters): try message(parameters: parameters, continues: false, encoder: encoder)
        case .json(let json): message(json: json, continues: false)
        case .error(let error): try message(error: error, encoder: encoder)
        }
    }

    /// The message followed by its NUL terminator.
    static func frame(_ json: Data) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(json.count + 1)
        buffer.writeBytes(json)
        buffer.writeInteger(UInt8(0))
        return buffer
    }
}

/// Why a reply could not be sent.
public enum VarlinkReplyError: Error, Sendable, Hashable {
    /// The client disconnected (or the server is closing the connection).
    case connectionClosed
    /// The call's last reply was already sent.
    case alreadyReplied
    /// `continues: true` was sent for a call made without `more`.
    case continuesWithoutMore
    /// The parameters could not be encoded as JSON.
    case encoding(String)
}

/// The replies a handler sent through a capturing `VarlinkReplyWriter`.
public final class VarlinkReplyCapture: Sendable {
    /// One reply: its parameters or error, and whether more follow.
    public struct Reply: Sendable, Hashable {
        public var result: Result<JSONValue, VarlinkError>
        public var continues: Bool
    }

    private let state = Mutex<[Reply]>([])

    public init() {}

    /// The replies so far, in order.
    public var replies: [Reply] { state.withLock { $0 } }

    var isFinished: Bool { state.withLock { $0.last.map { !$0.continues } ?? false } }

    func record(_ result: Result<JSONValue, VarlinkError>, continues: Bool) throws {
        try state.withLock { replies in
            if let last = replies.last, !last.continues { throw VarlinkReplyError.alreadyReplied }
            replies.append(Reply(result: result, continues: continues))
        }
    }
}
