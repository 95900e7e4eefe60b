/// Why the tracker refused a request, with the facts a person needs to fix it.
public enum TrackerError: Error, Sendable, Hashable, CustomStringConvertible {
    case noSuchPipeline(name: String)
    case noSuchCohort(id: String)
    case noSuchCase(id: String)
    case noSuchState(pipeline: String, state: String)
    /// `allowed` lists the events the state accepts (none for a terminal state).
    case invalidTransition(caseId: String?, state: String, event: String?, to: String?, allowed: [String])
    case insufficientCount(cohort: String, state: String, requested: Int, available: Int)
    case alreadyExists(kind: String, id: String)
    case stateConflict(caseId: String, expected: String, actual: String)
    case invalidArgument(parameter: String, reason: String)

    public var description: String {
        switch self {
        case .noSuchPipeline(let name): "no pipeline named '\(name)'"
        case .noSuchCohort(let id): "no cohort '\(id)'"
        case .noSuchCase(let id): "no case '\(id)'"
        case .noSuchState(let pipeline, let state): "pipeline '\(pipeline)' has no state '\(state)'"
        case .invalidTransition(let caseId, let state, let event, let to, let allowed):
            "\(caseId.map { "case '\($0)'" } ?? "persons") in '\(state)' cannot take "
                + (event.map { "event '\($0)'" } ?? to.map { "a transition to '\($0)'" } ?? "an unnamed transition")
                + (allowed.isEmpty ? " (the state is terminal)" : "; allowed: \(allowed.joined(separator: ", "))")
        case .insufficientCount(let cohort, let state, let requested, let available):
            "cohort '\(cohort)' has \(available) unregistered persons in '\(state)', \(requested) requested"
        case .alreadyExists(let kind, let id): "\(kind) '\(id)' already exists"
        case .stateConflict(let caseId, let expected, let actual):
            "case '\(caseId)' is in '\(actual)', not '\(expected)'"
        case .invalidArgument(let parameter, let reason): "\(parameter): \(reason)"
        }
    }
}
