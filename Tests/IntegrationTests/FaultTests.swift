import Foundation
import Synchronization
import Testing

/// The machine fails under casetrackd: the disk fills up, the file system
/// turns read-only. Nothing acknowledged is lost, reads go on, and the
/// daemon says what is wrong and recovers when it can.
@Suite("Faults of the disk under a real casetrackd", .serialized, .enabled(if: getuid() == 0, "mounts file systems"))
struct DiskFaultTests {
    @Test("disk full: writes are refused with StoreUnavailable, reads go on, status says so, and writing resumes when space returns")
    func diskFull() throws {
        let scratch = try Scratch("full")
        let mount = try Mount.tmpfs(at: scratch.file("state"), size: "2m")
        defer { mount.unmount() }
        let notify = try NotifyListener(path: scratch.file("notify.sock"))
        let daemon = try DaemonProcess(scratch: scratch)
        daemon.process.environment?["NOTIFY_SOCKET"] = notify.path
        try daemon.start()
        defer { daemon.stop() }
        let client = try RawClient(path: daemon.socket)
        #expect(try client.call("io.casetrack.Tracker.CreateCohort", ["id": "full", "pipeline": "usrap"])["error"] == nil)

        // Leave a little room, then fill it with changes from four clients.
        let filler = mount.path + "/filler"
        try mount.fill(filler, leaving: 192 * 1024)
        let acknowledged = Acknowledged()
        let unexpected = Mutex<[String]>([])
        let socket = daemon.socket
        DispatchQueue.concurrentPerform(iterations: 4) { worker in
            guard let client = try? RawClient(path: socket) else { return }
            var refusals = 0
            for round in 1...50_000 where refusals < 3 {
                let requestId = "full-w\(worker)-r\(round)"
                guard
                    let reply = try? client.call(
                        "io.casetrack.Tracker.Intake",
                        [
                            "cohort": "full", "persons": 1, "requestId": requestId,
                            "note": String(repeating: "n", count: 600),
                        ])
                else {
                    unexpected.withLock { $0.append("\(requestId): no reply") }
                    return
                }
                if let seq = ((reply["parameters"] as? [String: Any])?["event"] as? [String: Any])?["seq"] as? Int {
                    acknowledged.record(requestId, seq)
                } else if reply["error"] as? String == "io.casetrack.Tracker.StoreUnavailable" {
                    refusals += 1
                } else {
                    unexpected.withLock { $0.append("\(requestId): \(reply)") }
                    return
                }
            }
        }
        #expect(unexpected.withLock { $0 }.isEmpty, "\(unexpected.withLock { $0 }.prefix(3))")
        #expect(acknowledged.all.count > 10)

        // Full: reads are served and the status says why writes are refused.
        let status = try parameters(client.call("io.casetrack.Tracker.GetStatus"))
        #expect(status["writable"] as? Bool == false, "\(status)")
        #expect((status["storeError"] as? String)?.isEmpty == false, "\(status)")
        #expect(status["storeErrorSince"] is String, "\(status)")
        let cohort = try parameters(client.call("io.casetrack.Tracker.DescribeCohort", ["id": "full"]))
        #expect(cohort["cohort"] != nil)
        // As large as the writes that were refused: a smaller one can fit in the
        // room a failed commit left allocated in the write-ahead log.
        let refused = try client.call(
            "io.casetrack.Tracker.Intake",
            ["cohort": "full", "persons": 1, "requestId": "refused", "note": String(repeating: "n", count: 600)])
        #expect(refused["error"] as? String == "io.casetrack.Tracker.StoreUnavailable", "\(refused)")
        let shown = try casetrackctl(["status"], socket: daemon.socket)
        #expect(shown.stdout.contains("writes:") && shown.stdout.contains("REFUSED since"), "\(shown.stdout)")
        let line = notify.waitForStatus(timeout: 30) { $0.contains("STORE CANNOT WRITE") }
        #expect(line != nil, "STATUS= never said the store cannot write: \(notify.statuses.suffix(3))")

        // Space returns: the daemon writes again by itself.
        unlink(filler)
        let recovered = waitUntil(timeout: 60) {
            (try? parameters(client.call("io.casetrack.Tracker.GetStatus")))?["writable"] as? Bool == true
        }
        #expect(recovered, "GetStatus still reports the store unwritable after space returned")
        let after = try client.call("io.casetrack.Tracker.Intake", ["cohort": "full", "persons": 1, "requestId": "after"])
        let seq = try #require(((after["parameters"] as? [String: Any])?["event"] as? [String: Any])?["seq"] as? Int)
        acknowledged.record("after", seq)
        let cleared = notify.waitForStatus(timeout: 30) { $0.hasPrefix("Serving") }
        #expect(cleared != nil, "STATUS= still says the store cannot write: \(notify.statuses.suffix(3))")

        // Full again; this time the operator grows the file system.
        try mount.fill(filler, leaving: 64 * 1024)
        var refusedAgain = false
        for round in 1...2_000 where !refusedAgain {
            let reply = try client.call(
                "io.casetrack.Tracker.Intake",
                ["cohort": "full", "persons": 1, "requestId": "again-\(round)", "note": String(repeating: "a", count: 600)])
            if let seq = ((reply["parameters"] as? [String: Any])?["event"] as? [String: Any])?["seq"] as? Int {
                acknowledged.record("again-\(round)", seq)
            } else {
                #expect(reply["error"] as? String == "io.casetrack.Tracker.StoreUnavailable", "\(reply)")
                refusedAgain = true
            }
        }
        #expect(refusedAgain)
        try runCommand("/usr/bin/mount", ["-o", "remount,size=64m", mount.path])
        let grown = waitUntil(timeout: 60) {
            (try? parameters(client.call("io.casetrack.Tracker.GetStatus")))?["writable"] as? Bool == true
        }
        #expect(grown, "GetStatus still reports the store unwritable after the file system grew")
        let afterGrowing = try client.call(
            "io.casetrack.Tracker.Intake", ["cohort": "full", "persons": 1, "requestId": "after-growing"])
        acknowledged.record(
            "after-growing",
            try #require(((afterGrowing["parameters"] as? [String: Any])?["event"] as? [String: Any])?["seq"] as? Int))

        try checkStore(socket: daemon.socket, acknowledged: acknowledged.all)
        #expect(daemon.stop() == 0)
        let restarted = try DaemonProcess(scratch: scratch)
        try restarted.start()
        try checkStore(socket: restarted.socket, acknowledged: acknowledged.all)
        #expect(restarted.stop() == 0)
    }

    @Test(
        "read-only file system: writes are refused, reads go on; after a restart on the repaired disk nothing is lost",
        .enabled(
            if: FileManager.default.isExecutableFile(atPath: "/usr/sbin/mkfs.ext4")
                && FileManager.default.fileExists(atPath: "/dev/loop-control"), "needs mkfs.ext4 and loop devices"))
    func readOnly() throws {
        let scratch = try Scratch("readonly")
        let mount = try Mount.ext4Image(scratch.file("disk.img"), at: scratch.file("state"), size: 16 << 20)
        defer { mount.unmount() }
        let daemon = try DaemonProcess(scratch: scratch)
        try daemon.start()
        defer { daemon.stop() }
        let client = try RawClient(path: daemon.socket)
        #expect(try client.call("io.casetrack.Tracker.CreateCohort", ["id": "ro", "pipeline": "usrap"])["error"] == nil)
        var acknowledged: [String: Int] = [:]
        for round in 1...50 {
            let reply = try client.call(
                "io.casetrack.Tracker.Intake", ["cohort": "ro", "persons": round, "requestId": "ro-\(round)"])
            acknowledged["ro-\(round)"] = try #require(
                ((reply["parameters"] as? [String: Any])?["event"] as? [String: Any])?["seq"] as? Int)
        }

        // The kernel turns the file system read-only, as after an I/O error.
        try mount.triggerError()
        var refusals = 0
        for round in 51...60 {
            let reply = try client.call(
                "io.casetrack.Tracker.Intake", ["cohort": "ro", "persons": 1, "requestId": "ro-\(round)"])
            if let seq = ((reply["parameters"] as? [String: Any])?["event"] as? [String: Any])?["seq"] as? Int {
                Issue.record("acknowledged a change on a read-only file system: seq \(seq)")
            } else {
                #expect(reply["error"] as? String == "io.casetrack.Tracker.StoreUnavailable", "\(reply)")
                refusals += 1
            }
        }
        #expect(refusals == 10)
        let status = try parameters(client.call("io.casetrack.Tracker.GetStatus"))
        #expect(status["writable"] as? Bool == false, "\(status)")
        #expect(status["lastSeq"] as? Int == acknowledged.values.max(), "\(status)")
        let history = try parameters(client.call("io.casetrack.Tracker.History", ["cohort": "ro", "limit": 1000]))
        #expect((history["events"] as? [Any])?.count == 51)

        // The operator stops the daemon, repairs the disk, and starts it again.
        #expect(daemon.stop() == 0)
        try mount.remount()
        let restarted = try DaemonProcess(scratch: scratch)
        try restarted.start()
        try checkStore(socket: restarted.socket, acknowledged: acknowledged)
        let again = try RawClient(path: restarted.socket).call(
            "io.casetrack.Tracker.Intake", ["cohort": "ro", "persons": 1, "requestId": "ro-again"])
        #expect(again["error"] == nil, "\(again)")
        #expect(restarted.stop() == 0)
    }

