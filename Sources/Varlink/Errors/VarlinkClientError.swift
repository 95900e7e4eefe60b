/// Why a `VarlinkClient` call did not produce a reply.
public enum VarlinkClientError: Error, Sendable, Hashable {
    /// The socket at `path` could not be connected to; `reason` is the system's
    /// description, e.g. "No such file or directory" or "Permission denied".
    case connect(path: String, reason: String)
    /// The service answered with an error.
    case remote(VarlinkError)
    /// The service sent something that is not a Varlink reply, or a reply that
    /// does not match the calls made; the connection has been closed.
    case protocolViolation(String)
    /// The reply's parameters could not be decoded as the expected type.
    case invalidReply(method: String, reason: String)
    /// The call's parameters could not be encoded.
    case invalidCall(method: String, reason: String)
    /// The connection was closed before the reply arrived.
    case closed
}

extension VarlinkClientError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .connect(let path, let reason):
            return "cannot connect to \(path): \(reason)"
        case .remote(let error):
            return error.description
        case .protocolViolation(let what):
            return "Varlink protocol violation: \(what)"
        case .invalidReply(let method, let reason):
            return "unexpected reply to \(method): \(reason)"
        case .invalidCall(let method, let reason):
            return "cannot encode the parameters of \(method): \(reason)"
        case .closed:
            return "the connection was closed"
        }
    }
}
