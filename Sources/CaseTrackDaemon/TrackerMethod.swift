/// Every method of `io.casetrack.Tracker` and the least role that may call it.
///
/// This table is the whole of casetrackd's authorisation: a method is
/// callable by its role and every role above it.
public enum TrackerMethod: String, Sendable, CaseIterable {
    case getStatus = "GetStatus"
    case listPipelines = "ListPipelines"
    case describePipeline = "DescribePipeline"
    case listCohorts = "ListCohorts"
    case describeCohort = "DescribeCohort"
    case getCase = "GetCase"
    case listCases = "ListCases"
    case history = "History"
    case watch = "Watch"
    case digest = "Digest"
    case listDigests = "ListDigests"
    case verify = "Verify"
    case intake = "Intake"
    case move = "Move"
    case addCase = "AddCase"
    case importCases = "ImportCases"
    case transition = "Transition"
    case createCohort = "CreateCohort"
    case reload = "Reload"
    case backup = "Backup"
    case purge = "Purge"

    public var requiredRole: Role {
        switch self {
        case .getStatus: .reader
        case .listPipelines: .reader
        case .describePipeline: .reader
        case .listCohorts: .reader
        case .describeCohort: .reader
        case .getCase: .reader
        case .listCases: .reader
        case .history: .reader
        case .watch: .reader
        case .digest: .reader
        case .listDigests: .reader
        case .verify: .reader
        case .intake: .operator
        case .move: .operator
        case .addCase: .operator
        case .importCases: .operator
        case .transition: .operator
        case .createCohort: .admin
        case .reload: .admin
        case .backup: .admin
        case .purge: .admin
        }
    }

    /// Answered from what the daemon holds in memory (the counts the store
    /// published with its last commit, the pipelines), without waiting.
    var answersAtOnce: Bool {
        switch self {
        case .getStatus, .listPipelines, .describePipeline, .listCohorts, .describeCohort: true
        default: false
        }
    }

    /// Handed to the store's writer from the event loop that read the call
    /// and answered from the writer's completion, without a task.
    var startsWithoutTask: Bool {
        switch self {
        case .transition, .move, .intake: true
        default: false
        }
    }
}
