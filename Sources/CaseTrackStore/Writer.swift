import CaseTrackCore
import Foundation
import GRDB
import Synchronization

/// The single writer's state and the execution of ledger effects in SQL.
///
/// Everything but `committedSeq` is touched only inside the pool's
/// serialized write accesses, which is why it can be `@unchecked Sendable`.
final class Writer: @unchecked Sendable {
    private var nextSeq: Int64
    private var cohortCache: [String: Cohort] = [:]
    private let committed: Atomic<Int64>
    /// The cohorts and counts as of the last commit.
    private(set) var committedCounts: CommittedCounts
    /// The cohorts the open transaction's mutations created.
    private var createdCohorts: [Cohort] = []
    /// What those mutations change in `counts`, summed by cohort and state:
    /// written to the table before the transaction commits and added to
    /// `committedCounts` after.
    private var pending: [CountKey: CountDelta] = [:]
    /// Set while `committedCounts` may not match the tables (a transaction
    /// failed and the tables could not be read again yet).
    private var countsAreStale = false
    /// The writer's prepared statements.
    let statements = StatementCache()
    /// The `last_seq` of the case the ledger last read for the mutation
    /// being applied (`TransactionReader.caseRecord`), taken by the move
    /// that follows instead of reading it again.
    fileprivate var caseReadLastSeq: (caseId: String, seq: Int64?)?

    init(nextSeq: Int64, counts: CommittedCounts) {
        self.nextSeq = nextSeq
        self.committed = Atomic(nextSeq - 1)
        self.committedCounts = counts
    }

    var committedSeq: Int64 { committed.load(ordering: .acquiring) }

    /// Applies the mutations in one transaction and commits; returns each
    /// mutation's answer. Throws when the transaction as a whole could not
    /// commit: then nothing was applied.
    ///
    /// A mutation the ledger refuses is refused before it writes anything,
    /// so the batch first runs without savepoints. Should a mutation fail
    /// after it started writing (which the ledger's checks leave to broken
    /// data or storage), that transaction is rolled back and the batch runs
    /// again with each mutation in a savepoint of its own, so one failure
    /// does not take the others with it.
    func apply(
        _ jobs: [(Mutation, MutationContext)], ledger: Ledger, db: Database
    ) throws -> [Result<MutationResult, any Error>] {
        do {
            return try apply(jobs, ledger: ledger, db: db, isolated: false)
        } catch is FailedWhileWriting {
            return try apply(jobs, ledger: ledger, db: db, isolated: true)
        }
    }

    /// A mutation failed after it wrote: its transaction holds part of it.
    private struct FailedWhileWriting: Error {}

    private func apply(
        _ jobs: [(Mutation, MutationContext)], ledger: Ledger, db: Database, isolated: Bool
    ) throws -> [Result<MutationResult, any Error>] {
        var results: [Result<MutationResult, any Error>] = []
        results.reserveCapacity(jobs.count)
        let startSeq = nextSeq
        createdCohorts.removeAll(keepingCapacity: true)
        pending.removeAll(keepingCapacity: true)
        do {
            if countsAreStale {
                committedCounts = try CommittedCounts.load(db)
                countsAreStale = false
            }
            try db.inTransaction(.immediate) {
                for (mutation, context) in jobs {
                    results.append(
                        try applyOne(mutation, context: context, ledger: ledger, db: db, isolated: isolated))
                }
                try writeCounts(db: db)
                return .commit
            }
        } catch {
            nextSeq = startSeq
            cohortCache = [:]
            createdCohorts.removeAll()
            pending.removeAll()
            throw error
        }
        for cohort in createdCohorts { committedCounts.add(cohort) }
        for (key, delta) in pending {
            committedCounts.add(
                cohort: key.cohort, state: key.state, cases: delta.cases, casePersons: delta.casePersons,
                unregistered: delta.unregistered)
        }
        createdCohorts.removeAll(keepingCapacity: true)
        pending.removeAll(keepingCapacity: true)
        committed.store(nextSeq - 1, ordering: .releasing)
        return results
    }

