/// A case as `AddCase`, `GetCase`, `Transition` and `ListCases` return it.
struct Case: Decodable, Sendable {
    var id: String
    var cohort: String
    var persons: Int
    var state: String
    var enteredAt: String
    var pipelineVersion: Int
    var attributes: [String: String]
    var createdAt: String
    var overdue: Bool
}
