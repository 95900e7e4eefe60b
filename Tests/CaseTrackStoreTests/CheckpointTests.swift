import CaseTrackCore
import Foundation
import Testing

@testable import CaseTrackStore

/// The WAL is copied back into the database file beside the writer, while
/// the store stays open, and stays bounded.
@Suite("Checkpoints")
struct CheckpointTests {
    @Test("100,000 imported cases reach the database file while the store is open; the WAL stays bounded")
    func copiedBackWhileOpen() async throws {
        try await StoreFixture.withStore { store, path in
            _ = try await store.apply(
                .createCohort(id: "afghans-pk", pipeline: "resettlement", title: nil, attributes: [:]),
                context: StoreFixture.context())
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

    private static func size(_ path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue ?? 0
    }
}