    /// One mutation's answer; throws (failing the whole transaction) when
    /// the storage itself failed, since SQLite may then have rolled back the
    /// transaction the earlier mutations were in, and, unless `isolated`,
    /// when the mutation failed after it started writing.
    private func applyOne(
        _ mutation: Mutation, context: MutationContext, ledger: Ledger, db: Database, isolated: Bool
    ) throws -> Result<MutationResult, any Error> {
        let seqBefore = nextSeq
        var writing = false
        caseReadLastSeq = nil
        do {
            if let requestId = context.requestId, try isRemembered(requestId, db: db),
                let stored = try Row.fetchOne(
                    db.cachedStatement(sql: "SELECT kind, seq, count, pipeline_version FROM requests WHERE id = ?"), arguments: [requestId])
            {
                return .success(try StoredResult.recall(stored, db: db))
            }
            var answer: MutationResult?
            var created: Cohort?
            var deltas: [CountKey: CountDelta] = [:]
            func write() throws {
                let plan = try ledger.plan(mutation, context: context, reader: TransactionReader(db: db, writer: self))
                writing = true
                let events = try execute(plan.effects, ledger: ledger, db: db, created: &created, deltas: &deltas)
                let result = plan.result(appended: events)
                if let requestId = context.requestId {
                    let (kind, seq, count, version) = StoredResult.remember(result, events: events)
                    let insert = try statements("INSERT INTO requests(id, kind, seq, count, pipeline_version) VALUES (?, ?, ?, ?, ?)", db)
                    insert.bind(requestId, at: 1)
                    insert.bind(kind, at: 2)
                    insert.bind(seq, at: 3)
                    insert.bind(count, at: 4)
                    insert.bind(version, at: 5)
                    try insert.execute()
                }
                answer = result
            }
            if isolated {
                try db.inSavepoint {
                    try write()
                    return .commit
                }
            } else {
                try write()
            }
            if let created {
                cohortCache[created.id] = created
                createdCohorts.append(created)
            }
            for (key, delta) in deltas where !delta.isZero {
                pending[key, default: CountDelta()].add(delta)
            }
            return .success(answer!)
        } catch let error as DatabaseError where Self.failsTransaction(error) || !db.isInsideTransaction {
            throw error
        } catch where writing && !isolated {
            throw FailedWhileWriting()
        } catch let error as TrackerError {
            nextSeq = seqBefore
            return .failure(error)
        } catch {
            nextSeq = seqBefore
            return .failure(StoreError.unavailable(SQLiteStore.describe(error)))
        }
    }

    /// Adds what the transaction's mutations changed to the `counts` table,
    /// one statement per cohort and state rather than per mutation. A sum
    /// of zero still creates its row, as the mutations one by one would
    /// have (and as `committedCounts.add` does).
    private func writeCounts(db: Database) throws {
        // UPDATE first: an INSERT … ON CONFLICT checks CHECK constraints on the
        // row it would insert, so a negative delta cannot go through it.
        for (key, delta) in pending {
            let update = try statements(
                """
                UPDATE counts SET cases = cases + ?, case_persons = case_persons + ?, unregistered = unregistered + ?
                WHERE cohort = ? AND state = ?
                """, db)
            update.bind(delta.cases, at: 1)
            update.bind(delta.casePersons, at: 2)
            update.bind(delta.unregistered, at: 3)
            update.bind(key.cohort, at: 4)
            update.bind(key.state, at: 5)
            try update.execute()
            if db.changesCount == 0 {
                let insert = try statements("INSERT INTO counts(cohort, state, cases, case_persons, unregistered) VALUES (?, ?, ?, ?, ?)", db)
                insert.bind(key.cohort, at: 1)
                insert.bind(key.state, at: 2)
                insert.bind(delta.cases, at: 3)
                insert.bind(delta.casePersons, at: 4)
                insert.bind(delta.unregistered, at: 5)
                try insert.execute()
            }
        }
    }

    /// The unregistered persons of a cohort in a state, as the open
    /// transaction's mutations so far left them.
    func unregistered(cohort: String, state: String) -> Int {
        committedCounts.unregistered(cohort: cohort, state: state)
            + (pending[CountKey(cohort: cohort, state: state)]?.unregistered ?? 0)
    }

    /// Whether a request id has an answer on record (a retry); most have none.
    private func isRemembered(_ requestId: String, db: Database) throws -> Bool {
        let query = try statements("SELECT 1 FROM requests WHERE id = ?", db)
        query.bind(requestId, at: 1)
        return try query.returnsRow()
    }

    /// Errors of the storage rather than of one mutation's data.
    static func failsTransaction(_ error: DatabaseError) -> Bool {
        switch error.resultCode {
        case .SQLITE_FULL, .SQLITE_IOERR, .SQLITE_READONLY, .SQLITE_CORRUPT, .SQLITE_NOTADB, .SQLITE_NOMEM,
            .SQLITE_CANTOPEN, .SQLITE_ABORT, .SQLITE_BUSY, .SQLITE_LOCKED, .SQLITE_PROTOCOL:
            true
        default:
            false
        }
    }

