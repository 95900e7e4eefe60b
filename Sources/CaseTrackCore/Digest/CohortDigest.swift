/// One cohort's digest: its states in pipeline order, its movements since
/// the previous digest, its throughput and its overdue cases.
public struct CohortDigest: Sendable, Hashable, Codable {
    public struct StateFigures: Sendable, Hashable, Codable {
        public var state: String
        public var title: String
        /// Set on terminal states.
        public var outcome: String?
        public var slaDays: Int?
        public var cases: DigestCount
        /// Persons of registered cases plus unregistered persons.
        public var persons: DigestCount
        /// Persons in minus persons out since the previous digest.
        public var netChange: DigestCount
        /// Median and 90th percentile of registered cases' whole days in
        /// the state (nearest rank); nil for terminal states, for states
        /// without cases, and where the case count is withheld.
        public var medianDaysInState: Int?
        public var p90DaysInState: Int?
        public var overdueCases: DigestCount
        public var overduePersons: DigestCount
    }

    /// Persons and cases who took one way since the previous digest.
    public struct Movement: Sendable, Hashable, Codable {
        /// `intake`, `registered` or `transition`.
        public var kind: DigestFacts.MovementKey.Kind
        public var event: String?
        public var from: String?
        public var to: String
        public var persons: DigestCount
        public var cases: DigestCount
    }

    /// A case over its state's SLA.
    public struct OverdueCase: Sendable, Hashable, Codable {
        public var id: String
        public var state: String
        /// nil in a published digest: a household's size is a small count.
        public var persons: Int?
        public var enteredAt: Timestamp
        public var deadline: Timestamp
        public var daysInState: Int
        public var daysOverdue: Int
    }

    /// Active persons at a digest, for the chart's line.
    public struct Point: Sendable, Hashable, Codable {
        public var time: Timestamp
        public var activePersons: DigestCount
    }

    public var cohort: String
    public var title: String?
    public var pipeline: String
    public var summary: DigestSummary
    /// In pipeline order.
    public var states: [StateFigures]
    public var movements: [Movement]
    /// Oldest first (by when they entered their state).
    public var oldestOverdue: [OverdueCase]
    /// Earlier digests then this one, oldest first.
    public var activeHistory: [Point]

    init(facts: DigestFacts.CohortFacts, pipeline: Pipeline, at now: Timestamp, threshold: Int?) {
        func cell(_ value: Int) -> DigestCount { .cell(value, threshold: threshold) }
        cohort = facts.cohort.id
        title = facts.cohort.title
        self.pipeline = pipeline.name

        movements = facts.movements.map { key, tally in
            Movement(
                kind: key.kind, event: key.event, from: key.from, to: key.to, persons: cell(tally.persons),
                cases: cell(tally.cases))
        }.sorted { lhs, rhs in
            let left = (lhs.from.flatMap(pipeline.position(of:)) ?? -1, pipeline.position(of: lhs.to) ?? Int.max)
            let right = (rhs.from.flatMap(pipeline.position(of:)) ?? -1, pipeline.position(of: rhs.to) ?? Int.max)
            if left != right { return left < right }
            return (lhs.kind.rawValue, lhs.event ?? "") < (rhs.kind.rawValue, rhs.event ?? "")
        }
        var net: [String: DigestCount] = [:]
        for movement in movements {
            net[movement.to, default: .zero] += movement.persons
            if let from = movement.from { net[from, default: .zero] = net[from, default: .zero] - movement.persons }
        }

        states = pipeline.states.map { state in
            let count = facts.counts[state.name] ?? StateCount(state: state.name)
            let cases = cell(count.cases)
            let overdue = facts.overdue[state.name] ?? DigestFacts.Tally()
            var median: Int?
            var p90: Int?
            if !state.isTerminal, cases.isExact, let entries = facts.entryPercentiles[state.name] {
                median = Self.wholeDays(from: entries.median, to: now)
                p90 = Self.wholeDays(from: entries.p90, to: now)
            }
            return StateFigures(
                state: state.name, title: state.title, outcome: state.outcome, slaDays: state.slaDays, cases: cases,
                persons: cell(count.persons), netChange: net[state.name] ?? .zero, medianDaysInState: median,
                p90DaysInState: p90, overdueCases: cell(overdue.cases), overduePersons: cell(overdue.persons))
        }

        // Only cases of states whose overdue count is shown are listed, so
        // the list's length reveals nothing withheld.
        oldestOverdue = facts.oldestOverdue.compactMap { overdue in
            guard let state = pipeline.state(named: overdue.state), let sla = state.slaDays,
                threshold == nil || cell(facts.overdue[overdue.state]?.cases ?? 0).isExact
            else { return nil }
            let deadline = overdue.enteredAt.adding(days: sla)
            return OverdueCase(
                id: overdue.id, state: overdue.state, persons: threshold == nil ? overdue.persons : nil,
                enteredAt: overdue.enteredAt, deadline: deadline,
                daysInState: Self.wholeDays(from: overdue.enteredAt, to: now),
                daysOverdue: Int(deadline.days(until: now).rounded(.down)))
        }

        let active = states.filter { $0.outcome == nil }
        let activePersons = active.map(\.persons).reduce(.zero, +)
        var exited: [String: DigestCount] = [:]
        for state in states { if let outcome = state.outcome { exited[outcome, default: .zero] += state.persons } }
        var reached7 = DigestCount.zero
        var reached30 = DigestCount.zero
        for state in pipeline.states where state.isTerminal {
            reached7 += cell(facts.arrivalsLast7Days[state.name] ?? 0)
            reached30 += cell(facts.arrivalsLast30Days[state.name] ?? 0)
        }
        summary = DigestSummary(
            activePersons: activePersons, activeCases: active.map(\.cases).reduce(.zero, +), exited: exited,
            movedPersons: movements.filter { $0.kind == .transition }.map(\.persons).reduce(.zero, +),
            enteredPersons: movements.filter { $0.kind != .transition }.map(\.persons).reduce(.zero, +),
            overdueCases: states.map(\.overdueCases).reduce(.zero, +),
            overduePersons: states.map(\.overduePersons).reduce(.zero, +),
            throughput: Throughput(last7Days: reached7, last30Days: reached30, active: activePersons, at: now))

        activeHistory =
            facts.history.map { Point(time: $0.time, activePersons: cell($0.activePersons)) }
            + [Point(time: now, activePersons: activePersons)]
    }

    static func wholeDays(from start: Timestamp, to now: Timestamp) -> Int {
        max(0, Int(start.days(until: now).rounded(.down)))
    }
}
