public import Logging

/// A `LogHandler` that writes one readable line per record to standard error, for terminals
/// and tests: `2026-11-29T05:00:00Z info casetrackd: message key=value ...`.
public struct StderrLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    public var logLevel: Logger.Level

    /// The logger's label (e.g. `casetrack.store`).
    public let label: String
    /// The name written before the message; the program name by default.
    public let identifier: String
    /// Whether each line starts with a syslog `<N>` priority prefix, as journald and other
    /// syslog readers of a stream parse it.
    public let syslogPriorityPrefix: Bool

    let output: LineOutput
    let timestamp: @Sendable () -> String

    /// Creates a handler.
    ///
    /// - Parameters:
    ///   - label: The logger's label.
    ///   - identifier: The name shown before each message; `nil` means the program name.
    ///   - logLevel: The lowest level written.
    ///   - metadataProvider: Adds contextual metadata to every record.
    ///   - syslogPriorityPrefix: Start each line with `<N>` (the syslog priority).
    public init(
        label: String,
        identifier: String? = nil,
        logLevel: Logger.Level = .info,
        metadataProvider: Logger.MetadataProvider? = nil,
        syslogPriorityPrefix: Bool = false
    ) {
        self.init(
            label: label, identifier: identifier, logLevel: logLevel, metadataProvider: metadataProvider,
            syslogPriorityPrefix: syslogPriorityPrefix, output: .standardError,
            timestamp: LogLine.currentTimestamp)
    }

    init(
        label: String,
        identifier: String?,
        logLevel: Logger.Level,
        metadataProvider: Logger.MetadataProvider?,
        syslogPriorityPrefix: Bool,
        output: LineOutput,
        timestamp: @escaping @Sendable () -> String
    ) {
        self.label = label
        self.identifier = identifier ?? ProgramName.current
        self.logLevel = logLevel
        self.metadataProvider = metadataProvider
        self.syslogPriorityPrefix = syslogPriorityPrefix
        self.output = output
        self.timestamp = timestamp
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let line = LogLine(
            timestamp: timestamp(),
            level: event.level,
            identifier: identifier,
            message: event.message.description,
            metadata: mergedMetadata(
                handler: metadata, provider: metadataProvider, record: event.metadata),
            error: event.error
        )
        output.write(syslogPriorityPrefix ? "<\(event.level.syslogPriority)>\(line.text)" : line.text)
    }
}

/// Handler metadata, then the provider's, then the record's: later sources win on equal keys,
/// as in swift-log's own handlers.
func mergedMetadata(
    handler: Logger.Metadata,
    provider: Logger.MetadataProvider?,
    record: Logger.Metadata?
) -> Logger.Metadata {
    var merged = handler
    if let provided = provider?.get(), !provided.isEmpty {
        merged.merge(provided) { _, new in new }
    }
    if let record, !record.isEmpty {
        merged.merge(record) { _, new in new }
    }
    return merged
}
