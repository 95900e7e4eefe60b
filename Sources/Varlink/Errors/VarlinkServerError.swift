/// Why a `VarlinkServer` could not start serving.
public enum VarlinkServerError: Error, Sendable, Hashable {
    /// The socket could not be set up at `path`.
    case listen(path: String, reason: String)
    /// The socket handed over by the service manager could not be used.
    case adopt(fd: Int32, reason: String)
    /// Two interfaces have the same name (or one is named `org.varlink.service`).
    case duplicateInterface(String)
}

extension VarlinkServerError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .listen(let path, let reason):
            return "cannot listen on \(path): \(reason)"
        case .adopt(let fd, let reason):
            return "cannot serve on the inherited socket (fd \(fd)): \(reason)"
        case .duplicateInterface(let name):
            return "the interface \(name) is served twice"
        }
    }
}
