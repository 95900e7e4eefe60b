import CSystemd
import Glibc
public import Logging

/// A `LogHandler` that writes each record to the systemd journal as one structured entry,
/// through `sd_journal_sendv(3)`.
///
/// Every entry carries `MESSAGE`, `PRIORITY` (syslog 0–7: trace and debug 7, info 6, notice 5,
/// warning 4, error 3, critical 2), `CODE_FILE`, `CODE_LINE`, `CODE_FUNC`, `SYSLOG_IDENTIFIER`,
/// `LOGGER_LABEL`, `ERROR` when the record has one, and one field per metadata entry (handler
/// metadata, then the metadata provider's, then the record's; later wins) named by
/// ``JournalField/name(forMetadataKey:)``: `case-id` → `CASE_ID`, `fromState` → `FROM_STATE`.
///
/// A metadata key naming `MESSAGE_ID` sets the entry's `MESSAGE_ID`, normalised to 32 lowercase
/// hex digits (UUID dashes removed); a value that is not a 128-bit id is kept as
/// `X_MESSAGE_ID` instead. A metadata key that would overwrite one of the fields above gets an
/// `X_` prefix (`message` → `X_MESSAGE`). Multi-line messages stay one entry.
///
/// When the journal cannot be reached (its socket is missing or refuses, as while journald is
/// down or restarting), the record is written to standard error as a ``StderrLogHandler`` line
/// and logging goes on; each record tries the journal again, so lines return there once
/// journald is back. Entries are sent from a background queue, in order: a journald that stops
/// reading holds up that queue, never the logging thread; while 4096 entries wait, further
/// records go to standard error at once. Queued entries are sent (for up to two seconds) when
/// the process exits.
public struct JournalLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    public var logLevel: Logger.Level

    /// The logger's label, sent as `LOGGER_LABEL`.
    public let label: String
    /// Sent as `SYSLOG_IDENTIFIER`; the program name by default.
    public let identifier: String

    /// Sends one entry; returns 0 or a negative errno, like `sd_journal_sendv`.
    typealias Sender = @Sendable (UnsafeBufferPointer<iovec>) -> CInt

    let sender: Sender
    let fallback: LineOutput
    /// Where entries wait to be sent; nil: sent by the logging thread.
    let queue: JournalQueue?

    static let journalSocket = "/run/systemd/journal/socket"

    /// `sd_journal_sendv`, except that a journal whose socket does not exist
    /// counts as a failure: libsystemd then returns 0 ("fail silently", with
    /// errno cleared), and the record would be lost instead of going to stderr.
    static let journalSender: Sender = { iovecs in
        guard access(journalSocket, F_OK) == 0 else { return -ENOENT }
        return sd_journal_sendv(iovecs.baseAddress, CInt(iovecs.count))
    }

    /// The fields this handler sets itself; metadata keys that map onto them are prefixed `X_`.
    static let reservedNames: Set<String> = [
        "MESSAGE", "PRIORITY", "CODE_FILE", "CODE_LINE", "CODE_FUNC", "SYSLOG_IDENTIFIER",
        "LOGGER_LABEL", "ERROR",
    ]

    /// Creates a handler.
    ///
    /// - Parameters:
    ///   - label: The logger's label, sent as `LOGGER_LABEL`.
    ///   - identifier: The `SYSLOG_IDENTIFIER`; `nil` means the program name.
    ///   - logLevel: The lowest level sent.
    ///   - metadataProvider: Adds contextual metadata to every record.
    public init(
        label: String,
        identifier: String? = nil,
        logLevel: Logger.Level = .info,
        metadataProvider: Logger.MetadataProvider? = nil
    ) {
        self.init(
            label: label, identifier: identifier, logLevel: logLevel, metadataProvider: metadataProvider,
            sender: Self.journalSender,
            fallback: .standardError, queue: .shared)
    }

    init(
        label: String,
        identifier: String?,
        logLevel: Logger.Level,
        metadataProvider: Logger.MetadataProvider?,
        sender: @escaping Sender,
        fallback: LineOutput,
        queue: JournalQueue? = nil
    ) {
        self.label = label
        self.identifier = identifier ?? ProgramName.current
        self.logLevel = logLevel
        self.metadataProvider = metadataProvider
        self.sender = sender
        self.fallback = fallback
        self.queue = queue
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let merged = mergedMetadata(
            handler: metadata, provider: metadataProvider, record: event.metadata)
        let fields = Self.fields(for: event, metadata: merged, label: label, identifier: identifier)
        let (level, identifier, message) = (event.level, identifier, event.message.description)
        let error = event.error.map { DescribedError(description: String(describing: $0)) }
        let fallback = self.fallback
        let writeFallback: @Sendable () -> Void = {
            let line = LogLine(
                timestamp: LogLine.currentTimestamp(), level: level, identifier: identifier, message: message,
                metadata: merged, error: error)
            fallback.write(line.text)
        }
        guard let queue else {
            if Self.send(fields, with: sender) < 0 { writeFallback() }
            return
        }
        let sender = self.sender
        let queued = queue.submit {
            if Self.send(fields, with: sender) < 0 { writeFallback() }
        }
        if !queued { writeFallback() }
    }

    /// An error as its text, which is all a fallback line needs of it.
    struct DescribedError: Error, CustomStringConvertible {
        let description: String
    }

    /// The journal entry for one record, in the order it is sent.
    static func fields(
        for event: LogEvent,
        metadata: Logger.Metadata,
        label: String,
        identifier: String
    ) -> [JournalField] {
        var fields: [JournalField] = [
            JournalField("MESSAGE", event.message.description),
            JournalField("PRIORITY", String(event.level.syslogPriority)),
            JournalField("CODE_FILE", event.file),
            JournalField("CODE_LINE", String(event.line)),
            JournalField("CODE_FUNC", event.function),
            JournalField("SYSLOG_IDENTIFIER", identifier),
            JournalField("LOGGER_LABEL", label),
        ]
        if let error = event.error {
            fields.append(JournalField("ERROR", String(describing: error)))
        }
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) {
            var name = JournalField.name(forMetadataKey: key)
            var text = JournalField.text(for: value)
            if name == "MESSAGE_ID" {
                if let id = normalizedID128(text) {
                    text = id
                } else {
                    name = "X_MESSAGE_ID"
                }
            } else if reservedNames.contains(name) {
                name = String(("X_" + name).prefix(JournalField.maximumNameLength))
            }
            fields.append(JournalField(name, text))
        }
        return fields
    }

    /// `text` as 32 lowercase hex digits, if it is a 128-bit id with or without UUID dashes.
    static func normalizedID128(_ text: String) -> String? {
        let hex = text.lowercased().filter { $0 != "-" }
        guard hex.utf8.count == 32,
            hex.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) })
        else {
            return nil
        }
        return hex
    }

    /// Lays the fields out as `NAME=value` in one buffer and hands the iovecs to `sender`.
    static func send(_ fields: [JournalField], with sender: Sender) -> CInt {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(fields.reduce(0) { $0 + $1.name.utf8.count + $1.value.utf8.count + 1 })
        var ranges: [Range<Int>] = []
        ranges.reserveCapacity(fields.count)
        for field in fields {
            let start = bytes.count
            bytes.append(contentsOf: field.name.utf8)
            bytes.append(UInt8(ascii: "="))
            bytes.append(contentsOf: field.value.utf8)
            ranges.append(start..<bytes.count)
        }
        return bytes.withUnsafeMutableBytes { buffer in
            let iovecs = ranges.map { range in
                iovec(iov_base: buffer.baseAddress! + range.lowerBound, iov_len: range.count)
            }
            return iovecs.withUnsafeBufferPointer(sender)
        }
    }
}
