public import CaseTrackCore
import Foundation
import GRDB

extension SQLiteStore {
    private static let lastDigestKey = "digest.last"

    public func digestFacts(
        cohort: String?, at now: Timestamp, since: DigestMark?, overdueListLimit: Int
    ) async throws -> DigestFacts {
        let pipelines = shared.withLock { $0.pipelines }
        return try await pool.read { db in
            let throughSeq = try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(seq), 0) FROM events") ?? 0
            var facts = DigestFacts(
                generatedAt: now, throughSeq: throughSeq, since: since, overdueListLimit: overdueListLimit)
            let filter = cohort == nil ? "" : "AND cohort = :cohort"
            let nowMs = now.millisecondsSinceEpoch
            let arguments: StatementArguments = [
                "cohort": cohort, "now": nowMs, "after": since?.seq ?? 0, "through": throughSeq,
                "week": facts.sevenDaysAgo.millisecondsSinceEpoch, "month": facts.thirtyDaysAgo.millisecondsSinceEpoch,
                "limit": overdueListLimit,
            ]

            var counts: [String: [StateCount]] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT * FROM counts WHERE 1 \(filter)", arguments: arguments) {
                counts[row["cohort"], default: []].append(Rows.stateCount(row))
            }
            let cohorts = try Row.fetchAll(
                db, sql: "SELECT * FROM cohorts WHERE 1 \(cohort == nil ? "" : "AND id = :cohort") ORDER BY id",
                arguments: arguments
            ).map(Rows.cohort)
            for record in cohorts { facts.add(cohort: record, counts: counts[record.id] ?? []) }

            // Registrations, the bulk of an import, are grouped on fewer
            // columns than the rest: SQLite sorts every row it groups.
            let movements = try Row.fetchCursor(
                db,
                sql: """
                    SELECT cohort, kind, event, from_state, to_state, COUNT(case_id) AS cases, SUM(persons) AS persons
                    FROM events WHERE seq > :after AND seq <= :through AND kind != 'case-added' \(filter)
                    GROUP BY cohort, kind, event, from_state, to_state
                    """, arguments: arguments)
            while let row = try movements.next() {
                guard let kind = EventKind(rawValue: row["kind"]) else { continue }
                facts.addEvents(
                    cohort: row["cohort"], kind: kind, event: row["event"], from: row["from_state"],
                    to: row["to_state"],
                    cases: row["cases"], persons: row["persons"])
            }
            let registrations = try Row.fetchCursor(
                db,
                sql: """
                    SELECT cohort, to_state, COUNT(*) AS cases, SUM(persons) AS persons
                    FROM events
                    WHERE seq > :after AND seq <= :through AND kind = 'case-added' AND from_state IS NULL \(filter)
                    GROUP BY cohort, to_state
                    """, arguments: arguments)
            while let row = try registrations.next() {
                facts.addEvents(
                    cohort: row["cohort"], kind: .caseAdded, event: nil, from: nil, to: row["to_state"],
                    cases: row["cases"], persons: row["persons"])
            }

            let arrivals = try Row.fetchCursor(
                db,
                sql: """
                    SELECT cohort, to_state, SUM(CASE WHEN time > :week THEN persons ELSE 0 END) AS week,
                        SUM(persons) AS month
                    FROM events
                    WHERE time > :month AND time <= :now AND kind IN ('move', 'transition') AND seq <= :through \(filter)
                    GROUP BY cohort, to_state
                    """, arguments: arguments)
            while let row = try arrivals.next() {
                facts.addArrivals(
                    cohort: row["cohort"], state: row["to_state"], last7Days: row["week"], last30Days: row["month"])
            }