    /// Every acknowledged request is in the log with the sequence number its
    /// client was told, the sequence has no gaps, and `Verify` finds nothing.
    func checkStore(socket: String, acknowledged: [String: Int]) throws {
        let client = try RawClient(path: socket)
        var events: [[String: Any]] = []
        while true {
            let after = events.last?["seq"] as? Int ?? 0
            let page = try #require(
                parameters(client.call("io.casetrack.Tracker.History", ["afterSeq": after, "limit": 1000]))["events"]
                    as? [[String: Any]])
            events += page
            if page.count < 1000 { break }
        }
        let seqs = events.compactMap { $0["seq"] as? Int }
        #expect(seqs == Array(1...max(1, seqs.count)), "sequence numbers have gaps")
        var byRequest: [String: Int] = [:]
        for event in events {
            if let requestId = event["requestId"] as? String { byRequest[requestId] = event["seq"] as? Int }
        }
        let lost = acknowledged.filter { byRequest[$0.key] != $0.value }
        #expect(lost.isEmpty, "acknowledged but lost or changed: \(lost.prefix(5))")
        let verify = try parameters(client.call("io.casetrack.Tracker.Verify"))
        #expect(verify["ok"] as? Bool == true, "\(verify)")
    }
}

/// What clients were told: request id → the event's sequence number.
final class Acknowledged: Sendable {
    private let entries = Mutex<[String: Int]>([:])
    func record(_ requestId: String, _ seq: Int) { entries.withLock { $0[requestId] = seq } }
    var all: [String: Int] { entries.withLock { $0 } }
}

