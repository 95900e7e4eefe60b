import CaseTrackCore
import CaseTrackStore
import Testing

/// A client that lost its answer retries with the same request id; the
/// store applies the change once and answers again with the first result.
@Suite("Idempotent retries")
struct IdempotencyTests {
    private func cohort(_ store: SQLiteStore) async throws {
        _ = try await store.apply(
            .createCohort(id: "afghans-pk", pipeline: "resettlement", title: nil, attributes: [:]),
            context: StoreFixture.context("create"))
    }

    @Test("when an operator's intake of 500 is retried after a timeout, 500 are counted, not 1,000")
    func sequentialRetry() async throws {
        try await StoreFixture.withStore { store, _ in
            try await cohort(store)
            let intake = Mutation.intake(cohort: "afghans-pk", state: nil, persons: 500, note: nil)
            let first = try await store.apply(intake, context: StoreFixture.context("intake-42"))
            let retry = try await store.apply(
                intake, context: StoreFixture.context("intake-42", time: StoreFixture.noon.adding(days: 1)))
            #expect(retry == first, "the retry is answered with the first result, its time and seq included")
            #expect(try await StoreFixture.counts(store, "afghans-pk")["referred"]?.unregistered == 500)
            #expect(store.lastSeq == 2)
        }
    }

    @Test("a request id already used answers with its first result, even if the retry asks for something else")
    func retryWithDifferentBody() async throws {
        try await StoreFixture.withStore { store, _ in
            try await cohort(store)
            let first = try await store.apply(
                .addCase(cohort: "afghans-pk", NewCase(id: "PK-1", persons: 3)), context: StoreFixture.context("r-1"))
            let second = try await store.apply(
                .addCase(cohort: "afghans-pk", NewCase(id: "PK-2", persons: 4)), context: StoreFixture.context("r-1"))
            #expect(second == first)
            #expect(try await store.caseRecord(id: "PK-2") == nil)
        }
    }

    @Test("twenty copies of one transition sent at once are applied once, and all twenty get the same answer")
    func concurrentRetries() async throws {
        try await StoreFixture.withStore { store, _ in
            try await cohort(store)
            _ = try await store.apply(
                .addCase(cohort: "afghans-pk", NewCase(id: "PK-1", persons: 3)), context: StoreFixture.context("add"))
            let transition = Mutation.transition(
                caseId: "PK-1", event: "prescreened", to: nil, expectedState: "referred", note: nil)
            let results = try await withThrowingTaskGroup(of: MutationResult.self) { group in
                for _ in 0..<20 {
                    group.addTask { try await store.apply(transition, context: StoreFixture.context("move-PK-1")) }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(results.count == 20)
            #expect(Set(results).count == 1)
            #expect(try await store.history(caseId: "PK-1").map(\.kind) == [.caseAdded, .transition])
            #expect(store.lastSeq == 3)
            #expect(try await store.verify() == [])
        }
    }

    @Test("copies of an import sent at once register its cases once")
    func concurrentImportRetries() async throws {
        try await StoreFixture.withStore { store, _ in
            try await cohort(store)
            let cases = (1...30).map { NewCase(id: "PK-\($0)", persons: $0 % 5 + 1) }
            let results = try await withThrowingTaskGroup(of: MutationResult.self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        try await store.apply(
                            .importCases(cohort: "afghans-pk", cases: cases), context: StoreFixture.context("import-1"))
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(results == Array(repeating: .imported(30), count: 8))
            #expect(store.totals().cases == 30)
            #expect(store.lastSeq == 31)
        }
    }

    @Test("a retry after a restart is still answered from the first result")
    func retryAfterRestart() async throws {
        try await StoreFixture.withTemporaryDirectory { directory in
            let path = directory + "/casetrack.sqlite"
            var store = try await SQLiteStore.open(path: path, pipelines: StoreFixture.pipelines)
            try await cohort(store)
            let intake = Mutation.intake(cohort: "afghans-pk", state: nil, persons: 7, note: nil)
            let first = try await store.apply(intake, context: StoreFixture.context("before-restart"))
            await store.close()
            store = try await SQLiteStore.open(path: path, pipelines: StoreFixture.pipelines)
            #expect(try await store.apply(intake, context: StoreFixture.context("before-restart")) == first)
            #expect(store.lastSeq == 2)
            await store.close()
        }
    }

    @Test("a retry answered after the pipeline was revised and the case moved on is still the first answer")
    func retryAfterPipelineRevision() async throws {
        try await StoreFixture.withStore { store, _ in
            try await cohort(store)
            let add = Mutation.addCase(cohort: "afghans-pk", NewCase(id: "PK-1", persons: 3, attributes: ["camp": "a"]))
            let first = try await store.apply(add, context: StoreFixture.context("add-PK-1"))
            var revised = StoreFixture.definition(of: StoreFixture.resettlement)
            revised.version = 2
            try await store.setPipelines(["resettlement": try revised.validated(), "visa": StoreFixture.visa])
            _ = try await store.apply(
                .transition(caseId: "PK-1", event: "prescreened", to: nil, expectedState: nil, note: nil),
                context: StoreFixture.context("move-PK-1", time: StoreFixture.noon.adding(days: 3)))
            let retry = try await store.apply(add, context: StoreFixture.context("add-PK-1"))
            guard case .addedCase(let answered) = retry, case .addedCase(let original) = first else {
                Issue.record("answered \(retry)")
                return
            }
            #expect(answered.state == "referred")
            #expect(answered.enteredAt == StoreFixture.noon)
            #expect(answered.persons == 3)
            #expect(answered == original)
        }
    }

    @Test("a refused request is not remembered: once the count is there, the same request id succeeds")
    func refusalIsNotRemembered() async throws {
        try await StoreFixture.withStore { store, _ in
            try await cohort(store)
            let move = Mutation.move(
                cohort: "afghans-pk", from: "referred", to: "prescreened", event: nil, persons: 10, note: nil)
            await #expect(
                throws: TrackerError.insufficientCount(
                    cohort: "afghans-pk", state: "referred", requested: 10, available: 0)
            ) {
                _ = try await store.apply(move, context: StoreFixture.context("move-10"))
            }
            _ = try await store.apply(
                .intake(cohort: "afghans-pk", state: nil, persons: 10, note: nil),
                context: StoreFixture.context("intake"))
            let result = try await store.apply(move, context: StoreFixture.context("move-10"))
            #expect(result.event?.to == "prescreened")
        }
    }
}
