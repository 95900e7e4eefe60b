import CaseTrackCore
import Foundation
import GRDB
import LedgerTestSupport
import Testing

@testable import CaseTrackStore

/// A case's history is a chain through the log (v5): the case names its
/// latest event and each event the case's one before. It must give exactly
/// the case's events, survive other cases' events in between, come apart
/// when a purge takes the case, and be built for a store made before it.
@Suite("Case history")
struct CaseHistoryTests {
    /// A cohort with 100 unregistered persons, cases A and B drawn from
    /// them, and transitions of the two interleaved; A ends denied, B
    /// deported (both closed).
    private func interleaved(_ store: SQLiteStore) async throws {
        func apply(_ mutation: Mutation) async throws { _ = try await store.apply(mutation, context: StoreFixture.context()) }
        try await StoreFixture.createAfghansPK(store)
        try await apply(.intake(cohort: "afghans-pk", state: nil, persons: 100, note: nil))
        try await apply(.addCase(cohort: "afghans-pk", NewCase(id: "A", persons: 3, fromUnregistered: true)))
        try await apply(.addCase(cohort: "afghans-pk", NewCase(id: "B", persons: 2, fromUnregistered: true)))
        for (id, event) in [("A", "prescreened"), ("B", "prescreened"), ("A", "interviewed"), ("B", "deported"), ("A", "denied")] {
            try await apply(.transition(caseId: id, event: event, to: nil, expectedState: nil, note: nil))
        }
    }

    private func expectInterleavedHistories(_ store: SQLiteStore) async throws {
        let a = try await store.history(caseId: "A")
        #expect(a.map(\.seq) == [3, 5, 7, 9])
        #expect(a.map(\.kind) == [.caseAdded, .transition, .transition, .transition])
        #expect(a.compactMap(\.to) == ["referred", "prescreened", "interviewed", "denied"])
        #expect(a.allSatisfy { $0.caseId == "A" })
        let b = try await store.history(caseId: "B")
        #expect(b.map(\.seq) == [4, 6, 8])
        #expect(b.compactMap(\.to) == ["referred", "prescreened", "deported"])
        #expect(try await store.history(caseId: "C").isEmpty)
    }

    @Test("each case's history is its own events in order, among another's; a purge leaves no link between them")
    func chainAndPurge() async throws {
        try await StoreFixture.withTemporaryDirectory { directory in
            let store = try await SQLiteStore.open(path: directory + "/c.sqlite", pipelines: StoreFixture.pipelines)
            try await interleaved(store)
            try await expectInterleavedHistories(store)
            #expect(try await store.verify() == [])

            let purged = try await store.apply(
                .purge(closedBefore: StoreFixture.noon.adding(days: 1)),
                context: StoreFixture.context(time: StoreFixture.noon.adding(days: 2)))
            #expect(purged == .purged(cases: 2, persons: 5))
            #expect(try await store.history(caseId: "A").isEmpty)
            #expect(try await store.history(caseId: "B").isEmpty)
            let links = try await store.pool.read { db in
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM events WHERE case_id IS NOT NULL OR case_prev IS NOT NULL")
            }
            #expect(links == 0)
            #expect(try await store.verify() == [])

            // A case added again under the same id starts a history of its own.
            _ = try await store.apply(
                .addCase(cohort: "afghans-pk", NewCase(id: "A", persons: 1, fromUnregistered: true)),
                context: StoreFixture.context(time: StoreFixture.noon.adding(days: 2)))
            #expect(try await store.history(caseId: "A").map(\.kind) == [.caseAdded])
            #expect(try await store.verify() == [])
            await store.close()
        }
    }

    @Test(
        "a store made before the chain (v4, with the case index) gets it built when opened, and loses the index",
        .enabled(if: FileManager.default.isExecutableFile(atPath: StoreFixture.sqliteShell), "needs the sqlite3 shell"))
    func migratesV4() async throws {
        try await StoreFixture.withTemporaryDirectory { directory in
            let path = directory + "/c.sqlite"
            var store = try await SQLiteStore.open(path: path, pipelines: StoreFixture.pipelines)
            try await interleaved(store)
            await store.close()
            // Back to v4's shape, as that version left its stores.
            #expect(
                try StoreFixture.runSQLiteShell(
                    path,
                    """
                    CREATE INDEX events_by_case ON events(case_id, seq) WHERE case_id IS NOT NULL;
                    ALTER TABLE events DROP COLUMN case_prev;
                    ALTER TABLE cases DROP COLUMN last_seq;
                    DELETE FROM grdb_migrations WHERE identifier LIKE 'v5:%';
                    """))

            store = try await SQLiteStore.open(path: path, pipelines: StoreFixture.pipelines)
            try await expectInterleavedHistories(store)
            #expect(try await store.verify() == [])
            let indexes = try await store.pool.read { db in
                try String.fetchAll(db, sql: "SELECT name FROM pragma_index_list('events')")
            }
            #expect(!indexes.contains("events_by_case"), "\(indexes)")
            // And the chain goes on from where the migration left it.
            _ = try await store.apply(
                .addCase(cohort: "afghans-pk", NewCase(id: "C", persons: 1, fromUnregistered: true)),
                context: StoreFixture.context())
            _ = try await store.apply(
                .transition(caseId: "C", event: "prescreened", to: nil, expectedState: nil, note: nil),
                context: StoreFixture.context())
            #expect(try await store.history(caseId: "C").map(\.seq) == [10, 11])
            #expect(try await store.verify() == [])
            await store.close()
        }
    }
}