func parameters(_ reply: [String: Any]) throws -> [String: Any] {
    guard reply["error"] == nil, let parameters = reply["parameters"] as? [String: Any] else {
        throw DaemonFailure(message: "unexpected reply: \(reply)")
    }
    return parameters
}

/// Polls `condition` every 100 ms until it holds or `timeout` seconds pass.
func waitUntil(timeout: Double, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if condition() { return true }
        usleep(100_000)
    }
    return condition()
}

/// Runs a system command (mount, mkfs) and fails with its output.
@discardableResult
func runCommand(_ executable: String, _ arguments: [String]) throws -> String {
    let (status, text) = try runProcess(executable, arguments, withErrors: true)
    guard status == 0 else {
        throw DaemonFailure(message: "\(executable) \(arguments.joined(separator: " ")): \(text)")
    }
    return text
}

/// A file system mounted for one test, unmounted (and its loop device
/// released) when the test is done.
final class Mount {
    let path: String
    private let image: String?
    private var mounted = true

    private init(path: String, image: String?) {
        self.path = path
        self.image = image
    }

    static func tmpfs(at path: String, size: String) throws -> Mount {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        try runCommand("/usr/bin/mount", ["-t", "tmpfs", "-o", "size=\(size),mode=0700", "tmpfs", path])
        return Mount(path: path, image: nil)
    }

    /// An ext4 file system in an image file that turns read-only on error,
    /// as a disk with errors=remount-ro does.
    static func ext4Image(_ image: String, at path: String, size: Int) throws -> Mount {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        guard truncate(image, off_t(size)) == 0 || (creat(image, 0o600) >= 0 && truncate(image, off_t(size)) == 0)
        else { throw POSIXError(.EIO) }
        try runCommand("/usr/sbin/mkfs.ext4", ["-q", "-F", image])
        try runCommand("/usr/bin/mount", ["-o", "loop,errors=remount-ro", image, path])
        chmod(path, 0o700)
        return Mount(path: path, image: image)
    }

