import CSystemd
import Glibc

/// Tells the service manager about this service's state, through `sd_notify(3)`.
///
/// For a `Type=notify` (or `notify-reload`) unit. Every call is a no-op returning
/// ``Result/notSupervised`` when `$NOTIFY_SOCKET` is unset, so the daemon can call it
/// unconditionally. The environment is left in place, so calls can repeat.
public struct ServiceNotifier: Sendable {
    /// What happened to one notification.
    public enum Result: Sendable, Equatable {
        /// The service manager received it.
        case sent
        /// `$NOTIFY_SOCKET` is unset: nobody to tell.
        case notSupervised
        /// Sending failed with this `errno`.
        case failed(errno: CInt)
    }

    public init() {}

    /// Whether a service manager is listening (`$NOTIFY_SOCKET` is set).
    public var isSupervised: Bool {
        getenv("NOTIFY_SOCKET") != nil
    }

    /// `READY=1`: start-up (or a reload) is finished and the service is serving.
    @discardableResult
    public func ready() -> Result {
        send("READY=1")
    }

    /// `STATUS=…`: one line for `systemctl status`. Newlines become spaces.
    @discardableResult
    public func status(_ text: String) -> Result {
        send("STATUS=" + text.map { $0.isNewline ? " " : String($0) }.joined())
    }

    /// `WATCHDOG=1`: the service is alive. Send at half of ``watchdogInterval``.
    @discardableResult
    public func watchdog() -> Result {
        send("WATCHDOG=1")
    }

    /// `RELOADING=1` with `MONOTONIC_USEC` (now, `CLOCK_MONOTONIC`, in µs): a reload has
    /// begun. Send ``ready()`` when it has finished.
    @discardableResult
    public func reloading() -> Result {
        send("RELOADING=1\nMONOTONIC_USEC=\(Self.monotonicMicroseconds())")
    }

    /// `STOPPING=1`: shutdown has begun.
    @discardableResult
    public func stopping() -> Result {
        send("STOPPING=1")
    }

    /// `MAINPID=…`: the service's main process is `pid`.
    @discardableResult
    public func mainPID(_ pid: CInt) -> Result {
        send("MAINPID=\(pid)")
    }

    /// `EXTEND_TIMEOUT_USEC=…`: the current start, reload or stop needs up to `duration` more.
    @discardableResult
    public func extendTimeout(by duration: Duration) -> Result {
        send("EXTEND_TIMEOUT_USEC=\(Self.microseconds(duration))")
    }

    /// Sends `state`, newline-separated `KEY=value` assignments as `sd_notify(3)` describes.
    @discardableResult
    public func send(_ state: String) -> Result {
        let status = sd_notify(0, state)
        if status > 0 { return .sent }
        if status == 0 { return .notSupervised }
        return .failed(errno: -status)
    }

    /// The watchdog timeout the service manager expects pings within (`WATCHDOG_USEC`),
    /// or `nil` when the watchdog is off for this process. Ping at half of it.
    public var watchdogInterval: Duration? {
        var usec: UInt64 = 0
        guard sd_watchdog_enabled(0, &usec) > 0, usec > 0 else { return nil }
        return .microseconds(Int64(clamping: usec))
    }

    static func monotonicMicroseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1_000
    }

    static func microseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return max(0, seconds * 1_000_000 + attoseconds / 1_000_000_000_000)
    }
}
