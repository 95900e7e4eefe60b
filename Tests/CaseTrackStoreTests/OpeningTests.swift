import CaseTrackCore
import CaseTrackStore
import Foundation
import Testing

/// The store file holds data about people at risk: only the daemon's user
/// (and its group) may read it.
@Suite("Opening a store")
struct OpeningTests {
    @Test("a new store is created 0600 in a new 0700 directory, and its write-ahead log is private too")
    func createsPrivateFiles() async throws {
        try await StoreFixture.withTemporaryDirectory { directory in
            let path = directory + "/state/casetrack.sqlite"
            let store = try await SQLiteStore.open(path: path, pipelines: StoreFixture.pipelines)
            #expect(store.location == "sqlite:\(path)")
            try await StoreFixture.createAfghansPK(store)
            #expect(try StoreFixture.mode(path) == 0o600)
            #expect(try StoreFixture.mode(directory + "/state") == 0o700)
            #expect(try StoreFixture.mode(path + "-wal") & 0o077 == 0, "the WAL holds the same data")
            await store.close()
        }
    }

    @Test("a clean close leaves everything in the database file and the WAL empty; the store opens again whole")
    func closeCheckpoints() async throws {
        try await StoreFixture.withTemporaryDirectory { directory in
            let path = directory + "/casetrack.sqlite"
            var store = try await SQLiteStore.open(path: path, pipelines: StoreFixture.pipelines)
            try await StoreFixture.createAfghansPK(store)
            _ = try await store.apply(
                .importCases(
                    cohort: "afghans-pk", cases: (0..<500).map { NewCase(id: "PK-\($0)", persons: 1 + $0 % 5) }),
                context: StoreFixture.context())
            #expect(try FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int ?? 0 > 0)
            await store.close()
            let wal = try? FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int
            #expect(wal == nil || wal == 0, "\(wal ?? -1) bytes left in the WAL")
            store = try await SQLiteStore.open(path: path, pipelines: StoreFixture.pipelines)
            #expect(store.totals().cases == 500)
            #expect(try await store.verify() == [])
            await store.close()
        }
    }

    @Test("a store file others may read (0644) is refused with unsafePermissions, and left as it was")
    func refusesWorldReadableFile() async throws {
        try await StoreFixture.withTemporaryDirectory { directory in
            let path = directory + "/casetrack.sqlite"
            let store = try await SQLiteStore.open(path: path, pipelines: StoreFixture.pipelines)
            await store.close()
            #expect(chmod(path, 0o644) == 0)
            await #expect(throws: StoreError.unsafePermissions(path: path, mode: 0o644)) {
                _ = try await SQLiteStore.open(path: path, pipelines: StoreFixture.pipelines)
            }
            #expect(try StoreFixture.mode(path) == 0o644)
            #expect(
                StoreError.unsafePermissions(path: path, mode: 0o644).description.contains("644"),
                "the error tells the operator the mode it found")
        }
    }

    @Test("a store file shared with the service's group (0640) is accepted")
    func acceptsGroupReadableFile() async throws {
        try await StoreFixture.withTemporaryDirectory { directory in
            let path = directory + "/casetrack.sqlite"
            let first = try await SQLiteStore.open(path: path, pipelines: StoreFixture.pipelines)
            await first.close()
            #expect(chmod(path, 0o640) == 0)
            let store = try await SQLiteStore.open(path: path, pipelines: StoreFixture.pipelines)
            #expect(try await store.verify() == [])
            await store.close()
        }
    }

    @Test("a fresh store is empty, verifies clean, and its writer answers a ping")
    func freshStore() async throws {
        try await StoreFixture.withStore { store, _ in
            #expect(store.lastSeq == 0)
            #expect(store.totals() == StoreTotals(cohorts: 0, cases: 0, events: 0, lastSeq: 0))
            #expect(store.cohorts().isEmpty)
            #expect(try await store.verify() == [])
            let before = store.writerHeartbeat
            try await store.ping()
            #expect(store.writerHeartbeat >= before)
        }
    }

    @Test("a closed store refuses new mutations with StoreError.closed")
    func closedStoreRefuses() async throws {
        try await StoreFixture.withTemporaryDirectory { directory in
            let store = try await SQLiteStore.open(path: directory + "/c.sqlite", pipelines: StoreFixture.pipelines)
            await store.close()
            await #expect(throws: StoreError.closed) {
                _ = try await store.apply(
                    .createCohort(id: "late", pipeline: "visa", title: nil, attributes: [:]),
                    context: StoreFixture.context())
            }
        }
    }
}
