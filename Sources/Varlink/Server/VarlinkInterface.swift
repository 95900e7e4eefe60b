/// A Varlink interface served by a `VarlinkServer`, e.g. `io.casetrack.Tracker`.
public protocol VarlinkInterface: Sendable {
    /// The interface's fully qualified name, e.g. `io.casetrack.Tracker`.
    var name: String { get }

    /// The interface definition (IDL) text, returned verbatim by
    /// `org.varlink.service.GetInterfaceDescription`.
    var interfaceDescription: String { get }

    /// Handles one call addressed to this interface.
    ///
    /// A call without `more` gets exactly one reply; a `more` call gets replies
    /// with `continues: true` and a last one with `continues: false`. Throw a
    /// `VarlinkError` to answer with an error instead (as the last reply); an
    /// unknown method is `VarlinkError.methodNotFound(call.method)`, a method
    /// that must stream called without `more` is `.expectedMore`. Returning
    /// without a last reply sends an empty one.
    ///
    /// Calls on one connection may be handled concurrently; their replies are
    /// still sent in call order. The task is cancelled when the client
    /// disconnects, or when the server shuts down while the call streams.
    func handle(_ call: VarlinkCall, peer: VarlinkPeer, replies: VarlinkReplyWriter) async throws

    /// The whole answer to `call` (never a `more` call), when its method is
    /// answered from memory without waiting on storage or other calls; nil
    /// for a method `handle` must handle.
    ///
    /// The server asks this when the call's turn comes (the calls before it
    /// admitted, and with one call in flight per connection, answered). With
    /// nothing ahead of the call on its connection that is on the event loop
    /// that read it, which writes the answer there and then, with no task at
    /// all; otherwise on the connection's reading task, which reads the next
    /// call after this one is answered. Must not block.
    func answerAtOnce(_ call: VarlinkCall, peer: VarlinkPeer) -> VarlinkAnswer?

    /// Starts `call` without a task, when its work is done elsewhere (say by
    /// a writer thread that reports back): then `finish` is called exactly
    /// once, from any thread, and this returns true. False leaves the call to
    /// `handle`, with nothing started.
    ///
    /// The server asks this, on the event loop that read the call, only when
    /// nothing is ahead of the call on the connection and the call is
    /// neither `more` nor `oneway`. Must not block.
    func start(_ call: VarlinkCall, peer: VarlinkPeer, finish: VarlinkFinish) -> Bool
}

extension VarlinkInterface {
    public func answerAtOnce(_ call: VarlinkCall, peer: VarlinkPeer) -> VarlinkAnswer? { nil }

    public func start(_ call: VarlinkCall, peer: VarlinkPeer, finish: VarlinkFinish) -> Bool { false }
}

/// Ends a call begun by ``VarlinkInterface/start(_:peer:finish:)``.
public struct VarlinkFinish: Sendable {
    let deliver: @Sendable (@escaping @Sendable () throws -> VarlinkAnswer) -> Void

    /// Answers the call with what `answer` returns, or with the error it
    /// throws, as `handle` would: a `VarlinkError` is the reply, any other
    /// error is logged and answered as an internal error. `answer` runs on
    /// the connection's event loop, so that the thread calling this (a
    /// writer, say) hands over the work of building the reply.
    public func callAsFunction(_ answer: @escaping @Sendable () throws -> VarlinkAnswer) {
        deliver(answer)
    }
}

/// The one reply to a call answered at once.
public enum VarlinkAnswer: Sendable {
    /// A reply whose parameters `JSONEncoder` encodes (as a JSON object).
    case parameters(any Encodable & Sendable)
    /// A reply whose parameters object was written by hand.
    case json(JSONWriter)
    /// An error reply.
    case error(VarlinkError)
}
