public import CaseTrackCore

/// What a store holds, kept in memory: cohorts, cases, counts per
/// (cohort, state), and the event log with its sequence numbers.
///
/// It applies a ``Ledger``'s effects the way a store must: the core tests
/// tell the ledger's rules as stories through it, and the store tests
/// replay what the store acknowledged through it and compare.
public struct InMemoryLedger: LedgerReader {
    public struct Key: Hashable {
        public var cohort: String
        public var state: String

        public init(cohort: String, state: String) {
            self.cohort = cohort
            self.state = state
        }
    }

    public let ledger: Ledger
    public private(set) var cohorts: [String: Cohort] = [:]
    public private(set) var cases: [String: Case] = [:]
    public private(set) var counts: [Key: StateCount] = [:]
    public private(set) var events: [Event] = []

    public init(pipelines: [Pipeline]) {
        ledger = Ledger(pipelines: Dictionary(uniqueKeysWithValues: pipelines.map { ($0.name, $0) }))
    }

    public func cohort(_ id: String) -> Cohort? { cohorts[id] }
    public func caseRecord(_ id: String) -> Case? { cases[id] }
    public func cases(pipeline: String, states: [String], enteredBefore time: Timestamp) -> [Case] {
        cases.values.filter {
            cohorts[$0.cohort]?.pipeline == pipeline && states.contains($0.state) && $0.enteredAt < time
        }.sorted { $0.id < $1.id }
    }

    public func cases(cohort: String, state: String) -> [Case] {
        cases.values.filter { $0.cohort == cohort && $0.state == state }.sorted { $0.id < $1.id }
    }
    public func unregistered(cohort: String, state: String) -> Int {
        counts[Key(cohort: cohort, state: state)]?.unregistered ?? 0
    }

    /// The counts of one state, zero when nothing was ever there.
    public func count(_ cohort: String, _ state: String) -> StateCount {
        counts[Key(cohort: cohort, state: state)] ?? StateCount(state: state)
    }

    /// Persons in every state of a cohort, registered or not.
    public func persons(in cohort: String) -> Int {
        counts.filter { $0.key.cohort == cohort }.values.reduce(0) { $0 + $1.persons }
    }

    /// Plans the mutation and, if the ledger accepts it, applies its effects.
    @discardableResult
    public mutating func apply(_ mutation: Mutation, context: MutationContext) throws -> MutationResult {
        let plan = try ledger.plan(mutation, context: context, reader: self)
        var appended: [Event] = []
        for effect in plan.effects {
            switch effect {
            case .createCohort(let cohort):
                precondition(cohorts[cohort.id] == nil, "cohort \(cohort.id) created twice")
                cohorts[cohort.id] = cohort
            case .addCase(let record):
                precondition(cases[record.id] == nil, "case \(record.id) added twice")
                cases[record.id] = record
                adjust(record.cohort, record.state) {
                    $0.cases += 1
                    $0.casePersons += record.persons
                }
            case .moveCase(let record, let from):
                precondition(cases[record.id]?.state == from, "case \(record.id) moved from a state it is not in")
                cases[record.id] = record
                adjust(record.cohort, from) {
                    $0.cases -= 1
                    $0.casePersons -= record.persons
                }
                adjust(record.cohort, record.state) {
                    $0.cases += 1
                    $0.casePersons += record.persons
                }
            case .removeCase(let record):
                precondition(cases[record.id] != nil, "case \(record.id) removed twice")
                cases[record.id] = nil
                adjust(record.cohort, record.state) {
                    $0.cases -= 1
                    $0.casePersons -= record.persons
                }
            case .adjustPool(let cohort, let state, let delta):
                adjust(cohort, state) { $0.unregistered += delta }
            case .appendEvent(var event):
                event.seq = Int64(events.count + 1)
                events.append(event)
                appended.append(event)
            }
        }
        return plan.result(appended: appended)
    }

    private mutating func adjust(_ cohort: String, _ state: String, _ change: (inout StateCount) -> Void) {
        change(&counts[Key(cohort: cohort, state: state), default: StateCount(state: state)])
    }

    /// Every count is zero or more.
    public var countsAreNonNegative: Bool {
        counts.values.allSatisfy { $0.cases >= 0 && $0.casePersons >= 0 && $0.unregistered >= 0 }
    }
}