    /// Re-reads the writer's state after a failed transaction.
    func reset(db: Database) throws {
        countsAreStale = true
        nextSeq = (try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(seq), 0) FROM events") ?? 0) + 1
        cohortCache = [:]
        committed.store(nextSeq - 1, ordering: .releasing)
        committedCounts = try CommittedCounts.load(db)
        countsAreStale = false
    }

    func cohort(_ id: String, db: Database) throws -> Cohort? {
        if let cohort = cohortCache[id] { return cohort }
        guard
            let row = try Row.fetchOne(
                db.cachedStatement(sql: "SELECT * FROM cohorts WHERE id = ?"), arguments: [id])
        else { return nil }
        let cohort = Rows.cohort(row)
        cohortCache[id] = cohort
        return cohort
    }

    private struct CountKey: Hashable {
        var cohort: String
        var state: String
    }

    private struct CountDelta {
        var cases = 0
        var casePersons = 0
        var unregistered = 0

        var isZero: Bool { cases == 0 && casePersons == 0 && unregistered == 0 }

        mutating func add(_ other: CountDelta) {
            cases += other.cases
            casePersons += other.casePersons
            unregistered += other.unregistered
        }
    }

    private func execute(
        _ effects: [LedgerEffect], ledger: Ledger, db: Database, created: inout Cohort?,
        deltas: inout [CountKey: CountDelta]
    ) throws -> [Event] {
        var events: [Event] = []
        func deadline(_ record: Case) throws -> Int64? {
            guard let cohort = try created?.id == record.cohort ? created : cohort(record.cohort, db: db),
                let pipeline = ledger.pipelines[cohort.pipeline]
            else { return nil }
            return record.deadline(in: pipeline)?.millisecondsSinceEpoch
        }
        // The case whose add or move the next effect logs, and the seq of
        // the case's event before it (its `last_seq` before this one).
        var chained: (caseId: String, previous: Int64?)?
        for (index, effect) in effects.enumerated() {
            // The seq the case's next event gets, when the next effect logs this case (as the ledger's always does).
            func nextEventSeq(of caseId: String) -> Int64? {
                guard index + 1 < effects.count, case .appendEvent(let event) = effects[index + 1], event.caseId == caseId
                else { return nil }
                return nextSeq
            }
            switch effect {
            case .createCohort(let cohort):
                try db.cachedStatement(
                    sql: """
                        INSERT INTO cohorts(id, pipeline, pipeline_version, title, attributes, created_at)
                        VALUES (?, ?, ?, ?, ?, ?)
                        """
                ).execute(arguments: [
                    cohort.id, cohort.pipeline, cohort.pipelineVersion, cohort.title, Rows.encode(cohort.attributes),
                    cohort.createdAt.millisecondsSinceEpoch,
                ])
                created = cohort
            case .addCase(let record):
                let insert = try statements(
                    """
                    INSERT INTO cases(id, cohort, persons, state, entered_at, deadline, pipeline_version, attributes, created_at, last_seq)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, db)
                insert.bind(record.id, at: 1)
                insert.bind(record.cohort, at: 2)
                insert.bind(record.persons, at: 3)
                insert.bind(record.state, at: 4)
                insert.bind(record.enteredAt.millisecondsSinceEpoch, at: 5)
                insert.bind(try deadline(record), at: 6)
                insert.bind(record.pipelineVersion, at: 7)
                insert.bind(Rows.encode(record.attributes), at: 8)
                insert.bind(record.createdAt.millisecondsSinceEpoch, at: 9)
                let logged = nextEventSeq(of: record.id)
                insert.bind(logged, at: 10)
                try insert.execute()
                if logged != nil { chained = (record.id, nil) }
                deltas[CountKey(cohort: record.cohort, state: record.state), default: CountDelta()].cases += 1
                deltas[CountKey(cohort: record.cohort, state: record.state), default: CountDelta()].casePersons +=
                    record.persons
            case .moveCase(let record, let from):
                let logged = nextEventSeq(of: record.id)
                let previous = logged == nil ? nil : try lastSeq(ofCase: record.id, db: db)
                let update = try statements(
                    """
                    UPDATE cases SET state = ?, entered_at = ?, deadline = ?, pipeline_version = ?,
                        last_seq = COALESCE(?, last_seq)
                    WHERE id = ?
                    """, db)
                update.bind(record.state, at: 1)
                update.bind(record.enteredAt.millisecondsSinceEpoch, at: 2)
                update.bind(try deadline(record), at: 3)
                update.bind(record.pipelineVersion, at: 4)
                update.bind(logged, at: 5)
                update.bind(record.id, at: 6)
                try update.execute()
                guard db.changesCount == 1 else { throw StoreError.unavailable("case \(record.id) vanished") }
                if logged != nil { chained = (record.id, previous) }
                deltas[CountKey(cohort: record.cohort, state: from), default: CountDelta()].cases -= 1
                deltas[CountKey(cohort: record.cohort, state: from), default: CountDelta()].casePersons -= record.persons
                deltas[CountKey(cohort: record.cohort, state: record.state), default: CountDelta()].cases += 1
                deltas[CountKey(cohort: record.cohort, state: record.state), default: CountDelta()].casePersons +=
                    record.persons
            case .removeCase(let record):
                caseReadLastSeq = nil
                let logged = try Int64.fetchAll(
                    db.cachedStatement(sql: Schema.caseEvents(select: "seq")), arguments: [record.id])
                try db.cachedStatement(sql: "DELETE FROM cases WHERE id = ?").execute(arguments: [record.id])
                guard db.changesCount == 1 else { throw StoreError.unavailable("case \(record.id) vanished") }
                // The log keeps what happened, but no longer whom it happened
                // to, nor which of its events were one case's.
                for seq in logged {
                    try db.cachedStatement(sql: "UPDATE events SET case_id = NULL, case_prev = NULL WHERE seq = ?")
                        .execute(arguments: [seq])
                }
                deltas[CountKey(cohort: record.cohort, state: record.state), default: CountDelta()].cases -= 1
                deltas[CountKey(cohort: record.cohort, state: record.state), default: CountDelta()].casePersons -=
                    record.persons
            case .adjustPool(let cohort, let state, let delta):
                deltas[CountKey(cohort: cohort, state: state), default: CountDelta()].unregistered += delta
            case .appendEvent(var event):
                event.seq = nextSeq
                var previous: Int64?
                if let caseId = event.caseId {
                    if let chained, chained.caseId == caseId {
                        previous = chained.previous
                    } else {
                        // Not right after the case's add or move: link it here.
                        previous = try lastSeq(ofCase: caseId, db: db)
                        let update = try statements("UPDATE cases SET last_seq = ? WHERE id = ?", db)
                        update.bind(event.seq, at: 1)
                        update.bind(caseId, at: 2)
                        try update.execute()
                    }
                }
                chained = nil
                let insert = try statements(
                    """
                    INSERT INTO events(seq, time, actor, kind, cohort, case_id, event, from_state, to_state, persons, note, request_id, case_prev)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, db)
                insert.bind(event.seq, at: 1)
                insert.bind(event.time.millisecondsSinceEpoch, at: 2)
                insert.bind(event.actor, at: 3)
                insert.bind(event.kind.rawValue, at: 4)
                insert.bind(event.cohort, at: 5)
                insert.bind(event.caseId, at: 6)
                insert.bind(event.event, at: 7)
                insert.bind(event.from, at: 8)
                insert.bind(event.to, at: 9)
                insert.bind(event.persons, at: 10)
                insert.bind(event.note, at: 11)
                insert.bind(event.requestId, at: 12)
                insert.bind(previous, at: 13)
                try insert.execute()
                nextSeq += 1
                events.append(event)
            }
        }
        return events
    }
}

