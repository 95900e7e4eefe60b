import Glibc
public import Logging

/// Where the process's logs go.
public enum LogDestination: String, Sendable, CaseIterable {
    /// The journal when the process runs under systemd, standard error otherwise.
    case automatic
    /// The systemd journal, through ``JournalLogHandler``.
    case journal
    /// Plain lines on standard error, through ``StderrLogHandler``.
    case stderr

    /// `journal` or `stderr`: ``automatic`` decided for this process.
    ///
    /// The journal is chosen when `$JOURNAL_STREAM` (`device:inode`) names the file standard
    /// error is, i.e. systemd connected stderr to the journal, or when `$INVOCATION_ID` is set,
    /// i.e. systemd started this process as a unit.
    public var resolved: LogDestination {
        switch self {
        case .journal, .stderr:
            return self
        case .automatic:
            return Self.detect(
                journalStream: getenv("JOURNAL_STREAM").map { String(cString: $0) },
                invocationID: getenv("INVOCATION_ID").map { String(cString: $0) },
                standardError: Self.standardErrorIdentity()
            )
        }
    }

    /// A handler for a logger with `label`.
    ///
    /// - Parameters:
    ///   - identifier: `SYSLOG_IDENTIFIER` and the name on stderr lines; `nil` means the program name.
    public func makeLogHandler(
        label: String,
        identifier: String? = nil,
        logLevel: Logger.Level = .info,
        metadataProvider: Logger.MetadataProvider? = nil
    ) -> any LogHandler {
        switch resolved {
        case .journal:
            JournalLogHandler(
                label: label, identifier: identifier, logLevel: logLevel, metadataProvider: metadataProvider
            )
        case .stderr, .automatic:
            StderrLogHandler(
                label: label, identifier: identifier, logLevel: logLevel, metadataProvider: metadataProvider
            )
        }
    }

    /// Bootstraps swift-log's `LoggingSystem` with handlers for this destination.
    ///
    /// Call once, early in `main`; swift-log allows a single bootstrap per process.
    /// - Returns: The destination actually used (`journal` or `stderr`).
    @discardableResult
    public func bootstrap(
        identifier: String? = nil,
        logLevel: Logger.Level = .info,
        metadataProvider: Logger.MetadataProvider? = nil
    ) -> LogDestination {
        let destination = resolved
        LoggingSystem.bootstrap(
            { label, provider in
                destination.makeLogHandler(
                    label: label, identifier: identifier, logLevel: logLevel, metadataProvider: provider)
            },
            metadataProvider: metadataProvider
        )
        return destination
    }

    /// The decision behind ``resolved`` for `automatic`, from its inputs.
    static func detect(
        journalStream: String?,
        invocationID: String?,
        standardError: (device: UInt64, inode: UInt64)?
    ) -> LogDestination {
        if let journalStream, let standardError {
            let parts = journalStream.split(separator: ":", omittingEmptySubsequences: false)
            if parts.count == 2, let device = UInt64(parts[0]), let inode = UInt64(parts[1]),
                device == standardError.device, inode == standardError.inode
            {
                return .journal
            }
        }
        if let invocationID, !invocationID.isEmpty {
            return .journal
        }
        return .stderr
    }

    private static func standardErrorIdentity() -> (device: UInt64, inode: UInt64)? {
        var status = stat()
        guard fstat(2, &status) == 0 else { return nil }
        return (UInt64(status.st_dev), UInt64(status.st_ino))
    }
}