            // Per cohort and state, from the index on (cohort, state, entered_at, persons):
            // order statistics of entry time, and the cases that entered before the SLA cutoff.
            for record in cohorts {
                guard let pipeline = pipelines[record.pipeline] else { continue }
                for count in counts[record.id] ?? [] where count.cases > 0 {
                    guard let state = pipeline.state(named: count.state), !state.isTerminal else { continue }
                    let ranks = DigestFacts.percentileRanks(cases: count.cases)
                    let entry = try db.cachedStatement(
                        sql: """
                            SELECT entered_at FROM cases INDEXED BY cases_by_entry
                            WHERE cohort = ? AND state = ? ORDER BY entered_at DESC LIMIT 1 OFFSET ?
                            """)
                    if let median = try Int64.fetchOne(entry, arguments: [record.id, state.name, ranks.median]),
                        let p90 = try Int64.fetchOne(entry, arguments: [record.id, state.name, ranks.p90])
                    {
                        facts.setEntryPercentiles(
                            cohort: record.id, state: state.name, median: Timestamp(millisecondsSinceEpoch: median),
                            p90: Timestamp(millisecondsSinceEpoch: p90))
                    }
                    guard let sla = state.slaDays else { continue }
                    let cutoff = facts.overdueCutoff(slaDays: sla).millisecondsSinceEpoch
                    let overdue = try Row.fetchOne(
                        db.cachedStatement(
                            sql: """
                                SELECT COUNT(*) AS cases, COALESCE(SUM(persons), 0) AS persons FROM cases INDEXED BY cases_by_entry
                                WHERE cohort = ? AND state = ? AND entered_at < ?
                                """), arguments: [record.id, state.name, cutoff])
                    guard let overdue, overdue["cases"] as Int > 0 else { continue }
                    facts.addOverdue(
                        cohort: record.id, state: state.name, cases: overdue["cases"], persons: overdue["persons"])
                    let oldest = try Row.fetchCursor(
                        db.cachedStatement(
                            sql: """
                                SELECT id, persons, entered_at FROM cases INDEXED BY cases_by_entry
                                WHERE cohort = ? AND state = ? AND entered_at < ? ORDER BY entered_at, id LIMIT ?
                                """), arguments: [record.id, state.name, cutoff, overdueListLimit])
                    while let row = try oldest.next() {
                        facts.offerOverdue(
                            cohort: record.id,
                            .init(
                                id: row["id"], state: state.name, persons: row["persons"],
                                enteredAt: Timestamp(millisecondsSinceEpoch: row["entered_at"])))
                    }
                }
            }

            facts.addHistory(try Self.digestRecords(db))
            return facts
        }
    }

    public func lastDigest() async throws -> DigestMark? {
        try await pool.read { db in
            guard
                let text = try String.fetchOne(
                    db, sql: "SELECT value FROM meta WHERE key = ?", arguments: [Self.lastDigestKey])
            else { return nil }
            return try? JSONDecoder().decode(DigestMark.self, from: Data(text.utf8))
        }
    }

    public func digestRecords() async throws -> [DigestRecord] {
        try await pool.read { db in try Self.digestRecords(db) }
    }

    public func recordDigest(_ record: DigestRecord, forgetBefore: Timestamp) async throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let mark = String(decoding: try encoder.encode(record.mark), as: UTF8.self)
        let active = String(decoding: try encoder.encode(record.activePersons), as: UTF8.self)
        try await pool.write { db in
            try db.execute(
                sql: "INSERT OR REPLACE INTO digest_history(time, seq, active_persons) VALUES (?, ?, ?)",
                arguments: [record.mark.time.millisecondsSinceEpoch, record.mark.seq, active])
            try db.execute(
                sql: "DELETE FROM digest_history WHERE time < ?", arguments: [forgetBefore.millisecondsSinceEpoch])
            try db.execute(
                sql: "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                arguments: [Self.lastDigestKey, mark])
        }
    }

    private static func digestRecords(_ db: Database) throws -> [DigestRecord] {
        try Row.fetchAll(db, sql: "SELECT time, seq, active_persons FROM digest_history ORDER BY time").map { row in
            let active =
                (try? JSONDecoder().decode([String: Int].self, from: Data((row["active_persons"] as String).utf8)))
                ?? [:]
            return DigestRecord(
                mark: DigestMark(time: Timestamp(millisecondsSinceEpoch: row["time"]), seq: row["seq"]),
                activePersons: active)
        }
    }
}
