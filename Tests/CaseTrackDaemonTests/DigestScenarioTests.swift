import CaseTrackCore
import CaseTrackStore
import Foundation
import Logging
import Synchronization
import Testing

@testable import CaseTrackDaemon

/// A wall clock the story moves by hand.
final class StoryClock: Sendable {
    let current: Mutex<Timestamp>

    init(_ start: Timestamp) { current = Mutex(start) }

    var now: Timestamp { current.withLock { $0 } }
    func set(_ time: Timestamp) { current.withLock { $0 = time } }
    var read: @Sendable () -> Timestamp { { [self] in self.now } }
}

/// A daemon's tracker over a store in a temporary state directory.
struct DigestWorld {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    static let t0 = Timestamp(rfc3339: "2026-10-01T06:00:00Z")!
    static let operatorIdentity = Identity(uid: 1000, gid: 1000, name: "caseworker", groupIDs: [], groupNames: [])

    let directory: String
    let clock: StoryClock
    let pipelines: [String: Pipeline]
    var configuration: DaemonConfiguration

    init(suppressBelow: Int = 5) throws {
        directory = NSTemporaryDirectory() + "casetrack-digest-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        clock = StoryClock(Self.t0)
        pipelines = try PipelineCatalog.load(directory: Self.root + "/Config/pipelines")
        configuration = DaemonConfiguration()
        configuration.stateDirectory = directory
        configuration.digest.every = 86_400
        configuration.digest.at = 6 * 3600
        configuration.digest.timeZone = "UTC"
        configuration.digest.suppressBelow = suppressBelow
    }

    static func day(_ day: Int, _ hour: Int, _ minute: Int = 0) -> Timestamp {
        t0.adding(days: day).adding(seconds: (hour - 6) * 3600 + minute * 60)
    }

    /// Opens the store and a tracker on it: a daemon start.
    func start() async throws -> (Tracker, DigestScheduler, SQLiteStore) {
        let store = try await SQLiteStore.open(path: configuration.storePath, pipelines: pipelines)
        var logger = Logger(label: "digest-test")
        logger.logLevel = .error
        let tracker = Tracker(
            store: store, configuration: configuration, pipelines: pipelines, logger: logger, clock: clock.read)
        let scheduler = DigestScheduler(tracker: tracker, logger: logger, clock: clock.read, sleep: { _ in })
        return (tracker, scheduler, store)
    }

    func remove() { try? FileManager.default.removeItem(atPath: directory) }
}

@Suite("Digest: the 25,000-person cohort, week by week")
struct DigestScenarioTests {
    static let cohort = "afghans-pk-us-pipeline"

    func at(_ world: DigestWorld, _ time: Timestamp, _ tracker: Tracker, _ mutation: Mutation) async throws {
        world.clock.set(time)
        _ = try await tracker.mutate(mutation, actor: DigestWorld.operatorIdentity, requestId: nil)
    }

    func move(_ persons: Int, _ from: String, _ event: String) -> Mutation {
        .move(cohort: Self.cohort, from: from, to: nil, event: event, persons: persons, note: nil)
    }

