/// A named group of people tracked under one pipeline.
public struct Cohort: Sendable, Hashable, Codable {
    public var id: String
    public var pipeline: String
    public var pipelineVersion: Int
    public var title: String?
    public var attributes: [String: String]
    public var createdAt: Timestamp

    public init(
        id: String, pipeline: String, pipelineVersion: Int, title: String?,
        attributes: [String: String], createdAt: Timestamp
    ) {
        self.id = id
        self.pipeline = pipeline
        self.pipelineVersion = pipelineVersion
        self.title = title
        self.attributes = attributes
        self.createdAt = createdAt
    }
}

/// How many of a cohort are in one state.
///
/// The persons in a state are those of its registered cases plus those known
/// only as a number (unregistered).
public struct StateCount: Sendable, Hashable, Codable {
    public var state: String
    public var cases: Int
    public var casePersons: Int
    public var unregistered: Int

    public var persons: Int { casePersons + unregistered }

    public init(state: String, cases: Int = 0, casePersons: Int = 0, unregistered: Int = 0) {
        self.state = state
        self.cases = cases
        self.casePersons = casePersons
        self.unregistered = unregistered
    }

    public var isZero: Bool { cases == 0 && casePersons == 0 && unregistered == 0 }
}