    /// Makes the kernel record a file system error, which turns it read-only.
    func triggerError() throws {
        let device = try runCommand("/usr/bin/findmnt", ["-no", "SOURCE", path])
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let name = (device as NSString).lastPathComponent
        try "1".write(toFile: "/sys/fs/ext4/\(name)/trigger_fs_error", atomically: false, encoding: .utf8)
    }

    /// Unmounts, checks the file system, and mounts it again read-write.
    func remount() throws {
        guard let image else { return }
        try runCommand("/usr/bin/umount", ["-d", path])
        // The kernel replays the journal on mount; e2fsck would drop it.
        try runCommand("/usr/bin/mount", ["-o", "loop", image, path])
        try runCommand("/usr/bin/umount", ["-d", path])
        _ = try? runCommand("/usr/sbin/e2fsck", ["-fy", image])
        try runCommand("/usr/bin/mount", ["-o", "loop,errors=remount-ro", image, path])
    }

    /// Writes a file that leaves about `leaving` bytes free.
    func fill(_ file: String, leaving: Int) throws {
        var info = statvfs()
        guard statvfs(path, &info) == 0 else { throw POSIXError(.EIO) }
        let free = Int(info.f_bavail) * Int(info.f_frsize)
        let size = max(0, free - leaving)
        try Data(count: size).write(to: URL(fileURLWithPath: file))
    }

    func unmount() {
        guard mounted else { return }
        mounted = false
        _ = try? runCommand("/usr/bin/umount", image == nil ? ["-l", path] : ["-d", path])
    }

    deinit { unmount() }
}

/// A NOTIFY_SOCKET for the daemon: collects the STATUS= lines it sends.
final class NotifyListener {
    let path: String
    private let fd: Int32
    private(set) var statuses: [String] = []

    init(path: String) throws {
        self.path = path
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        do {
            try withUnixAddress(path) { bind(fd, $0, $1) }
        } catch {
            close(fd)
            throw error
        }
    }

    deinit { close(fd) }

    /// Reads what arrived; returns the first new STATUS= that `matches`.
    func waitForStatus(timeout: Double, _ matches: (String) -> Bool) -> String? {
        var found: String?
        _ = waitUntil(timeout: timeout) {
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let count = recv(fd, &buffer, buffer.count, 0)
                guard count > 0 else { break }
                let message = String(decoding: buffer[..<count], as: UTF8.self)
                for line in message.split(separator: "\n") where line.hasPrefix("STATUS=") {
                    let status = String(line.dropFirst("STATUS=".count))
                    statuses.append(status)
                    if found == nil, matches(status) { found = status }
                }
            }
            return found != nil
        }
        return found
    }
}

/// Clients that misbehave slowly: one never reads its replies, one never
/// finishes a message. Neither delays anyone else, and the daemon's memory
/// stays bounded.
@Suite("Slow and stuck clients against a real casetrackd", .serialized)
struct StuckClientTests {
    @Test("a client that pipelines calls and never reads is held back; others are answered at once; memory stays bounded")
    func neverReads() throws {
        let scratch = try Scratch("noread")
        let daemon = try DaemonProcess(scratch: scratch)
        try daemon.start()
        defer { daemon.stop() }
        let client = try RawClient(path: daemon.socket)
        _ = try parameters(client.call("io.casetrack.Tracker.CreateCohort", ["id": "slow", "pipeline": "usrap"]))
        for round in 1...300 {
            _ = try parameters(
                client.call(
                    "io.casetrack.Tracker.Intake",
                    ["cohort": "slow", "persons": round, "note": String(repeating: "x", count: 100)]))
        }
        let baseline = try residentKiB(daemon.process.processIdentifier)

        // Each call asks for ~100 KB of history; the client reads none of it.
        let hog = try RawClient(path: daemon.socket)
        _ = fcntl(hog.fd, F_SETFL, fcntl(hog.fd, F_GETFL) | O_NONBLOCK)
        let call = Array(#"{"method":"io.casetrack.Tracker.History","parameters":{"limit":300}}"#.utf8) + [0]
        var sentCalls = 0
        var blockedSince: Date?
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            let written = call.withUnsafeBytes {
                Glibc.send(hog.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT))
            }
            if written == call.count {
                sentCalls += 1
                blockedSince = nil
                continue
            }
            #expect(written < 0 && (errno == EAGAIN || errno == EWOULDBLOCK), "send: \(written), errno \(errno)")
            // A partial write leaves half a call: finish it blocking-free later; stop here.
            if written > 0 { break }
            if let since = blockedSince, Date().timeIntervalSince(since) > 3 { break }
            if blockedSince == nil { blockedSince = Date() }
            usleep(50_000)
        }
        #expect(blockedSince != nil, "the daemon kept reading calls whose replies were never read (\(sentCalls) calls)")

