use std::cell::RefCell;
use std::fs;
use std::path::{Path, PathBuf};

use super::*;

fn write(path: &Path, text: impl AsRef<[u8]>) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

/// `pkg/` with a diesel.toml naming `src/schema.rs`, which holds [`SCHEMA`].
fn schema_package(ws: &Path) {
    write(
        &ws.join("pkg/diesel.toml"),
        "[print_schema]\nfile = \"src/schema.rs\"\n",
    );
    write(&ws.join("pkg/src/schema.rs"), SCHEMA);
}

fn input(ws: &Path, pkg: &str) -> ProjectInput {
    ProjectInput {
        package_dir: ws.join(pkg),
        display_root: ws.to_path_buf(),
        package: "db".into(),
        ..ProjectInput::default()
    }
}

fn run(input: &ProjectInput) -> ProjectReport {
    analyze(input, &|rule: &Rule| rule.default_level)
}

fn source_paths(report: &ProjectReport) -> Vec<PathBuf> {
    report.sources.iter().map(|(_, f)| f.path.clone()).collect()
}

/// Each finding's rule, file and line.
fn findings(report: &ProjectReport) -> Vec<(String, String, usize)> {
    report
        .diagnostics
        .iter()
        .map(|d| {
            let span = &d.primary.span;
            (
                d.rule.to_owned(),
                report.sources.path(span.file).display().to_string(),
                report.sources.line_col(span.file, span.range.start).line,
            )
        })
        .collect()
}

fn errors(report: &ProjectReport) -> Vec<(String, String)> {
    report
        .errors
        .iter()
        .map(|e| (e.path.display().to_string(), e.message.clone()))
        .collect()
}

const SCHEMA: &str = "diesel::table! {\n    users (id) {\n        id -> Int4,\n    }\n}\n";

#[test]
fn a_package_without_diesel_is_not_analysed_and_not_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    fs::create_dir(tmp.path().join("pkg")).unwrap();
    fs::create_dir(tmp.path().join("pkg/migrations")).unwrap();
    let report = run(&input(tmp.path(), "pkg"));
    assert!(!report.analysed);
    assert_eq!(report.errors, vec![]);
    assert_eq!(source_paths(&report), Vec::<PathBuf>::new());
}

#[test]
fn a_workspace_package_with_named_sections_and_a_shared_migrations_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path();
    write(
        &ws.join("crates/db/diesel.toml"),
        r#"
[print_schema.main]
file = "src/schema.rs"

[print_schema.audit]
file = "src/audit.rs"
schema = "audit"

[migrations_directory]
dir = "../../db/migrations"
"#,
    );
    write(&ws.join("crates/db/src/schema.rs"), SCHEMA);
    write(
        &ws.join("crates/db/src/audit.rs"),
        "diesel::table! { events { id -> Int8, } }\n",
    );
    let m = ws.join("db/migrations");
    write(
        &m.join("2017-08-31-230457_b/up.sql"),
        "CREATE TABLE b (id INT);",
    );
    write(
        &m.join("20170102131034_a/up.sql"),
        "CREATE TABLE a (id INT);",
    );
    write(&m.join("20180101000000_bad/up.sql"), b"SELECT '\xff';");
    write(&m.join("20190101000000_no_up/down.sql"), "");
    write(
        &m.join("00000000000000_diesel_initial_setup/up.sql"),
        "CREATE FUNCTION x() RETURNS void AS $$ $$ LANGUAGE sql;",
    );
    let report = run(&input(ws, "crates/db"));
    assert!(report.analysed);
    assert_eq!(
        source_paths(&report),
        vec![
            // schema files first (they are parsed while the migrations replay);
            // [print_schema.audit] sorts before [print_schema.main]
            PathBuf::from("crates/db/src/audit.rs"),
            PathBuf::from("crates/db/src/schema.rs"),
            PathBuf::from("db/migrations/00000000000000_diesel_initial_setup/up.sql"),
            PathBuf::from("db/migrations/20170102131034_a/up.sql"),
            PathBuf::from("db/migrations/2017-08-31-230457_b/up.sql"),
        ]
    );
    assert_eq!(
        report.sources.text(crate::source::FileId(3)),
        "CREATE TABLE a (id INT);"
    );
    assert_eq!(
        errors(&report),
        vec![
            (
                "db/migrations/20190101000000_no_up".to_owned(),
                "`db/migrations/20190101000000_no_up` holds no up.sql, so it is not a migration \
                 (diesel stops with \"unknown migration format\" on it)"
                    .to_owned()
            ),
            (
                "db/migrations/20180101000000_bad/up.sql".to_owned(),
                "`db/migrations/20180101000000_bad/up.sql` is not valid UTF-8 (line 1, column 9)"
                    .to_owned()
            ),
        ]
    );
    // Neither schema file matches the migrations (whose tables have no primary key).
    let found: Vec<(&str, &str)> = report
        .diagnostics
        .iter()
        .map(|d| (d.rule, d.message.as_str()))
        .collect();
    assert_eq!(
        found,
        vec![
            (
                "schema_drift",
                "schema.rs declares table `audit.events`, which the migrations do not create"
            ),
            (
                "schema_drift",
                "schema.rs declares table `users`, which the migrations do not create"
            ),
        ]
    );
}

