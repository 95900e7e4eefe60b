import Foundation
import Glibc

/// One Varlink connection to the daemon over a blocking Unix-domain socket,
/// with at most one call in flight.
///
/// Messages are JSON objects each followed by a NUL byte. The connection
/// reads replies into a buffer it reuses, and decodes none of them: it only
/// tells an error reply from a successful one, which is all the load
/// generator needs.
struct BlockingConnection {
    /// The socket; the connection owns it until `close()`.
    let descriptor: Int32
    private var buffer = [UInt8](repeating: 0, count: 16 * 1024)
    private var filled = 0
    /// The call in flight (or last answered), for the message of a failure.
    private var call = ""

    /// Connects to the daemon's socket at `path`.
    init(unixPath path: String) throws(BenchFailure) {
        descriptor = try unixSocket(at: path) { descriptor, address, length in
            connect(descriptor, address, length)
        }
    }

    /// Sends a call: `message` is its JSON object followed by the NUL.
    mutating func send(_ message: String) throws(BenchFailure) {
        call = message
        var message = message
        let error: Int32 = message.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                // MSG_NOSIGNAL: a daemon gone away is an EPIPE to report, not a SIGPIPE.
                let sent = Glibc.send(
                    descriptor, bytes.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
                if sent < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                offset += sent
            }
            return 0
        }
        guard error == 0 else { throw .write(call: call, errno: error) }
    }

    /// Reads what the socket has, waiting for it if it has nothing yet, and
    /// returns true once the reply to the call in flight is complete. Throws
    /// if the reply is an error, the daemon closed the connection, or the
    /// read failed.
    mutating func receive() throws(BenchFailure) -> Bool {
        if filled == buffer.count { buffer += repeatElement(0, count: buffer.count) }
        let start = filled
        let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress! + start, $0.count - start) }
        if count < 0 {
            if errno == EINTR { return false }
            throw .read(call: call, errno: errno)
        }
        if count == 0 { throw .closed(call: call) }
        filled += count
        let end: Int? = buffer.withUnsafeBytes { bytes in
            memchr(bytes.baseAddress! + start, 0, count).map { bytes.baseAddress!.distance(to: $0) }
        }
        guard let end else { return false }
        // One call in flight, so nothing may follow its reply.
        guard end == filled - 1 else { throw .unexpectedReply(call: call, reply: text(upTo: filled)) }
        filled = 0
        if isError(buffer[..<end]) { throw .errorReply(call: call, reply: text(upTo: end)) }
        return true
    }

    /// Closes the socket.
    func close() {
        Glibc.close(descriptor)
    }

    /// Whether `reply` is an error reply. A successful reply to a call without
    /// `more` is `{"parameters":{…}}`; an error reply has a member
    /// `"error":"<name>"` beside its parameters. The daemon writes an
    /// object's members in no fixed order, so the error member is either the
    /// first or the last: the reply begins with `{"error"` or ends with a
    /// string and `}`.
    private func isError(_ reply: ArraySlice<UInt8>) -> Bool {
        func space(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D }
        guard reply.count >= 2 else { return true }
        var first = reply.startIndex
        var last = reply.endIndex - 1
        while first < last, space(reply[first]) { first += 1 }
        while last > first, space(reply[last]) { last -= 1 }
        guard reply[first] == UInt8(ascii: "{"), reply[last] == UInt8(ascii: "}") else { return true }
        first += 1
        last -= 1
        while first < last, space(reply[first]) { first += 1 }
        while last > first, space(reply[last]) { last -= 1 }
        return reply[last] == UInt8(ascii: "\"") || reply[first...].starts(with: #""error""#.utf8)
    }

    private func text(upTo end: Int) -> String {
        String(decoding: buffer[..<end], as: UTF8.self)
    }
}

/// A new Unix-domain stream socket on which `operation` (connect, or bind
/// and listen) succeeded with the address `path`, returning 0; the socket is
/// closed if it failed.
func unixSocket(
    at path: String, _ operation: (Int32, UnsafePointer<sockaddr>, socklen_t) -> Int32
) throws(BenchFailure) -> Int32 {
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    let pathBytes = Array(path.utf8)
    guard pathBytes.count < MemoryLayout.size(ofValue: address.sun_path) else { throw .socketPathTooLong(path) }
    withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: pathBytes) }
    let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
    guard descriptor >= 0 else { throw .socket(path: path, errno: errno) }
    let result = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            operation(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
        }
    }
    guard result == 0 else {
        let error = errno
        Glibc.close(descriptor)
        throw .socket(path: path, errno: error)
    }
    return descriptor
}

/// Why a run of the load generator failed.
enum BenchFailure: Error, CustomStringConvertible {
    case socketPathTooLong(String)
    case socket(path: String, errno: Int32)
    case write(call: String, errno: Int32)
    case read(call: String, errno: Int32)
    case poll(errno: Int32)
    case closed(call: String)
    case errorReply(call: String, reply: String)
    case unexpectedReply(call: String, reply: String)

    var description: String {
        switch self {
        case .socketPathTooLong(let path):
            "socket path too long for a Unix-domain socket: \(path)"
        case .socket(let path, let errno):
            "cannot connect to \(path): \(String(cString: strerror(errno)))"
        case .write(let call, let errno):
            "cannot send \(Self.shown(call)): \(String(cString: strerror(errno)))"
        case .read(let call, let errno):
            "cannot read the reply to \(Self.shown(call)): \(String(cString: strerror(errno)))"
        case .poll(let errno):
            "poll failed: \(String(cString: strerror(errno)))"
        case .closed(let call):
            "the daemon closed the connection before answering \(Self.shown(call))"
        case .errorReply(let call, let reply):
            "the daemon answered \(Self.shown(call)) with an error: \(reply)"
        case .unexpectedReply(let call, let reply):
            "the daemon sent more than one reply to \(Self.shown(call)): \(Self.shown(reply))"
        }
    }

    /// A message without its NUL terminator(s).
    private static func shown(_ message: String) -> String {
        message.replacingOccurrences(of: "\0", with: "")
    }
}
