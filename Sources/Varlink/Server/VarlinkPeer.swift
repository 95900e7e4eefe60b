import NIOCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The process at the other end of a connection, as the kernel reported it
/// when the connection was made (`SO_PEERCRED`).
public struct VarlinkPeer: Sendable, Hashable {
    public var uid: UInt32
    public var gid: UInt32
    public var pid: Int32

    public init(uid: UInt32, gid: UInt32, pid: Int32) {
        self.uid = uid
        self.gid = gid
        self.pid = pid
    }
}

extension VarlinkPeer: CustomStringConvertible {
    public var description: String { "uid=\(uid) gid=\(gid) pid=\(pid)" }
}

/// The layout of Linux's `struct ucred`, which Glibc does not export to Swift.
private struct UnixCredentials: Sendable {
    var pid: Int32 = 0
    var uid: UInt32 = 0
    var gid: UInt32 = 0
}

/// Thrown when a connection's peer credentials cannot be read; such a
/// connection is refused, since every call needs them.
struct PeerCredentialsUnavailable: Error, CustomStringConvertible {
    var description: String { "the connection's peer credentials (SO_PEERCRED) are unavailable" }
}

extension VarlinkPeer {
    /// Reads `SO_PEERCRED` from an accepted Unix socket channel.
    static func credentials(of channel: any Channel) -> EventLoopFuture<VarlinkPeer> {
        #if os(Linux)
            guard let provider = channel as? any SocketOptionProvider else {
                return channel.eventLoop.makeFailedFuture(PeerCredentialsUnavailable())
            }
            let future: EventLoopFuture<UnixCredentials> = provider.unsafeGetSocketOption(
                level: SocketOptionLevel(SOL_SOCKET),
                name: SocketOptionName(SO_PEERCRED)
            )
            return future.map { VarlinkPeer(uid: $0.uid, gid: $0.gid, pid: $0.pid) }
        #else
            return channel.eventLoop.makeFailedFuture(PeerCredentialsUnavailable())
        #endif
    }
}
