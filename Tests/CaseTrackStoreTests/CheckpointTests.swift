import CaseTrackCore
import Foundation
import GRDB
import Testing

@testable import CaseTrackStore

/// The WAL is copied back into the database file beside the writer, while
/// the store stays open, and stays bounded.
@Suite("Checkpoints")
struct CheckpointTests {
    @Test("100,000 imported cases reach the database file while the store is open; the WAL stays bounded")
    func copiedBackWhileOpen() async throws {
        try await StoreFixture.withStore { store, path in
            try await StoreFixture.createAfghansPK(store)
            let sizeBefore = try Self.size(path)
            var largestWAL = 0
            for batch in 0..<100 {
                let cases = (0..<1000).map { NewCase(id: "PK-\(batch)-\($0)", persons: 1 + $0 % 5) }
                _ = try await store.apply(.importCases(cohort: "afghans-pk", cases: cases), context: StoreFixture.context())
                largestWAL = max(largestWAL, try Self.size(path + "-wal"))
            }
            let deadline = ContinuousClock.now + .seconds(20)
            while try store.checkpointer.status.runs == 0 || Self.size(path) <= sizeBefore {
                try #require(ContinuousClock.now < deadline, "no checkpoint copied pages back within 20 s")
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(store.checkpointer.status.failure == nil)
            #expect(try Self.size(path) > 100_000 * 40, "the cases are in the database file, not only in the WAL")
            // The checkpointer restarts the WAL long before the writer's own limit.
            #expect(largestWAL < Int(Checkpointer.writerLimit) * 4096)
            #expect(try await store.verify() == [])
        }
    }

    /// Past the threshold every commit asks for a checkpoint; while a reader
    /// holds an old snapshot the WAL cannot start over, so they keep asking.
    /// The checkpointer still runs at most once per pause, not per commit.
    @Test("a stream of commits past the threshold gets at most one checkpoint per pause")
    func restsBetweenRuns() async throws {
        try await StoreFixture.withStore { store, path in
            try await StoreFixture.createAfghansPK(store)
            let snapshot = try store.pool.makeSnapshot()
            var batch = 0
            while try Self.size(path + "-wal") < Int(Checkpointer.threshold) * 4096 {
                let cases = (0..<1000).map { NewCase(id: "PK-\(batch)-\($0)", persons: 1) }
                _ = try await store.apply(.importCases(cohort: "afghans-pk", cases: cases), context: StoreFixture.context())
                batch += 1
            }
            let runsBefore = store.checkpointer.status.runs
            let start = ContinuousClock.now
            var commits = 0
            while ContinuousClock.now - start < .seconds(1) {
                _ = try await store.apply(
                    .intake(cohort: "afghans-pk", state: nil, persons: 1, note: nil), context: StoreFixture.context())
                commits += 1
            }
            let elapsed = ContinuousClock.now - start
            let runs = store.checkpointer.status.runs - runsBefore
            try #require(commits >= 20, "too few commits to tell: \(commits)")
            #expect(runs >= 1, "no checkpoint ran past the threshold")
            let pauses = Int(elapsed / .milliseconds(100)) + 2
            #expect(runs <= pauses, "\(runs) checkpoints for \(commits) commits in \(elapsed)")
            _ = try await snapshot.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM cases") }
        }
    }

    private static func size(_ path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue ?? 0
    }
}
