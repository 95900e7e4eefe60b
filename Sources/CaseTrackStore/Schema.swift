import GRDB

/// The store's schema, as named migrations. A shipped migration is never edited.
enum Schema {
    /// A query of the events of the case `?1`, from the latest back along
    /// the chain (v5) for as long as it stays with the case and goes back
    /// in time: `select` names the columns of `events`, in the order of seq.
    static func caseEvents(select columns: String) -> String {
        """
        WITH RECURSIVE chain(seq) AS (
            SELECT last_seq FROM cases WHERE id = ?1
            UNION ALL
            SELECT e.case_prev FROM chain JOIN events e ON e.seq = chain.seq WHERE e.case_id = ?1 AND e.case_prev < e.seq
        )
        SELECT \(columns) FROM chain JOIN events USING (seq) WHERE events.case_id = ?1 ORDER BY seq
        """
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: cohorts, cases, counts, events, requests") { db in
            try db.execute(
                sql: """
                    CREATE TABLE cohorts (
                        id TEXT PRIMARY KEY NOT NULL,
                        pipeline TEXT NOT NULL,
                        pipeline_version INTEGER NOT NULL,
                        title TEXT,
                        attributes TEXT NOT NULL,
                        created_at INTEGER NOT NULL
                    );
                    CREATE TABLE cases (
                        id TEXT PRIMARY KEY NOT NULL,
                        cohort TEXT NOT NULL REFERENCES cohorts(id),
                        persons INTEGER NOT NULL CHECK (persons >= 1),
                        state TEXT NOT NULL,
                        entered_at INTEGER NOT NULL,
                        deadline INTEGER,
                        pipeline_version INTEGER NOT NULL,
                        attributes TEXT NOT NULL,
                        created_at INTEGER NOT NULL
                    ) WITHOUT ROWID;
                    CREATE INDEX cases_by_cohort_state ON cases(cohort, state, id);
                    CREATE INDEX cases_by_deadline ON cases(deadline) WHERE deadline IS NOT NULL;
                    CREATE TABLE counts (
                        cohort TEXT NOT NULL,
                        state TEXT NOT NULL,
                        cases INTEGER NOT NULL DEFAULT 0 CHECK (cases >= 0),
                        case_persons INTEGER NOT NULL DEFAULT 0 CHECK (case_persons >= 0),
                        unregistered INTEGER NOT NULL DEFAULT 0 CHECK (unregistered >= 0),
                        PRIMARY KEY (cohort, state)
                    ) WITHOUT ROWID;
                    CREATE TABLE events (
                        seq INTEGER PRIMARY KEY NOT NULL CHECK (seq >= 1),
                        time INTEGER NOT NULL,
                        actor TEXT NOT NULL,
                        kind TEXT NOT NULL,
                        cohort TEXT NOT NULL,
                        case_id TEXT,
                        event TEXT,
                        from_state TEXT,
                        to_state TEXT,
                        persons INTEGER NOT NULL CHECK (persons >= 0),
                        note TEXT,
                        request_id TEXT
                    );
                    CREATE INDEX events_by_cohort ON events(cohort, seq);
                    CREATE INDEX events_by_case ON events(case_id, seq) WHERE case_id IS NOT NULL;
                    CREATE TABLE requests (
                        id TEXT PRIMARY KEY NOT NULL,
                        kind TEXT NOT NULL,
                        seq INTEGER NOT NULL,
                        count INTEGER NOT NULL,
                        pipeline_version INTEGER
                    ) WITHOUT ROWID;
                    CREATE TABLE meta (
                        key TEXT PRIMARY KEY NOT NULL,
                        value TEXT NOT NULL
                    ) WITHOUT ROWID;
                    """)
        }
        migrator.registerMigration("v2: digest history") { db in
            try db.execute(
                sql: """
                    CREATE TABLE digest_history (
                        time INTEGER PRIMARY KEY NOT NULL,
                        seq INTEGER NOT NULL,
                        active_persons TEXT NOT NULL
                    );
                    """)
        }
        // Digests read time in state and overdue cases per cohort and state
        // from this index alone, without sorting or touching the cases.
        migrator.registerMigration("v3: cases by entry time") { db in
            try db.execute(sql: "CREATE INDEX cases_by_entry ON cases(cohort, state, entered_at, persons)")
        }
        // Every transition moved a case in this index, for a query an
        // operator runs now and then: overdue cases are found through the
        // cohort/state index, or by reading the cases.
        migrator.registerMigration("v4: no deadline index") { db in
            try db.execute(sql: "DROP INDEX cases_by_deadline")
        }
        // A case's events were found through an index on (case_id, seq),
        // which every transition added to at a random place: a page to write
        // and fsync per transition. Now each case names its latest event and
        // each event the case's previous one, written in rows the
        // transition writes anyway; a case's history walks that chain.
        migrator.registerMigration("v5: case event chain instead of the case index") { db in
            try db.execute(
                sql: """
                    ALTER TABLE cases ADD COLUMN last_seq INTEGER;
                    ALTER TABLE events ADD COLUMN case_prev INTEGER;
                    UPDATE events SET case_prev = (
                        SELECT MAX(p.seq) FROM events p WHERE p.case_id = events.case_id AND p.seq < events.seq
                    ) WHERE case_id IS NOT NULL;
                    UPDATE cases SET last_seq = (SELECT MAX(e.seq) FROM events e WHERE e.case_id = cases.id);
                    DROP INDEX events_by_case;
                    """)
        }
        return migrator
    }
}
