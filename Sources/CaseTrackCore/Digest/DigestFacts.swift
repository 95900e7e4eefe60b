/// Where the previous digest left off: movements are counted after its
/// sequence number.
public struct DigestMark: Sendable, Hashable, Codable {
    public var time: Timestamp
    public var seq: Int64

    public init(time: Timestamp, seq: Int64) {
        self.time = time
        self.seq = seq
    }
}

/// What the schedule remembers of a digest it wrote: when, up to which
/// event, and the active persons of each cohort (the line of the chart).
public struct DigestRecord: Sendable, Hashable, Codable {
    public var mark: DigestMark
    public var activePersons: [String: Int]

    public init(mark: DigestMark, activePersons: [String: Int]) {
        self.mark = mark
        self.activePersons = activePersons
    }
}

/// The exact primary figures a digest is derived from, gathered from the
/// store's counts, log and cases by aggregates, never case by case in memory.
///
/// The store feeds it with the `add…` methods; ``Digest/init(facts:pipelines:suppressionThreshold:)``
/// does all the arithmetic.
public struct DigestFacts: Sendable, Hashable {
    /// Cases and persons.
    public struct Tally: Sendable, Hashable {
        public var cases: Int
        public var persons: Int

        public init(cases: Int = 0, persons: Int = 0) {
            self.cases = cases
            self.persons = persons
        }

        static func + (lhs: Tally, rhs: Tally) -> Tally {
            Tally(cases: lhs.cases + rhs.cases, persons: lhs.persons + rhs.persons)
        }
    }

    /// One kind of movement since the previous digest.
    public struct MovementKey: Sendable, Hashable {
        public enum Kind: String, Sendable, Hashable, Codable {
            /// Persons entered the cohort as a number.
            case intake
            /// A case entered with persons not counted before.
            case registered
            /// Cases or persons moved from one state to another.
            case transition
        }

        public var kind: Kind
        public var event: String?
        public var from: String?
        public var to: String
    }

    /// A case over its state's SLA.
    public struct OverdueCase: Sendable, Hashable {
        public var id: String
        public var state: String
        public var persons: Int
        public var enteredAt: Timestamp

        public init(id: String, state: String, persons: Int, enteredAt: Timestamp) {
            self.id = id
            self.state = state
            self.persons = persons
            self.enteredAt = enteredAt
        }
    }

    public struct CohortFacts: Sendable, Hashable {
        public var cohort: Cohort
        public var counts: [String: StateCount] = [:]
        /// Per state: when the cases at the median and the 90th percentile of time in state entered it.
        public var entryPercentiles: [String: EntryPercentiles] = [:]
        /// Per state: cases over the SLA and their persons.
        public var overdue: [String: Tally] = [:]
        public var oldestOverdue: [OverdueCase] = []
        public var movements: [MovementKey: Tally] = [:]
        /// Persons who moved into each state within the trailing 7 and 30 days.
        public var arrivalsLast7Days: [String: Int] = [:]
        public var arrivalsLast30Days: [String: Int] = [:]
        /// Active persons at earlier digests, oldest first.
        public var history: [HistoryPoint] = []

        public init(cohort: Cohort) { self.cohort = cohort }
    }

    public struct EntryPercentiles: Sendable, Hashable {
        public var median: Timestamp
        public var p90: Timestamp
    }

    /// The active persons of a cohort at an earlier digest.
    public struct HistoryPoint: Sendable, Hashable {
        public var time: Timestamp
        public var activePersons: Int
    }

    public var generatedAt: Timestamp
    /// The newest event the digest includes.
    public var throughSeq: Int64
    /// The previous scheduled digest; movements are those after it.
    public var since: DigestMark?
    /// How many of the oldest overdue cases each cohort lists.
    public var overdueListLimit: Int
    /// In cohort id order.
    public private(set) var cohorts: [CohortFacts] = []
    private var index: [String: Int] = [:]

    public init(generatedAt: Timestamp, throughSeq: Int64, since: DigestMark?, overdueListLimit: Int = 10) {
        self.generatedAt = generatedAt
        self.throughSeq = throughSeq
        self.since = since
        self.overdueListLimit = overdueListLimit
    }

