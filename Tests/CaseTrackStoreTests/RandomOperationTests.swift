import CaseTrackCore
import LedgerTestSupport
@testable import CaseTrackStore
import Foundation
import Testing

/// Thousands of operators' requests, valid and not, fired at the store 50 at
/// a time. After each batch the store must agree with two independent
/// accounts of what it acknowledged:
///
/// - the ledger model: every request the store accepted, replayed through
///   ``Ledger`` in the order of the sequence numbers the store gave it, must
///   be accepted again, produce the very same events and the same answer,
///   and leave the same counts and cases;
/// - the log: counts rebuilt from the store's own event log alone;
/// - the tables: the counts that reads are answered from, which the writer
///   publishes after each commit, equal the `cohorts` and `counts` tables.
///
/// The seed fixes the requests (set `CASETRACK_TEST_SEED` to replay one);
/// the interleaving inside a batch is the scheduler's.
@Suite("Random operations")
struct RandomOperationTests {
    static let cohorts = ["afghans-pk": "resettlement", "iraqis-jo": "resettlement", "siv-pk": "visa"]

    struct Submission: Sendable {
        var mutation: Mutation
        var context: MutationContext
    }

    /// Makes requests from what the model knows: mostly plausible, some not.
    struct RequestMaker {
        var random: SplitMix64
        var issued = 0
        var nextCase = 0
        var submitted: [Submission] = []

        mutating func make(_ model: InMemoryLedger) -> Submission {
            issued += 1
            let context = MutationContext(
                actor: "operator-\(issued % 7)", requestId: "req-\(issued)",
                time: StoreFixture.noon.adding(days: -30).adding(minutes: issued))
            if !submitted.isEmpty, chance(5) {
                return submitted.randomElement(using: &random)!  // a client's retry, word for word
            }
            let submission = Submission(mutation: mutation(model), context: context)
            submitted.append(submission)
            return submission
        }

        private mutating func chance(_ percent: Int) -> Bool { Int.random(in: 0..<100, using: &random) < percent }
        private mutating func number(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &random) }

        private mutating func cohort() -> (String, Pipeline) {
            if chance(2) { return ("nobody", StoreFixture.visa) }
            let id = RandomOperationTests.cohorts.keys.sorted().randomElement(using: &random)!
            return (id, StoreFixture.pipelines[RandomOperationTests.cohorts[id]!]!)
        }

        private mutating func note() -> String? {
            if chance(3) { return "tab\tin note" }
            return chance(20) ? "note \(issued)" : nil
        }

        private mutating func caseID(_ model: InMemoryLedger) -> String {
            if chance(4) { return ["", "Ahmad Karimi", "-1", "x#y"].randomElement(using: &random)! }
            if chance(8), let existing = model.cases.keys.sorted().randomElement(using: &random) { return existing }
            nextCase += 1
            return "C-\(nextCase)"
        }

        private mutating func newCase(_ model: InMemoryLedger, pipeline: Pipeline, cohort: String) -> NewCase {
            let pooled = pipeline.states.filter { model.unregistered(cohort: cohort, state: $0.name) > 0 }
            let state =
                chance(60)
                ? pooled.randomElement(using: &random)?.name : pipeline.states.randomElement(using: &random)?.name
            return NewCase(
                id: caseID(model), persons: chance(3) ? 0 : number(1...8), state: chance(15) ? nil : state,
                attributes: chance(10) ? ["district": "d\(number(1...9))"] : [:], fromUnregistered: chance(70))
        }

