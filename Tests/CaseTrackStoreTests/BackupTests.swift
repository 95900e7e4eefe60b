import CaseTrackCore
import CaseTrackStore
import Foundation
import Testing

/// An operator takes a backup while the daemon runs; it must be a store
/// in its own right, as private as the original.
@Suite("Online backup")
struct BackupTests {
    @Test("a backup is a 0600 file that opens as a store with the same cohorts, counts, cases and log")
    func backupOpensAsStore() async throws {
        try await StoreFixture.withStore { store, path in
            _ = try await store.apply(
                .createCohort(id: "siv-pk", pipeline: "visa", title: "SIV applicants in Pakistan", attributes: [:]),
                context: StoreFixture.context())
            _ = try await store.apply(
                .intake(cohort: "siv-pk", state: "transferred", persons: 1_200, note: nil),
                context: StoreFixture.context())
            _ = try await store.apply(
                .importCases(
                    cohort: "siv-pk",
                    cases: (1...40).map {
                        NewCase(id: "SIV-\($0)", persons: 3, state: "transferred", fromUnregistered: true)
                    }),
                context: StoreFixture.context("import"))
            _ = try await store.apply(
                .transition(caseId: "SIV-7", event: "scheduled", to: nil, expectedState: nil, note: nil),
                context: StoreFixture.context())

            let directory = (path as NSString).deletingLastPathComponent
            let backupPath = directory + "/backup-2026-11-29.sqlite"
            let size = try await store.backup(to: backupPath)
            #expect(try StoreFixture.mode(backupPath) == 0o600)
            let attributes = try FileManager.default.attributesOfItem(atPath: backupPath)
            #expect((attributes[.size] as? NSNumber)?.int64Value == size)
            #expect(size > 0)
            #expect(
                try FileManager.default.contentsOfDirectory(atPath: directory).allSatisfy { !$0.contains(".partial") },
                "no partial file is left behind")

            // The original keeps working; the backup is a snapshot.
            _ = try await store.apply(
                .intake(cohort: "siv-pk", state: nil, persons: 5, note: nil), context: StoreFixture.context())

            let copy = try await SQLiteStore.open(path: backupPath, pipelines: StoreFixture.pipelines)
            #expect(copy.lastSeq == 43, "cohort, intake, 40 case-added, transition")
            #expect(try await copy.verify() == [])
            #expect(copy.cohorts().map(\.cohort) == store.cohorts().map(\.cohort))
            #expect(
                try await StoreFixture.counts(copy, "siv-pk")
                    == [
                        "transferred": StateCount(
                            state: "transferred", cases: 39, casePersons: 117, unregistered: 1_080),
                        "interview": StateCount(state: "interview", cases: 1, casePersons: 3),
                    ])
            #expect(try await copy.cases(CaseQuery(limit: 100)) == store.cases(CaseQuery(limit: 100)))
            #expect(try await StoreFixture.allEvents(copy) == Array(StoreFixture.allEvents(store).prefix(43)))
            _ = try await copy.apply(
                .addCase(cohort: "siv-pk", NewCase(id: "SIV-41", persons: 1)), context: StoreFixture.context())
            #expect(try await copy.caseRecord(id: "SIV-41") != nil)
            #expect(try await store.caseRecord(id: "SIV-41") == nil, "the copy is a store of its own")
            #expect(copy.lastSeq == 44, "a restored store continues its own sequence")
            await copy.close()
        }
    }

    @Test("a backup to a directory that does not exist fails with backupFailed and writes nothing")
    func backupToMissingDirectory() async throws {
        try await StoreFixture.withStore { store, path in
            let directory = (path as NSString).deletingLastPathComponent
            let target = directory + "/missing/backup.sqlite"
            let error = await #expect(throws: StoreError.self) { _ = try await store.backup(to: target) }
            guard case .backupFailed(let failedPath, _) = error else {
                Issue.record("failed with \(String(describing: error))")
                return
            }
            #expect(failedPath == target)
            #expect(!FileManager.default.fileExists(atPath: target))
            let problems = try await store.verify()
            #expect(problems == [], "the store itself is unharmed")
        }
    }
}
