import CaseTrackCore
import CaseTrackStore
import Foundation
import Testing

@testable import CaseTrackDaemon

/// Run with `CASETRACK_DIGEST_SCALE=1000000 swift test --filter DigestScaleTests`;
/// `CASETRACK_DIGEST_STORE=/path/dir` keeps (and reuses) the store.
@Suite("Digest at scale", .enabled(if: ProcessInfo.processInfo.environment["CASETRACK_DIGEST_SCALE"] != nil))
struct DigestScaleTests {
    @Test("a store of a million cases digests within two seconds")
    func million() async throws {
        let environment = ProcessInfo.processInfo.environment
        let total = Int(environment["CASETRACK_DIGEST_SCALE"] ?? "") ?? 1_000_000
        var world = try DigestWorld()
        if let directory = environment["CASETRACK_DIGEST_STORE"] {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            world.configuration.stateDirectory = directory
        }
        defer { world.remove() }
        let (tracker, _, store) = try await world.start()
        let actor = DigestWorld.operatorIdentity
        let existing = store.totals().cases
        if existing < total {
            let batch = 10_000
            var clock = ContinuousClock.now
            for (index, start) in stride(from: existing, to: total, by: batch).enumerated() {
                let cohort = "cohort-\(start * 4 / total)"
                world.clock.set(DigestWorld.day(index % 200, 7))
                if store.cohort(id: cohort) == nil {
                    _ = try await tracker.mutate(
                        .createCohort(
                            id: cohort, pipeline: index % 2 == 0 ? "afghan-siv" : "usrap", title: nil, attributes: [:]),
                        actor: actor, requestId: nil)
                }
                let pipeline = try #require(tracker.pipeline(ofCohort: cohort))
                let states = pipeline.states.filter { !$0.isTerminal }.map(\.name)
                let cases = (start..<min(total, start + batch)).map {
                    NewCase(id: "C\($0)", persons: 1 + $0 % 7, state: states[$0 % states.count])
                }
                _ = try await tracker.mutate(.importCases(cohort: cohort, cases: cases), actor: actor, requestId: nil)
            }
            print("built \(total) cases in \(ContinuousClock.now - clock)")
            clock = .now
            // A week of transitions since the last digest.
            world.clock.set(DigestWorld.day(200, 7))
            try await withThrowingTaskGroup(of: Void.self) { group in
                for worker in 0..<64 {
                    group.addTask {
                        for id in stride(from: worker, to: 20_000, by: 64) {
                            _ = try? await tracker.mutate(
                                .transition(
                                    caseId: "C\(id * 37)", event: nil, to: "deported", expectedState: nil, note: nil),
                                actor: actor, requestId: nil)
                        }
                    }
                }
                try await group.waitForAll()
            }
            print("20,000 transitions in \(ContinuousClock.now - clock)")
        }
        world.clock.set(DigestWorld.day(201, 6, 30))
        let cases = store.totals().cases
        // The first digest ever: every event of the log is a movement.
        try await store.recordDigest(
            DigestRecord(mark: DigestMark(time: DigestWorld.day(0, 5), seq: 0), activePersons: [:]),
            forgetBefore: DigestWorld.day(0, 0))
        var started = ContinuousClock.now
        var digest = try await tracker.digest(cohort: nil, exact: false)
        let whole = ContinuousClock.now - started
        print("digest of \(cases) cases, movements of all \(digest.throughSeq) events: \(whole)")
        // A daily digest: the movements are the last day's 20,000 events.
        try await store.recordDigest(
            DigestRecord(
                mark: DigestMark(time: DigestWorld.day(200, 6), seq: digest.throughSeq - 20_000), activePersons: [:]),
            forgetBefore: DigestWorld.day(0, 0))
        started = ContinuousClock.now
        digest = try await tracker.digest(cohort: nil, exact: false)
        let daily = ContinuousClock.now - started
        print("digest of \(cases) cases, movements of the last 20,000 events: \(daily)")
        print(digest.headline)
        #expect(daily < .seconds(2))
        await store.close()
    }
}
