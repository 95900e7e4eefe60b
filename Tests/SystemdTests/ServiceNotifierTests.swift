import Foundation
import Testing

@testable import Systemd

extension ProcessEnvironmentTests {
    @Suite("Service notifications")
    struct ServiceNotifierTests {
        @Test("without NOTIFY_SOCKET every notification is a harmless no-op")
        func notSupervised() {
            unsetenv("NOTIFY_SOCKET")
            let notifier = ServiceNotifier()
            #expect(!notifier.isSupervised)
            #expect(notifier.ready() == .notSupervised)
            #expect(notifier.status("idle") == .notSupervised)
            #expect(notifier.watchdog() == .notSupervised)
            #expect(notifier.reloading() == .notSupervised)
            #expect(notifier.stopping() == .notSupervised)
        }

        @Test(
            "the service manager receives READY, STATUS, RELOADING with MONOTONIC_USEC, WATCHDOG, STOPPING"
        )
        func lifecycle() throws {
            let socket = try NotifySocket()
            defer { socket.close() }
            setenv("NOTIFY_SOCKET", socket.path, 1)
            defer { unsetenv("NOTIFY_SOCKET") }

            let notifier = ServiceNotifier()
            #expect(notifier.isSupervised)
            #expect(notifier.status("Opening store…") == .sent)
            #expect(try socket.receive() == "STATUS=Opening store…")
            #expect(notifier.ready() == .sent)
            #expect(try socket.receive() == "READY=1")
            #expect(notifier.status("12 cohorts\n3 overdue") == .sent)
            #expect(try socket.receive() == "STATUS=12 cohorts 3 overdue")

            let before = ServiceNotifier.monotonicMicroseconds()
            #expect(notifier.reloading() == .sent)
            let after = ServiceNotifier.monotonicMicroseconds()
            let reloading = try socket.receive().split(separator: "\n")
            #expect(reloading.count == 2)
            #expect(reloading.first == "RELOADING=1")
            let usec = reloading.last.flatMap { $0.split(separator: "=").last }.flatMap { UInt64($0) }
            #expect(reloading.last?.hasPrefix("MONOTONIC_USEC=") == true)
            #expect(
                usec.map { (before...after).contains($0) } == true,
                "MONOTONIC_USEC=\(String(describing: usec)) not in \(before)...\(after)")

            #expect(notifier.watchdog() == .sent)
            #expect(try socket.receive() == "WATCHDOG=1")
            #expect(notifier.mainPID(4242) == .sent)
            #expect(try socket.receive() == "MAINPID=4242")
            #expect(notifier.extendTimeout(by: .seconds(90)) == .sent)
            #expect(try socket.receive() == "EXTEND_TIMEOUT_USEC=90000000")
            #expect(notifier.stopping() == .sent)
            #expect(try socket.receive() == "STOPPING=1")
        }

        @Test("a notification to a socket nobody serves reports the errno")
        func failure() {
            setenv("NOTIFY_SOCKET", "/nonexistent/casetrack-notify.sock", 1)
            defer { unsetenv("NOTIFY_SOCKET") }
            #expect(ServiceNotifier().ready() == .failed(errno: ENOENT))
        }

        @Test("the watchdog interval is WATCHDOG_USEC, only for the process WATCHDOG_PID names")
        func watchdogInterval() {
            defer {
                unsetenv("WATCHDOG_USEC")
                unsetenv("WATCHDOG_PID")
            }
            unsetenv("WATCHDOG_USEC")
            unsetenv("WATCHDOG_PID")
            #expect(ServiceNotifier().watchdogInterval == nil)

            setenv("WATCHDOG_USEC", "3000000", 1)
            #expect(ServiceNotifier().watchdogInterval == .seconds(3))

            setenv("WATCHDOG_PID", String(getpid()), 1)
            #expect(ServiceNotifier().watchdogInterval == .seconds(3))

            setenv("WATCHDOG_PID", String(getpid() + 1), 1)
            #expect(ServiceNotifier().watchdogInterval == nil)
        }
    }
}

/// An AF_UNIX datagram socket at a temporary path, standing in for the service manager.
struct NotifySocket {
    let fd: Int32
    let path: String

    init() throws {
        path = "/tmp/casetrack-notify-\(UUID().uuidString.prefix(8)).sock"
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        try #require(fd >= 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            buffer.copyBytes(from: path.utf8)
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        try #require(bound == 0, "bind \(path): errno \(errno)")
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    /// The next datagram, waiting up to 2 s.
    func receive() throws -> String {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = recv(fd, &buffer, buffer.count, 0)
        try #require(count >= 0, "recv: errno \(errno)")
        return String(decoding: buffer[..<count], as: UTF8.self)
    }

    func close() {
        Glibc.close(fd)
        unlink(path)
    }
}