    @Test(
        "given weekly batches, deportations and an SLA breach, the digest's figures are exact; restarts neither repeat nor skip; downtime gives one catch-up"
    )
    func story() async throws {
        let world = try DigestWorld()
        defer { world.remove() }
        var (tracker, scheduler, store) = try await world.start()

        // The schedule starts before anything happens.
        world.clock.set(DigestWorld.day(0, 5))
        #expect(try await scheduler.tick() == .started(next: DigestWorld.day(0, 6)))

        try await at(
            world, DigestWorld.day(0, 7), tracker,
            .createCohort(
                id: Self.cohort, pipeline: "afghan-siv", title: "Afghans in Pakistan awaiting US visas",
                attributes: ["host": "PK"]))
        try await at(
            world, DigestWorld.day(0, 7, 1), tracker,
            .intake(cohort: Self.cohort, state: nil, persons: 25_000, note: "count from the briefing"))
        for (id, persons) in [("SIV-A", 5), ("SIV-B", 4), ("SIV-C", 6)] {
            try await at(
                world, DigestWorld.day(0, 8), tracker,
                .addCase(cohort: Self.cohort, NewCase(id: id, persons: persons, fromUnregistered: true)))
        }
        var weeks: [(Timestamp, Mutation)] = [
            (
                DigestWorld.day(1, 7),
                .transition(caseId: "SIV-A", event: "com-approved", to: nil, expectedState: nil, note: nil)
            ),
            (DigestWorld.day(20, 7), move(120, "com-application", "deported")),
            (DigestWorld.day(40, 7), move(3, "com-approved", "deported")),
            (DigestWorld.day(45, 7), move(300, "com-approved", "petition-filed")),
            (
                DigestWorld.day(50, 7),
                .transition(caseId: "SIV-B", event: "withdrew", to: nil, expectedState: nil, note: nil)
            ),
        ]
        for week in 1...7 {
            weeks.append((DigestWorld.day(7 * week, 7, 30), move(500, "com-application", "com-approved")))
        }
        for (time, mutation) in weeks.sorted(by: { $0.0 < $1.0 }) { try await at(world, time, tracker, mutation) }

        // The daemon was down from day 0 to day 56: one catch-up digest, not 56.
        world.clock.set(DigestWorld.day(56, 6, 30))
        guard case .wrote(let firstTime, let firstPaths) = try await scheduler.tick() else {
            Issue.record("no digest after downtime")
            return
        }
        #expect(firstTime == DigestWorld.day(56, 6, 30))
        #expect(firstPaths.count == 3)
        world.clock.set(DigestWorld.day(56, 6, 31))
        #expect(try await scheduler.tick() == .waiting(until: DigestWorld.day(57, 6)))

        // A restart right after: nothing is repeated.
        await store.close()
        (tracker, scheduler, store) = try await world.start()
        world.clock.set(DigestWorld.day(56, 6, 45))
        #expect(try await scheduler.tick() == .waiting(until: DigestWorld.day(57, 6)))

        try await at(world, DigestWorld.day(56, 7, 30), tracker, move(500, "com-application", "com-approved"))
        try await at(world, DigestWorld.day(58, 7), tracker, move(2, "com-application", "relocated"))
        try await at(world, DigestWorld.day(60, 7), tracker, move(1_000, "com-application", "deported"))

        // Down again from day 60 until day 63 10:00: one catch-up digest.
        await store.close()
        (tracker, scheduler, store) = try await world.start()
        world.clock.set(DigestWorld.day(63, 10))
        let exact = try await tracker.digest(cohort: nil, exact: true)
        guard case .wrote = try await scheduler.tick() else {
            Issue.record("no catch-up digest")
            return
        }
        world.clock.set(DigestWorld.day(63, 10, 5))
        #expect(try await scheduler.tick() == .waiting(until: DigestWorld.day(64, 6)))
        #expect(DigestArchive(stateDirectory: world.directory).list().count == 2)
        defer { Task { [store] in await store.close() } }

        // The exact figures.
        #expect(exact.since?.time == DigestWorld.day(56, 6, 30))
        let siv = try #require(exact.cohorts.first)
        func state(_ name: String) throws -> CohortDigest.StateFigures {
            try #require(siv.states.first { $0.state == name })
        }
        #expect(try state("com-application").persons == .exact(19_869))
        #expect(try state("com-application").cases == .exact(1))
        #expect(try state("com-approved").persons == .exact(3_702))
        #expect(try state("petition").persons == .exact(300))
        #expect(try state("deported").persons == .exact(1_123))
        #expect(try state("withdrawn").persons == .exact(4))
        #expect(try state("withdrawn").cases == .exact(1))
        #expect(try state("relocated").persons == .exact(2))
        #expect(siv.summary.activePersons == .exact(23_871))
        #expect(siv.summary.activeCases == .exact(2))
        #expect(
            siv.summary.exited == [
                "deported": .exact(1_123), "withdrawn": .exact(4), "relocated-elsewhere": .exact(2), "resettled": .zero,
                "denied": .zero, "closed": .zero,
            ])
        // Movements since the digest of day 56.
        #expect(siv.summary.movedPersons == .exact(1_502))
        #expect(siv.movements.map(\.persons) == [.exact(500), .exact(1_000), .exact(2)])
        #expect(try state("com-application").netChange == .exact(-1_502))
        #expect(try state("com-approved").netChange == .exact(500))
        #expect(try state("deported").netChange == .exact(1_000))
        // Throughput: 2 + 1,000 in the last 7 days; 3 + 4 + 2 + 1,000 in the last 30.
        #expect(siv.summary.throughput.last7Days == .exact(1_002))
        #expect(siv.summary.throughput.last30Days == .exact(1_009))
        #expect(siv.summary.throughput.perDayLast7Days == 143.14)
        #expect(siv.summary.throughput.perDayLast30Days == 33.63)
        // 23,871 persons at 1,009 per 30 days: 709.7 days, so 710.
        #expect(siv.summary.throughput.projectedClearance == .projected(date: "2028-11-12", days: 710))
        // Time in state and the SLA breach: SIV-A has waited 62 days in com-approved (SLA 60).
        #expect(try state("com-application").medianDaysInState == 63)
        #expect(try state("com-approved").medianDaysInState == 62)
        #expect(try state("com-approved").p90DaysInState == 62)
        #expect(try state("com-approved").overdueCases == .exact(1))
        #expect(siv.summary.overdueCases == .exact(1))
        #expect(siv.summary.overduePersons == .exact(5))
        #expect(siv.oldestOverdue.map(\.id) == ["SIV-A"])
        #expect(siv.oldestOverdue.first?.daysOverdue == 2)
        #expect(siv.oldestOverdue.first?.persons == 5)
        #expect(siv.activeHistory.map(\.activePersons) == [.exact(24_873), .exact(23_871)])
        #expect(exact.total.activePersons == .exact(23_871))