#[test]
fn overrides_win_over_diesel_toml() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path();
    write(
        &ws.join("pkg/diesel.toml"),
        "[print_schema]\nfile = \"src/schema.rs\"\nschema = \"tenant\"\n\n[migrations_directory]\ndir = \"migrations\"\n",
    );
    write(&ws.join("pkg/src/schema.rs"), "this is not rust");
    write(
        &ws.join("pkg/migrations/20200101000000_x/up.sql"),
        "SELECT 1;",
    );
    write(&ws.join("pkg/src/other_schema.rs"), SCHEMA);
    write(
        &ws.join("pkg/migrations/postgres/20200101000000_y/up.sql"),
        "SELECT 2;",
    );
    let report = run(&ProjectInput {
        migrations: Some(ws.join("pkg/migrations/postgres")),
        schema: Some(ws.join("pkg/src/other_schema.rs")),
        ..input(ws, "pkg")
    });
    assert!(report.analysed);
    assert_eq!(report.errors, vec![]);
    assert_eq!(
        source_paths(&report),
        vec![
            PathBuf::from("pkg/src/other_schema.rs"),
            PathBuf::from("pkg/migrations/postgres/20200101000000_y/up.sql"),
        ]
    );
}

#[test]
fn default_migrations_folder_next_to_diesel_toml() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path();
    schema_package(ws);
    write(
        &ws.join("pkg/migrations/20200101000000_x/up.sql"),
        "SELECT 1;",
    );
    // the workspace-level folder is only the fallback
    write(&ws.join("migrations/20200101000000_ws/up.sql"), "SELECT 1;");
    let report = run(&input(ws, "pkg"));
    assert_eq!(report.errors, vec![]);
    assert_eq!(
        source_paths(&report),
        vec![
            PathBuf::from("pkg/src/schema.rs"),
            PathBuf::from("pkg/migrations/20200101000000_x/up.sql"),
        ]
    );
    fs::remove_dir_all(ws.join("pkg/migrations")).unwrap();
    let report = run(&input(ws, "pkg"));
    assert_eq!(
        source_paths(&report)[1],
        PathBuf::from("migrations/20200101000000_ws/up.sql")
    );
}

#[test]
fn a_broken_diesel_toml_is_an_error_and_nothing_is_analysed() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path();
    write(&ws.join("pkg/diesel.toml"), "[print_schema\nfile = 1\n");
    write(
        &ws.join("pkg/migrations/20200101000000_x/up.sql"),
        "SELECT 1;",
    );
    let report = run(&input(ws, "pkg"));
    assert!(!report.analysed);
    assert_eq!(
        errors(&report),
        vec![(
            "pkg/diesel.toml".to_owned(),
            "invalid `pkg/diesel.toml` at line 1, column 14: unclosed table, expected `]`"
                .to_owned()
        )]
    );
    // an explicit migrations folder is still analysed
    let report = run(&ProjectInput {
        migrations: Some(ws.join("pkg/migrations")),
        ..input(ws, "pkg")
    });
    assert!(report.analysed);
    assert_eq!(report.errors.len(), 1);
}

#[test]
fn a_missing_explicit_diesel_toml_is_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path();
    fs::create_dir(ws.join("pkg")).unwrap();
    let report = run(&ProjectInput {
        diesel_toml: Some(ws.join("pkg/config/diesel.toml")),
        ..input(ws, "pkg")
    });
    assert!(!report.analysed);
    assert_eq!(
        errors(&report),
        vec![(
            "pkg/config/diesel.toml".to_owned(),
            "cannot read `pkg/config/diesel.toml`: No such file or directory (os error 2)"
                .to_owned()
        )]
    );
}

