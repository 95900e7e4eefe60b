import CaseTrackCore
import CaseTrackStore
import Foundation
import Testing

/// Many operators write at once; the one writer commits them in groups,
/// and each is answered as if it were alone.
@Suite("Group commit")
struct GroupCommitTests {
    @Test("when 200 field offices report intakes at the same moment, all 200 succeed with distinct, gap-free seqs")
    func twoHundredConcurrentIntakes() async throws {
        try await StoreFixture.withStore { store, _ in
            try await StoreFixture.createAfghansPK(store)
            let clock = ContinuousClock()
            let start = clock.now
            let seqs = try await withThrowingTaskGroup(of: Int64.self) { group in
                for office in 1...200 {
                    group.addTask {
                        let result = try await store.apply(
                            .intake(cohort: "afghans-pk", state: nil, persons: office, note: "office \(office)"),
                            context: StoreFixture.context("office-\(office)", actor: "office-\(office)"))
                        return try #require(result.event).seq
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let elapsed = clock.now - start
            #expect(seqs.sorted() == Array(2...201))
            #expect(store.lastSeq == 201)
            #expect(try await StoreFixture.counts(store, "afghans-pk")["referred"]?.unregistered == 200 * 201 / 2)
            #expect(try await store.verify() == [])
            let events = try await StoreFixture.allEvents(store, after: 1)
            #expect(Set(events.map(\.actor)).count == 200, "every office's event is in the log under its own name")
            #expect(elapsed < .seconds(30), "group commit should not need one fsync per request: took \(elapsed)")
        }
    }

    @Test("refused requests in the same batch as accepted ones change nothing, and the others are unaffected")
    func refusalsInsideABatch() async throws {
        try await StoreFixture.withStore { store, _ in
            try await StoreFixture.createAfghansPK(store)
            _ = try await store.apply(
                .intake(cohort: "afghans-pk", state: nil, persons: 100, note: nil), context: StoreFixture.context())
            let requests: [Mutation] = (0..<60).map { index in
                switch index % 4 {
                case 0: .intake(cohort: "afghans-pk", state: "prescreened", persons: 1, note: nil)
                case 1: .move(cohort: "afghans-pk", from: "approved", to: "arrived", event: nil, persons: 1, note: nil)
                case 2: .addCase(cohort: "afghans-pk", NewCase(id: "bad id \(index)", persons: 1))
                default: .addCase(cohort: "afghans-pk", NewCase(id: "PK-\(index)", persons: 2, fromUnregistered: true))
                }
            }
            let outcomes = await Self.applyConcurrently(Array(requests.enumerated()), to: store)
            for (index, outcome) in outcomes {
                switch (index % 4, outcome) {
                case (0, .success), (3, .success): break
                case (1, .failure(let error)), (2, .failure(let error)):
                    #expect(error is TrackerError, "request \(index) refused by the store, not the domain: \(error)")
                default:
                    Issue.record("request \(index): \(outcome)")
                }
            }
            let counts = try await StoreFixture.counts(store, "afghans-pk")
            #expect(counts["prescreened"] == StateCount(state: "prescreened", unregistered: 15))
            #expect(counts["referred"] == StateCount(state: "referred", cases: 15, casePersons: 30, unregistered: 70))
            #expect(counts["arrived"] == nil)
            #expect(store.lastSeq == 2 + 30)
            #expect(try await StoreFixture.allEvents(store).map(\.seq) == Array(1...32))
            #expect(try await store.verify() == [])
        }
    }

    @Test(
        "a request that fails after it started writing fails alone: the rest of its batch commits",
        .enabled(if: FileManager.default.isExecutableFile(atPath: StoreFixture.sqliteShell), "needs the sqlite3 shell"))
    func failureWhileWriting() async throws {
        try await StoreFixture.withTemporaryDirectory { directory in
            let path = directory + "/casetrack.sqlite"
            let first = try await SQLiteStore.open(path: path, pipelines: StoreFixture.pipelines)
            try await StoreFixture.createAfghansPK(first)
            _ = try await first.apply(
                .intake(cohort: "afghans-pk", state: nil, persons: 100, note: nil), context: StoreFixture.context())
            for index in 1...40 {
                _ = try await first.apply(
                    .addCase(cohort: "afghans-pk", NewCase(id: "PK-\(index)", persons: 2, fromUnregistered: true)),
                    context: StoreFixture.context())
            }
            await first.close()
            // Damage only the ledger's checks cannot foresee: the log refuses
            // PK-7's next event, after its case row was already updated.
            #expect(
                try StoreFixture.runSQLiteShell(
                    path,
                    """
                    CREATE TRIGGER refuse_pk7 BEFORE INSERT ON events WHEN NEW.case_id = 'PK-7'
                    BEGIN SELECT RAISE(ABORT, 'refused by a trigger'); END;
                    """))
            let store = try await SQLiteStore.open(path: path, pipelines: StoreFixture.pipelines)
            let before = store.lastSeq
            let transitions = (1...40).map { index in
                (index, Mutation.transition(
                    caseId: "PK-\(index)", event: "prescreened", to: nil, expectedState: nil, note: nil))
            }
            let outcomes = await Self.applyConcurrently(transitions, to: store)
            for (index, outcome) in outcomes {
                switch (index, outcome) {
                case (7, .failure(let error)):
                    #expect(error is StoreError, "PK-7 failed in the store: \(error)")
                case (7, .success):
                    Issue.record("PK-7 went through despite the trigger")
                case (_, .failure(let error)):
                    Issue.record("PK-\(index) failed with PK-7: \(error)")
                case (_, .success):
                    break
                }
            }
            #expect(store.lastSeq == before + 39)
            #expect(try await StoreFixture.allEvents(store).map(\.seq) == Array(1...(before + 39)))
            #expect(try await store.caseRecord(id: "PK-7")?.state == "referred", "PK-7's case row was rolled back too")
            let counts = try await StoreFixture.counts(store, "afghans-pk")
            #expect(counts["prescreened"] == StateCount(state: "prescreened", cases: 39, casePersons: 78))
            #expect(counts["referred"] == StateCount(state: "referred", cases: 1, casePersons: 2, unregistered: 20))
            #expect(try await store.verify() == [])
            await store.close()
        }
    }

    /// Applies the numbered mutations all at once; each one's outcome by its number.
    private static func applyConcurrently(
        _ mutations: [(Int, Mutation)], to store: SQLiteStore
    ) async -> [Int: Result<MutationResult, any Error>] {
        await withTaskGroup(of: (Int, Result<MutationResult, any Error>).self) { group in
            for (index, mutation) in mutations {
                group.addTask {
                    do {
                        return (index, .success(try await store.apply(mutation, context: StoreFixture.context())))
                    } catch {
                        return (index, .failure(error))
                    }
                }
            }
            return await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
        }
    }
}
