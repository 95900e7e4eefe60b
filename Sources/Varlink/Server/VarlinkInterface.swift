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

    /// Whether `method` (fully qualified) is answered at once from memory,
    /// never waiting on storage or other calls. The server then runs it on
    /// the connection's reading task instead of a task of its own; the
    /// connection reads its next call after this one is answered.
    func answersAtOnce(_ method: String) -> Bool
}

extension VarlinkInterface {
    public func answersAtOnce(_ method: String) -> Bool { false }
}
