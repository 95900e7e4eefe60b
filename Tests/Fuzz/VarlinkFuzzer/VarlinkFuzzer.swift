// Fuzz target for everything a client's bytes reach: the Varlink framing and
// JSON decoding, the method dispatcher, access checks, the ledger and the
// SQLite store.
//
// The target runs casetrackd itself (`Daemon.run`) in this process, on a
// private socket and store, as an unprivileged user that the configuration
// makes admin (when started as root it drops to nobody first, so that a
// `Backup` call cannot write where only root may). Each input is a byte
// stream sent on a new connection: usually NUL-terminated JSON calls, often
// not. The target checks that
//  - every reply is a whole Varlink message: a JSON object with only
//    `parameters`, `error` and `continues`, an error name that is a name;
//  - no call fails with InternalError (an error nobody anticipated);
//  - the daemon keeps answering, and `Verify` (counts against cases, pool
//    and the replayed log; gap-free sequence; SQLite's quick_check) finds
//    nothing, every few seconds and at the end.
// A finding stops the process (a crash for libFuzzer).
import CaseTrackDaemon
import Foundation
import FuzzSupport
import Logging
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// casetrackd, started on first use.
let daemon = FuzzedDaemon()

final class FuzzedDaemon: Sendable {
    let socketPath: String
    let directory: String
    private let verification = Mutex<ContinuousClock.Instant>(.now)
    /// Replies read and Verify calls made, for the summary.
    let tally = Mutex<(replies: Int, errors: Int, verifications: Int)>((0, 0, 0))

