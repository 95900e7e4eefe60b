public import CaseTrackCore
import GRDB

extension SQLiteStore {
    /// Checks the invariants against the stored data: a gap-free sequence,
    /// counts equal to what the cases imply and to what the log implies, no
    /// negative count, every case's chain of events whole, every case in the
    /// state its last event left it in and in a state its pipeline defines,
    /// and SQLite's own integrity check.
    public func verify() async throws -> [VerificationProblem] {
        let pipelines = shared.withLock { $0.pipelines }
        return try await pool.read { db in
            var problems: [VerificationProblem] = []
            func problem(_ check: String, _ message: String) {
                if problems.count < 1000 { problems.append(VerificationProblem(check: check, message: message)) }
            }

            for message in try String.fetchAll(db, sql: "PRAGMA quick_check") where message != "ok" {
                problem("integrity", message)
            }

            let sequence = try Row.fetchOne(
                db, sql: "SELECT COUNT(*) AS n, COALESCE(MIN(seq), 0) AS low, COALESCE(MAX(seq), 0) AS high FROM events")!
            let (count, low, high): (Int64, Int64, Int64) = (sequence["n"], sequence["low"], sequence["high"])
            if count > 0, low != 1 || high != count {
                problem("sequence", "\(count) events but sequence numbers run from \(low) to \(high)")
            }

            struct Key: Hashable {
                var cohort: String
                var state: String
            }
            struct Figures: Equatable {
                var cases = 0
                var casePersons = 0
                var unregistered = 0
            }
            var stored: [Key: Figures] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT * FROM counts") {
                let figures = Figures(cases: row["cases"], casePersons: row["case_persons"], unregistered: row["unregistered"])
                if figures.cases < 0 || figures.casePersons < 0 || figures.unregistered < 0 {
                    problem("negative", "cohort '\(row["cohort"] as String)' state '\(row["state"] as String)' has a negative count")
                }
                stored[Key(cohort: row["cohort"], state: row["state"])] = figures
            }

            var fromCases: [Key: Figures] = [:]
            for row in try Row.fetchAll(
                db, sql: "SELECT cohort, state, COUNT(*) AS cases, SUM(persons) AS persons FROM cases GROUP BY cohort, state")
            {
                fromCases[Key(cohort: row["cohort"], state: row["state"]), default: Figures()].cases = row["cases"]
                fromCases[Key(cohort: row["cohort"], state: row["state"]), default: Figures()].casePersons = row["persons"]
            }

            var fromLog: [Key: Figures] = [:]
            for row in try Row.fetchAll(
                db,
                sql: """
                    SELECT cohort, state, SUM(cases) AS cases, SUM(persons) AS persons, SUM(pool) AS pool FROM (
                        SELECT cohort, to_state AS state, 0 AS cases, 0 AS persons, persons AS pool
                            FROM events WHERE kind IN ('intake', 'move', 'purge')
                        UNION ALL SELECT cohort, from_state, 0, 0, -persons
                            FROM events WHERE kind = 'move' OR (kind = 'case-added' AND from_state IS NOT NULL)
                        UNION ALL SELECT cohort, to_state, 1, persons, 0
                            FROM events WHERE kind IN ('case-added', 'transition')
                        UNION ALL SELECT cohort, from_state, -1, -persons, 0
                            FROM events WHERE kind IN ('transition', 'purge')
                    ) GROUP BY cohort, state
                    """)
            {
                fromLog[Key(cohort: row["cohort"], state: row["state"])] = Figures(
                    cases: row["cases"], casePersons: row["persons"], unregistered: row["pool"])
            }

            let zero = Figures()
            for key in Set(stored.keys).union(fromCases.keys).union(fromLog.keys).sorted(by: {
                ($0.cohort, $0.state) < ($1.cohort, $1.state)
            }) {
                let materialised = stored[key] ?? zero
                let cases = fromCases[key] ?? zero
                let log = fromLog[key] ?? zero
                let place = "cohort '\(key.cohort)' state '\(key.state)'"
                if materialised.cases != cases.cases || materialised.casePersons != cases.casePersons {
                    problem(
                        "counts",
                        "\(place): counts say \(materialised.cases) cases, \(materialised.casePersons) persons; the cases say \(cases.cases), \(cases.casePersons)"
                    )
                }
                if materialised.cases != log.cases || materialised.casePersons != log.casePersons {
                    problem(
                        "counts",
                        "\(place): counts say \(materialised.cases) cases, \(materialised.casePersons) persons; the log says \(log.cases), \(log.casePersons)"
                    )
                }
                if materialised.unregistered != log.unregistered {
                    problem(
                        "pool",
                        "\(place): \(materialised.unregistered) unregistered persons counted; the log implies \(log.unregistered)")
                }
            }

            // Each case's history is a chain: the case names its latest
            // event, each event the case's one before.
            for row in try Row.fetchAll(
                db,
                sql: """
                    WITH latest AS (SELECT case_id, MAX(seq) AS seq FROM events WHERE case_id IS NOT NULL GROUP BY case_id)
                    SELECT c.id AS id, c.last_seq AS named, latest.seq AS latest
                    FROM cases c LEFT JOIN latest ON latest.case_id = c.id WHERE c.last_seq IS NOT latest.seq LIMIT 100
                    """)
            {
                let named: Int64? = row["named"]
                let latest: Int64? = row["latest"]
                problem(
                    "case-chain",
                    "case '\(row["id"] as String)' names event \(named.map(String.init) ?? "none") as its latest, but its latest is \(latest.map(String.init) ?? "none")"
                )
            }
            for row in try Row.fetchAll(
                db,
                sql: """
                    SELECT seq, case_id, case_prev, expected FROM (
                        SELECT seq, case_id, case_prev, LAG(seq) OVER (PARTITION BY case_id ORDER BY seq) AS expected
                        FROM events WHERE case_id IS NOT NULL
                    ) WHERE case_prev IS NOT expected LIMIT 100
                    """)
            {
                let linked: Int64? = row["case_prev"]
                let expected: Int64? = row["expected"]
                problem(
                    "case-chain",
                    "event \(row["seq"] as Int64) of case '\(row["case_id"] as String)' links to \(linked.map { "event \($0)" } ?? "no event") as the case's one before, but that is \(expected.map { "event \($0)" } ?? "none")"
                )
            }

            for row in try Row.fetchAll(
                db,
                sql: """
                    SELECT c.id AS id, c.state AS state, (
                        SELECT to_state FROM events e WHERE e.seq = c.last_seq AND e.case_id = c.id
                    ) AS logged FROM cases c WHERE logged IS NOT c.state LIMIT 100
                    """)
            {
                let logged: String? = row["logged"]
                problem(
                    "case-state",
                    "case '\(row["id"] as String)' is in '\(row["state"] as String)' but its last event left it in '\(logged ?? "(no event)")'"
                )
            }

            for row in try Row.fetchAll(
                db,
                sql: """
                    SELECT DISTINCT k.pipeline AS pipeline, c.state AS state FROM cases c JOIN cohorts k ON k.id = c.cohort
                    UNION SELECT k.pipeline, n.state FROM counts n JOIN cohorts k ON k.id = n.cohort
                        WHERE n.cases <> 0 OR n.unregistered <> 0
                    """)
            {
                let name: String = row["pipeline"]
                let state: String = row["state"]
                guard let pipeline = pipelines[name] else {
                    problem("pipeline", "pipeline '\(name)' is in use but not loaded")
                    continue
                }
                if pipeline.state(named: state) == nil {
                    problem("pipeline", "persons are in state '\(state)', which pipeline '\(name)' does not define")
                }
            }
            return problems
        }
    }
}