    /// The start of the trailing windows throughput is measured over.
    public var sevenDaysAgo: Timestamp { generatedAt.adding(days: -7) }
    public var thirtyDaysAgo: Timestamp { generatedAt.adding(days: -30) }

    public mutating func add(cohort: Cohort, counts: [StateCount]) {
        var facts = CohortFacts(cohort: cohort)
        for count in counts { facts.counts[count.state] = count }
        index[cohort.id] = cohorts.count
        cohorts.append(facts)
    }

    public func includes(cohort: String) -> Bool { index[cohort] != nil }

    private mutating func update(_ cohort: String, _ body: (inout CohortFacts) -> Void) {
        guard let position = index[cohort] else { return }
        body(&cohorts[position])
    }

    /// The entry times of the cases at the median and the 90th percentile
    /// of time in state: the store finds the case at each of
    /// ``percentileRanks(cases:)``.
    public mutating func setEntryPercentiles(cohort: String, state: String, median: Timestamp, p90: Timestamp) {
        update(cohort) { $0.entryPercentiles[state] = EntryPercentiles(median: median, p90: p90) }
    }

    /// Nearest-rank positions of the median and 90th percentile among
    /// `cases` cases ordered from the latest to enter their state (shortest
    /// time in state) to the earliest, counted from 0.
    public static func percentileRanks(cases: Int) -> (median: Int, p90: Int) {
        func rank(_ fraction: Double) -> Int { max(1, Int((fraction * Double(cases)).rounded(.up))) - 1 }
        return (rank(0.5), rank(0.9))
    }

    /// Cases entering a state with an SLA before this time are overdue now.
    public func overdueCutoff(slaDays: Int) -> Timestamp { generatedAt.adding(days: -slaDays) }

    public mutating func addOverdue(cohort: String, state: String, cases: Int, persons: Int) {
        update(cohort) {
            $0.overdue[state, default: Tally()] =
                $0.overdue[state, default: Tally()] + Tally(cases: cases, persons: persons)
        }
    }

    /// Offers an overdue case for the cohort's list of the oldest; keeps the
    /// ``overdueListLimit`` that entered their state first.
    public mutating func offerOverdue(cohort: String, _ overdueCase: OverdueCase) {
        let limit = overdueListLimit
        update(cohort) { facts in
            facts.oldestOverdue.append(overdueCase)
            facts.oldestOverdue.sort { ($0.enteredAt, $0.id) < ($1.enteredAt, $1.id) }
            if facts.oldestOverdue.count > limit { facts.oldestOverdue.removeLast(facts.oldestOverdue.count - limit) }
        }
    }

    /// Events since the previous digest, aggregated by kind, event and states.
    public mutating func addEvents(
        cohort: String, kind: EventKind, event: String?, from: String?, to: String?, cases: Int, persons: Int
    ) {
        guard let to else { return }
        let key: MovementKey
        switch kind {
        case .intake: key = MovementKey(kind: .intake, event: nil, from: nil, to: to)
        case .caseAdded:
            // A case drawn from the unregistered pool adds no persons.
            guard from == nil else { return }
            key = MovementKey(kind: .registered, event: nil, from: nil, to: to)
        case .move, .transition: key = MovementKey(kind: .transition, event: event, from: from, to: to)
        case .cohortCreated, .purge: return
        }
        update(cohort) {
            $0.movements[key, default: Tally()] =
                $0.movements[key, default: Tally()] + Tally(cases: cases, persons: persons)
        }
    }

    /// Persons moved into `state` (by a move or transition) in the trailing windows.
    public mutating func addArrivals(cohort: String, state: String, last7Days: Int, last30Days: Int) {
        update(cohort) {
            $0.arrivalsLast7Days[state, default: 0] += last7Days
            $0.arrivalsLast30Days[state, default: 0] += last30Days
        }
    }

    /// The earlier digests, oldest first.
    public mutating func addHistory(_ records: [DigestRecord]) {
        for record in records.sorted(by: { $0.mark.time < $1.mark.time }) where record.mark.time < generatedAt {
            for (cohort, persons) in record.activePersons {
                update(cohort) { $0.history.append(HistoryPoint(time: record.mark.time, activePersons: persons)) }
            }
        }
    }
}