    init() {
        let base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : NSTemporaryDirectory()
        var template = Array("\(base)/casetrack-fuzz-varlink.XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { fatalError("cannot create a directory in \(base)") }
        directory = String(cString: made)
        socketPath = "\(directory)/io.casetrack.Tracker"
        // The shipped pipelines, copied: the unprivileged user may not be able to reach the sources.
        let shipped =
            ProcessInfo.processInfo.environment["CASETRACK_PIPELINES_DIR"]
            ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../../Config/pipelines").standardized.path
        let pipelines = "\(directory)/pipelines"
        do {
            try FileManager.default.copyItem(atPath: shipped, toPath: pipelines)
        } catch {
            fatalError("cannot copy the pipelines from \(shipped): \(error)")
        }

        let user: uid_t = geteuid() == 0 ? 65534 : geteuid()
        let configuration = """
            stateDirectory: \(directory)/state
            pipelinesDirectory: \(pipelines)
            socket:
              path: \(socketPath)
            digest:
              enabled: false
            access:
              admin:
                users: ["\(user)"]
            """
        let configurationFile = "\(directory)/casetrackd.yaml"
        guard FileManager.default.createFile(atPath: configurationFile, contents: Data(configuration.utf8)) else {
            fatalError("cannot write \(configurationFile)")
        }
        if geteuid() == 0 {
            let owned = [directory, configurationFile, pipelines]
                + ((try? FileManager.default.contentsOfDirectory(atPath: pipelines)) ?? []).map { "\(pipelines)/\($0)" }
            guard owned.allSatisfy({ chown($0, user, user) == 0 }), setgroups(0, nil) == 0, setgid(user) == 0, setuid(user) == 0
            else { fatalError("cannot become uid \(user): \(String(cString: strerror(errno)))") }
        }

        var options = DaemonOptions()
        options.configurationFile = configurationFile
        options.logDestination = .stderr
        options.logLevel = .critical
        Task.detached {
            do {
                try await Daemon.run(options: options)
                fatalError("casetrackd stopped")
            } catch {
                fatalError("casetrackd failed: \(error)")
            }
        }
        let deadline = ContinuousClock.now + .seconds(60)
        while connectOnce() == nil {
            guard ContinuousClock.now < deadline else { fatalError("casetrackd did not listen in 60 s") }
            usleep(10_000)
        }
        // The store must be sound when a run ends, too; then the scratch directory goes.
        atexit {
            daemon.verify()
            try? FileManager.default.removeItem(atPath: daemon.directory)
        }
    }

    /// A connected, non-blocking socket, or nil while casetrackd is not listening yet.
    func connectOnce() -> Int32? {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        precondition(fd >= 0, "socket: \(String(cString: strerror(errno)))")
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { path in
            let bytes = Array(socketPath.utf8)
            precondition(bytes.count < path.count, "socket path too long")
            path.copyBytes(from: bytes)
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard connected == 0 else {
            close(fd)
            return nil
        }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        return fd
    }

    func connection() -> Int32 {
        let deadline = ContinuousClock.now + .seconds(30)
        while true {
            if let fd = connectOnce() { return fd }
            guard ContinuousClock.now < deadline else { fatalError("casetrackd refused connections for 30 s") }
            usleep(1_000)
        }
    }

    /// How an exchange ended.
    enum Ending { case closedByDaemon, quiet }

    /// Sends `input` on a new connection, closes the sending side, and reads
    /// until the daemon closes or stays quiet for `quiet` (a Watch stream, or
    /// a call that is still reading more).
    func exchange(_ input: UnsafeBufferPointer<UInt8>, quiet: Duration = .milliseconds(250)) -> ([UInt8], Ending) {
        let fd = connection()
        defer { close(fd) }
        var sent = 0
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        var sending = true
        var lastProgress = ContinuousClock.now
        while true {
            if sending && sent == input.count {
                shutdown(fd, Int32(SHUT_WR))
                sending = false
            }
            var descriptor = pollfd(fd: fd, events: Int16(POLLIN) | (sending ? Int16(POLLOUT) : 0), revents: 0)
            _ = poll(&descriptor, 1, 50)
            var progressed = false
            if sending && descriptor.revents & Int16(POLLOUT) != 0 {
                let count = send(fd, input.baseAddress! + sent, input.count - sent, Int32(MSG_NOSIGNAL))
                if count > 0 {
                    sent += count
                    progressed = true
                } else if count < 0 && errno != EAGAIN && errno != EINTR {
                    sending = false  // the daemon closed the connection: read what it said
                }
            }
            if descriptor.revents & Int16(POLLIN | POLLHUP | POLLERR) != 0 {
                let count = read(fd, &buffer, buffer.count)
                if count == 0 || (count < 0 && errno != EAGAIN && errno != EINTR) {
                    return (received, .closedByDaemon)
                }
                if count > 0 {
                    received.append(contentsOf: buffer[..<count])
                    progressed = true
                }
            }
            if progressed {
                lastProgress = .now
            } else if ContinuousClock.now - lastProgress > quiet {
                return (received, .quiet)
            }
        }
    }

    /// Checks every reply the daemon sent.
    func checkReplies(_ bytes: [UInt8], ending: Ending, input: UnsafeBufferPointer<UInt8>) {
        var messages = bytes.split(separator: 0, omittingEmptySubsequences: false)
        let tail = messages.removeLast()
        if ending == .closedByDaemon && !tail.isEmpty {
            fail("the daemon closed in the middle of a reply", bytes, input)
        }
        for message in messages {
            tally.withLock { $0.replies += 1 }
            guard let object = try? JSONSerialization.jsonObject(with: Data(message)) as? [String: Any] else {
                fail("a reply is not a JSON object", bytes, input)
            }
            guard Set(object.keys).isSubset(of: ["parameters", "error", "continues"]) else {
                fail("a reply has unknown keys", bytes, input)
            }
            if let parameters = object["parameters"], !(parameters is [String: Any]) {
                fail("a reply's parameters are not an object", bytes, input)
            }
            if let error = object["error"] {
                tally.withLock { $0.errors += 1 }
                guard let name = error as? String, Self.isErrorName(name) else {
                    fail("a reply's error is not a name", bytes, input)
                }
                if name == "org.varlink.service.InternalError" {
                    fail("a call failed with InternalError", bytes, input)
                }
            } else if object["parameters"] == nil {
                fail("a reply has neither parameters nor an error", bytes, input)
            }
        }
    }

    private static func isErrorName(_ name: String) -> Bool {
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count >= 2 && parts.allSatisfy { part in
            guard let first = part.utf8.first, (first | 0x20) >= UInt8(ascii: "a"), (first | 0x20) <= UInt8(ascii: "z")
            else { return false }
            return part.utf8.allSatisfy { ($0 | 0x20) >= UInt8(ascii: "a") && ($0 | 0x20) <= UInt8(ascii: "z") || ($0 >= 0x30 && $0 <= 0x39) || $0 == UInt8(ascii: "-") }
        }
    }

    /// Asks for `Verify` on a connection of its own; any problem, or no answer in 30 s, is a finding.
    func verify() {
        let call = Array(#"{"method":"io.casetrack.Tracker.Verify"}"#.utf8) + [0]
        let (bytes, _) = call.withUnsafeBufferPointer { exchange($0, quiet: .seconds(30)) }
        guard let end = bytes.firstIndex(of: 0),
            let reply = try? JSONSerialization.jsonObject(with: Data(bytes[..<end])) as? [String: Any],
            let parameters = reply["parameters"] as? [String: Any]
        else {
            fatalError("Verify got no answer: \(String(decoding: bytes, as: UTF8.self))")
        }
        guard parameters["ok"] as? Bool == true else {
            fatalError("Verify found problems: \(parameters)")
        }
        verification.withLock { $0 = .now }
        tally.withLock { $0.verifications += 1 }
    }

    /// `verify()` when the last one is more than `interval` ago.
    func verifyEvery(_ interval: Duration) {
        if verification.withLock({ ContinuousClock.now - $0 > interval }) { verify() }
    }

    func fail(_ finding: String, _ replies: [UInt8], _ input: UnsafeBufferPointer<UInt8>) -> Never {
        let text = String(decoding: replies, as: UTF8.self)
        let shown =
            text.utf8.count <= 4000
            ? text.debugDescription
            : "\(String(text.prefix(2000)).debugDescription) … \(String(text.suffix(2000)).debugDescription) (\(replies.count) bytes)"
        fatalError(
            """
            FINDING: \(finding)
            input: \(String(decoding: input, as: UTF8.self).debugDescription)
            replies: \(shown)
            """)
    }
}

func check(_ input: UnsafeBufferPointer<UInt8>) {
    let (replies, ending) = daemon.exchange(input)
    daemon.checkReplies(replies, ending: ending, input: input)
    daemon.verifyEvery(.seconds(5))
}

@main
enum Fuzzer {
    static func main() {
        FuzzTarget.main(check: check) { inputs in
            daemon.verify()
            let tally = daemon.tally.withLock { $0 }
            return "casetrack-fuzz-varlink: \(inputs) inputs replayed, \(tally.replies) replies "
                + "(\(tally.errors) errors), \(tally.verifications) verifications, no finding"
        }
    }
}
