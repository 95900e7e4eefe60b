import CaseTrackCore
import GRDB

/// The cohorts and their materialised counts as of the latest commit.
///
/// The writer keeps one, changes it only by what a transaction committed,
/// and publishes it before it answers that transaction's callers, so reads of
/// cohorts and counts are answered from memory, never ahead of the disk. It
/// always equals the `cohorts` and `counts` tables.
struct CommittedCounts: Sendable, Hashable {
    private var cohorts: [String: Cohort] = [:]
    /// By cohort, then state: each row of `counts`, zero rows included.
    private var counts: [String: [String: StateCount]] = [:]

    /// How many cohorts there are.
    var cohortCount: Int { cohorts.count }

    /// The registered cases of every cohort.
    var cases: Int { counts.values.reduce(0) { total, states in states.values.reduce(total) { $0 + $1.cases } } }

    /// A cohort and its counts, in the table's order (by state).
    func cohort(id: String) -> CohortCounts? {
        cohorts[id].map(summary)
    }

    /// Every cohort, by id, with its counts.
    var all: [CohortCounts] {
        cohorts.values.sorted { Self.precedes($0.id, $1.id) }.map(summary)
    }

    /// The unregistered persons of a cohort in a state.
    func unregistered(cohort: String, state: String) -> Int {
        counts[cohort]?[state]?.unregistered ?? 0
    }

    mutating func add(_ cohort: Cohort) {
        cohorts[cohort.id] = cohort
    }

    /// Adds to a cohort's count in a state, creating the row as the `counts` table does.
    mutating func add(cohort: String, state: String, cases: Int, casePersons: Int, unregistered: Int) {
        counts[cohort, default: [:]][state, default: StateCount(state: state)].cases += cases
        counts[cohort]![state]!.casePersons += casePersons
        counts[cohort]![state]!.unregistered += unregistered
    }

    /// What the tables hold now.
    static func load(_ db: Database) throws -> CommittedCounts {
        var loaded = CommittedCounts()
        for row in try Row.fetchAll(db, sql: "SELECT * FROM cohorts") { loaded.add(Rows.cohort(row)) }
        for row in try Row.fetchAll(db, sql: "SELECT * FROM counts") {
            let count = Rows.stateCount(row)
            loaded.counts[row["cohort"], default: [:]][count.state] = count
        }
        return loaded
    }

    private func summary(_ cohort: Cohort) -> CohortCounts {
        CohortCounts(
            cohort: cohort, counts: (counts[cohort.id] ?? [:]).values.sorted { Self.precedes($0.state, $1.state) })
    }

    /// SQLite's BINARY collation: byte order of the UTF-8.
    private static func precedes(_ a: String, _ b: String) -> Bool {
        a.utf8.lexicographicallyPrecedes(b.utf8)
    }
}
