import Foundation
public import Logging
import Yams

/// casetrackd's configuration, read from a YAML file
/// (`/etc/casetrack/casetrackd.yaml`; every key is documented in the sample
/// `Config/casetrackd.yaml`). Every key has a safe default; relative paths
/// are relative to the file's directory.
public struct DaemonConfiguration: Sendable, Equatable {
    public struct Socket: Sendable, Equatable {
        public var path = "/run/casetrack/io.casetrack.Tracker"
        public var mode: UInt32 = 0o660
        /// Group of the socket file when the daemon binds it; nil leaves the daemon's own.
        public var group: String?
    }

    public struct Limits: Sendable, Equatable {
        public var maxMessageBytes = 1 << 20
        public var maxConnections = 1024
        public var maxConnectionsPerUser = 512
        public var maxWatchers = 256
        /// Arrays and objects a message may nest (the deepest call nests 5).
        public var maxNestingDepth = 32
        /// Bytes any string in a message may have, as sent (escapes included).
        /// Fields have tighter limits of their own (case ids 64, notes 1024…).
        public var maxStringBytes = 4096
        /// Calls of one connection processed at once. 1 (the default) keeps a
        /// connection's calls strictly in order, so a read sees the writes sent
        /// before it on the same connection; use more connections for parallelism.
        public var maxInFlightPerConnection = 1
        public var idleTimeoutSeconds = 600
        /// A message must arrive whole this long after its first byte.
        public var messageTimeoutSeconds = 30
        public var maxImportBatch = 10_000
        public var maxListLimit = 1_000
    }

    /// Who may do what: user and group names (or numeric ids) per role.
    public struct Access: Sendable, Equatable {
        public var admin = Members()
        public var `operator` = Members()
        public var reader = Members()
    }

    public struct Members: Sendable, Equatable, Decodable {
        public var users: [String] = []
        public var groups: [String] = []

        public init(users: [String] = [], groups: [String] = []) {
            self.users = users
            self.groups = groups
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            users = try container.decodeIfPresent([Flexible].self, forKey: .users)?.map(\.text) ?? []
            groups = try container.decodeIfPresent([Flexible].self, forKey: .groups)?.map(\.text) ?? []
        }

        enum CodingKeys: String, CodingKey { case users, groups }
    }

    /// How long the store keeps what it need not keep.
    public struct Retention: Sendable, Equatable {
        /// Cases that reached an outcome more than this many days ago are
        /// purged (their persons stay in the counts); 0 keeps them forever.
        public var closedCaseDays = 0
    }

    public enum LogDestinationSetting: String, Sendable, Equatable, Decodable {
        case automatic, journal, stderr
    }

    public var socket = Socket()
    public var stateDirectory = "/var/lib/casetrack"
    public var pipelinesDirectory = "/etc/casetrack/pipelines"
    public var logDestination = LogDestinationSetting.automatic
    public var logLevel = Logger.Level.info
    public var limits = Limits()
    public var access = Access()
    public var digest = DigestSettings()
    public var retention = Retention()
    /// The file it was read from, if any.
    public var source: String?

    public init() {}

    /// The store file inside the state directory.
    public var storePath: String { (stateDirectory as NSString).appendingPathComponent("casetrack.sqlite") }