        // The published file withholds the small counts and keeps totals to what is shown.
        let archive = DigestArchive(stateDirectory: world.directory)
        let json = try Data(contentsOf: URL(fileURLWithPath: archive.directory + "/latest.json"))
        let published = try JSONDecoder().decode(Digest.self, from: json)
        let cohort = try #require(published.cohorts.first)
        #expect(published.suppressionThreshold == 5)
        #expect(cohort.summary.activePersons == .exact(23_871))
        #expect(cohort.summary.activeCases == DigestCount(shown: 0, withheldParts: 2, threshold: 5))
        #expect(cohort.summary.exited["withdrawn"] == DigestCount(shown: 0, withheldParts: 1, threshold: 5))
        #expect(cohort.summary.movedPersons == DigestCount(shown: 1_500, withheldParts: 1, threshold: 5))
        #expect(cohort.summary.throughput.projectedClearance == .withheld)
        // 500 and 1,000 left, and a withheld 2: a difference, so the withheld part may go either way.
        let applications = try #require(cohort.states.first { $0.state == "com-application" })
        #expect(applications.netChange.text(signed: true) == "−1,500 ± <5")
        #expect(cohort.summary.throughput.perDayLast30Days == nil)
        #expect(cohort.oldestOverdue.isEmpty)
        #expect(cohort.states.first { $0.state == "com-approved" }?.medianDaysInState == nil)

        // The first digest counted movements from the beginning.
        let firstJSON = try Data(contentsOf: URL(fileURLWithPath: firstPaths[0]))
        let first = try JSONDecoder().decode(Digest.self, from: firstJSON)
        #expect(first.since?.seq == 0)
        let approvals = first.cohorts.first?.movements.first { $0.event == "com-approved" }
        #expect(approvals?.persons == .exact(3_505))
        #expect(approvals?.cases == DigestCount(shown: 0, withheldParts: 1, threshold: 5))
    }
}
