import CaseTrackCore
import CaseTrackStore
import Foundation
import Testing

/// `casetrackctl verify` must notice when the stored numbers stop adding up,
/// not only pass when they do. The damage is done with the sqlite3 shell, as
/// a careless administrator would.
@Suite(
    "Verify finds damage",
    .enabled(if: FileManager.default.isExecutableFile(atPath: StoreFixture.sqliteShell), "needs the sqlite3 shell"))
struct VerifyTests {
    /// A closed store with a cohort, 100 unregistered persons and one case; returns its path.
    private func damagedStore(_ directory: String, _ sql: String) async throws -> SQLiteStore {
        let path = directory + "/casetrack.sqlite"
        let store = try await SQLiteStore.open(path: path, pipelines: StoreFixture.pipelines)
        try await StoreFixture.createAfghansPK(store)
        _ = try await store.apply(
            .intake(cohort: "afghans-pk", state: nil, persons: 100, note: nil), context: StoreFixture.context())
        _ = try await store.apply(
            .addCase(cohort: "afghans-pk", NewCase(id: "PK-1", persons: 4, fromUnregistered: true)),
            context: StoreFixture.context())
        _ = try await store.apply(
            .transition(caseId: "PK-1", event: "prescreened", to: nil, expectedState: nil, note: nil),
            context: StoreFixture.context())
        #expect(try await store.verify() == [])
        await store.close()

        #expect(try StoreFixture.runSQLiteShell(path, sql))
        return try await SQLiteStore.open(path: path, pipelines: StoreFixture.pipelines)
    }

    @Test("five persons added to the pool by hand show as a pool problem")
    func poolEdited() async throws {
        try await StoreFixture.withTemporaryDirectory { directory in
            let store = try await damagedStore(
                directory, "UPDATE counts SET unregistered = unregistered + 5 WHERE state = 'referred'")
            let problems = try await store.verify()
            #expect(problems.map(\.check) == ["pool"])
            #expect(problems.first?.message.contains("101") == true, "\(problems)")
            await store.close()
        }
    }

    @Test("a deleted event shows as a gap in the sequence and as counts the log no longer explains")
    func eventDeleted() async throws {
        try await StoreFixture.withTemporaryDirectory { directory in
            let store = try await damagedStore(directory, "DELETE FROM events WHERE seq = 2")
            let checks = Set(try await store.verify().map(\.check))
            #expect(checks.contains("sequence"))
            #expect(checks.contains("pool"))
            await store.close()
        }
    }

    @Test("a case's history unlinked by hand, or pointed at an older event, shows as a case-chain problem")
    func chainBroken() async throws {
        try await StoreFixture.withTemporaryDirectory { directory in
            let store = try await damagedStore(directory, "UPDATE events SET case_prev = NULL WHERE kind = 'transition'")
            let problems = try await store.verify()
            #expect(problems.map(\.check) == ["case-chain"])
            #expect(problems.first?.message.contains("links to no event") == true, "\(problems)")
            await store.close()
        }
        try await StoreFixture.withTemporaryDirectory { directory in
            let store = try await damagedStore(
                directory, "UPDATE cases SET last_seq = (SELECT MIN(seq) FROM events WHERE case_id = 'PK-1')")
            let checks = try await store.verify().map(\.check)
            #expect(checks == ["case-chain", "case-state"])
            await store.close()
        }
    }

    @Test("a case moved by hand, without an event, shows as a case-state and a counts problem")
    func caseMovedByHand() async throws {
        try await StoreFixture.withTemporaryDirectory { directory in
            let store = try await damagedStore(directory, "UPDATE cases SET state = 'approved' WHERE id = 'PK-1'")
            let checks = Set(try await store.verify().map(\.check))
            #expect(checks == ["case-state", "counts"])
            await store.close()
        }
    }

    @Test("persons in a state the pipeline does not define show as a pipeline problem")
    func unknownState() async throws {
        try await StoreFixture.withTemporaryDirectory { directory in
            let store = try await damagedStore(
                directory,
                """
                UPDATE counts SET state = 'limbo' WHERE state = 'referred';
                UPDATE events SET to_state = 'limbo' WHERE kind = 'intake';
                UPDATE events SET from_state = 'limbo' WHERE kind = 'case-added';
                """)
            let problems = try await store.verify()
            #expect(problems.map(\.check) == ["pipeline"], "\(problems)")
            await store.close()
        }
    }
}
