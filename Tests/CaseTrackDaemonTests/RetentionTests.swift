import CaseTrackCore
import CaseTrackStore
import Foundation
import Testing

@testable import CaseTrackDaemon

@Suite("Retention: retention.closedCaseDays purges closed cases on its own")
struct RetentionTests {
    static let cohort = "retained"

    @Test("cases closed more than closedCaseDays ago are purged, by casetrackd, keeping their persons in the counts")
    func purgesOnlyWhatIsOldEnough() async throws {
        var world = try DigestWorld()
        defer { world.remove() }
        world.configuration.retention.closedCaseDays = 3
        let (tracker, _, store) = try await world.start()
        defer { Task { await store.close() } }
        let retention = RetentionService(tracker: tracker, logger: tracker.logger, sleep: { _ in })
        func at(_ day: Int, _ mutation: Mutation) async throws {
            world.clock.set(DigestWorld.day(day, 9))
            _ = try await tracker.mutate(mutation, actor: DigestWorld.operatorIdentity, requestId: nil)
        }
        try await at(0, .createCohort(id: Self.cohort, pipeline: "usrap", title: nil, attributes: [:]))
        for (id, persons) in [("A-1", 2), ("B-1", 3), ("C-1", 4)] {
            try await at(0, .addCase(cohort: Self.cohort, NewCase(id: id, persons: persons)))
        }
        try await at(1, .transition(caseId: "A-1", event: "withdrew", to: nil, expectedState: nil, note: nil))
        try await at(5, .transition(caseId: "B-1", event: "withdrew", to: nil, expectedState: nil, note: nil))
        let before = try #require(store.cohort(id: Self.cohort))

        // Day 6: A closed five days ago goes; B, closed a day ago, and C, open, stay.
        world.clock.set(DigestWorld.day(6, 9))
        #expect(
            try await retention.round()
                == .purged(cutoff: DigestWorld.day(3, 9), cases: 1, persons: 2))
        #expect(try await store.caseRecord(id: "A-1") == nil)
        #expect(try await store.caseRecord(id: "B-1") != nil)
        #expect(try await store.caseRecord(id: "C-1") != nil)
        let after = try #require(store.cohort(id: Self.cohort))
        #expect(after.counts.map(\.persons) == before.counts.map(\.persons), "persons left the counts")
        let purges = try await store.events(EventQuery(cohort: Self.cohort, limit: 1000)).filter { $0.kind == .purge }
        #expect(purges.count == 1)
        #expect(purges.first?.actor == "casetrackd")
        #expect(purges.first?.caseId == nil, "the purged case's id stayed in the log")
        #expect(try await store.verify().isEmpty)

        // An hour later nothing more is due; on day 9 B goes too.
        world.clock.set(DigestWorld.day(6, 10))
        #expect(try await retention.round() == .purged(cutoff: DigestWorld.day(3, 10), cases: 0, persons: 0))
        world.clock.set(DigestWorld.day(9, 10))
        #expect(try await retention.round() == .purged(cutoff: DigestWorld.day(6, 10), cases: 1, persons: 3))
        #expect(try await store.caseRecord(id: "B-1") == nil)
        #expect(try await store.caseRecord(id: "C-1") != nil)
        #expect(try await store.verify().isEmpty)
    }

    @Test("0 keeps closed cases forever; the sample configuration says 0")
    func offByDefault() async throws {
        let world = try DigestWorld()
        defer { world.remove() }
        let (tracker, _, store) = try await world.start()
        defer { Task { await store.close() } }
        #expect(try await RetentionService(tracker: tracker, logger: tracker.logger).round() == .disabled)
        let sample = try DaemonConfiguration.load(path: DigestWorld.root + "/Config/casetrackd.yaml")
        #expect(sample.retention.closedCaseDays == 0)
        let set = try DaemonConfiguration.parse("retention: { closedCaseDays: 365 }", file: "c.yaml")
        #expect(set.retention.closedCaseDays == 365)
        #expect((try? DaemonConfiguration.parse("retention: { closedCaseDays: -1 }", file: "c.yaml")) == nil)
    }
}
