public import CaseTrackCore
import Foundation
import GRDB
import Synchronization

/// The embedded store: one SQLite file in WAL mode with `synchronous=FULL`.
///
/// Writes go through one writer that takes every mutation queued while the
/// previous transaction committed and applies them in one transaction
/// (group commit), each in its own savepoint, so one refused mutation does
/// not affect the others. Callers are answered after the commit.
public final class SQLiteStore: Store {
    public let path: String
    public var location: String { "sqlite:\(path)" }

    let pool: DatabasePool
    let queue = WriteQueue()
    let shared: Mutex<Shared>
    let writer: Writer
    let checkpointer: Checkpointer
    /// The single-writer lock's descriptor; closing it releases the store.
    private let lock: Int32
    private let writerTask: Mutex<Task<Void, Never>?> = Mutex(nil)
    /// Retries a small write while writes fail, so the condition clears
    /// when space returns even if no client writes.
    private let probeTask: Mutex<Task<Void, Never>?> = Mutex(nil)

    /// How often a store that cannot write tries again on its own.
    public static let probeInterval: Duration = .seconds(2)
    /// The size of the probe's write: the room a store that failed to write
    /// must have before it reports itself writable again.
    static let probeBytes = 128 * 1024

    struct Shared {
        var lastSeq: Int64
        var heartbeat: ContinuousClock.Instant
        var subscribers: [Int: AsyncStream<Int64>.Continuation] = [:]
        var nextSubscriber = 0
        var pipelines: [String: Pipeline]
        var condition = StoreCondition.writable
        /// The cohorts and counts as of `lastSeq`, which reads answer from.
        var counts: CommittedCounts
    }

    /// The most mutations one transaction takes.
    public static let maxBatch = 1024

