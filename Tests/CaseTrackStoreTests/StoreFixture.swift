import CaseTrackCore
import LedgerTestSupport
import CaseTrackStore
import Foundation

/// Pipelines, temporary store files and small helpers the store stories share.
enum StoreFixture {
    /// A refugee pipeline with SLAs, side exits and a terminal outcome for each way out.
    static let resettlement = try! PipelineDefinition(
        name: "resettlement", version: 1, title: "Resettlement",
        states: [
            .init(name: "referred", title: "Referred", initial: true, sla: 60),
            .init(name: "prescreened", sla: 90),
            .init(name: "interviewed", sla: 30),
            .init(name: "approved"),
            .init(name: "arrived", outcome: "resettled"),
            .init(name: "denied", outcome: "denied"),
            .init(name: "deported", outcome: "deported"),
        ],
        transitions: [
            .init(event: "prescreened", from: ["referred"], to: "prescreened"),
            .init(event: "interviewed", from: ["prescreened"], to: "interviewed"),
            .init(event: "approved", from: ["interviewed"], to: "approved"),
            .init(event: "denied", from: ["interviewed"], to: "denied"),
            .init(event: "arrived", from: ["approved"], to: "arrived"),
            .init(event: "deported", from: ["referred", "prescreened", "interviewed", "approved"], to: "deported"),
        ]
    ).validated()

    /// A visa pipeline with two initial states and no SLA anywhere.
    static let visa = try! PipelineDefinition(
        name: "visa", version: 4,
        states: [
            .init(name: "applied", initial: true),
            .init(name: "transferred", initial: true),
            .init(name: "interview"),
            .init(name: "issued", outcome: "issued"),
            .init(name: "closed", outcome: "closed"),
        ],
        transitions: [
            .init(event: "scheduled", from: ["applied", "transferred"], to: "interview"),
            .init(event: "issued", from: ["interview"], to: "issued"),
            .init(event: "closed", from: ["applied", "transferred", "interview"], to: "closed"),
        ]
    ).validated()

    static let pipelines = ["resettlement": resettlement, "visa": visa]

    /// The definition a pipeline was built from, to revise it as an admin would.
    static func definition(of pipeline: Pipeline) -> PipelineDefinition {
        PipelineDefinition(
            name: pipeline.name, version: pipeline.version, title: pipeline.title,
            states: pipeline.states.map {
                .init(name: $0.name, title: $0.title, initial: $0.initial, outcome: $0.outcome, sla: $0.slaDays)
            },
            transitions: pipeline.transitions.map { .init(event: $0.event, from: $0.from, to: $0.to) })
    }

    static let noon = Timestamp(rfc3339: "2026-11-29T12:00:00Z")!

    /// Creates the cohort most stories start from: afghans-pk, under the resettlement pipeline.
    static func createAfghansPK(_ store: some Store) async throws {
        _ = try await store.apply(
            .createCohort(id: "afghans-pk", pipeline: "resettlement", title: nil, attributes: [:]), context: context())
    }

    static func context(_ requestId: String? = nil, actor: String = "operator", time: Timestamp = noon)
        -> MutationContext
    {
        MutationContext(actor: actor, requestId: requestId, time: time)
    }

    /// A fresh directory under the system's temporary directory, removed after `body`.
    static func withTemporaryDirectory<T>(_ body: (String) async throws -> T) async throws -> T {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("casetrack-store-tests-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        return try await body(directory)
    }

    /// Opens a new store in a temporary directory, runs `body`, closes the store.
    static func withStore<T>(
        pipelines: [String: Pipeline] = pipelines, _ body: (SQLiteStore, String) async throws -> T
    ) async throws -> T {
        try await withTemporaryDirectory { directory in
            let path = directory + "/casetrack.sqlite"
            let store = try await SQLiteStore.open(path: path, pipelines: pipelines)
            do {
                let result = try await body(store, path)
                await store.close()
                return result
            } catch {
                await store.close()
                throw error
            }
        }
    }

    /// The sqlite3 shell, for changing a closed store as an administrator would.
    static let sqliteShell = "/usr/bin/sqlite3"

    /// Runs `sql` on the (closed) store at `path` with the sqlite3 shell; true if it succeeded.
    static func runSQLiteShell(_ path: String, _ sql: String) throws -> Bool {
        let shell = Process()
        shell.executableURL = URL(fileURLWithPath: sqliteShell)
        shell.arguments = [path, sql]
        try shell.run()
        shell.waitUntilExit()
        return shell.terminationStatus == 0
    }

    /// The permission bits of a file.
    static func mode(_ path: String) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return (attributes[.posixPermissions] as? NSNumber)?.intValue ?? -1
    }

    /// Every event in the log after `seq`, a page at a time.
    static func allEvents(_ store: some Store, after seq: Int64 = 0, cohort: String? = nil) async throws -> [Event] {
        var events: [Event] = []
        var after = seq
        while true {
            let page = try await store.events(EventQuery(cohort: cohort, afterSeq: after, limit: 500))
            events += page
            guard let last = page.last, page.count == 500 else { return events }
            after = last.seq
        }
    }

    /// A cohort's non-zero counts, by state.
    static func counts(_ store: some Store, _ cohort: String) async throws -> [String: StateCount] {
        let counts = store.cohort(id: cohort)?.counts ?? []
        return Dictionary(uniqueKeysWithValues: counts.filter { !$0.isZero }.map { ($0.state, $0) })
    }
}

extension InMemoryLedger {
    /// A cohort's non-zero counts, by state, as the store reports them.
    func counts(of cohort: String) -> [String: StateCount] {
        Dictionary(
            uniqueKeysWithValues: counts.filter { $0.key.cohort == cohort && !$0.value.isZero }.map {
                ($0.key.state, $0.value)
            })
    }
}
