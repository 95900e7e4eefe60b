import Foundation
import Varlink

#if canImport(Glibc)
    import Glibc
#endif

/// A plain Unix stream socket, to speak to a server byte by byte the way a
/// careless or hostile client would. Blocking calls run on threads of their own,
/// off the Swift concurrency pool.
final class RawSocket: @unchecked Sendable {
    let fd: Int32
    private var buffer: [UInt8] = []

    enum Read: Equatable {
        case message(String)
        case closed
        case timedOut
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    init(path: String) throws {
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: \(errno)") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
        let result = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard result == 0 else {
            let code = errno
            Glibc.close(fd)
            throw Failure(description: "connect: \(String(cString: strerror(code)))")
        }
        var timeout = timeval(tv_sec: 20, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit {
        Glibc.close(fd)
    }

    /// Sends `text` as is (add "\0" to terminate a message).
    func send(_ text: String) async throws {
        try await send(Array(text.utf8))
    }

    func send(_ bytes: [UInt8]) async throws {
        try await onDispatch {
            var offset = 0
            while offset < bytes.count {
                let sent = bytes[offset...].withUnsafeBytes {
                    Glibc.send(self.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
                }
                if sent < 0 {
                    if errno == EINTR { continue }
                    throw Failure(description: "send: \(String(cString: strerror(errno)))")
                }
                offset += sent
            }
        }
    }

    /// Closes the sending side, as `socat` does at the end of its input.
    func shutdownWrite() {
        shutdown(fd, Int32(SHUT_WR))
    }

    /// The next NUL-terminated message, or why there is none.
    func read() async -> Read {
        await onDispatch {
            while true {
                if let end = self.buffer.firstIndex(of: 0) {
                    let message = String(decoding: self.buffer[..<end], as: UTF8.self)
                    self.buffer.removeSubrange(...end)
                    return .message(message)
                }
                var chunk = [UInt8](repeating: 0, count: 65536)
                let count = chunk.withUnsafeMutableBytes { recv(self.fd, $0.baseAddress, $0.count, 0) }
                if count == 0 { return .closed }
                if count < 0 {
                    if errno == EINTR { continue }
                    if errno == EAGAIN || errno == EWOULDBLOCK { return .timedOut }
                    return .closed
                }
                self.buffer.append(contentsOf: chunk[..<count])
            }
        }
    }

    /// The next message as a JSON value; nil when there is none (or it is not JSON).
    func readValue() async -> JSONValue? {
        guard case .message(let text) = await read() else { return nil }
        return try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
    }

    // Each blocking call gets a thread of its own: Dispatch's pool is small on
    // a small machine, and tests running in parallel would starve it.
    private func onDispatch<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try work() }) }.start()
        }
    }

    private func onDispatch<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: work()) }.start()
        }
    }
}

/// `text` parsed as a JSON value, to compare messages regardless of key order.
func json(_ text: String) -> JSONValue? {
    try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
}