    /// Opens (creating if needed, mode 0600) the store at `path` and brings
    /// its schema up to date.
    public static func open(path: String, pipelines: [String: Pipeline]) async throws -> SQLiteStore {
        try FileSafety.prepareStoreFile(path)
        let lock = try FileSafety.lockStore(path)
        var configuration = Configuration()
        configuration.label = "casetrack"
        configuration.busyMode = .timeout(10)
        configuration.maximumReaderCount = 4
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
            try db.execute(sql: "PRAGMA foreign_keys = ON")
            // Savepoint journals stay in memory: spilled to a temporary file,
            // they cost two write(2) calls per page a mutation touches.
            try db.execute(sql: "PRAGMA temp_store = MEMORY")
            // The writer's pages are the hot ones; readers get a smaller cache so
            // that memory stays bounded with every reader open (4 MiB each).
            try db.execute(sql: db.configuration.readonly ? "PRAGMA cache_size = -4096" : "PRAGMA cache_size = -16384")
        }
        let pool: DatabasePool
        let checkpointer: Checkpointer
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            // GRDB sets synchronous=NORMAL on the writer when it enables WAL,
            // after prepareDatabase: a commit then reaches the disk only at
            // the next checkpoint. Acknowledged means durable, so FULL again.
            try await pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
            try Schema.migrator.migrate(pool)
            checkpointer = try Checkpointer(path: path)
            try await pool.writeWithoutTransaction { db in
                guard let connection = db.sqliteConnection else { throw StoreError.closed }
                checkpointer.attach(toWriter: connection)
            }
        } catch {
            Glibc.close(lock)
            throw error
        }
        let (lastSeq, counts) = try await pool.read { db in
            (try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(seq), 0) FROM events") ?? 0, try CommittedCounts.load(db))
        }
        let store = SQLiteStore(
            path: path, pool: pool, checkpointer: checkpointer, lastSeq: lastSeq, counts: counts,
            pipelines: pipelines, lock: lock)
        try await store.refreshDeadlines(pipelines)
        store.startWriter()
        return store
    }

    private init(
        path: String, pool: DatabasePool, checkpointer: Checkpointer, lastSeq: Int64, counts: CommittedCounts,
        pipelines: [String: Pipeline], lock: Int32
    ) {
        self.lock = lock
        self.path = path
        self.pool = pool
        self.checkpointer = checkpointer
        self.shared = Mutex(Shared(lastSeq: lastSeq, heartbeat: .now, pipelines: pipelines, counts: counts))
        self.writer = Writer(nextSeq: lastSeq + 1, counts: counts)
    }

    public var lastSeq: Int64 { shared.withLock { $0.lastSeq } }
    public var writerHeartbeat: ContinuousClock.Instant { shared.withLock { $0.heartbeat } }
    public var condition: StoreCondition { shared.withLock { $0.condition } }

    public func setPipelines(_ pipelines: [String: Pipeline]) async throws {
        try await refreshDeadlines(pipelines)
        shared.withLock { $0.pipelines = pipelines }
    }

    public func apply(
        _ mutation: Mutation, context: MutationContext,
        completion: @escaping @Sendable (Result<MutationResult, any Error>) -> Void
    ) {
        let accepted = queue.enqueue(WriteQueue.Pending(mutation: mutation, context: context, completion: completion))
        if !accepted { completion(.failure(StoreError.closed)) }
    }

    public func ping() async throws {
        // Takes the write lock as every commit does: a writer stuck behind
        // it, or a lock held elsewhere, keeps the ping from returning.
        try await pool.writeWithoutTransaction { db in try db.inTransaction(.immediate) { .commit } }
    }

    public func commits() -> AsyncStream<Int64> {
        let (stream, continuation) = AsyncStream<Int64>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let id = shared.withLock { shared in
            let id = shared.nextSubscriber
            shared.nextSubscriber += 1
            shared.subscribers[id] = continuation
            return id
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.shared.withLock { $0.subscribers.removeValue(forKey: id) }
        }
        return stream
    }

    public func close() async {
        queue.close()
        probeTask.withLock { $0 }?.cancel()
        let task = writerTask.withLock { $0 }
        await task?.value
        let subscribers = shared.withLock { shared in
            defer { shared.subscribers = [:] }
            return Array(shared.subscribers.values)
        }
        for subscriber in subscribers { subscriber.finish() }
        checkpointer.close()
        // Everything into the database file and the WAL emptied, so that the
        // file alone is the whole store and the next start has no WAL to
        // read. SQLite does this itself when the last connection closes, but
        // the pool's last is a reader, which may not. If a reader still
        // holds a snapshot, what it cannot copy stays in the WAL, as safe.
        _ = try? pool.writeWithoutTransaction { db in
            try Row.fetchOne(db, sql: "PRAGMA wal_checkpoint(TRUNCATE)")
        }
        try? pool.close()
        Glibc.close(lock)
    }

    // MARK: - Writer

    /// The writer runs on a thread of its own, blocking on the queue and
    /// on SQLite: as a task it waited, at every batch, behind the event
    /// loops' work for its turn to run, and again to come back from GRDB's
    /// queue. The task only waits for the thread to end.
    private func startWriter() {
        let task = Task.detached { [self] in
            await withCheckedContinuation { (finished: CheckedContinuation<Void, Never>) in
                let thread = Thread { [self] in
                    nameThisThread("store-writer")
                    while let batch = queue.next(max: Self.maxBatch) {
                        commit(batch)
                    }
                    // Statements still prepared would keep the connection from closing.
                    pool.writeWithoutTransaction { _ in writer.statements.removeAll() }
                    finished.resume()
                }
                thread.stackSize = 8 << 20
                thread.start()
            }
        }
        writerTask.withLock { $0 = task }
    }

    private func commit(_ batch: [WriteQueue.Pending]) {
        let ledger = Ledger(pipelines: shared.withLock { $0.pipelines })
        let writer = self.writer
        let jobs = batch.map { ($0.mutation, $0.context) }
        let outcome: Result<[Result<MutationResult, any Error>], any Error>
        var counts: CommittedCounts?
        do {
            let (results, committed) = try pool.writeWithoutTransaction { db in
                (try writer.apply(jobs, ledger: ledger, db: db), writer.committedCounts)
            }
            outcome = .success(results)
            counts = committed
        } catch {
            outcome = .failure(error)
            counts = try? pool.writeWithoutTransaction { db in
                try writer.reset(db: db)
                return writer.committedCounts
            }
        }
        let lastSeq = writer.committedSeq
        switch outcome {
        case .success: recordWrite(failure: nil)
        case .failure(let error): recordWrite(failure: Self.describe(error))
        }
        // Published before any caller of this batch is answered: a client
        // reads its own writes.
        let subscribers = shared.withLock { shared in
            shared.heartbeat = .now
            let advanced = lastSeq > shared.lastSeq
            shared.lastSeq = lastSeq
            if let counts { shared.counts = counts }
            return advanced ? Array(shared.subscribers.values) : []
        }
        for subscriber in subscribers { subscriber.yield(lastSeq) }
        switch outcome {
        case .success(let results):
            for (pending, result) in zip(batch, results) { pending.completion(result) }
        case .failure(let error):
            let failure = StoreError.unavailable(Self.describe(error))
            for pending in batch { pending.completion(.failure(failure)) }
        }
    }

    /// Notes whether a write committed; a failure starts the probe that
    /// retries until one does.
    private func recordWrite(failure: String?) {
        shared.withLock { shared in
            if let failure {
                shared.condition = StoreCondition(failure: failure, since: shared.condition.since ?? Self.now())
            } else {
                shared.condition = .writable
            }
        }
        guard failure != nil else { return }
        probeTask.withLock { probe in
            guard probe == nil else { return }
            probe = Task.detached { [weak self] in
                while !Task.isCancelled {
                    try? await Task.sleep(for: Self.probeInterval)
                    guard let self, !Task.isCancelled else { return }
                    if await self.probeWrite() { return }
                }
            }
        }
    }

    /// Real writes with room to spare; true once they commit. A tiny write
    /// can fit in space a failed commit left allocated in the WAL while the
    /// next change still fails, so the probe asks for ``probeBytes`` first.
    private func probeWrite() async -> Bool {
        let sql = """
            INSERT INTO meta(key, value) VALUES ('write_probe', ?)
            ON CONFLICT(key) DO UPDATE SET value = excluded.value
            """
        do {
            try await pool.write { db in
                try db.execute(sql: sql, arguments: [String(repeating: "-", count: Self.probeBytes)])
            }
            try await pool.write { db in try db.execute(sql: sql, arguments: [Self.now().description]) }
        } catch {
            shared.withLock { shared in
                guard !shared.condition.isWritable else { return }
                shared.condition.failure = Self.describe(error)
            }
            return false
        }
        probeTask.withLock { $0 = nil }
        shared.withLock { $0.condition = .writable }
        return true
    }

    static func now() -> Timestamp {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Timestamp(millisecondsSinceEpoch: Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000)
    }

    static func describe(_ error: any Error) -> String {
        if let error = error as? DatabaseError {
            return error.message.map { "\($0) (SQLite \(error.resultCode))" } ?? "SQLite \(error.resultCode)"
        }
        return String(describing: error)
    }

    /// Stores each case's SLA deadline, recomputed when the SLAs change.
    private func refreshDeadlines(_ pipelines: [String: Pipeline]) async throws {
        let fingerprint = pipelines.values.sorted { $0.name < $1.name }.map { pipeline in
            pipeline.name + ":" + pipeline.states.map { "\($0.name)=\($0.slaDays ?? 0)" }.joined(separator: ",")
        }.joined(separator: ";")
        try await pool.write { db in
            let stored = try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'sla'")
            guard stored != fingerprint else { return }
            for pipeline in pipelines.values {
                for state in pipeline.states {
                    try db.execute(
                        sql: """
                            UPDATE cases SET deadline = CASE WHEN ?1 IS NULL THEN NULL ELSE entered_at + ?1 * 86400000 END
                            WHERE state = ?2 AND cohort IN (SELECT id FROM cohorts WHERE pipeline = ?3)
                            """, arguments: [state.slaDays, state.name, pipeline.name])
                }
            }
            try db.execute(
                sql: "INSERT INTO meta(key, value) VALUES ('sla', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                arguments: [fingerprint])
        }
    }

    // MARK: - Reads

    // Cohorts, counts and totals come from the counts the writer published
    // with its last commit: no SQLite, no hop to a reader connection.

    public func totals() -> StoreTotals {
        let (counts, lastSeq) = shared.withLock { ($0.counts, $0.lastSeq) }
        return StoreTotals(cohorts: counts.cohortCount, cases: counts.cases, events: lastSeq, lastSeq: lastSeq)
    }

    public func cohorts() -> [CohortCounts] {
        shared.withLock { $0.counts }.all
    }

    public func cohort(id: String) -> CohortCounts? {
        shared.withLock { $0.counts }.cohort(id: id)
    }

    /// The cohorts and counts reads are answered from.
    var publishedCounts: CommittedCounts { shared.withLock { $0.counts } }

    /// The cohorts and counts as the tables hold them, read with SQL (for
    /// checking the published ones).
    func storedCounts() async throws -> CommittedCounts {
        try await pool.read { db in try CommittedCounts.load(db) }
    }

    public func occupiedStates() async throws -> [OccupiedState] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT n.cohort AS cohort, k.pipeline AS pipeline, n.state AS state, n.cases AS cases,
                        n.unregistered AS unregistered
                    FROM counts n JOIN cohorts k ON k.id = n.cohort
                    WHERE n.cases > 0 OR n.unregistered > 0 ORDER BY n.cohort, n.state
                    """
            ).map {
                OccupiedState(
                    cohort: $0["cohort"], pipeline: $0["pipeline"], state: $0["state"], cases: $0["cases"],
                    unregistered: $0["unregistered"])
            }
        }
    }

    public func caseRecord(id: String) async throws -> Case? {
        try await pool.read { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM cases WHERE id = ?"), arguments: [id]).map(Rows.caseRecord)
        }
    }

    public func history(caseId: String) async throws -> [Event] {
        try await pool.read { db in
            try Row.fetchAll(
                db.cachedStatement(sql: Schema.caseEvents(select: "events.*")), arguments: [caseId]
            ).map(Rows.event)
        }
    }

    public func cases(_ query: CaseQuery) async throws -> [Case] {
        var conditions: [String] = []
        var arguments: StatementArguments = []
        if let cohort = query.cohort {
            conditions.append("cohort = ?")
            _ = arguments.append(contentsOf: [cohort])
        }
        if let state = query.state {
            conditions.append("state = ?")
            _ = arguments.append(contentsOf: [state])
        }
        if let overdueAt = query.overdueAt {
            conditions.append("deadline IS NOT NULL AND deadline < ?")
            _ = arguments.append(contentsOf: [overdueAt.millisecondsSinceEpoch])
        }
        if let after = query.after {
            conditions.append("id > ?")
            _ = arguments.append(contentsOf: [after])
        }
        let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        let sql = "SELECT * FROM cases \(whereClause) ORDER BY id LIMIT \(max(0, query.limit))"
        let finalArguments = arguments
        return try await pool.read { db in
            try Row.fetchAll(db.cachedStatement(sql: sql), arguments: finalArguments).map(Rows.caseRecord)
        }
    }

    public func events(_ query: EventQuery) async throws -> [Event] {
        try await pool.read { db in
            if let cohort = query.cohort {
                return try Row.fetchAll(
                    db.cachedStatement(sql: "SELECT * FROM events WHERE cohort = ? AND seq > ? ORDER BY seq LIMIT ?"),
                    arguments: [cohort, query.afterSeq, query.limit]
                ).map(Rows.event)
            }
            return try Row.fetchAll(
                db.cachedStatement(sql: "SELECT * FROM events WHERE seq > ? ORDER BY seq LIMIT ?"),
                arguments: [query.afterSeq, query.limit]
            ).map(Rows.event)
        }
    }

    // MARK: - Backup

    public func backup(to destination: String) async throws -> Int64 {
        let temporary = destination + ".partial-\(getpid())"
        do {
            try FileSafety.createPrivateFile(temporary)
            let target = try DatabaseQueue(path: temporary)
            // The copy is synchronous and can take seconds: keep it off the
            // cooperative thread pool.
            let pool = self.pool
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                DispatchQueue.global(qos: .utility).async {
                    continuation.resume(with: Result { try pool.backup(to: target) })
                }
            }
            try target.close()
            try FileSafety.syncFile(temporary)
            guard rename(temporary, destination) == 0 else {
                throw StoreError.backupFailed(path: destination, reason: String(cString: strerror(errno)))
            }
            var info = stat()
            guard stat(destination, &info) == 0 else {
                throw StoreError.backupFailed(path: destination, reason: String(cString: strerror(errno)))
            }
            return Int64(info.st_size)
        } catch StoreError.unavailable(let reason) {
            unlink(temporary)
            throw StoreError.backupFailed(path: destination, reason: reason)
        } catch let error as StoreError {
            unlink(temporary)
            throw error
        } catch {
            unlink(temporary)
            throw StoreError.backupFailed(path: destination, reason: Self.describe(error))
        }
    }
}
