import GRDB

/// The store's schema, as named migrations. A shipped migration is never edited.
enum Schema {
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
        return migrator
    }
}