        private mutating func mutation(_ model: InMemoryLedger) -> Mutation {
            let (cohort, pipeline) = cohort()
            switch number(0...99) {
            case 0..<12:
                let state = chance(50) ? nil : pipeline.states.randomElement(using: &random)?.name
                return .intake(cohort: cohort, state: state, persons: chance(3) ? 0 : number(1...300), note: note())
            case 12..<40:
                let pooled = pipeline.states.filter { model.unregistered(cohort: cohort, state: $0.name) > 0 }
                let from =
                    (chance(85) ? pooled.randomElement(using: &random) : nil) ?? pipeline.states.randomElement(
                        using: &random)!
                let available = model.unregistered(cohort: cohort, state: from.name)
                let transition = pipeline.transitions(from: from.name).randomElement(using: &random)
                let persons = chance(80) ? number(1...max(1, available / 2)) : number(1...available + 20)
                if chance(5) {
                    return .move(cohort: cohort, from: from.name, to: "limbo", event: nil, persons: persons, note: nil)
                }
                if chance(50) {
                    return .move(
                        cohort: cohort, from: from.name, to: transition?.to ?? "referred", event: nil, persons: persons,
                        note: note())
                }
                return .move(
                    cohort: cohort, from: from.name, to: nil, event: transition?.event ?? "arrived", persons: persons,
                    note: note())
            case 40..<55:
                return .addCase(cohort: cohort, newCase(model, pipeline: pipeline, cohort: cohort))
            case 55..<63:
                let cases = (1...number(1...6)).map { _ in newCase(model, pipeline: pipeline, cohort: cohort) }
                return .importCases(cohort: cohort, cases: cases)
            default:
                let record = model.cases.values.sorted { $0.id < $1.id }.randomElement(using: &random)
                guard let record, chance(97) else {
                    return .transition(
                        caseId: "C-missing", event: "prescreened", to: nil, expectedState: nil, note: nil)
                }
                let casePipeline = StoreFixture.pipelines[RandomOperationTests.cohorts[record.cohort]!]!
                let transition = casePipeline.transitions(from: record.state).randomElement(using: &random)
                let expected = chance(30) ? record.state : (chance(10) ? "referred" : nil)
                if chance(40) {
                    return .transition(
                        caseId: record.id, event: nil, to: transition?.to ?? "arrived", expectedState: expected,
                        note: note())
                }
                return .transition(
                    caseId: record.id, event: transition?.event ?? "arrived", to: nil, expectedState: expected,
                    note: note())
            }
        }
    }

    /// Counts rebuilt from nothing but the event log.
    struct LogReplay {
        var counts: [InMemoryLedger.Key: StateCount] = [:]

        mutating func apply(_ event: Event) {
            func adjust(_ state: String?, cases: Int = 0, casePersons: Int = 0, pool: Int = 0) {
                guard let state else { return }
                let key = InMemoryLedger.Key(cohort: event.cohort, state: state)
                counts[key, default: StateCount(state: state)].cases += cases
                counts[key, default: StateCount(state: state)].casePersons += casePersons
                counts[key, default: StateCount(state: state)].unregistered += pool
            }
            switch event.kind {
            case .cohortCreated: break
            case .purge:
                adjust(event.from, cases: -1, casePersons: -event.persons)
                adjust(event.to, pool: event.persons)
            case .intake: adjust(event.to, pool: event.persons)
            case .move:
                adjust(event.from, pool: -event.persons)
                adjust(event.to, pool: event.persons)
            case .caseAdded:
                adjust(event.from, pool: -event.persons)
                adjust(event.to, cases: 1, casePersons: event.persons)
            case .transition:
                adjust(event.from, cases: -1, casePersons: -event.persons)
                adjust(event.to, cases: 1, casePersons: event.persons)
            }
        }

        func counts(of cohort: String) -> [String: StateCount] {
            Dictionary(
                uniqueKeysWithValues: counts.filter { $0.key.cohort == cohort && !$0.value.isZero }.map {
                    ($0.key.state, $0.value)
                })
        }
    }

    static var seed: UInt64 {
        ProcessInfo.processInfo.environment["CASETRACK_TEST_SEED"].flatMap { UInt64($0) } ?? 0x00C0_FFEE_2026
    }

    @Test("4,000 random requests in concurrent batches of 50 leave the store where the ledger model and the log say")
    func randomRequests() async throws {
        let seed = Self.seed
        let batches = 80
        let batchSize = 50
        try await StoreFixture.withTemporaryDirectory { directory in
            let path = directory + "/random.sqlite"
            var store = try await SQLiteStore.open(path: path, pipelines: StoreFixture.pipelines)
            var model = InMemoryLedger(pipelines: Array(StoreFixture.pipelines.values))
            var replay = LogReplay()
            var maker = RequestMaker(random: SplitMix64(seed: seed))
            var firstResults: [String: MutationResult] = [:]
            var personsAdmitted = 0
            var lastSeq: Int64 = 0
            var accepted = 0
            var refused = 0

            for batch in 0...batches {
                let submissions: [Submission]
                if batch == 0 {
                    // Two admins create the same cohorts at once; one of each pair is refused.
                    submissions =
                        Self.cohorts.sorted { $0.key < $1.key }.flatMap { id, pipeline in
                            (0..<2).map { copy in
                                Submission(
                                    mutation: .createCohort(id: id, pipeline: pipeline, title: nil, attributes: [:]),
                                    context: StoreFixture.context("create-\(id)-\(copy)"))
                            }
                        } + [
                            Submission(
                                mutation: .createCohort(id: "ghost", pipeline: "nowhere", title: nil, attributes: [:]),
                                context: StoreFixture.context("create-ghost"))
                        ]
                } else {
                    submissions = (0..<batchSize).map { _ in maker.make(model) }
                }

                let current = store
                let outcomes = await withTaskGroup(of: (Int, Result<MutationResult, any Error>).self) { group in
                    for (index, submission) in submissions.enumerated() {
                        group.addTask {
                            do {
                                return (
                                    index,
                                    .success(try await current.apply(submission.mutation, context: submission.context))
                                )
                            } catch {
                                return (index, .failure(error))
                            }
                        }
                    }
                    return await group.reduce(into: [Int: Result<MutationResult, any Error>]()) { $0[$1.0] = $1.1 }
                }

                var successes: [String: [MutationResult]] = [:]
                for (index, outcome) in outcomes.sorted(by: { $0.key < $1.key }) {
                    switch outcome {
                    case .success(let result):
                        accepted += 1
                        successes[submissions[index].context.requestId!, default: []].append(result)
                    case .failure(let error):
                        refused += 1
                        #expect(
                            error is TrackerError,
                            "seed \(seed) batch \(batch): \(submissions[index].mutation) failed in the store: \(error)")
                    }
                }

                // The log grew by a gap-free run of sequence numbers.
                let events = try await StoreFixture.allEvents(store, after: lastSeq)
                #expect(
                    events.map(\.seq)
                        == Array(stride(from: lastSeq + 1, through: lastSeq + Int64(events.count), by: 1)),
                    "seed \(seed) batch \(batch): the log has a gap")
                #expect(store.lastSeq == lastSeq + Int64(events.count))
                lastSeq += Int64(events.count)
                for event in events { replay.apply(event) }

                // Replay each applied request through the ledger, in the order the store applied them.
                var order: [String] = []
                var eventsByRequest: [String: [Event]] = [:]
                for event in events {
                    guard let requestId = event.requestId else {
                        Issue.record("seed \(seed): event \(event.seq) has no request id")
                        continue
                    }
                    if eventsByRequest[requestId] == nil { order.append(requestId) }
                    eventsByRequest[requestId, default: []].append(event)
                }
                for requestId in order {
                    guard let results = successes[requestId], let first = results.first,
                        let submission = submissions.first(where: { $0.context.requestId == requestId })
                    else {
                        Issue.record(
                            "seed \(seed) batch \(batch): the log holds events of \(requestId), which nobody was told succeeded"
                        )
                        continue
                    }
                    let before = model.events.count
                    do {
                        let modelResult = try model.apply(submission.mutation, context: submission.context)
                        #expect(
                            Array(model.events[before...]) == eventsByRequest[requestId]!,
                            "seed \(seed) batch \(batch): \(requestId) \(submission.mutation) logged differently")
                        #expect(
                            results.allSatisfy { $0 == modelResult },
                            "seed \(seed) batch \(batch): \(requestId) answered \(first), the ledger says \(modelResult)"
                        )
                    } catch {
                        Issue.record(
                            "seed \(seed) batch \(batch): the store applied \(requestId) \(submission.mutation) but in its order the ledger refuses it: \(error)"
                        )
                        continue
                    }
                    firstResults[requestId] = first
                    personsAdmitted += Self.personsAdmitted(by: submission.mutation)
                }
                for (requestId, results) in successes where eventsByRequest[requestId] == nil {
                    let original = firstResults[requestId]
                    #expect(
                        original != nil, "seed \(seed) batch \(batch): \(requestId) succeeded without leaving an event")
                    #expect(
                        results.allSatisfy { $0 == original },
                        "seed \(seed) batch \(batch): retry \(requestId) answered differently")
                }

                // Counts: store = ledger model = log; never negative; nobody made or lost.
                var personsCounted = 0
                var agrees = true
                for cohort in Self.cohorts.keys.sorted() {
                    let stored = try await StoreFixture.counts(store, cohort)
                    agrees = agrees && stored == model.counts(of: cohort) && stored == replay.counts(of: cohort)
                    #expect(
                        stored == model.counts(of: cohort),
                        "seed \(seed) batch \(batch): \(cohort) counts differ from the ledger")
                    #expect(
                        stored == replay.counts(of: cohort),
                        "seed \(seed) batch \(batch): \(cohort) counts differ from the log")
                    #expect(stored.values.allSatisfy { $0.cases >= 0 && $0.casePersons >= 0 && $0.unregistered >= 0 })
                    personsCounted += stored.values.reduce(0) { $0 + $1.persons }
                }
                #expect(personsCounted == personsAdmitted, "seed \(seed) batch \(batch): persons were made or lost")
                let storedCases = try await store.cases(CaseQuery(limit: 100_000))
                agrees = agrees && storedCases == model.cases.values.sorted { $0.id < $1.id }
                #expect(
                    storedCases == model.cases.values.sorted { $0.id < $1.id },
                    "seed \(seed) batch \(batch): cases differ")
                // The counts reads are answered from are the tables' own.
                let published = store.publishedCounts
                let tables = try await store.storedCounts()
                agrees = agrees && published == tables
                #expect(published == tables, "seed \(seed) batch \(batch): the published counts differ from the tables")
                let problems = try await store.verify()
                #expect(problems == [], "seed \(seed) batch \(batch)")
                // Each case's history, walked along its chain, is its events in the log.
                if batch % 10 == 0 || batch == batches {
                    let logged = Dictionary(grouping: model.events.filter { $0.caseId != nil }, by: { $0.caseId! })
                    for id in model.cases.keys.sorted() {
                        let history = try await store.history(caseId: id)
                        agrees = agrees && history == logged[id]
                        #expect(history == logged[id], "seed \(seed) batch \(batch): the history of \(id) is not its events")
                    }
                }
                // Once the store and the model part ways, later batches only repeat the news.
                guard agrees, problems.isEmpty else { break }
            }

            #expect(accepted > 1_500, "the mix should mostly be accepted: \(accepted) of \(accepted + refused)")
            #expect(refused > 200, "and exercise refusals: \(refused)")
            #expect(model.cases.count > 200)
            #expect(
                model.cases.values.contains {
                    StoreFixture.pipelines[Self.cohorts[$0.cohort]!]!.state(named: $0.state)!.isTerminal
                })

            // And after a restart, the same.
            let countsBefore = store.cohorts()
            await store.close()
            store = try await SQLiteStore.open(path: path, pipelines: StoreFixture.pipelines)
            #expect(store.cohorts() == countsBefore)
            #expect(store.lastSeq == lastSeq)
            #expect(try await store.verify() == [])
            await store.close()
        }
    }

    /// Persons a request brings into the cohorts, rather than moving them within.
    static func personsAdmitted(by mutation: Mutation) -> Int {
        switch mutation {
        case .intake(_, _, let persons, _): persons
        case .addCase(_, let newCase): newCase.fromUnregistered ? 0 : newCase.persons
        case .importCases(_, let cases): cases.filter { !$0.fromUnregistered }.reduce(0) { $0 + $1.persons }
        case .createCohort, .move, .transition, .migrateState, .purge: 0
        }
    }
}

extension Timestamp {
    func adding(minutes: Int) -> Timestamp {
        Timestamp(millisecondsSinceEpoch: millisecondsSinceEpoch + Int64(minutes) * 60_000)
    }
}
