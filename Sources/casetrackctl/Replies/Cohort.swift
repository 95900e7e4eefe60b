/// A cohort as `ListCohorts`, `DescribeCohort` and `CreateCohort` return it.
struct Cohort: Decodable, Sendable {
    /// One state's figures: registered cases, their persons, and unregistered persons.
    struct StateCount: Decodable, Sendable {
        var state: String
        var cases: Int
        var casePersons: Int
        var unregistered: Int
        var persons: Int
    }

    var id: String
    var pipeline: String
    var pipelineVersion: Int
    var title: String?
    var attributes: [String: String]
    var createdAt: String
    var cases: Int
    var persons: Int
    var counts: [StateCount]?
}
