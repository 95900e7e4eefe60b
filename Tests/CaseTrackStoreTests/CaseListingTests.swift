import CaseTrackCore
import CaseTrackStore
import Testing

/// Caseworkers page through cases, filter them by cohort and state, and
/// ask which are overdue in their state.
@Suite("Listing cases")
struct CaseListingTests {
    /// `PK-007`: case ids sort as their numbers do.
    static func caseID(_ number: Int) -> String {
        "PK-" + String(repeating: "0", count: 3 - String(number).count) + String(number)
    }

    /// Two cohorts: `afghans-pk` (resettlement, SLA 60 days in referred) with
    /// 250 cases added at various ages, and `siv-pk` (visa, no SLA) with 20.
    private func populate(_ store: SQLiteStore) async throws {
        try await StoreFixture.createAfghansPK(store)
        _ = try await store.apply(
            .createCohort(id: "siv-pk", pipeline: "visa", title: nil, attributes: [:]), context: StoreFixture.context())
        // PK-000 … PK-249: case n was referred n days before noon.
        for start in stride(from: 0, to: 250, by: 50) {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for number in start..<start + 50 {
                    group.addTask {
                        let id = Self.caseID(number)
                        let time = StoreFixture.noon.adding(days: -number)
                        _ = try await store.apply(
                            .addCase(cohort: "afghans-pk", NewCase(id: id, persons: 1 + number % 6)),
                            context: StoreFixture.context(time: time))
                    }
                }
                try await group.waitForAll()
            }
        }
        _ = try await store.apply(
            .importCases(
                cohort: "siv-pk",
                cases: (0..<20).map { NewCase(id: "SIV-\($0 < 10 ? "0" : "")\($0)", persons: 4) }),
            context: StoreFixture.context(time: StoreFixture.noon.adding(days: -400)))
    }

    @Test("paging 270 cases 100 at a time with `after` visits each once, in id order")
    func paging() async throws {
        try await StoreFixture.withStore { store, _ in
            try await populate(store)
            var seen: [String] = []
            var after: String?
            var pages = 0
            while true {
                let page = try await store.cases(CaseQuery(after: after, limit: 100))
                pages += 1
                seen += page.map(\.id)
                guard page.count == 100, let last = page.last else { break }
                after = last.id
            }
            #expect(pages == 3)
            #expect(seen.count == 270)
            #expect(seen == seen.sorted())
            #expect(Set(seen).count == 270)
            #expect(
                try await store.cases(CaseQuery(after: "PK-248", limit: 5)).map(\.id) == [
                    "PK-249", "SIV-00", "SIV-01", "SIV-02", "SIV-03",
                ])
            #expect(try await store.cases(CaseQuery(limit: 0)).isEmpty)
        }
    }

    @Test("filters by cohort and by state narrow the list, and combine")
    func filters() async throws {
        try await StoreFixture.withStore { store, _ in
            try await populate(store)
            for id in ["PK-001", "PK-002", "PK-003"] {
                _ = try await store.apply(
                    .transition(caseId: id, event: "prescreened", to: nil, expectedState: nil, note: nil),
                    context: StoreFixture.context())
            }
            #expect(try await store.cases(CaseQuery(cohort: "siv-pk", limit: 100)).count == 20)
            #expect(try await store.cases(CaseQuery(cohort: "afghans-pk", limit: 1000)).count == 250)
            #expect(
                try await store.cases(CaseQuery(cohort: "afghans-pk", state: "prescreened", limit: 100)).map(\.id)
                    == ["PK-001", "PK-002", "PK-003"])
            #expect(try await store.cases(CaseQuery(cohort: "siv-pk", state: "prescreened", limit: 100)).isEmpty)
            #expect(try await store.cases(CaseQuery(state: "referred", limit: 1000)).count == 247)
            #expect(try await store.cases(CaseQuery(cohort: "nobody", limit: 100)).isEmpty)
        }
    }

    @Test("cases referred more than 60 days ago are overdue; a case that moves on restarts its clock")
    func overdue() async throws {
        try await StoreFixture.withStore { store, _ in
            try await populate(store)
            let overdue = try await store.cases(CaseQuery(overdueAt: StoreFixture.noon, limit: 1000))
            // Referred n days before noon, due 60 days later: overdue when n > 60.
            #expect(overdue.map(\.id) == (61..<250).map(Self.caseID))
            #expect(overdue.allSatisfy { $0.isOverdue(in: StoreFixture.resettlement, at: StoreFixture.noon) })
            #expect(
                try await store.cases(CaseQuery(cohort: "siv-pk", overdueAt: StoreFixture.noon, limit: 100)).isEmpty,
                "a state with no SLA is never overdue, however old the case")

            _ = try await store.apply(
                .transition(caseId: "PK-200", event: "prescreened", to: nil, expectedState: "referred", note: nil),
                context: StoreFixture.context(time: StoreFixture.noon))
            let later = StoreFixture.noon.adding(days: 91)
            let stillOverdue = try await store.cases(
                CaseQuery(cohort: "afghans-pk", state: "prescreened", overdueAt: StoreFixture.noon, limit: 10))
            #expect(stillOverdue.isEmpty, "just prescreened: 90 days to go")
            #expect(
                try await store.cases(CaseQuery(state: "prescreened", overdueAt: later, limit: 10)).map(\.id) == [
                    "PK-200"
                ])
            #expect(
                try await store.cases(
                    CaseQuery(cohort: "afghans-pk", overdueAt: StoreFixture.noon, after: "PK-199", limit: 3)
                )
                .map(\.id) == ["PK-201", "PK-202", "PK-203"])
        }
    }

    @Test("when an admin relaxes an SLA from 60 to 120 days, fewer cases are overdue")
    func slaChange() async throws {
        try await StoreFixture.withStore { store, _ in
            try await populate(store)
            var definition = StoreFixture.definition(of: StoreFixture.resettlement)
            definition.version += 1
            definition.states[0].sla = 120
            let relaxed = try definition.validated()
            try await store.setPipelines(["resettlement": relaxed, "visa": StoreFixture.visa])
            let overdue = try await store.cases(CaseQuery(overdueAt: StoreFixture.noon, limit: 1000))
            #expect(overdue.map(\.id) == (121..<250).map(Self.caseID))
        }
    }
}
