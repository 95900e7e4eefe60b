import CaseTrackCore
import Testing

@testable import CaseTrackStore

/// The counts a batch writes to the table and the counts it publishes to
/// readers are the same, however its mutations add up.
@Suite("Counts of a batch")
struct BatchCountsTests {
    @Test("a case that passes through a state within one batch leaves the same zero row in the table and in memory")
    func throughAStateInOneBatch() async throws {
        try await StoreFixture.withStore { store, _ in
            try await StoreFixture.createAfghansPK(store)
            _ = try await store.apply(
                .intake(cohort: "afghans-pk", state: nil, persons: 10, note: nil), context: StoreFixture.context())
            _ = try await store.apply(
                .addCase(cohort: "afghans-pk", NewCase(id: "PK-1", persons: 4, fromUnregistered: true)),
                context: StoreFixture.context())
            // One batch, in this order: into prescreened and out again.
            let jobs: [(Mutation, MutationContext)] = [
                (.transition(caseId: "PK-1", event: "prescreened", to: nil, expectedState: nil, note: nil), StoreFixture.context()),
                (.transition(caseId: "PK-1", event: "deported", to: nil, expectedState: nil, note: nil), StoreFixture.context()),
            ]
            let writer = store.writer
            let ledger = Ledger(pipelines: StoreFixture.pipelines)
            let (results, published, stored) = try await store.pool.writeWithoutTransaction { db in
                let results = try writer.apply(jobs, ledger: ledger, db: db)
                return (results, writer.committedCounts, try CommittedCounts.load(db))
            }
            for result in results { _ = try result.get() }
            #expect(published == stored)
            let prescreened = stored.cohort(id: "afghans-pk")?.counts.first { $0.state == "prescreened" }
            #expect(prescreened == StateCount(state: "prescreened"))
        }
    }
}
