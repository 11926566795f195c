use super::*;
use dbopt_core::diagnostic::{Applicability, Fix};
use dbopt_core::rules;
use dbopt_core::source::{FileId, Span};
use serde_json::json;

/// A finding shaped like `fk_without_index`'s.
fn finding(schema: &str, table: &str, columns: &[&str], index: &str, sql: &str) -> Diagnostic {
    let rule = rules::find(RULE).expect("registered");
    Diagnostic::new(rule, "foreign key has no index", Span::new(FileId(0), 0..1))
        .with_fix(Fix {
            title: "add an index".into(),
            sql: sql.into(),
            applicability: Applicability::Safe,
        })
        .with_data(
            json!({"table": table, "columns": columns, "index_name": index,
                          "table_schema": schema, "referenced_table": "users"}),
        )
}

fn posts() -> Diagnostic {
    finding(
        "public",
        "posts",
        &["user_id"],
        "posts_user_id_idx",
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS posts_user_id_idx ON posts (user_id);",
    )
}

fn names(plans: &[NewMigration]) -> Vec<&str> {
    plans.iter().map(|m| m.name.as_str()).collect()
}

fn existing(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| s.to_string()).collect()
}

#[test]
fn one_folder_per_index_after_the_newest_version_in_diesel_order() {
    let audit = finding(
        "audit",
        "audit.Log Entries",
        &["actorId", "at"],
        "Log Entries_actorId_at_idx",
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS \"Log Entries_actorId_at_idx\" ON audit.\"Log Entries\" (\"actorId\", at);",
    );
    let unparsed = rules::find("unparsed_statement").expect("registered");
    let other = Diagnostic::new(unparsed, "x", Span::new(FileId(0), 0..1));
    // Lexically `2017-...` sorts last; diesel's versions make `20260617094708` the newest.
    let dir = Path::new("/ws/migrations");
    let plans = plan(
        &[posts(), other, audit],
        Backend::Postgres,
        dir,
        &existing(&[
            "00000000000000_diesel_initial_setup",
            "20260617094708_create_posts",
            "2017-08-31-230457_create_users",
            ".keep",
        ]),
    )
    .unwrap();
    assert_eq!(
        names(&plans),
        [
            "2026-06-17-094709-0000_add_index_posts_user_id",
            "2026-06-17-094710-0000_add_index_audit_log_entries_actorid_at",
        ]
    );
    assert_eq!(plans[0].findings, [0]);
    assert_eq!(plans[1].findings, [2]);
    assert_eq!(plans[0].dir, dir.join(&plans[0].name));
    let files: Vec<(&str, &str)> = plans[1]
        .files
        .iter()
        .map(|f| (f.name, f.text.as_str()))
        .collect();
    assert_eq!(
        files,
        [
            (
                "up.sql",
                "CREATE INDEX CONCURRENTLY IF NOT EXISTS \"Log Entries_actorId_at_idx\" ON audit.\"Log Entries\" (\"actorId\", at);\n"
            ),
            (
                "down.sql",
                "DROP INDEX CONCURRENTLY IF EXISTS audit.\"Log Entries_actorId_at_idx\";\n"
            ),
            ("metadata.toml", "run_in_transaction = false\n"),
        ]
    );
}

#[test]
fn sqlite_gets_plain_statements_and_no_metadata() {
    let d = finding(
        "main",
        "posts",
        &["user_id"],
        "posts_user_id_idx",
        "CREATE INDEX IF NOT EXISTS posts_user_id_idx ON posts (user_id);",
    );
    let plans = plan(
        &[d],
        Backend::Sqlite,
        Path::new("m"),
        &existing(&["2024-01-01-000000-0000_init"]),
    )
    .unwrap();
    let files: Vec<(&str, &str)> = plans[0]
        .files
        .iter()
        .map(|f| (f.name, f.text.as_str()))
        .collect();
    assert_eq!(
        files,
        [
            (
                "up.sql",
                "CREATE INDEX IF NOT EXISTS posts_user_id_idx ON posts (user_id);\n"
            ),
            ("down.sql", "DROP INDEX IF EXISTS posts_user_id_idx;\n"),
        ]
    );
    assert_eq!(
        plans[0].name,
        "2024-01-01-000001-0000_add_index_posts_user_id"
    );
}

#[test]
fn two_foreign_keys_on_the_same_columns_share_one_index() {
    let plans = plan(&[posts(), posts()], Backend::Postgres, Path::new("m"), &[]).unwrap();
    assert_eq!(plans.len(), 1);
    assert_eq!(plans[0].findings, [0, 1]);
    // No migration at all: numbered after diesel's zero version.
    assert_eq!(
        plans[0].name,
        "0000-01-01-000000-0000_add_index_posts_user_id"
    );
}

