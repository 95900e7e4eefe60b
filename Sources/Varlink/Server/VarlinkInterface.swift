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
    /// The server asks this first for every call, on the event loop that
    /// read it. When nothing else is in flight on the connection, the answer
    /// is written there and then, with no task at all; otherwise it waits
    /// its turn on the connection's reading task, which reads the next call
    /// after it. Must not block.
    func answerAtOnce(_ call: VarlinkCall, peer: VarlinkPeer) -> VarlinkAnswer?
}

extension VarlinkInterface {
    public func answerAtOnce(_ call: VarlinkCall, peer: VarlinkPeer) -> VarlinkAnswer? { nil }
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
