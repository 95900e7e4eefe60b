public import CaseTrackCore
import Foundation

/// The `digest:` section of the configuration: when digests are written,
/// how long they are kept, and the small-count threshold of published ones.
public struct DigestSettings: Sendable, Equatable {
    /// Whether the schedule runs; on-demand digests work either way.
    public var enabled = true
    /// Seconds between scheduled digests.
    public var every = 86_400
    /// Seconds after local midnight that slots align to.
    public var at = 6 * 3600
    /// `local`, `UTC`, or an IANA zone such as `Asia/Karachi`.
    public var timeZone = "local"
    /// Non-zero counts below this are withheld in published digests; 0 or 1 turns suppression off.
    public var suppressBelow = 5
    /// Written digests older than this many days are deleted.
    public var retentionDays = 90
    /// How many of the oldest overdue cases each cohort lists.
    public var overdueListLimit = 10

    public init() {}

    public var schedule: DigestSchedule {
        get throws(ConfigurationError) {
            guard let zone = Self.zone(timeZone) else {
                throw ConfigurationError(file: "digest.timezone", problem: "no time zone named '\(timeZone)'")
            }
            do {
                return try DigestSchedule(interval: every, alignment: at, timeZone: zone)
            } catch {
                throw ConfigurationError(file: "digest.every", problem: error.description)
            }
        }
    }

    public var suppressionThreshold: Int? { suppressBelow > 1 ? suppressBelow : nil }

    static func zone(_ name: String) -> TimeZone? {
        switch name.lowercased() {
        case "local": TimeZone.current
        case "utc": TimeZone(identifier: "UTC")
        default: TimeZone(identifier: name)
        }
    }

    struct File: Decodable {
        var enabled: Bool?
        var every: Flexible?
        var at: String?
        var timezone: String?
        var suppressBelow: Int?
        var retentionDays: Int?
        var overdueListLimit: Int?
    }

    init(_ file: File, file path: String) throws(ConfigurationError) {
        func problem(_ text: String) -> ConfigurationError { ConfigurationError(file: path, problem: "digest." + text) }
        if let enabled = file.enabled { self.enabled = enabled }
        if let every = file.every {
            guard let seconds = Self.seconds(every.text) else {
                throw problem("every '\(every.text)' is not a duration like 24h, 6h, 30m or 7d")
            }
            self.every = seconds
        }
        if let at = file.at {
            let parts = at.split(separator: ":").map { Int($0) }
            guard (2...3).contains(parts.count), parts.allSatisfy({ $0 != nil }), parts[0]! < 24, parts[1]! < 60,
                parts.count == 2 || parts[2]! < 60
            else { throw problem("at '\(at)' is not a time of day like 06:00") }
            self.at = parts[0]! * 3600 + parts[1]! * 60 + (parts.count == 3 ? parts[2]! : 0)
        } else if file.every != nil {
            self.at = 0
        }
        if let zone = file.timezone {
            guard Self.zone(zone) != nil else { throw problem("timezone '\(zone)' is not local, UTC or an IANA zone") }
            self.timeZone = zone
        }
        if let threshold = file.suppressBelow {
            guard threshold >= 0 else { throw problem("suppressBelow must not be negative") }
            self.suppressBelow = threshold
        }
        if let days = file.retentionDays {
            guard days > 0 else { throw problem("retentionDays must be positive, not \(days)") }
            self.retentionDays = days
        }
        if let limit = file.overdueListLimit {
            guard (0...1000).contains(limit) else { throw problem("overdueListLimit must be 0 to 1000") }
            self.overdueListLimit = limit
        }
        do {
            _ = try DigestSchedule(interval: every, alignment: self.at)
        } catch {
            throw problem("every: \(error.description)")
        }
    }

    /// `90s`, `30m`, `6h`, `7d`, or a number of seconds.
    static func seconds(_ text: String) -> Int? {
        let units: [Character: Int] = ["s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800]
        if let plain = Int(text) { return plain > 0 ? plain : nil }
        guard let unit = text.last.flatMap({ units[$0] }), let value = Int(text.dropLast()), value > 0 else {
            return nil
        }
        return value * unit
    }
}
