import Glibc
import Logging

/// The plain-text form of a log record shared by ``StderrLogHandler`` and the journal fallback:
/// `2026-11-29T05:00:00Z info casetrackd: message key=value ...`.
struct LogLine {
    var timestamp: String
    var level: Logger.Level
    var identifier: String
    var message: String
    var metadata: Logger.Metadata
    var error: (any Error)?

    /// The line without a trailing newline. Metadata keys are sorted; values with spaces,
    /// quotes, `=` or control characters are written as JSON string literals.
    var text: String {
        var line = "\(timestamp) \(level.rawValue) \(identifier): \(message)"
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) {
            line += " \(key)="
            Self.appendValue(JournalField.text(for: value), to: &line)
        }
        if let error {
            line += " error="
            Self.appendValue(String(describing: error), to: &line)
        }
        return line
    }

    private static func appendValue(_ value: String, to line: inout String) {
        let needsQuotes =
            value.isEmpty
            || value.unicodeScalars.contains {
                $0 == " " || $0 == "\"" || $0 == "=" || $0.value < 0x20 || $0.value == 0x7F
            }
        if needsQuotes {
            JournalField.appendJSONString(value, to: &line)
        } else {
            line += value
        }
    }

    /// The current time as RFC 3339 UTC with whole seconds, e.g. `2026-11-29T05:00:00Z`.
    static func currentTimestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var seconds = now.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ value: Int32, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))"
            + "T\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2))Z"
    }
}

/// Where text lines go: standard error by default, a capture buffer in tests.
struct LineOutput: Sendable {
    let write: @Sendable (String) -> Void

    /// Writes each line with one `write(2)` to file descriptor 2, so concurrent lines do not interleave.
    static let standardError = LineOutput { line in
        var bytes = Array((line + "\n").utf8)
        bytes.withUnsafeMutableBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.write(2, buffer.baseAddress! + offset, buffer.count - offset)
                if written > 0 {
                    offset += written
                } else if written < 0 && errno == EINTR {
                    continue
                } else {
                    return
                }
            }
        }
    }
}

extension Logger.Level {
    /// The syslog priority (0–7) the journal stores in `PRIORITY`.
    var syslogPriority: Int {
        switch self {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }
}

/// The name the program was started as, like `program_invocation_short_name`.
enum ProgramName {
    static let current: String = {
        guard let path = CommandLine.arguments.first, !path.isEmpty else { return "unknown" }
        return path.split(separator: "/").last.map(String.init) ?? path
    }()
}
