import CaseTrackCore
import CaseTrackStore
import Foundation
import Testing

/// What the store acknowledged is there after a restart, and the log's
/// sequence carries on where it stopped.
@Suite("Durability across restarts")
struct DurabilityTests {
    @Test(
        "given a day of work, when the daemon restarts, every cohort, case, count and event is back, and seq continues")
    func restartKeepsEverything() async throws {
        try await StoreFixture.withTemporaryDirectory { directory in
            let path = directory + "/casetrack.sqlite"
            var store = try await SQLiteStore.open(path: path, pipelines: StoreFixture.pipelines)
            _ = try await store.apply(
                .createCohort(
                    id: "afghans-pk", pipeline: "resettlement", title: "Afghans in Pakistan", attributes: ["host": "PK"]
                ),
                context: StoreFixture.context("c1"))
            _ = try await store.apply(
                .intake(cohort: "afghans-pk", state: nil, persons: 25_000, note: "briefing figure"),
                context: StoreFixture.context("i1"))
            _ = try await store.apply(
                .move(cohort: "afghans-pk", from: "referred", to: nil, event: "prescreened", persons: 500, note: nil),
                context: StoreFixture.context("m1"))
            _ = try await store.apply(
                .addCase(
                    cohort: "afghans-pk",
                    NewCase(id: "PK-0001", persons: 6, attributes: ["province": "KP"], fromUnregistered: true)),
                context: StoreFixture.context("a1"))
            _ = try await store.apply(
                .transition(
                    caseId: "PK-0001", event: "prescreened", to: nil, expectedState: "referred", note: "fast track"),
                context: StoreFixture.context("t1"))
            let countsBefore = try await StoreFixture.counts(store, "afghans-pk")
            let eventsBefore = try await StoreFixture.allEvents(store)
            let caseBefore = try await store.caseRecord(id: "PK-0001")
            #expect(store.lastSeq == 5)
            await store.close()

            store = try await SQLiteStore.open(path: path, pipelines: StoreFixture.pipelines)
            #expect(store.lastSeq == 5)
            #expect(try await StoreFixture.counts(store, "afghans-pk") == countsBefore)
            #expect(try await StoreFixture.allEvents(store) == eventsBefore)
            #expect(try await store.caseRecord(id: "PK-0001") == caseBefore)
            #expect(store.cohort(id: "afghans-pk")?.cohort.attributes == ["host": "PK"])
            #expect(try await store.history(caseId: "PK-0001").map(\.kind) == [.caseAdded, .transition])
            #expect(store.totals() == StoreTotals(cohorts: 1, cases: 1, events: 5, lastSeq: 5))
            #expect(
                countsBefore["referred"] == StateCount(state: "referred", unregistered: 24_494))
            #expect(
                countsBefore["prescreened"]
                    == StateCount(state: "prescreened", cases: 1, casePersons: 6, unregistered: 500))

            let result = try await store.apply(
                .intake(cohort: "afghans-pk", state: nil, persons: 10, note: nil), context: StoreFixture.context("i2"))
            guard case .event(let event) = result else {
                Issue.record("intake answered \(result)")
                return
            }
            #expect(event.seq == 6, "the sequence continues without a gap or a reuse")
            #expect(try await store.verify() == [])
            await store.close()
        }
    }

    @Test("a refused mutation takes no sequence number: the next accepted one gets the next number")
    func refusalsLeaveNoGap() async throws {
        try await StoreFixture.withStore { store, _ in
            _ = try await store.apply(
                .createCohort(id: "siv-pk", pipeline: "visa", title: nil, attributes: [:]),
                context: StoreFixture.context())
            await #expect(throws: TrackerError.self) {
                _ = try await store.apply(
                    .move(cohort: "siv-pk", from: "applied", to: "interview", event: nil, persons: 5, note: nil),
                    context: StoreFixture.context())
            }
            await #expect(throws: TrackerError.self) {
                _ = try await store.apply(
                    .importCases(
                        cohort: "siv-pk", cases: [NewCase(id: "S-1", persons: 1), NewCase(id: "bad id", persons: 1)]),
                    context: StoreFixture.context())
            }
            let result = try await store.apply(
                .intake(cohort: "siv-pk", state: "transferred", persons: 5, note: nil), context: StoreFixture.context())
            #expect(result.event?.seq == 2)
            #expect(try await store.caseRecord(id: "S-1") == nil, "the import was all or none")
            #expect(try await StoreFixture.allEvents(store).map(\.seq) == [1, 2])
        }
    }
}

extension MutationResult {
    /// The event a mutation answered with, if it answers with one.
    var event: Event? {
        switch self {
        case .event(let event), .transitioned(_, let event): event
        case .cohort, .addedCase, .imported, .migrated, .purged: nil
        }
    }
}
