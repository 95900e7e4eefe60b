/// What kind of change an ``Event`` records.
public enum EventKind: String, Sendable, Hashable, Codable, CaseIterable {
    case cohortCreated = "cohort-created"
    case intake
    case move
    case caseAdded = "case-added"
    case transition
    /// A case that reached an outcome was removed; its persons stay in the
    /// state's count as unregistered persons.
    case purge
}

/// One entry of the append-only log: the audit trail and the source of
/// every digest figure.
public struct Event: Sendable, Hashable, Codable {
    /// Gap-free, never reused, starting at 1.
    public var seq: Int64
    public var time: Timestamp
    public var actor: String
    public var kind: EventKind
    public var cohort: String
    public var caseId: String?
    /// The pipeline transition's event name, for moves and transitions.
    public var event: String?
    public var from: String?
    public var to: String?
    public var persons: Int
    public var note: String?
    public var requestId: String?

    public init(
        seq: Int64, time: Timestamp, actor: String, kind: EventKind, cohort: String, caseId: String? = nil,
        event: String? = nil, from: String? = nil, to: String? = nil, persons: Int, note: String? = nil,
        requestId: String? = nil
    ) {
        self.seq = seq
        self.time = time
        self.actor = actor
        self.kind = kind
        self.cohort = cohort
        self.caseId = caseId
        self.event = event
        self.from = from
        self.to = to
        self.persons = persons
        self.note = note
        self.requestId = requestId
    }
}
