#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The file a Unix socket is bound to: making room for it, setting its
/// access, and removing it when the server stops.
struct UnixSocketFile {
    let path: String

    /// The file's identity, to remove only the socket this server bound.
    struct Identity: Equatable, Sendable {
        var device: UInt64
        var inode: UInt64
    }

    /// Removes a stale socket file left by a server that is gone. Throws
    /// when the path is not a socket, or when a server still accepts on it.
    func removeStale() throws(VarlinkServerError) {
        var status = stat()
        guard lstat(path, &status) == 0 else {
            if errno == ENOENT { return }
            throw .listen(path: path, reason: Self.describe(errno))
        }
        guard status.st_mode & S_IFMT == S_IFSOCK else {
            throw .listen(path: path, reason: "the path exists and is not a socket")
        }
        if acceptsConnections() {
            throw .listen(path: path, reason: "another server is listening on this socket")
        }
        guard unlink(path) == 0 || errno == ENOENT else {
            throw .listen(path: path, reason: "cannot remove the stale socket: \(Self.describe(errno))")
        }
    }

    /// Sets the socket file's permission bits and, when given, its group.
    func setAccess(mode: UInt32, group: UInt32?) throws(VarlinkServerError) {
        guard chmod(path, mode_t(mode)) == 0 else {
            throw .listen(path: path, reason: "cannot set the socket's mode: \(Self.describe(errno))")
        }
        if let group {
            guard chown(path, uid_t.max, gid_t(group)) == 0 else {
                throw .listen(path: path, reason: "cannot set the socket's group: \(Self.describe(errno))")
            }
        }
    }

    var identity: Identity? {
        var status = stat()
        guard lstat(path, &status) == 0 else { return nil }
        return Identity(device: UInt64(status.st_dev), inode: UInt64(status.st_ino))
    }

    /// Removes the socket file if it is still the one with `identity`.
    func remove(ifStill identity: Identity?) {
        guard let identity, self.identity == identity else { return }
        unlink(path)
    }

    private func acceptsConnections() -> Bool {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return false }
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            buffer.copyBytes(from: bytes)
        }
        let result = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        return result == 0
    }

    static func describe(_ code: Int32) -> String {
        String(cString: strerror(code))
    }
}
