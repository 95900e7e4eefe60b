/// The figures of one cohort at one moment: persons and cases per state in
/// pipeline order, and the active persons against those who left by outcome.
public struct CohortDigest: Sendable, Hashable, Codable {
    public struct StateFigures: Sendable, Hashable, Codable {
        public var state: String
        public var title: String
        public var outcome: String?
        public var cases: Int
        public var persons: Int
    }

    public var cohort: String
    public var pipeline: String
    public var states: [StateFigures]
    public var activePersons: Int
    public var activeCases: Int
    /// Persons who reached each outcome.
    public var exited: [String: Int]

    public init(cohort: Cohort, pipeline: Pipeline, counts: [StateCount]) {
        var byState: [String: StateCount] = [:]
        for count in counts { byState[count.state] = count }
        self.cohort = cohort.id
        self.pipeline = pipeline.name
        self.states = pipeline.states.map { state in
            let count = byState[state.name] ?? StateCount(state: state.name)
            return StateFigures(
                state: state.name, title: state.title, outcome: state.outcome, cases: count.cases, persons: count.persons)
        }
        self.activePersons = states.filter { $0.outcome == nil }.reduce(0) { $0 + $1.persons }
        self.activeCases = states.filter { $0.outcome == nil }.reduce(0) { $0 + $1.cases }
        var exited: [String: Int] = [:]
        for figures in states { if let outcome = figures.outcome { exited[outcome, default: 0] += figures.persons } }
        self.exited = exited
    }
}

/// A digest across cohorts: each cohort's figures and their total.
public struct Digest: Sendable, Hashable, Codable {
    public var generatedAt: Timestamp
    public var cohorts: [CohortDigest]
    public var activePersons: Int
    public var activeCases: Int
    public var exited: [String: Int]

    public init(generatedAt: Timestamp, cohorts: [CohortDigest]) {
        self.generatedAt = generatedAt
        self.cohorts = cohorts
        self.activePersons = cohorts.reduce(0) { $0 + $1.activePersons }
        self.activeCases = cohorts.reduce(0) { $0 + $1.activeCases }
        self.exited = cohorts.reduce(into: [:]) { total, cohort in
            for (outcome, persons) in cohort.exited { total[outcome, default: 0] += persons }
        }
    }
}