#[test]
fn refuses_a_name_two_different_indexes_want() {
    let clash = finding(
        "public",
        "posts",
        &["author_id"],
        "posts_user_id_idx",
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS posts_user_id_idx ON posts (author_id);",
    );
    let err = plan(&[posts(), clash], Backend::Postgres, Path::new("m"), &[]).unwrap_err();
    assert!(
        err.0
            .contains("two fixes want the index name posts_user_id_idx"),
        "{err}"
    );
}

#[test]
fn refuses_versions_no_timestamp_follows() {
    let err = plan(
        &[posts()],
        Backend::Postgres,
        Path::new("m"),
        &existing(&["001_init"]),
    )
    .unwrap_err();
    assert_eq!(
        err.0,
        "cannot number a new migration after version `001` in m: it does not start with a \
         diesel timestamp (YYYYMMDDHHMMSS)"
    );
}

#[test]
fn findings_without_fix_data_are_left_alone() {
    let rule = rules::find(RULE).expect("registered");
    let bare = Diagnostic::new(rule, "x", Span::new(FileId(0), 0..1));
    assert!(
        plan(&[bare], Backend::Postgres, Path::new("m"), &[])
            .unwrap()
            .is_empty()
    );
}

#[test]
fn writes_new_folders_and_never_touches_existing_ones() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::create_dir(dir.join("2024-01-01-000000-0000_init")).unwrap();
    let plans = plan(
        &[posts()],
        Backend::Postgres,
        dir,
        &existing_entries(dir).unwrap(),
    )
    .unwrap();
    let replayed = |name: &str| name == "2024-01-01-000000-0000_init";
    let written = write(&plans, &replayed).unwrap();
    assert_eq!(written.created, plans);
    assert!(written.skipped.is_empty());
    let created = &plans[0].dir;
    assert_eq!(
        *created,
        dir.join("2024-01-01-000001-0000_add_index_posts_user_id")
    );
    let up = std::fs::read_to_string(created.join("up.sql")).unwrap();
    assert_eq!(
        up,
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS posts_user_id_idx ON posts (user_id);\n"
    );
    // The same plan again, the folder edited by hand meanwhile: its name is taken, so the
    // fix goes to the next free version; the existing file is not touched.
    std::fs::write(created.join("up.sql"), "-- edited by hand\n").unwrap();
    let written = write(&plans, &replayed).unwrap();
    assert_eq!(
        names(&written.created),
        ["2024-01-01-000002-0000_add_index_posts_user_id"]
    );
    assert_eq!(
        std::fs::read_to_string(created.join("up.sql")).unwrap(),
        "-- edited by hand\n"
    );
}

/// Two `--fix` runs whose analyses both predate the other's write (issue 19 §15): the second
/// finds the first's migration, which its analysis did not replay, with the same up.sql, so
/// it removes only the folder it had just taken and reports the fix as skipped.
#[test]
fn a_fix_written_meanwhile_by_another_run_is_not_written_twice() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::create_dir(dir.join("2024-01-01-000000-0000_init")).unwrap();
    let replayed = |name: &str| name == "2024-01-01-000000-0000_init";
    let plan_now = || {
        plan(
            &[posts()],
            Backend::Postgres,
            dir,
            &existing_entries(dir).unwrap(),
        )
        .unwrap()
    };
    let first = plan_now();
    assert_eq!(
        names(&write(&first, &replayed).unwrap().created),
        names(&first)
    );
    // The second run planned from the folder as it now is (the next version), or from the
    // folder as it was (the same name): either way, nothing is written.
    for stale in [plan_now(), first.clone()] {
        let written = write(&stale, &replayed).unwrap();
        assert_eq!(written.created, []);
        assert_eq!(
            written
                .skipped
                .iter()
                .map(|(_, other)| other.as_str())
                .collect::<Vec<_>>(),
            ["2024-01-01-000001-0000_add_index_posts_user_id"]
        );
        assert_eq!(
            existing_entries(dir).unwrap(),
            [
                "2024-01-01-000000-0000_init",
                "2024-01-01-000001-0000_add_index_posts_user_id"
            ]
        );
    }
    // Replayed by the analysis (added, dropped again later), the same up.sql is no reason
    // to skip: the index is missing again.
    let written = write(&first, &|_| true).unwrap();
    assert_eq!(
        names(&written.created),
        ["2024-01-01-000002-0000_add_index_posts_user_id"]
    );
}

#[test]
fn slugs_are_safe_folder_names() {
    assert_eq!(slug("posts", &["user_id"]), "posts_user_id");
    assert_eq!(slug("../etc/passwd", &["a b"]), "etc_passwd_a_b");
    assert_eq!(slug("\"\"", &[]), "fk");
    assert_eq!(slug(&"x".repeat(200), &["y"]).len(), 80);
}
