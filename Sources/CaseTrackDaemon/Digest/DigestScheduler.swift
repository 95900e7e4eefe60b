public import CaseTrackCore
import Foundation
public import Logging
public import ServiceLifecycle

/// Writes the published digest on the configured schedule: to the journal,
/// as one entry with MESSAGE_ID ``MessageID/digest``, and to the
/// ``DigestArchive``.
///
/// The time of the last digest lives in the store, so a restart neither
/// repeats a digest nor skips one, and a daemon that was down across one or
/// more slots writes a single catch-up digest when it comes back.
public struct DigestScheduler: Service {
    let tracker: Tracker
    let logger: Logger
    let clock: @Sendable () -> Timestamp
    let sleep: @Sendable (Duration) async throws -> Void

    /// The longest nap between looks at the clock, so a changed wall clock
    /// or configuration is noticed.
    static let longestNap = Duration.seconds(60)

    public init(
        tracker: Tracker, logger: Logger, clock: @escaping @Sendable () -> Timestamp = Timestamp.now,
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }
    ) {
        self.tracker = tracker
        self.logger = logger
        self.clock = clock
        self.sleep = sleep
    }

    /// What one look at the clock did.
    public enum Tick: Sendable, Hashable {
        /// The schedule is off in the configuration.
        case disabled
        /// Nothing was due; the next slot.
        case waiting(until: Timestamp)
        /// The first run: the schedule starts counting from now.
        case started(next: Timestamp)
        /// A digest was written.
        case wrote(Timestamp, paths: [String])
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                let nap: Duration
                do {
                    switch try await tick() {
                    case .disabled: nap = Self.longestNap
                    case .waiting(let next), .started(let next):
                        let milliseconds = max(100, next.millisecondsSinceEpoch - clock().millisecondsSinceEpoch)
                        nap = min(Self.longestNap, .milliseconds(milliseconds))
                    case .wrote: nap = .zero
                    }
                } catch {
                    logger.error(
                        "Cannot write the scheduled digest: \(error)",
                        metadata: ["MESSAGE_ID": "\(MessageID.storeError.rawValue)"])
                    nap = Self.longestNap
                }
                // Cancelled on graceful shutdown: a digest is never half written, so just stop.
                do { try await sleep(nap) } catch { return }
            }
        }
    }

    /// Writes a digest if a slot has passed since the last one.
    public func tick() async throws -> Tick {
        let settings = tracker.configuration.digest
        guard settings.enabled else { return .disabled }
        let schedule = try settings.schedule
        let now = clock()
        guard let last = try await tracker.store.lastDigest() else {
            // Nothing written yet: the first digest is at the next slot, and
            // its movements are those from now on.
            try await tracker.store.recordDigest(
                DigestRecord(mark: DigestMark(time: now, seq: tracker.store.lastSeq), activePersons: [:]),
                forgetBefore: .init(millisecondsSinceEpoch: 0))
            return .started(next: schedule.slot(after: now))
        }
        guard schedule.isDue(now: now, last: last.time) else { return .waiting(until: schedule.slot(after: last.time)) }
        let paths = try await write(at: now, settings: settings)
        return .wrote(now, paths: paths)
    }

    private func write(at now: Timestamp, settings: DigestSettings) async throws -> [String] {
        // One snapshot: the published file and the record the next digest counts from agree.
        let facts = try await tracker.digestFacts(cohort: nil, at: now)
        let exact = tracker.digest(from: facts, exact: true)
        let published = tracker.digest(from: facts, exact: false)
        let archive = DigestArchive(stateDirectory: tracker.configuration.stateDirectory)
        let paths = try archive.write(published)
        let cutoff = now.adding(days: -settings.retentionDays)
        try await tracker.store.recordDigest(
            DigestRecord(
                mark: DigestMark(time: now, seq: exact.throughSeq),
                activePersons: Dictionary(
                    uniqueKeysWithValues: exact.cohorts.map { ($0.cohort, $0.summary.activePersons.shown) })),
            forgetBefore: cutoff)
        let pruned = archive.prune(before: cutoff)
        logger.notice("\(published.headline)", metadata: Self.journalFields(published, file: paths.first))
        if !pruned.isEmpty {
            logger.info("Pruned \(pruned.count) digest files older than \(settings.retentionDays) days")
        }
        return paths
    }

    /// The journal entry's fields; figures as published.
    static func journalFields(_ digest: Digest, file: String?) -> Logger.Metadata {
        var metadata: Logger.Metadata = [
            "MESSAGE_ID": "\(MessageID.digest.rawValue)",
            "COHORT": "\(digest.cohorts.count == 1 ? digest.cohorts[0].cohort : "*")",
            "COHORTS": "\(digest.cohorts.map(\.cohort).joined(separator: ","))",
            "ACTIVE_PERSONS": "\(digest.total.activePersons)",
            "ACTIVE_CASES": "\(digest.total.activeCases)",
            "MOVED_PERSONS": "\(digest.total.movedPersons)",
            "OVERDUE_CASES": "\(digest.total.overdueCases)",
            "PROJECTED_CLEARANCE": "\(digest.total.throughput.projectedClearance.field)",
            "SEQ": "\(digest.throughSeq)",
        ]
        if let file { metadata["DIGEST_FILE"] = "\(file)" }
        return metadata
    }
}
