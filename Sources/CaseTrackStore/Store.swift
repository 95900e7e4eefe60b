public import CaseTrackCore

/// Where cohorts, cases and the event log are kept.
///
/// A store acknowledges a mutation only once it is durable; it applies
/// mutations one at a time in sequence order, by the rules of a ``Ledger``
/// built from the pipelines it was last given; and it answers a retried
/// request id with the first result. Reads see only committed state.
public protocol Store: Sendable {
    /// What and where the store is, e.g. `sqlite:/var/lib/casetrack/casetrack.sqlite`.
    var location: String { get }

    /// The pipelines that mutations are checked against from now on.
    func setPipelines(_ pipelines: [String: Pipeline]) async throws

    /// Queues a mutation; `completion` gets its result once it is committed
    /// to disk, or the refusal: ``TrackerError`` when the domain refuses it,
    /// ``StoreError`` when the store cannot write. It is called exactly once,
    /// on the store's writer thread: it should hand heavier work elsewhere.
    func apply(
        _ mutation: Mutation, context: MutationContext,
        completion: @escaping @Sendable (Result<MutationResult, any Error>) -> Void)

    // Cohorts, their counts and the totals are what the last commit
    // published: answered from memory, never waiting.
    func totals() -> StoreTotals
    func cohorts() -> [CohortCounts]
    func cohort(id: String) -> CohortCounts?
    func caseRecord(id: String) async throws -> Case?
    /// The events of one case, oldest first.
    func history(caseId: String) async throws -> [Event]
    func cases(_ query: CaseQuery) async throws -> [Case]
    func events(_ query: EventQuery) async throws -> [Event]

    /// The sequence number of the newest committed event.
    var lastSeq: Int64 { get }
    /// Yields the newest sequence number after each commit; a slow reader
    /// sees only the latest.
    func commits() -> AsyncStream<Int64>

    /// Every (cohort, state) that holds cases or unregistered persons.
    func occupiedStates() async throws -> [OccupiedState]

    /// Recomputes what the materialised counts must be from cases, pool and
    /// log, and lists every disagreement.
    func verify() async throws -> [VerificationProblem]

    /// Writes a consistent copy of the store to `path`, online; returns its size in bytes.
    func backup(to path: String) async throws -> Int64

    /// When the writer last finished a round of work or found none to do;
    /// a wedged writer stops advancing it.
    var writerHeartbeat: ContinuousClock.Instant { get }

    /// Returns once the writer has done a trivial write: proof it is not wedged.
    func ping() async throws

    /// Whether writes commit: after a write fails (disk full, read-only,
    /// I/O error), why and since when, until a write commits again. The
    /// store retries on its own, so the condition clears when space returns.
    var condition: StoreCondition { get }

    /// Finishes queued writes, then closes.
    func close() async

    /// The facts of a digest of one cohort (or all) at `now`, with the
    /// movements after `since`, gathered by aggregate queries over one
    /// consistent snapshot.
    func digestFacts(
        cohort: String?, at now: Timestamp, since: DigestMark?, overdueListLimit: Int
    ) async throws -> DigestFacts
    /// The last scheduled digest, nil before the first.
    func lastDigest() async throws -> DigestMark?
    /// The scheduled digests remembered, oldest first.
    func digestRecords() async throws -> [DigestRecord]
    /// Remembers a scheduled digest as the last one, and forgets those
    /// taken before `forgetBefore`.
    func recordDigest(_ record: DigestRecord, forgetBefore: Timestamp) async throws
}

/// Whether the store can write, as its latest write found.
public struct StoreCondition: Sendable, Hashable {
    /// Why the latest write failed; nil while writes commit.
    public var failure: String?
    /// When writes started failing.
    public var since: Timestamp?

    public var isWritable: Bool { failure == nil }

    public static let writable = StoreCondition()

    public init(failure: String? = nil, since: Timestamp? = nil) {
        self.failure = failure
        self.since = since
    }
}

/// Totals for the status line.
public struct StoreTotals: Sendable, Hashable {
    public var cohorts: Int
    public var cases: Int
    public var events: Int64
    public var lastSeq: Int64

    public init(cohorts: Int, cases: Int, events: Int64, lastSeq: Int64) {
        self.cohorts = cohorts
        self.cases = cases
        self.events = events
        self.lastSeq = lastSeq
    }
}

/// A cohort and its materialised counts per state (states with none are absent).
public struct CohortCounts: Sendable, Hashable {
    public var cohort: Cohort
    public var counts: [StateCount]

    public init(cohort: Cohort, counts: [StateCount]) {
        self.cohort = cohort
        self.counts = counts
    }
}

/// A state of a cohort that is not empty.
public struct OccupiedState: Sendable, Hashable {
    public var cohort: String
    public var pipeline: String
    public var state: String
    public var cases: Int
    public var unregistered: Int

    public init(cohort: String, pipeline: String, state: String, cases: Int, unregistered: Int) {
        self.cohort = cohort
        self.pipeline = pipeline
        self.state = state
        self.cases = cases
        self.unregistered = unregistered
    }
}

/// Which cases to list, in id order.
public struct CaseQuery: Sendable, Hashable {
    public var cohort: String?
    public var state: String?
    /// Only cases whose state's SLA ran out before this time.
    public var overdueAt: Timestamp?
    public var after: String?
    public var limit: Int

    public init(
        cohort: String? = nil, state: String? = nil, overdueAt: Timestamp? = nil, after: String? = nil,
        limit: Int = 100
    ) {
        self.cohort = cohort
        self.state = state
        self.overdueAt = overdueAt
        self.after = after
        self.limit = limit
    }
}

/// Which events to list, in sequence order.
public struct EventQuery: Sendable, Hashable {
    public var cohort: String?
    public var afterSeq: Int64
    public var limit: Int

    public init(cohort: String? = nil, afterSeq: Int64 = 0, limit: Int = 100) {
        self.cohort = cohort
        self.afterSeq = afterSeq
        self.limit = limit
    }
}

/// Why the store could not do what was asked, apart from the domain's refusals.
public enum StoreError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Writing failed (disk full, read-only, I/O error); nothing was acknowledged.
    case unavailable(String)
    /// The store file is readable by users other than its owner and group.
    case unsafePermissions(path: String, mode: UInt32)
    case closed
    case backupFailed(path: String, reason: String)
    /// Another process (`holder` is its pid) has the store open.
    case locked(path: String, holder: String?)

    public var description: String {
        switch self {
        case .unavailable(let reason): "the store cannot write: \(reason)"
        case .unsafePermissions(let path, let mode):
            "\(path) has mode \(String(mode, radix: 8)); the store must not be readable by others (chmod o-rwx)"
        case .closed: "the store is closed"
        case .locked(let path, let holder):
            "another casetrackd\(holder.map { " (pid \($0))" } ?? "") is using \(path); one store has one daemon"
        case .backupFailed(let path, let reason): "backup to \(path) failed: \(reason)"
        }
    }
}

extension Store {
    /// Applies a mutation and returns once it is committed to disk.
    ///
    /// Throws ``TrackerError`` when the domain refuses it, ``StoreError``
    /// when the store cannot write.
    public func apply(_ mutation: Mutation, context: MutationContext) async throws -> MutationResult {
        try await withCheckedThrowingContinuation { continuation in
            apply(mutation, context: context) { continuation.resume(with: $0) }
        }
    }
}