#[test]
fn schema_errors_name_the_file_and_the_rest_is_analysed() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path();
    write(
        &ws.join("pkg/diesel.toml"),
        "[print_schema.a]\nfile = \"src/a.rs\"\n[print_schema.b]\nfile = \"src/b.rs\"\n",
    );
    write(
        &ws.join("pkg/src/a.rs"),
        "diesel::table! {\n    users { id => Int4 }\n}\n",
    );
    write(
        &ws.join("pkg/migrations/20200101000000_x/up.sql"),
        "SELECT 1;",
    );
    let report = run(&input(ws, "pkg"));
    assert!(report.analysed);
    assert_eq!(
        errors(&report),
        vec![
            (
                "pkg/src/a.rs".to_owned(),
                "cannot parse `pkg/src/a.rs` at line 2, column 16: expected `->`".to_owned()
            ),
            (
                "pkg/src/b.rs".to_owned(),
                "schema file `pkg/src/b.rs` named in `pkg/diesel.toml` does not exist".to_owned()
            ),
        ]
    );
    // the file that failed to parse is still loaded (the CLI can show it)
    assert_eq!(
        source_paths(&report),
        vec![
            PathBuf::from("pkg/src/a.rs"),
            PathBuf::from("pkg/migrations/20200101000000_x/up.sql"),
        ]
    );
}

#[test]
fn no_migrations_folder_anywhere() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path();
    schema_package(ws);
    let report = run(&input(ws, "pkg"));
    assert!(report.analysed, "schema.rs alone is analysed");
    assert_eq!(
        errors(&report),
        vec![(
            "pkg/migrations".to_owned(),
            "no migrations directory: `pkg/migrations` does not exist and no \
             `[migrations_directory] dir` is set in diesel.toml"
                .to_owned()
        )]
    );
    let report = run(&ProjectInput {
        migrations: Some(ws.join("pkg/db")),
        ..input(ws, "pkg")
    });
    assert_eq!(
        errors(&report),
        vec![(
            "pkg/db".to_owned(),
            "migrations directory `pkg/db` does not exist".to_owned()
        )]
    );
}

#[test]
fn empty_migrations_and_no_schema_is_not_analysed() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path();
    write(&ws.join("pkg/diesel.toml"), "[print_schema]\n");
    fs::create_dir(ws.join("pkg/migrations")).unwrap();
    let report = run(&input(ws, "pkg"));
    assert!(!report.analysed);
    assert_eq!(
        errors(&report),
        vec![(
            "pkg/migrations".to_owned(),
            "migrations directory `pkg/migrations` holds no migrations (no folder with an up.sql)"
                .to_owned()
        )]
    );
}

#[test]
fn a_migrations_directory_named_in_diesel_toml_that_does_not_exist() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path();
    write(
        &ws.join("pkg/diesel.toml"),
        "[migrations_directory]\ndir = \"db/migrations\"\n",
    );
    let report = run(&input(ws, "pkg"));
    assert!(!report.analysed);
    assert_eq!(
        errors(&report),
        vec![(
            "pkg/db/migrations".to_owned(),
            "migrations directory `pkg/db/migrations` named in `pkg/diesel.toml` does not exist"
                .to_owned()
        )]
    );
}

#[test]
fn non_utf8_sql_names_the_line_and_column() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path();
    write(&ws.join("pkg/diesel.toml"), "");
    write(
        &ws.join("pkg/migrations/20200101000000_x/up.sql"),
        b"-- caf\xc3\xa9\nCREATE TABLE caf\xe9 (id INT);\n",
    );
    let report = run(&input(ws, "pkg"));
    assert_eq!(
        errors(&report),
        vec![(
            "pkg/migrations/20200101000000_x/up.sql".to_owned(),
            "`pkg/migrations/20200101000000_x/up.sql` is not valid UTF-8 (line 2, column 17)"
                .to_owned()
        )]
    );
}

#[cfg(unix)]
#[test]
fn a_diesel_toml_that_is_a_symlink_loop_is_an_error_not_an_absent_file() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path();
    fs::create_dir(ws.join("pkg")).unwrap();
    std::os::unix::fs::symlink("diesel.toml", ws.join("pkg/diesel.toml")).unwrap();
    let report = run(&input(ws, "pkg"));
    assert!(!report.analysed);
    let errors = errors(&report);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].0, "pkg/diesel.toml");
    assert!(
        errors[0].1.starts_with("cannot read `pkg/diesel.toml`: "),
        "{errors:?}"
    );
}

#[test]
fn every_schema_rule_is_asked_for_its_level() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path();
    write(
        &ws.join("pkg/migrations/20200101000000_x/up.sql"),
        "SELECT 1;",
    );
    let asked = RefCell::new(Vec::new());
    let report = analyze(
        &ProjectInput {
            migrations: Some(ws.join("pkg/migrations")),
            ..input(ws, "pkg")
        },
        &|rule: &Rule| {
            asked.borrow_mut().push(rule.name);
            Level::Allow
        },
    );
    assert!(report.analysed);
    let expected: Vec<&str> = RULES
        .iter()
        .filter(|r| matches!(r.check, crate::rule::Check::Schema(_)))
        .map(|r| r.name)
        .collect();
    assert_eq!(asked.into_inner(), expected);
}

