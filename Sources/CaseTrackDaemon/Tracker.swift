public import CaseTrackCore
public import CaseTrackStore
import Foundation
public import Logging
import Synchronization

/// The tracker service: authorisation, validation and the answers to every
/// method, over a store. It knows nothing of sockets; the Varlink
/// interface calls it.
public final class Tracker: Sendable {
    public static let version = "0.1.0"

    public let store: any Store
    public let startedAt: Timestamp
    let logger: Logger
    let identities = IdentityCache()
    private let settings: Mutex<Settings>
    private let clock: @Sendable () -> Timestamp
    /// Watch streams open now.
    let watchers = Mutex(0)
    /// Which pipeline each cohort runs under; a cohort never changes pipeline.
    private let cohortPipelines = Mutex<[String: String]>([:])

    struct Settings {
        var configuration: DaemonConfiguration
        var pipelines: [String: Pipeline]
        var policy: AccessPolicy
    }

    public init(
        store: any Store, configuration: DaemonConfiguration, pipelines: [String: Pipeline], logger: Logger,
        clock: @escaping @Sendable () -> Timestamp = Timestamp.now
    ) {
        self.store = store
        self.logger = logger
        self.clock = clock
        self.startedAt = clock()
        self.settings = Mutex(
            Settings(configuration: configuration, pipelines: pipelines, policy: AccessPolicy(configuration.access)))
    }

    public var now: Timestamp { clock() }
    public var configuration: DaemonConfiguration { settings.withLock { $0.configuration } }
    public var pipelines: [String: Pipeline] { settings.withLock { $0.pipelines } }
    var limits: DaemonConfiguration.Limits { settings.withLock { $0.configuration.limits } }

    public func identity(uid: UInt32, gid: UInt32) -> Identity { identities.identity(uid: uid, gid: gid) }

    public func role(of identity: Identity) -> Role { settings.withLock { $0.policy.role(of: identity) } }

    /// Puts a new configuration and pipeline set in force; the store checks
    /// mutations against the new pipelines from its next batch.
    ///
    /// A set of pipelines that would strand people — a state that holds cases
    /// or unregistered persons and that the new definition neither keeps nor
    /// maps with `migrate:` — is refused, naming the states and counts.
    /// Mapped states are migrated, each move recorded as an event.
    public func apply(configuration: DaemonConfiguration, pipelines: [String: Pipeline]) async throws {
        var migrations: [(cohort: String, from: String, to: String)] = []
        var stranded: [String] = []
        for occupied in try await store.occupiedStates() {
            guard let pipeline = pipelines[occupied.pipeline] else {
                stranded.append(
                    "pipeline '\(occupied.pipeline)' is gone but cohort '\(occupied.cohort)' runs under it "
                        + "(\(occupied.cases) cases, \(occupied.unregistered) unregistered persons in '\(occupied.state)')")
                continue
            }
            guard pipeline.state(named: occupied.state) == nil else { continue }
            if let target = pipeline.migrations[occupied.state] {
                migrations.append((occupied.cohort, occupied.state, target))
            } else {
                stranded.append(
                    "state '\(occupied.state)' of pipeline '\(pipeline.name)' holds \(occupied.cases) cases and "
                        + "\(occupied.unregistered) unregistered persons in cohort '\(occupied.cohort)'")
            }
        }
        guard stranded.isEmpty else {
            throw ConfigurationError(
                file: configuration.pipelinesDirectory,
                problem: "the new pipelines would strand people: " + stranded.joined(separator: "; ")
                    + ". Keep those states, or map them with migrate: {old-state: new-state}")
        }
        try await store.setPipelines(pipelines)
        settings.withLock {
            $0 = Settings(configuration: configuration, pipelines: pipelines, policy: AccessPolicy(configuration.access))
        }
        identities.clear()
        for migration in migrations {
            let result = try await mutate(
                .migrateState(cohort: migration.cohort, from: migration.from, to: migration.to), actor: Self.daemonActor,
                requestId: nil)
            if case .migrated(let cases, let persons) = result {
                logger.notice(
                    "Migrated \(cases) cases and \(persons) persons of \(migration.cohort) from retired state \(migration.from) to \(migration.to)",
                    metadata: [
                        "MESSAGE_ID": "\(MessageID.reload.rawValue)", "COHORT": "\(migration.cohort)",
                        "FROM_STATE": "\(migration.from)", "TO_STATE": "\(migration.to)",
                    ])
            }
        }
    }

    /// The actor of the changes casetrackd makes on its own (migrations on
    /// reload, purges for retention).
    static var daemonActor: Identity {
        Identity(uid: getuid(), gid: getgid(), name: "casetrackd", groupIDs: [], groupNames: [])
    }

    /// Applies a mutation for `actor` and logs it to the journal.
    public func mutate(_ mutation: Mutation, actor: Identity, requestId: String?) async throws -> MutationResult {
        let result = try await withCheckedThrowingContinuation { continuation in
            do {
                try submit(mutation, actor: actor, requestId: requestId) { continuation.resume(with: $0) }
            } catch {
                continuation.resume(throwing: error)
            }
        }
        log(result, actor: actor)
        return result
    }

