import CaseTrackCore
import CaseTrackStore
import Testing

/// `Watch` clients learn of new events from the store's commit stream.
@Suite("Commit stream")
struct CommitStreamTests {
    @Test("a watcher subscribed before an intake hears the new seq once it is committed")
    func yieldsAfterCommit() async throws {
        try await StoreFixture.withStore { store, _ in
            var commits = store.commits().makeAsyncIterator()
            try await StoreFixture.createAfghansPK(store)
            #expect(await commits.next() == 1)
            _ = try await store.apply(
                .intake(cohort: "afghans-pk", state: nil, persons: 3, note: nil), context: StoreFixture.context())
            let seq = await commits.next()
            #expect(seq == 2)
            #expect(try await store.events(EventQuery(afterSeq: 1)).map(\.seq) == [2], "what it heard is readable")
        }
    }

    @Test("a slow watcher sees only the newest seq, and a refused request wakes nobody")
    func slowWatcherSeesLatest() async throws {
        try await StoreFixture.withStore { store, _ in
            var commits = store.commits().makeAsyncIterator()
            try await StoreFixture.createAfghansPK(store)
            for _ in 0..<5 {
                _ = try await store.apply(
                    .intake(cohort: "afghans-pk", state: nil, persons: 1, note: nil), context: StoreFixture.context())
            }
            await #expect(throws: TrackerError.self) {
                _ = try await store.apply(
                    .intake(cohort: "nobody", state: nil, persons: 1, note: nil), context: StoreFixture.context())
            }
            #expect(await commits.next() == 6)
        }
    }

    @Test("closing the store ends every watcher's stream")
    func closeFinishesStreams() async throws {
        try await StoreFixture.withTemporaryDirectory { directory in
            let store = try await SQLiteStore.open(path: directory + "/w.sqlite", pipelines: StoreFixture.pipelines)
            let watcher = Task {
                var seen: [Int64] = []
                for await seq in store.commits() { seen.append(seq) }
                return seen
            }
            try await Task.sleep(for: .milliseconds(50))
            try await StoreFixture.createAfghansPK(store)
            await store.close()
            let seen = await watcher.value
            #expect(seen.last == 1 || seen.isEmpty)
        }
    }
}