#[test]
fn paths_outside_the_display_root_stay_absolute() {
    let tmp = tempfile::tempdir().unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    write(
        &elsewhere.path().join("m/20200101000000_x/up.sql"),
        "SELECT 1;",
    );
    fs::create_dir(tmp.path().join("pkg")).unwrap();
    let report = run(&ProjectInput {
        migrations: Some(elsewhere.path().join("m")),
        ..input(tmp.path(), "pkg")
    });
    assert_eq!(
        source_paths(&report),
        vec![elsewhere.path().join("m/20200101000000_x/up.sql")]
    );
}

#[test]
fn normalize_is_lexical() {
    assert_eq!(
        normalize(Path::new("/a/b/../c/./d")),
        PathBuf::from("/a/c/d")
    );
    assert_eq!(normalize(Path::new("../x")), PathBuf::from("../x"));
}

#[test]
fn migration_rules_read_metadata_and_sql_suppressions() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path();
    let m = ws.join("pkg/migrations");
    write(
        &m.join("2024-01-01-000000_users/up.sql"),
        "CREATE TABLE users (id SERIAL PRIMARY KEY, legacy TEXT);\n",
    );
    write(
        &m.join("2024-01-02-000000_index/up.sql"),
        "CREATE INDEX CONCURRENTLY users_legacy_idx ON users (legacy);\n",
    );
    write(
        &m.join("2024-01-02-000000_index/metadata.toml"),
        "run_in_transaction = false\n",
    );
    write(
        &m.join("2024-01-03-000000_index/up.sql"),
        "CREATE INDEX CONCURRENTLY users_id_legacy_idx ON users (id, legacy);\n",
    );
    write(
        &m.join("2024-01-04-000000_drop/up.sql"),
        "-- dbopt: allow(destructive_change)\nALTER TABLE users DROP COLUMN legacy;\n\
         -- dbopt: allow(destructive_change)\nCREATE TABLE t (a INT);\n",
    );
    let input = ProjectInput {
        migrations: Some(m.clone()),
        ..input(ws, "pkg")
    };
    let report = run(&input);
    assert_eq!(
        findings(&report),
        vec![
            (
                "concurrently_in_transaction".to_owned(),
                "pkg/migrations/2024-01-03-000000_index/up.sql".to_owned(),
                1
            ),
            (
                "unused_suppression".to_owned(),
                "pkg/migrations/2024-01-04-000000_drop/up.sql".to_owned(),
                3
            ),
        ]
    );
    // With destructive_change at `allow` its suppressions are not judged.
    let report = analyze(&input, &|rule: &Rule| match rule.name {
        "destructive_change" => Level::Allow,
        _ => rule.default_level,
    });
    assert_eq!(findings(&report).len(), 1, "{:?}", findings(&report));
}

#[test]
fn reading_on_threads_gives_what_reading_on_one_gives() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path();
    schema_package(ws);
    let m = ws.join("pkg/migrations");
    // more migrations than `threads::FEW`, so that threads are used
    for i in 0..150_usize {
        let up = m.join(format!("2020010100{i:04}_step/up.sql"));
        match i % 10 {
            // unreadable and unparsable files among the rest keep their place
            3 => write(&up, b"SELECT '\xff';"),
            7 => write(&up, format!("CREATE TABLE t{i} (id INT PRIMARY KEY, oops;")),
            _ => write(
                &up,
                format!(
                    "CREATE TABLE t{i} (id INT PRIMARY KEY, parent INT REFERENCES t{} (id));\n\
                     CREATE INDEX CONCURRENTLY t{i}_idx ON t{i} (id);",
                    i.saturating_sub(1)
                ),
            ),
        }
    }
    let summary = |threads: usize, side_by_side: Option<crate::threads::LargeTurn>| {
        let report = run(&ProjectInput {
            threads,
            side_by_side,
            ..input(ws, "pkg")
        });
        (source_paths(&report), errors(&report), findings(&report))
    };
    let one = summary(1, None);
    assert_eq!(one.0.len(), 136, "schema.rs and 135 readable migrations");
    assert_eq!(one.1.len(), 15, "{:?}", one.1);
    assert!(one.2.iter().any(|f| f.0 == "unparsed_statement"));
    assert!(one.2.iter().any(|f| f.0 == "concurrently_in_transaction"));
    for threads in [2, 3, 8] {
        assert_eq!(summary(threads, None), one, "{threads} threads");
    }
    // Beside other packages, on the threads they share.
    let turn = crate::threads::LargeTurn::default();
    let (a, b) = crate::threads::beside(
        "test",
        || summary(2, Some(turn.clone())),
        || summary(2, Some(turn.clone())),
    );
    assert_eq!((a, b), (one.clone(), one));
}