        // Everyone else is served at once.
        let other = try RawClient(path: daemon.socket)
        var slowest = 0.0
        for round in 1...20 {
            let started = Date()
            _ = try parameters(other.call("io.casetrack.Tracker.GetStatus"))
            _ = try parameters(
                other.call("io.casetrack.Tracker.Intake", ["cohort": "slow", "persons": 1, "requestId": "other-\(round)"]))
            slowest = max(slowest, Date().timeIntervalSince(started))
        }
        #expect(slowest < 5, "a call of another client took \(slowest) s")
        let resident = try residentKiB(daemon.process.processIdentifier)
        print("never-reading client: \(sentCalls) calls sent before it was held back; daemon RSS \(baseline) KiB → \(resident) KiB")
        #expect(resident - baseline < 64 * 1024, "the daemon grew from \(baseline) KiB to \(resident) KiB")

        // The stuck client is not dropped: when it reads, it gets its replies.
        _ = fcntl(hog.fd, F_SETFL, fcntl(hog.fd, F_GETFL) & ~O_NONBLOCK)
        let reply = try #require(try hog.receive(timeout: 30))
        #expect(((reply["parameters"] as? [String: Any])?["events"] as? [Any])?.count == 300)
    }

    @Test("a client that sends half a message is closed after limits.messageTimeoutSeconds; others are not delayed")
    func halfMessage() throws {
        let scratch = try Scratch("half")
        let daemon = try DaemonProcess(scratch: scratch, configuration: "limits:\n  messageTimeoutSeconds: 3\n")
        try daemon.start()
        defer { daemon.stop() }

        let stalled = try RawClient(path: daemon.socket)
        try stalled.send(Array(#"{"method":"io.casetrack.Tracker.GetStatus","para"#.utf8))
        // One that answers a whole call, then stops halfway through the next.
        let answeredThenStalled = try RawClient(path: daemon.socket)
        try answeredThenStalled.send(
            Array(#"{"method":"io.casetrack.Tracker.GetStatus"}"#.utf8) + [0] + Array(#"{"meth"#.utf8))
        // One that trickles a byte at a time and never ends its message.
        let trickling = try RawClient(path: daemon.socket)
        let trickleFD = trickling.fd
        let trickle = Thread {
            var space = UInt8(ascii: " ")
            for _ in 0..<200 {
                guard Glibc.send(trickleFD, &space, 1, Int32(MSG_NOSIGNAL)) == 1 else { return }
                usleep(200_000)
            }
        }
        trickle.start()
        // A slow but whole message within the limit is answered.
        let slowButWhole = try RawClient(path: daemon.socket)
        try slowButWhole.send(Array(#"{"method":"io.casetrack.Tracker"#.utf8))
        usleep(300_000)
        try slowButWhole.send(#".GetStatus"}"#)
        #expect(try slowButWhole.receive(timeout: 30)?["parameters"] != nil)

        let other = try RawClient(path: daemon.socket)
        var slowest = 0.0
        for _ in 1...10 {
            let started = Date()
            _ = try parameters(other.call("io.casetrack.Tracker.GetStatus"))
            slowest = max(slowest, Date().timeIntervalSince(started))
            usleep(50_000)
        }
        #expect(slowest < 5, "a call of another client took \(slowest) s")

        let started = Date()
        #expect(try stalled.receive(timeout: 60) == nil, "the half-sent message's connection is still open")
        #expect(try answeredThenStalled.receive(timeout: 60)?["parameters"] != nil)
        #expect(try answeredThenStalled.receive(timeout: 60) == nil)
        #expect(try trickling.receive(timeout: 60) == nil, "the trickling connection is still open")
        #expect(Date().timeIntervalSince(started) < 60)
        #expect(try parameters(other.call("io.casetrack.Tracker.GetStatus"))["version"] != nil)
    }
}

/// The resident set of a process, from /proc.
func residentKiB(_ pid: Int32) throws -> Int {
    let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
    guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
        let kib = Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
    else { throw DaemonFailure(message: "no VmRSS in /proc/\(pid)/status") }
    return kib
}

/// The journal goes away under casetrackd and comes back. The shared
/// journald is not touched: the daemon runs in a mount namespace of its own
/// whose /run/systemd/journal the test empties and refills, which is what a
/// client of a journald that died or restarts sees (its socket refuses, then
/// answers again).
@Suite("casetrackd when the journal is gone or stuck", .serialized, .enabled(if: getuid() == 0, "uses mount namespaces"))
struct JournalGoneTests {
    @Test("with no journal or a stuck one, lines go to stderr and calls are answered at once; when it returns, lines go to the journal again")
    func journalGoneAndBack() throws {
        _ = try? runCommand("/bin/sh", [Binaries.packageRoot + "/Tests/SystemdTests/start-journald.sh"])
        let scratch = try Scratch("nojournal")
        let real = scratch.file("real-journal")
        let daemon = try DaemonProcess(
            scratch: scratch, extraArguments: ["--log-target", "journal", "--log-level", "info"])
        let script = """
            set -e
            mkdir -p "$0"
            mount --bind /run/systemd/journal "$0"
            mount -t tmpfs -o size=1m tmpfs /run/systemd/journal
            exec "$@"
            """
        daemon.process.arguments =
            ["--mount", "--propagation", "private", "/bin/sh", "-c", script, real, Binaries.daemon]
            + (daemon.process.arguments ?? [])
        daemon.process.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
        try daemon.start()
        defer { daemon.stop() }
        let pid = daemon.process.processIdentifier
        func inNamespace(_ command: String) throws {
            try runCommand("/usr/bin/nsenter", ["-t", "\(pid)", "-m", "/bin/sh", "-c", command])
        }
        let socket = "/run/systemd/journal/socket"
        let client = try RawClient(path: daemon.socket)
        var slowest = 0.0
        func intakes(_ cohort: String, count: Int = 5) throws {
            _ = try parameters(client.call("io.casetrack.Tracker.CreateCohort", ["id": cohort, "pipeline": "usrap"]))
            for _ in 1...count {
                let started = Date()
                _ = try parameters(client.call("io.casetrack.Tracker.Intake", ["cohort": cohort, "persons": 7]))
                slowest = max(slowest, Date().timeIntervalSince(started))
            }
        }

        try intakes("while-gone")
        try inNamespace("touch \(socket) && mount --bind \(real)/socket \(socket)")
        try intakes("while-back")
        try inNamespace("umount \(socket)")
        try intakes("gone-again")
        // A journald that stops reading: its socket queues max_dgram_qlen datagrams, then a
        // sender waits. Those queued are lost with the socket; the rest go to stderr.
        let queueLength =
            Int((try? String(contentsOfFile: "/proc/sys/net/unix/max_dgram_qlen", encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines) ?? "") ?? 512
        try withExtendedLifetime(try NotifyListener(path: scratch.file("stuck.sock"))) { stuck in
            try inNamespace("mount --bind \(stuck.path) \(socket)")
            try intakes("while-stuck", count: queueLength + 20)
        }
        #expect(slowest < 5, "a call took \(slowest) s while the journal was away or stuck")
        #expect(daemon.stop() == 0)

        let stderr = daemon.stderrText()
        #expect(stderr.contains("COHORT=while-gone"), "\(stderr.suffix(2000))")
        #expect(stderr.contains("COHORT=gone-again"), "\(stderr.suffix(2000))")
        #expect(stderr.components(separatedBy: "COHORT=while-stuck").count - 1 >= 10, "\(stderr.suffix(2000))")
        #expect(!stderr.contains("COHORT=while-back"), "\(stderr.suffix(2000))")
        var cohorts: Set<String> = []
        for _ in 0..<50 {
            _ = try? runCommand("/usr/bin/journalctl", ["--sync"])
            let text = (try? runCommand("/usr/bin/journalctl", ["-o", "json", "--no-pager"] + daemon.journalMatch)) ?? ""
            cohorts = Set(
                text.split(separator: "\n").compactMap {
                    (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["COHORT"] as? String
                })
            if cohorts.contains("while-back") { break }
            usleep(100_000)
        }
        #expect(cohorts == ["while-back"], "cohorts named in the journal: \(cohorts)")
    }
}