extension Writer {
    /// The seq of a case's latest event, if the case exists and has one.
    fileprivate func lastSeq(ofCase id: String, db: Database) throws -> Int64? {
        if let read = caseReadLastSeq, read.caseId == id {
            caseReadLastSeq = nil
            return read.seq
        }
        let query = try statements("SELECT last_seq FROM cases WHERE id = ?", db)
        query.bind(id, at: 1)
        guard try query.step() else { return nil }
        defer { query.reset() }
        return query.optionalInteger(at: 0)
    }
}

/// The ledger's view of the store from inside the write transaction.
struct TransactionReader: LedgerReader {
    let db: Database
    let writer: Writer

    func cohort(_ id: String) throws -> Cohort? { try writer.cohort(id, db: db) }

    func caseRecord(_ id: String) throws -> Case? {
        let query = try writer.statements(
            """
            SELECT id, cohort, persons, state, entered_at, pipeline_version, attributes, created_at, last_seq
            FROM cases WHERE id = ?
            """, db)
        query.bind(id, at: 1)
        guard try query.step() else { return nil }
        defer { query.reset() }
        writer.caseReadLastSeq = (id, query.optionalInteger(at: 8))
        return Case(
            id: query.text(at: 0), cohort: query.text(at: 1), persons: Int(query.integer(at: 2)),
            state: query.text(at: 3), enteredAt: Timestamp(millisecondsSinceEpoch: query.integer(at: 4)),
            pipelineVersion: Int(query.integer(at: 5)), attributes: Rows.attributes(query.text(at: 6)),
            createdAt: Timestamp(millisecondsSinceEpoch: query.integer(at: 7)))
    }

