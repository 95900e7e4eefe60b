public import CaseTrackCore
import Foundation
public import Logging
public import ServiceLifecycle

/// Purges cases that reached an outcome more than `retention.closedCaseDays`
/// ago, at start and then every hour, as `casetrackctl purge` would: each case
/// removed is recorded as a purge event by the actor `casetrackd`, and its
/// persons stay in the counts. Off (the default) when the setting is 0; a
/// reload that changes it takes effect at the next hour.
public struct RetentionService: Service {
    let tracker: Tracker
    let logger: Logger
    let sleep: @Sendable (Duration) async throws -> Void

    static let period = Duration.seconds(3600)

    public init(
        tracker: Tracker, logger: Logger,
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }
    ) {
        self.tracker = tracker
        self.logger = logger
        self.sleep = sleep
    }

    /// What one round did.
    public enum Round: Sendable, Hashable {
        /// Retention is off.
        case disabled
        /// Cases closed before `cutoff` were purged (perhaps none).
        case purged(cutoff: Timestamp, cases: Int, persons: Int)
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    _ = try await round()
                } catch {
                    logger.error(
                        "Cannot purge closed cases for retention: \(error)",
                        metadata: ["MESSAGE_ID": "\(MessageID.storeError.rawValue)"])
                }
                do { try await sleep(Self.period) } catch { return }
            }
        }
    }

    /// Purges what the retention setting no longer keeps.
    public func round() async throws -> Round {
        let days = tracker.configuration.retention.closedCaseDays
        guard days > 0 else { return .disabled }
        let cutoff = tracker.now.adding(days: -days)
        let result = try await tracker.mutate(.purge(closedBefore: cutoff), actor: Tracker.daemonActor, requestId: nil)
        guard case .purged(let cases, let persons) = result else {
            preconditionFailure("a purge answered \(result)")
        }
        return .purged(cutoff: cutoff, cases: cases, persons: persons)
    }
}