    /// Reads and checks a configuration file.
    public static func load(path: String) throws(ConfigurationError) -> DaemonConfiguration {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigurationError(file: path, problem: "cannot read it: \(error.localizedDescription)")
        }
        return try parse(text, file: path)
    }

    static func parse(_ text: String, file: String) throws(ConfigurationError) -> DaemonConfiguration {
        let decoded: File
        do {
            decoded = try YAMLDecoder().decode(File.self, from: text.isEmpty ? "{}" : text)
        } catch let error as DecodingError {
            throw ConfigurationError(file: file, problem: ConfigurationError.describe(error))
        } catch {
            throw ConfigurationError(file: file, problem: "not valid YAML: \(error)")
        }
        let base = (file as NSString).deletingLastPathComponent
        func resolve(_ path: String) -> String {
            path.hasPrefix("/") || base.isEmpty ? path : (base as NSString).appendingPathComponent(path)
        }
        var configuration = DaemonConfiguration()
        configuration.source = file
        if let socket = decoded.socket {
            if let path = socket.path { configuration.socket.path = resolve(path) }
            if let mode = socket.mode {
                guard let value = UInt32(mode.text, radix: 8), value <= 0o777 else {
                    throw ConfigurationError(file: file, problem: "socket.mode '\(mode.text)' is not an octal mode like 0660")
                }
                configuration.socket.mode = value
            }
            configuration.socket.group = socket.group?.text
        }
        if let directory = decoded.stateDirectory { configuration.stateDirectory = resolve(directory) }
        if let directory = decoded.pipelinesDirectory { configuration.pipelinesDirectory = resolve(directory) }
        if let log = decoded.log {
            if let destination = log.destination { configuration.logDestination = destination }
            if let level = log.level {
                guard let value = Logger.Level(rawValue: level) else {
                    throw ConfigurationError(
                        file: file,
                        problem: "log.level '\(level)' is not one of trace, debug, info, notice, warning, error, critical")
                }
                configuration.logLevel = value
            }
        }
        if let limits = decoded.limits {
            func positive(_ value: Int?, _ key: String, _ keyPath: WritableKeyPath<Limits, Int>) throws(ConfigurationError) {
                guard let value else { return }
                guard value > 0 else { throw ConfigurationError(file: file, problem: "limits.\(key) must be positive, not \(value)") }
                configuration.limits[keyPath: keyPath] = value
            }
            try positive(limits.maxMessageBytes, "maxMessageBytes", \.maxMessageBytes)
            try positive(limits.maxConnections, "maxConnections", \.maxConnections)
            try positive(limits.maxConnectionsPerUser, "maxConnectionsPerUser", \.maxConnectionsPerUser)
            try positive(limits.maxWatchers, "maxWatchers", \.maxWatchers)
            try positive(limits.maxInFlightPerConnection, "maxInFlightPerConnection", \.maxInFlightPerConnection)
            try positive(limits.idleTimeoutSeconds, "idleTimeoutSeconds", \.idleTimeoutSeconds)
            try positive(limits.messageTimeoutSeconds, "messageTimeoutSeconds", \.messageTimeoutSeconds)
            try positive(limits.maxImportBatch, "maxImportBatch", \.maxImportBatch)
            try positive(limits.maxListLimit, "maxListLimit", \.maxListLimit)
            func atLeast(_ least: Int, _ value: Int?, _ key: String, _ why: String, _ keyPath: WritableKeyPath<Limits, Int>)
                throws(ConfigurationError)
            {
                guard let value else { return }
                guard value >= least else {
                    throw ConfigurationError(file: file, problem: "limits.\(key) must be at least \(least) (\(why)), not \(value)")
                }
                configuration.limits[keyPath: keyPath] = value
            }
            try atLeast(8, limits.maxNestingDepth, "maxNestingDepth", "ImportCases calls nest 5 deep", \.maxNestingDepth)
            try atLeast(
                1024, limits.maxStringBytes, "maxStringBytes", "notes may be 1024 bytes", \.maxStringBytes)
        }
        if let digest = decoded.digest { configuration.digest = try DigestSettings(digest, file: file) }
        if let days = decoded.retention?.closedCaseDays {
            guard days >= 0 else {
                throw ConfigurationError(file: file, problem: "retention.closedCaseDays must be 0 (keep) or more, not \(days)")
            }
            configuration.retention.closedCaseDays = days
        }
        if let access = decoded.access {
            configuration.access.admin = access.admin ?? Members()
            configuration.access.operator = access.operator ?? Members()
            configuration.access.reader = access.reader ?? Members()
        }
        return configuration
    }

    private struct File: Decodable {
        struct Socket: Decodable {
            var path: String?
            var mode: Flexible?
            var group: Flexible?
        }
        struct Log: Decodable {
            var destination: LogDestinationSetting?
            var level: String?
        }
        struct Limits: Decodable {
            var maxMessageBytes: Int?
            var maxConnections: Int?
            var maxConnectionsPerUser: Int?
            var maxWatchers: Int?
            var maxInFlightPerConnection: Int?
            var idleTimeoutSeconds: Int?
            var messageTimeoutSeconds: Int?
            var maxImportBatch: Int?
            var maxListLimit: Int?
            var maxNestingDepth: Int?
            var maxStringBytes: Int?
        }
        struct Access: Decodable {
            var admin: Members?
            var `operator`: Members?
            var reader: Members?
        }
        var socket: Socket?
        var stateDirectory: String?
        var pipelinesDirectory: String?
        var log: Log?
        var limits: Limits?
        var access: Access?
        var digest: DigestSettings.File?
        var retention: RetentionFile?
    }

    private struct RetentionFile: Decodable {
        var closedCaseDays: Int?
    }
}

/// A YAML scalar read as text whether it was written as a number or a string
/// (`mode: 0660`, `groups: [casetrack, 1001]`).
struct Flexible: Decodable, Equatable {
    var text: String

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self) {
            self.text = text
        } else {
            self.text = String(try container.decode(Int.self))
        }
    }
}

/// A configuration or definition file that cannot be used, and why.
public struct ConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var problem: String

    public init(file: String, problem: String) {
        self.file = file
        self.problem = problem
    }

    public var description: String { "\(file): \(problem)" }

    static func describe(_ error: DecodingError) -> String {
        func path(_ codingPath: [any CodingKey]) -> String {
            codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
                .replacingOccurrences(of: ".[", with: "[")
        }
        switch error {
        case .typeMismatch(let type, let context):
            return "\(path(context.codingPath)): expected \(type)"
        case .valueNotFound(let type, let context):
            return "\(path(context.codingPath)): missing \(type)"
        case .keyNotFound(let key, let context):
            let place = path(context.codingPath)
            return "\(place.isEmpty ? "" : place + ": ")missing key '\(key.stringValue)'"
        case .dataCorrupted(let context):
            let place = path(context.codingPath)
            return "\(place.isEmpty ? "" : place + ": ")\(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }
}
