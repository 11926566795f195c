//! The migration-safety rules against a real PostgreSQL: what they call a table rewrite,
//! a NOT NULL scan or a failing `CONCURRENTLY` migration is what PostgreSQL (and diesel's
//! own migration harness) does.
//!
//! Needs `DBOPT_TEST_DATABASE_URL` (e.g. `postgres://postgres@127.0.0.1:5432/postgres`);
//! skipped without it, except under `CI`, where its absence fails the test.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use diesel::{Connection, PgConnection};
use diesel_migrations::{FileBasedMigrations, MigrationHarness};
use postgres::{Client, NoTls};

use dbopt_core::diagnostic::Level;
use dbopt_core::project::{ProjectInput, analyze};
use dbopt_core::rule::Rule;

fn database_url() -> Option<String> {
    match std::env::var("DBOPT_TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            assert!(
                std::env::var_os("CI").is_none(),
                "DBOPT_TEST_DATABASE_URL must be set in CI"
            );
            None
        }
    }
}

/// A uniquely named database, dropped when the value goes away.
struct TestDb {
    admin_url: String,
    name: String,
    url: String,
}

impl TestDb {
    fn new(admin_url: &str) -> TestDb {
        static N: AtomicUsize = AtomicUsize::new(0);
        let name = format!(
            "dbopt_migrules_{}_{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        );
        let mut admin = Client::connect(admin_url, NoTls).expect("connect to the admin database");
        // One statement per call: several in one string would be one transaction.
        admin
            .batch_execute(&format!("DROP DATABASE IF EXISTS {name}"))
            .expect("drop a leftover test database");
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .expect("create the test database");
        let (base, _) = admin_url
            .rsplit_once('/')
            .expect("a database URL with a path");
        TestDb {
            admin_url: admin_url.to_owned(),
            url: format!("{base}/{name}"),
            name,
        }
    }

    fn client(&self) -> Client {
        Client::connect(&self.url, NoTls).expect("connect to the test database")
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Ok(mut admin) = Client::connect(&self.admin_url, NoTls) {
            let _ = admin.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }
}

/// Writes migrations `(folder, run_in_transaction, up.sql)` under `dir`.
fn write_migrations(dir: &Path, migrations: &[(&str, bool, &str)]) {
    for (name, in_transaction, sql) in migrations {
        let folder = dir.join(name);
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::write(folder.join("up.sql"), sql).unwrap();
        std::fs::write(folder.join("down.sql"), "").unwrap();
        if !in_transaction {
            std::fs::write(folder.join("metadata.toml"), "run_in_transaction = false\n").unwrap();
        }
    }
}

/// The rules that fired on the migrations, as (rule, folder) pairs.
fn dbopt(migrations: &[(&str, bool, &str)]) -> Vec<(&'static str, String)> {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("migrations");
    write_migrations(&dir, migrations);
    let report = analyze(
        &ProjectInput {
            package_dir: tmp.path().to_path_buf(),
            display_root: tmp.path().to_path_buf(),
            migrations: Some(dir),
            ..ProjectInput::default()
        },
        &|r: &Rule| r.default_level,
    );
    assert_eq!(report.errors, vec![]);
    report
        .diagnostics
        .iter()
        .filter(|d| d.level != Level::Allow)
        .map(|d| {
            let path = report.sources.path(d.primary.span.file);
            let folder = path
                .parent()
                .and_then(|p| p.file_name())
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default();
            (d.rule, folder)
        })
        .collect()
}

#[test]
fn rewrites_are_reported_exactly_when_postgres_rewrites() {
    let Some(url) = database_url() else {
        return;
    };
    let db = TestDb::new(&url);
    let mut client = db.client();
    // (column definition, change): does PostgreSQL 11+ rewrite `t`?
    let cases: &[(&str, &str)] = &[
        (
            "c VARCHAR(10)",
            "ALTER TABLE t ALTER COLUMN c TYPE VARCHAR(20)",
        ),
        ("c VARCHAR(10)", "ALTER TABLE t ALTER COLUMN c TYPE TEXT"),
        ("c VARCHAR(10)", "ALTER TABLE t ALTER COLUMN c TYPE VARCHAR"),
        (
            "c VARCHAR(10)",
            "ALTER TABLE t ALTER COLUMN c TYPE VARCHAR(5)",
        ),
        ("c TEXT", "ALTER TABLE t ALTER COLUMN c TYPE VARCHAR"),
        ("c TEXT", "ALTER TABLE t ALTER COLUMN c TYPE VARCHAR(10)"),
        (
            "c NUMERIC(5, 2)",
            "ALTER TABLE t ALTER COLUMN c TYPE NUMERIC(7, 2)",
        ),
        (
            "c NUMERIC(5, 2)",
            "ALTER TABLE t ALTER COLUMN c TYPE NUMERIC",
        ),
        (
            "c NUMERIC(5, 2)",
            "ALTER TABLE t ALTER COLUMN c TYPE NUMERIC(7, 3)",
        ),
        (
            "c NUMERIC(5)",
            "ALTER TABLE t ALTER COLUMN c TYPE NUMERIC(6, 0)",
        ),
        ("c INT", "ALTER TABLE t ALTER COLUMN c TYPE BIGINT"),
        ("c INT", "ALTER TABLE t ALTER COLUMN c TYPE INTEGER"),
        ("c INT", "ALTER TABLE t ADD COLUMN d INT DEFAULT 5"),
        (
            "c INT",
            "ALTER TABLE t ADD COLUMN d TIMESTAMPTZ NOT NULL DEFAULT now()",
        ),
        (
            "c INT",
            "ALTER TABLE t ADD COLUMN d TIMESTAMPTZ DEFAULT CURRENT_TIMESTAMP",
        ),
        (
            "c INT",
            "ALTER TABLE t ADD COLUMN d JSONB NOT NULL DEFAULT '{}'::jsonb",
        ),
        (
            "c INT",
            "ALTER TABLE t ADD COLUMN d UUID DEFAULT gen_random_uuid()",
        ),
        (
            "c INT",
            "ALTER TABLE t ADD COLUMN d FLOAT8 DEFAULT random()",
        ),
        (
            "c INT",
            "ALTER TABLE t ADD COLUMN d TIMESTAMPTZ DEFAULT clock_timestamp()",
        ),
        ("c INT", "ALTER TABLE t ADD COLUMN d BIGSERIAL"),
        (
            "c INT",
            "ALTER TABLE t ADD COLUMN d INT GENERATED ALWAYS AS (c * 2) STORED",
        ),
        (
            "c INT",
            "ALTER TABLE t ADD COLUMN d INT GENERATED BY DEFAULT AS IDENTITY",
        ),
    ];
    for (column, change) in cases {
        let create = format!("CREATE TABLE t (id INT PRIMARY KEY, {column})");
        client
            .batch_execute(&format!(
                "DROP TABLE IF EXISTS t; {create}; INSERT INTO t (id) SELECT generate_series(1, 10)"
            ))
            .unwrap();
        let before: u32 = client
            .query_one(
                "SELECT relfilenode::int4::oid FROM pg_class WHERE relname = 't'",
                &[],
            )
            .map(|r| r.get::<_, u32>(0))
            .unwrap();
        client.batch_execute(change).unwrap();
        let after: u32 = client
            .query_one(
                "SELECT relfilenode::int4::oid FROM pg_class WHERE relname = 't'",
                &[],
            )
            .map(|r| r.get::<_, u32>(0))
            .unwrap();
        let found = dbopt(&[
            ("1_create", true, &format!("{create};")),
            ("2_change", true, &format!("{change};")),
        ]);
        let reported = found.contains(&("locking_column_change", "2_change".to_owned()));
        assert_eq!(
            reported,
            before != after,
            "{column}: {change}; dbopt found {found:?}"
        );
    }
}

/// PostgreSQL 12+ changes `timestamp` <-> `timestamptz` without a rewrite when the session
/// time zone is UTC. The database's own default is set to a zone that is not, as on a server
/// dbopt knows nothing about: only what the migration sets counts.
#[test]
fn time_zone_changes_are_reported_exactly_when_postgres_rewrites() {
    let Some(url) = database_url() else {
        return;
    };
    let db = TestDb::new(&url);
    db.client()
        .batch_execute(&format!(
            "ALTER DATABASE {} SET timezone = 'America/New_York'",
            db.name
        ))
        .unwrap();
    // A connection made after the ALTER DATABASE starts in New York.
    let mut client = db.client();
    // (column, what the migration runs before the change, the change)
    let cases: &[(&str, &str, &str)] = &[
        (
            "c TIMESTAMP",
            "",
            "ALTER TABLE t ALTER COLUMN c TYPE TIMESTAMPTZ",
        ),
        (
            "c TIMESTAMP",
            "SET timezone = 'UTC';",
            "ALTER TABLE t ALTER COLUMN c TYPE TIMESTAMPTZ",
        ),
        (
            "c TIMESTAMP",
            "SET LOCAL timezone TO 'UTC';",
            "ALTER TABLE t ALTER COLUMN c TYPE TIMESTAMPTZ",
        ),
        (
            "c TIMESTAMP",
            "SET TIME ZONE 'Etc/UTC';",
            "ALTER TABLE t ALTER COLUMN c TYPE TIMESTAMPTZ",
        ),
        (
            "c TIMESTAMP",
            "SET LOCAL TIME ZONE 0;",
            "ALTER TABLE t ALTER COLUMN c TYPE TIMESTAMPTZ",
        ),
        (
            "c TIMESTAMPTZ",
            "SET timezone = 'GMT';",
            "ALTER TABLE t ALTER COLUMN c TYPE TIMESTAMP",
        ),
        (
            "c TIMESTAMPTZ",
            "",
            "ALTER TABLE t ALTER COLUMN c TYPE TIMESTAMP",
        ),
        (
            "c TIMESTAMP(3)",
            "SET timezone = 'UTC';",
            "ALTER TABLE t ALTER COLUMN c TYPE TIMESTAMP(3) WITH TIME ZONE",
        ),
        (
            "c TIMESTAMP",
            "SET timezone = 'Europe/London';",
            "ALTER TABLE t ALTER COLUMN c TYPE TIMESTAMPTZ",
        ),
        (
            "c TIMESTAMP",
            "SET timezone = 'UTC'; RESET timezone;",
            "ALTER TABLE t ALTER COLUMN c TYPE TIMESTAMPTZ",
        ),
        (
            "c TIMESTAMP",
            "SET timezone = 'UTC'; SET TIME ZONE DEFAULT;",
            "ALTER TABLE t ALTER COLUMN c TYPE TIMESTAMPTZ",
        ),
        (
            "c TIMESTAMP",
            "SET timezone = 'UTC';",
            "ALTER TABLE t ALTER COLUMN c TYPE TIMESTAMPTZ USING c",
        ),
    ];
    let filenode = |client: &mut Client| -> u32 {
        client
            .query_one("SELECT pg_relation_filenode('t')::int4::oid", &[])
            .map(|r| r.get::<_, u32>(0))
            .unwrap()
    };
    let mut outcomes = [0, 0];
    for (column, before, change) in cases {
        let create = format!("CREATE TABLE t (id INT PRIMARY KEY, {column})");
        client
            .batch_execute(&format!(
                "DROP TABLE IF EXISTS t; {create}; \
                 INSERT INTO t (id) SELECT generate_series(1, 10)"
            ))
            .unwrap();
        let start = filenode(&mut client);
        // As diesel runs a migration: the file in one transaction, on a fresh session.
        let up_sql = format!("{before}\n{change};");
        let mut session = db.client();
        session
            .batch_execute(&format!("BEGIN; {up_sql} COMMIT;"))
            .unwrap();
        let rewritten = filenode(&mut client) != start;
        outcomes[usize::from(rewritten)] += 1;
        let found = dbopt(&[
            ("1_create", true, &format!("{create};")),
            ("2_change", true, &up_sql),
        ]);
        let reported = found.contains(&("locking_column_change", "2_change".to_owned()));
        assert_eq!(
            reported, rewritten,
            "{column}: `{up_sql}`; dbopt found {found:?}"
        );
    }
    // Both answers occur (6 changes in place, 6 rewrites): the check can fail either way.
    assert_eq!(outcomes, [6, 6]);
}

#[test]
fn set_not_null_is_reported_exactly_when_postgres_scans() {
    let Some(url) = database_url() else {
        return;
    };
    let db = TestDb::new(&url);
    let mut client = db.client();
    // (statements before, in an earlier migration; then SET NOT NULL)
    let cases: &[&str] = &[
        "",
        "ALTER TABLE t ADD CONSTRAINT c_nn CHECK (c IS NOT NULL) NOT VALID;",
        "ALTER TABLE t ADD CONSTRAINT c_nn CHECK (c IS NOT NULL);",
        "ALTER TABLE t ADD CONSTRAINT c_nn CHECK (c IS NOT NULL AND c > 0) NOT VALID;\n\
         ALTER TABLE t VALIDATE CONSTRAINT c_nn;",
        "ALTER TABLE t ADD CONSTRAINT c_pos CHECK (c > 0);",
    ];
    let create = "CREATE TABLE t (id INT PRIMARY KEY, c INT);";
    for before in cases {
        client
            .batch_execute(&format!(
                "DROP TABLE IF EXISTS t; {create} INSERT INTO t SELECT g, g FROM generate_series(1, 10) g; {before}"
            ))
            .unwrap();
        let scans = |client: &mut Client| -> i64 {
            client
                .batch_execute("SELECT pg_stat_force_next_flush()")
                .unwrap();
            client
                .query_one(
                    "SELECT seq_scan FROM pg_stat_user_tables WHERE relname = 't'",
                    &[],
                )
                .map(|r| r.get::<_, i64>(0))
                .unwrap()
        };
        let start = scans(&mut client);
        client
            .batch_execute("ALTER TABLE t ALTER COLUMN c SET NOT NULL")
            .unwrap();
        let scanned = scans(&mut client) > start;
        let found = dbopt(&[
            ("1_create", true, create),
            ("2_before", true, before),
            ("3_set", true, "ALTER TABLE t ALTER COLUMN c SET NOT NULL;"),
        ]);
        let reported = found.contains(&("locking_column_change", "3_set".to_owned()));
        assert_eq!(reported, scanned, "after `{before}`: dbopt found {found:?}");
    }
}

#[test]
fn concurrently_is_denied_exactly_when_diesel_fails_to_run_it() {
    let Some(url) = database_url() else {
        return;
    };
    let index = "CREATE INDEX CONCURRENTLY t_c_idx ON t (c);";
    let beside = "CREATE INDEX CONCURRENTLY t_c_idx ON t (c);\nALTER TABLE t ADD COLUMN d INT;";
    // (run_in_transaction, up.sql)
    let cases: &[(bool, &str)] = &[
        (true, index),
        (false, index),
        (false, beside),
        (true, beside),
    ];
    for (in_transaction, sql) in cases {
        let db = TestDb::new(&url);
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("migrations");
        let migrations = [
            (
                "2024-01-01-000000_create",
                true,
                "CREATE TABLE t (id INT PRIMARY KEY, c INT);",
            ),
            ("2024-01-02-000000_index", *in_transaction, *sql),
        ];
        write_migrations(&dir, &migrations);
        let mut conn = PgConnection::establish(&db.url).unwrap();
        let source = FileBasedMigrations::from_path(&dir).unwrap();
        let failed = conn.run_pending_migrations(source).is_err();
        let found = dbopt(&migrations);
        let denied = found.contains(&(
            "concurrently_in_transaction",
            "2024-01-02-000000_index".to_owned(),
        ));
        assert_eq!(
            denied, failed,
            "run_in_transaction = {in_transaction}, `{sql}`: dbopt found {found:?}"
        );
    }
}