    func cases(pipeline: String, states: [String], enteredBefore time: Timestamp) throws -> [Case] {
        var found: [Case] = []
        for state in states {
            found += try Row.fetchAll(
                db.cachedStatement(
                    sql: """
                        SELECT c.* FROM cases c JOIN cohorts k ON k.id = c.cohort
                        WHERE k.pipeline = ? AND c.state = ? AND c.entered_at < ? ORDER BY c.id
                        """), arguments: [pipeline, state, time.millisecondsSinceEpoch]
            ).map(Rows.caseRecord)
        }
        return found
    }

    func caseExists(_ id: String) throws -> Bool {
        let query = try writer.statements("SELECT 1 FROM cases WHERE id = ?", db)
        query.bind(id, at: 1)
        return try query.returnsRow()
    }

    func cases(cohort: String, state: String) throws -> [Case] {
        try Row.fetchAll(
            db.cachedStatement(sql: "SELECT * FROM cases WHERE cohort = ? AND state = ? ORDER BY id"),
            arguments: [cohort, state]
        ).map(Rows.caseRecord)
    }

    func unregistered(cohort: String, state: String) throws -> Int {
        writer.unregistered(cohort: cohort, state: state)
    }
}

/// A request id's first answer, kept as a pointer into the log rather than
/// a copy: the event it appended (whose row holds what the answer showed),
/// or the number of cases imported.
enum StoredResult {
    static func remember(
        _ result: MutationResult, events: [Event]
    ) -> (kind: String, seq: Int64, count: Int, pipelineVersion: Int?) {
        let last = events.last?.seq ?? 0
        switch result {
        case .cohort: return ("cohort", last, 0, nil)
        case .event: return ("event", last, 0, nil)
        case .addedCase(let record): return ("case", last, 0, record.pipelineVersion)
        case .imported(let count): return ("imported", events.first?.seq ?? 0, count, nil)
        case .transitioned(let record, _): return ("transition", last, 0, record.pipelineVersion)
        case .migrated(let cases, let persons): return ("migrated", last, cases, persons)
        case .purged(let cases, let persons): return ("purged", last, cases, persons)
        }
    }

    static func recall(_ row: Row, db: Database) throws -> MutationResult {
        let kind: String = row["kind"]
        let seq: Int64 = row["seq"]
        if kind == "imported" { return .imported(row["count"]) }
        if kind == "migrated" { return .migrated(cases: row["count"], persons: row["pipeline_version"] ?? 0) }
        if kind == "purged" { return .purged(cases: row["count"], persons: row["pipeline_version"] ?? 0) }
        guard let eventRow = try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM events WHERE seq = ?"), arguments: [seq])
        else { throw StoreError.unavailable("the event \(seq) a stored request points to is missing") }
        let event = Rows.event(eventRow)
        switch kind {
        case "cohort":
            guard let cohort = try Row.fetchOne(
                db.cachedStatement(sql: "SELECT * FROM cohorts WHERE id = ?"), arguments: [event.cohort])
            else { throw StoreError.unavailable("cohort \(event.cohort) is missing") }
            return .cohort(Rows.cohort(cohort))
        case "event":
            return .event(event)
        default:
            var record: Case
            if let caseId = event.caseId,
                let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM cases WHERE id = ?"), arguments: [caseId])
            {
                record = Rows.caseRecord(row)
            } else {
                record = Case(
                    id: event.caseId ?? "", cohort: event.cohort, persons: event.persons, state: event.to ?? "",
                    enteredAt: event.time, pipelineVersion: 0, attributes: [:], createdAt: event.time)
            }
            // As the case was when the request was first answered.
            record.state = event.to ?? record.state
            record.enteredAt = event.time
            record.persons = event.persons
            if let version: Int = row["pipeline_version"] { record.pipelineVersion = version }
            return kind == "case" ? .addedCase(record) : .transitioned(record, event)
        }
    }
}