    /// Queues a mutation for `actor`; `completion` gets the result on the
    /// store's writer thread (hand the work of answering elsewhere; call
    /// `log` with the result). Throws at once what it refuses unqueued.
    func submit(
        _ mutation: Mutation, actor: Identity, requestId: String?,
        completion: @escaping @Sendable (Result<MutationResult, any Error>) -> Void
    ) throws(TrackerError) {
        if let requestId {
            guard !requestId.isEmpty, Identifier.isValidText(requestId, maxLength: Identifier.maxRequestIDLength) else {
                throw TrackerError.invalidArgument(
                    parameter: "requestId", reason: "1 to \(Identifier.maxRequestIDLength) bytes of printable text")
            }
        }
        store.apply(mutation, context: MutationContext(actor: actor.name, requestId: requestId, time: now), completion: completion)
    }

    /// Logs a mutation's result to the journal.
    func log(_ result: MutationResult, actor: Identity) {
        switch result {
        case .cohort(let cohort):
            logger.notice(
                "Cohort \(cohort.id) created under pipeline \(cohort.pipeline)",
                metadata: [
                    "MESSAGE_ID": "\(MessageID.cohortCreated.rawValue)", "COHORT": "\(cohort.id)",
                    "ACTOR": "\(actor.name)",
                ])
        case .event(let event):
            let id = event.kind == .intake ? MessageID.intake : MessageID.move
            logger.info(
                event.kind == .intake
                    ? "\(event.persons) persons taken into \(event.cohort) at \(event.to ?? "?")"
                    : "\(event.persons) persons moved in \(event.cohort) from \(event.from ?? "?") to \(event.to ?? "?")",
                metadata: eventMetadata(event, id: id))
        case .addedCase(let record):
            logger.info(
                "Case \(record.id) added to \(record.cohort) in \(record.state)",
                metadata: [
                    "MESSAGE_ID": "\(MessageID.caseAdded.rawValue)", "COHORT": "\(record.cohort)",
                    "CASE_ID": "\(record.id)", "TO_STATE": "\(record.state)", "PERSONS": "\(record.persons)",
                    "ACTOR": "\(actor.name)",
                ])
        case .imported(let count):
            logger.notice(
                "\(count) cases imported", metadata: ["MESSAGE_ID": "\(MessageID.importCases.rawValue)", "CASES": "\(count)", "ACTOR": "\(actor.name)"])
        case .transitioned(_, let event):
            logger.info(
                "Case \(event.caseId ?? "?") moved from \(event.from ?? "?") to \(event.to ?? "?")",
                metadata: eventMetadata(event, id: .transition))
        case .migrated:
            break
        case .purged(let cases, let persons):
            // A retention round that found nothing to purge is no news.
            logger.log(
                level: cases == 0 ? .debug : .notice,
                "Purged \(cases) closed cases (\(persons) persons kept as counts)",
                metadata: ["CASES": "\(cases)", "PERSONS": "\(persons)", "ACTOR": "\(actor.name)"])
        }
    }

    private func eventMetadata(_ event: Event, id: MessageID) -> Logger.Metadata {
        var metadata: Logger.Metadata = [
            "MESSAGE_ID": "\(id.rawValue)", "COHORT": "\(event.cohort)", "SEQ": "\(event.seq)",
            "PERSONS": "\(event.persons)", "ACTOR": "\(event.actor)",
        ]
        if let caseId = event.caseId { metadata["CASE_ID"] = "\(caseId)" }
        if let from = event.from { metadata["FROM_STATE"] = "\(from)" }
        if let to = event.to { metadata["TO_STATE"] = "\(to)" }
        if let name = event.event { metadata["EVENT"] = "\(name)" }
        return metadata
    }

    /// The pipeline a cohort runs under.
    public func pipeline(ofCohort cohort: String) -> Pipeline? {
        if let name = cohortPipelines.withLock({ $0[cohort] }) { return pipelines[name] }
        guard let summary = store.cohort(id: cohort) else { return nil }
        cohortPipelines.withLock { $0[cohort] = summary.cohort.pipeline }
        return pipelines[summary.cohort.pipeline]
    }

    /// A digest of one cohort, or of all, at this moment, with the movements
    /// since the last scheduled digest. `exact` shows every figure; otherwise
    /// small counts are withheld as the configuration's threshold asks.
    public func digest(cohort: String?, exact: Bool, at time: Timestamp? = nil) async throws -> Digest {
        digest(from: try await digestFacts(cohort: cohort, at: time ?? now), exact: exact)
    }

    /// The facts both the exact and the published digest of one moment are derived from.
    public func digestFacts(cohort: String?, at time: Timestamp) async throws -> DigestFacts {
        let since = try await store.lastDigest()
        let facts = try await store.digestFacts(
            cohort: cohort, at: time, since: since, overdueListLimit: configuration.digest.overdueListLimit)
        if let cohort, !facts.includes(cohort: cohort) { throw TrackerError.noSuchCohort(id: cohort) }
        return facts
    }

    public func digest(from facts: DigestFacts, exact: Bool) -> Digest {
        Digest(
            facts: facts, pipelines: pipelines,
            suppressionThreshold: exact ? nil : configuration.digest.suppressionThreshold)
    }
}
