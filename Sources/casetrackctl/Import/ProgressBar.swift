import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A one-line progress bar on stderr, drawn only when stderr is a terminal.
struct ProgressBar {
    let label: String
    let totalBytes: Int
    private let start = ContinuousClock.now
    private var lastDraw: ContinuousClock.Instant?
    private let enabled = isatty(STDERR_FILENO) == 1

    init(label: String, totalBytes: Int) {
        self.label = label
        self.totalBytes = totalBytes
    }

    /// Redraws at most ten times a second.
    mutating func update(rows: Int, bytes: Int) {
        guard enabled else { return }
        let now = ContinuousClock.now
        if let lastDraw, now - lastDraw < .milliseconds(100) { return }
        lastDraw = now
        let fraction = totalBytes > 0 ? min(Double(bytes) / Double(totalBytes), 1) : 0
        let width = 30
        let filled = Int(fraction * Double(width))
        let bar = String(repeating: "#", count: filled) + String(repeating: " ", count: width - filled)
        let elapsed = Self.seconds(now - start)
        let rate = elapsed > 0 ? Int(Double(rows) / elapsed) : 0
        Printer.errRaw(
            "\r\u{1B}[K\(label) [\(bar)] \(String(format: "%3d", Int(fraction * 100)))%  "
                + "\(Formatting.count(rows)) rows  \(Formatting.count(rate)) rows/s")
    }

    /// Clears the line.
    func finish() {
        guard enabled, lastDraw != nil else { return }
        Printer.errRaw("\r\u{1B}[K")
    }

    static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
