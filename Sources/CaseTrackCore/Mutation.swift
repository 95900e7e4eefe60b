/// A case to register.
public struct NewCase: Sendable, Hashable, Codable {
    public var id: String
    public var persons: Int
    /// Defaults to the pipeline's first initial state.
    public var state: String?
    public var attributes: [String: String]
    /// Draw the case's persons from the cohort's unregistered pool in its state.
    public var fromUnregistered: Bool

    public init(
        id: String, persons: Int, state: String? = nil, attributes: [String: String] = [:],
        fromUnregistered: Bool = false
    ) {
        self.id = id
        self.persons = persons
        self.state = state
        self.attributes = attributes
        self.fromUnregistered = fromUnregistered
    }
}

/// A change a caller asks for. Every mutation becomes one or more events.
public enum Mutation: Sendable, Hashable, Codable {
    case createCohort(id: String, pipeline: String, title: String?, attributes: [String: String])
    case intake(cohort: String, state: String?, persons: Int, note: String?)
    case move(cohort: String, from: String, to: String?, event: String?, persons: Int, note: String?)
    case addCase(cohort: String, NewCase)
    /// All or none.
    case importCases(cohort: String, cases: [NewCase])
    case transition(caseId: String, event: String?, to: String?, expectedState: String?, note: String?)
    /// Moves every case and unregistered person of a cohort out of a state its
    /// pipeline retired, into the state the definition's `migrate` names.
    case migrateState(cohort: String, from: String, to: String)
    /// Removes every case that reached an outcome (entered a terminal state)
    /// before the given time, keeping its persons in that state's count.
    case purge(closedBefore: Timestamp)
}

/// What a mutation produced, as its caller is answered (and answered again
/// when it retries with the same request id).
public enum MutationResult: Sendable, Hashable, Codable {
    case cohort(Cohort)
    case event(Event)
    case addedCase(Case)
    case imported(Int)
    case transitioned(Case, Event)
    /// Cases and unregistered persons moved by a migration.
    case migrated(cases: Int, persons: Int)
    /// Cases removed by a purge, and their persons.
    case purged(cases: Int, persons: Int)
}

/// Who asks for a mutation, and the retry key that makes it idempotent.
public struct MutationContext: Sendable, Hashable {
    public var actor: String
    public var requestId: String?
    public var time: Timestamp

    public init(actor: String, requestId: String?, time: Timestamp) {
        self.actor = actor
        self.requestId = requestId
        self.time = time
    }
}
