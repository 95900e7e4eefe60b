/// The morning read: per cohort and in total, who is where, what moved since
/// the previous digest, how fast people reach an outcome, when the backlog
/// clears at that pace, and who is stuck.
///
/// Built from ``DigestFacts`` by arithmetic alone. With a suppression
/// threshold it is the *published* digest: every non-zero primary count
/// below the threshold is withheld, and every figure derived from counts
/// (totals, net change, rates, the clearance date, time in state) is derived
/// from what is shown, so nothing withheld can be worked out from it.
public struct Digest: Sendable, Hashable, Codable {
    /// The JSON layout's version; raised when a member changes meaning.
    public static let schemaVersion = 1

    public var schema: Int
    public var generatedAt: Timestamp
    /// The newest event included.
    public var throughSeq: Int64
    /// The previous scheduled digest, after which movements are counted; nil: since the beginning.
    public var since: DigestMark?
    /// Non-zero counts below this are withheld; nil: every figure is exact.
    public var suppressionThreshold: Int?
    public var cohorts: [CohortDigest]
    /// Across every cohort: the sum of the cohorts' figures as shown.
    public var total: DigestSummary

    public init(facts: DigestFacts, pipelines: [String: Pipeline], suppressionThreshold: Int? = nil) {
        let threshold = suppressionThreshold.flatMap { $0 > 1 ? $0 : nil }
        self.schema = Self.schemaVersion
        self.generatedAt = facts.generatedAt
        self.throughSeq = facts.throughSeq
        self.since = facts.since
        self.suppressionThreshold = threshold
        self.cohorts = facts.cohorts.compactMap { cohort in
            pipelines[cohort.cohort.pipeline].map {
                CohortDigest(facts: cohort, pipeline: $0, at: facts.generatedAt, threshold: threshold)
            }
        }
        self.total = DigestSummary(adding: cohorts.map(\.summary), at: facts.generatedAt)
    }

    public var activePersons: DigestCount { total.activePersons }
}

/// The headline figures of a cohort, or of all of them.
public struct DigestSummary: Sendable, Hashable, Codable {
    public var activePersons: DigestCount
    public var activeCases: DigestCount
    /// Persons who left the pipeline, by outcome (resettled, denied, deported, …).
    public var exited: [String: DigestCount]
    /// Persons who changed state since the previous digest.
    public var movedPersons: DigestCount
    /// Persons and cases who entered since the previous digest.
    public var enteredPersons: DigestCount
    public var overdueCases: DigestCount
    public var overduePersons: DigestCount
    public var throughput: Throughput

    init(
        activePersons: DigestCount, activeCases: DigestCount, exited: [String: DigestCount],
        movedPersons: DigestCount, enteredPersons: DigestCount, overdueCases: DigestCount,
        overduePersons: DigestCount, throughput: Throughput
    ) {
        self.activePersons = activePersons
        self.activeCases = activeCases
        self.exited = exited
        self.movedPersons = movedPersons
        self.enteredPersons = enteredPersons
        self.overdueCases = overdueCases
        self.overduePersons = overduePersons
        self.throughput = throughput
    }

    init(adding parts: [DigestSummary], at now: Timestamp) {
        func sum(_ figure: (DigestSummary) -> DigestCount) -> DigestCount { parts.map(figure).reduce(.zero, +) }
        var exited: [String: DigestCount] = [:]
        for part in parts { for (outcome, count) in part.exited { exited[outcome, default: .zero] += count } }
        let active = sum(\.activePersons)
        self.init(
            activePersons: active, activeCases: sum(\.activeCases), exited: exited, movedPersons: sum(\.movedPersons),
            enteredPersons: sum(\.enteredPersons), overdueCases: sum(\.overdueCases),
            overduePersons: sum(\.overduePersons),
            throughput: Throughput(
                last7Days: sum(\.throughput.last7Days), last30Days: sum(\.throughput.last30Days), active: active,
                at: now))
    }
}

/// Persons reaching an outcome per day, and when the backlog clears at that pace.
public struct Throughput: Sendable, Hashable, Codable {
    /// Persons who reached an outcome in the trailing 7 and 30 days.
    public var last7Days: DigestCount
    public var last30Days: DigestCount
    /// Persons per day; nil when the count is withheld.
    public var perDayLast7Days: Double?
    public var perDayLast30Days: Double?
    /// When the active backlog clears at the 30-day rate.
    public var projectedClearance: Clearance

    init(last7Days: DigestCount, last30Days: DigestCount, active: DigestCount, at now: Timestamp) {
        self.last7Days = last7Days
        self.last30Days = last30Days
        self.perDayLast7Days = last7Days.exactValue.map { Self.rounded(Double($0) / 7) }
        self.perDayLast30Days = last30Days.exactValue.map { Self.rounded(Double($0) / 30) }
        self.projectedClearance = Clearance(active: active, last30Days: last30Days, at: now)
    }

    static func rounded(_ value: Double) -> Double { (value * 100).rounded() / 100 }
}

/// The projected date the active backlog clears.
public enum Clearance: Sendable, Hashable, Codable, CustomStringConvertible {
    /// At the 30-day rate the last active person reaches an outcome on this UTC date.
    case projected(date: String, days: Int)
    /// Nobody reached an outcome in 30 days.
    case noneAtCurrentRate
    /// Nobody is active.
    case nothingToClear
    /// The figures it rests on are withheld.
    case withheld

    /// active ÷ (persons reaching an outcome in 30 days ÷ 30), in whole days rounded up.
    init(active: DigestCount, last30Days: DigestCount, at now: Timestamp) {
        guard let active = active.exactValue, let reached = last30Days.exactValue else {
            self = .withheld
            return
        }
        if active == 0 {
            self = .nothingToClear
        } else if reached == 0 {
            self = .noneAtCurrentRate
        } else {
            let days = (active * 30 + reached - 1) / reached
            self = .projected(date: now.adding(days: days).date, days: days)
        }
    }

    public var description: String {
        switch self {
        case .projected(let date, let days): "\(date) (\(days) days)"
        case .noneAtCurrentRate: "none at current rate"
        case .nothingToClear: "nothing to clear"
        case .withheld: "withheld"
        }
    }

    /// The value of the journal's `PROJECTED_CLEARANCE` field.
    public var field: String {
        switch self {
        case .projected(let date, _): date
        case .noneAtCurrentRate: "none"
        case .nothingToClear: "cleared"
        case .withheld: "withheld"
        }
    }

    private enum CodingKeys: String, CodingKey { case status, date, days }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        switch try container.decode(String.self, forKey: .status) {
        case "projected":
            self = .projected(
                date: try container.decode(String.self, forKey: .date),
                days: try container.decode(Int.self, forKey: .days))
        case "none-at-current-rate": self = .noneAtCurrentRate
        case "nothing-to-clear": self = .nothingToClear
        default: self = .withheld
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .projected(let date, let days):
            try container.encode("projected", forKey: .status)
            try container.encode(date, forKey: .date)
            try container.encode(days, forKey: .days)
        case .noneAtCurrentRate: try container.encode("none-at-current-rate", forKey: .status)
        case .nothingToClear: try container.encode("nothing-to-clear", forKey: .status)
        case .withheld: try container.encode("withheld", forKey: .status)
        }
    }
}
