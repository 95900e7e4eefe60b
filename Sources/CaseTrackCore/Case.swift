/// One case file, usually a household, identified by an opaque external id.
///
/// A case holds only what the counts need: no names, no biometrics, no
/// claim or medical details.
public struct Case: Sendable, Hashable, Codable {
    public var id: String
    public var cohort: String
    public var persons: Int
    public var state: String
    public var enteredAt: Timestamp
    /// The version of the pipeline definition the case last moved under.
    public var pipelineVersion: Int
    public var attributes: [String: String]
    public var createdAt: Timestamp

    public init(
        id: String, cohort: String, persons: Int, state: String, enteredAt: Timestamp,
        pipelineVersion: Int, attributes: [String: String], createdAt: Timestamp
    ) {
        self.id = id
        self.cohort = cohort
        self.persons = persons
        self.state = state
        self.enteredAt = enteredAt
        self.pipelineVersion = pipelineVersion
        self.attributes = attributes
        self.createdAt = createdAt
    }

    /// The moment the case becomes overdue in its state, if the state has an SLA.
    public func deadline(in pipeline: Pipeline) -> Timestamp? {
        pipeline.state(named: state)?.slaDays.map { enteredAt.adding(days: $0) }
    }

    public func isOverdue(in pipeline: Pipeline, at now: Timestamp) -> Bool {
        deadline(in: pipeline).map { $0 < now } ?? false
    }
}
