//! Bad input end to end (issue 2 §8): a workspace whose packages each hold one kind of broken
//! input beside one good package. Each problem gets one message naming its path (relative to
//! the workspace root), nothing panics, and the good package is still analysed. Unix only:
//! one case is a symlink loop.
#![cfg(unix)]

use std::path::Path;
use std::process::Output;

const GOOD_SQL: &str = "CREATE TABLE users (id INT PRIMARY KEY);
CREATE TABLE posts (
    id INT PRIMARY KEY,
    user_id INT NOT NULL REFERENCES users (id)
);
";

/// How a package opts in to dbopt without depending on diesel (nothing to download).
enum OptIn {
    /// `[package.metadata.dbopt]` with `backend = "postgres"`.
    Backend,
    /// An empty `[package.metadata.dbopt]` table.
    EmptyTable,
}

fn write(path: &Path, bytes: &[u8]) {
    std::fs::create_dir_all(path.parent().expect("a parent")).expect("create dirs");
    std::fs::write(path, bytes).expect("write");
}

/// A member `name` of the workspace at `root` holding `files` (paths relative to it).
fn package(root: &Path, name: &str, opt_in: OptIn, files: &[(&str, &[u8])]) {
    let dir = root.join(name);
    let metadata = match opt_in {
        OptIn::Backend => "backend = \"postgres\"\n",
        OptIn::EmptyTable => "",
    };
    let manifest = format!(
        "[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n\
         [package.metadata.dbopt]\n{metadata}"
    );
    write(&dir.join("Cargo.toml"), manifest.as_bytes());
    write(&dir.join("src/lib.rs"), b"");
    for (path, bytes) in files {
        write(&dir.join(path), bytes);
    }
}

fn workspace(root: &Path, members: &[&str]) {
    let members: Vec<String> = members.iter().map(|m| format!("\"{m}\"")).collect();
    let manifest = format!(
        "[workspace]\nresolver = \"2\"\nmembers = [{}]\n",
        members.join(", ")
    );
    write(&root.join("Cargo.toml"), manifest.as_bytes());
}

const DIESEL_TOML: (&str, &[u8]) = (
    "diesel.toml",
    b"[migrations_directory]\ndir = \"migrations\"\n",
);

fn good(root: &Path) {
    package(
        root,
        "good",
        OptIn::Backend,
        &[
            DIESEL_TOML,
            (
                "migrations/2024-01-01-000000_create/up.sql",
                GOOD_SQL.as_bytes(),
            ),
        ],
    );
}

fn not_utf8(root: &Path) {
    package(
        root,
        "not_utf8",
        OptIn::Backend,
        &[
            DIESEL_TOML,
            (
                "migrations/2024-01-01-000000_create/up.sql",
                b"-- caf\xc3\xa9 is fine here\nCREATE TABLE caf\xe9 (id INT PRIMARY KEY);\n",
            ),
        ],
    );
}

fn bad_toml(root: &Path) {
    package(
        root,
        "bad_toml",
        OptIn::EmptyTable,
        &[
            ("diesel.toml", b"[print_schema\nfile = \"src/schema.rs\"\n"),
            (
                "migrations/2024-01-01-000000_create/up.sql",
                GOOD_SQL.as_bytes(),
            ),
        ],
    );
}

/// The bad cases beside the good package; returns the member names.
fn mixed_workspace(root: &Path) -> Vec<&'static str> {
    good(root);
    not_utf8(root);
    bad_toml(root);
    package(root, "empty_migrations", OptIn::Backend, &[DIESEL_TOML]);
    std::fs::create_dir_all(root.join("empty_migrations/migrations")).expect("mkdir");
    package(
        root,
        "missing_migrations",
        OptIn::Backend,
        &[(
            "diesel.toml",
            b"[migrations_directory]\ndir = \"db/migrations\"\n",
        )],
    );
    package(
        root,
        "missing_schema",
        OptIn::Backend,
        &[
            (
                "diesel.toml",
                b"[print_schema]\nfile = \"src/schema.rs\"\n\n[migrations_directory]\ndir = \"migrations\"\n",
            ),
            (
                "migrations/2024-01-01-000000_create/up.sql",
                b"CREATE TABLE t (id INT PRIMARY KEY);\n",
            ),
        ],
    );
    package(
        root,
        "no_up_sql",
        OptIn::EmptyTable,
        &[
            DIESEL_TOML,
            (
                "migrations/2024-01-01-000000_create/down.sql",
                b"DROP TABLE t;\n",
            ),
        ],
    );
    package(root, "symlink_loop", OptIn::Backend, &[DIESEL_TOML]);
    let migrations = root.join("symlink_loop/migrations");
    std::fs::create_dir_all(&migrations).expect("mkdir");
    std::os::unix::fs::symlink(
        "2024-01-01-000000_loop",
        migrations.join("2024-01-01-000000_loop"),
    )
    .expect("symlink");
    package(
        root,
        "dollar_quote",
        OptIn::Backend,
        &[
            DIESEL_TOML,
            (
                "migrations/2024-01-01-000000_create/up.sql",
                b"CREATE TABLE t (id INT PRIMARY KEY);\n\
                  CREATE FUNCTION f() RETURNS int AS $$\nBEGIN\n  RETURN 1;\nEND;\n",
            ),
        ],
    );
    // Sorted: cargo lists the members, and dbopt reports them, in the manifest's order.
    let members = vec![
        "bad_toml",
        "dollar_quote",
        "empty_migrations",
        "good",
        "missing_migrations",
        "missing_schema",
        "no_up_sql",
        "not_utf8",
        "symlink_loop",
    ];
    workspace(root, &members);
    members
}

fn dbopt(root: &Path, args: &[&str]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_cargo-dbopt"))
        .arg("dbopt")
        .arg("--manifest-path")
        .arg(root.join("Cargo.toml"))
        .args(args)
        .current_dir(root)
        .env_remove("CLICOLOR_FORCE")
        .env_remove("NO_COLOR")
        .output()
        .expect("the binary runs")
}

/// The text with the temp dir replaced by `[ROOT]` and the OS error number by `N` (ELOOP is
/// 40 on Linux, 62 on macOS).
fn normalised(text: &[u8], root: &Path) -> String {
    let mut text = String::from_utf8_lossy(text).into_owned();
    for root in [root.to_path_buf(), root.canonicalize().expect("canonical")] {
        text = text.replace(root.to_string_lossy().as_ref(), "[ROOT]");
    }
    numbers_after(&text, "(os error ")
}

/// `text` with the number after each `marker` replaced by `N`.
fn numbers_after(text: &str, marker: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find(marker) {
        out.push_str(&rest[..i + marker.len()]);
        rest = rest[i + marker.len()..].trim_start_matches(|c: char| c.is_ascii_digit());
        out.push('N');
    }
    out.push_str(rest);
    out
}

fn json(out: &Output) -> serde_json::Value {
    assert!(
        out.stderr.is_empty(),
        "json mode keeps stderr empty: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("stdout is one JSON document")
}

fn errors(doc: &serde_json::Value, root: &Path) -> Vec<(String, String)> {
    doc["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| {
            let text =
                |v: &serde_json::Value| normalised(v.as_str().expect("a string").as_bytes(), root);
            (text(&e["path"]), text(&e["message"]))
        })
        .collect()
}

fn findings(doc: &serde_json::Value) -> Vec<(String, String, String, u64)> {
    doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["package"].as_str().expect("package").to_owned(),
                f["rule"].as_str().expect("rule").to_owned(),
                f["file"].as_str().expect("file").to_owned(),
                f["line"].as_u64().expect("line"),
            )
        })
        .collect()
}

fn pair(path: &str, message: &str) -> (String, String) {
    (path.to_owned(), message.to_owned())
}

#[test]
fn each_bad_input_gets_one_message_and_the_good_package_is_still_analysed() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let root = tmp.path();
    mixed_workspace(root);

    let out = dbopt(root, &["--workspace", "--format", "json"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "the good package has a deny finding"
    );
    let doc = json(&out);
    assert_eq!(
        errors(&doc, root),
        vec![
            pair(
                "bad_toml/diesel.toml",
                "invalid `bad_toml/diesel.toml` at line 1, column 14: unclosed table, expected `]`",
            ),
            pair(
                "empty_migrations/migrations",
                "migrations directory `empty_migrations/migrations` holds no migrations \
                 (no folder with an up.sql)",
            ),
            pair(
                "missing_migrations/db/migrations",
                "migrations directory `missing_migrations/db/migrations` named in \
                 `missing_migrations/diesel.toml` does not exist",
            ),
            pair(
                "missing_schema/src/schema.rs",
                "schema file `missing_schema/src/schema.rs` named in `missing_schema/diesel.toml` \
                 does not exist",
            ),
            pair(
                "no_up_sql/migrations/2024-01-01-000000_create",
                "`no_up_sql/migrations/2024-01-01-000000_create` holds no up.sql, so it is not a \
                 migration (diesel stops with \"unknown migration format\" on it)",
            ),
            pair(
                "not_utf8/migrations/2024-01-01-000000_create/up.sql",
                "`not_utf8/migrations/2024-01-01-000000_create/up.sql` is not valid UTF-8 \
                 (line 2, column 17)",
            ),
            pair(
                "symlink_loop/migrations/2024-01-01-000000_loop",
                "cannot read `symlink_loop/migrations/2024-01-01-000000_loop`: Too many levels of \
                 symbolic links (os error N)",
            ),
        ]
    );
    assert_eq!(
        findings(&doc),
        vec![
            (
                "dollar_quote".to_owned(),
                "unparsed_statement".to_owned(),
                "dollar_quote/migrations/2024-01-01-000000_create/up.sql".to_owned(),
                2
            ),
            (
                "good".to_owned(),
                "fk_without_index".to_owned(),
                "good/migrations/2024-01-01-000000_create/up.sql".to_owned(),
                4
            ),
        ]
    );
    assert_eq!(
        doc["findings"][0]["message"], "statement could not be parsed",
        "the unterminated dollar quote is reported as the statement it starts"
    );
    assert_eq!(
        doc["summary"],
        serde_json::json!({"deny": 1, "warn": 1, "old_migration_findings": 0})
    );

    let out = dbopt(root, &["--workspace", "--color", "never"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty(), "human output goes to stderr");
    let text = normalised(&out.stderr, root);
    assert!(!text.contains("[ROOT]"), "paths are relative:\n{text}");
    assert!(!text.contains("panicked"), "{text}");
    insta::assert_snapshot!(text);
}

#[test]
fn a_workspace_where_every_package_is_broken_exits_2() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let root = tmp.path();
    not_utf8(root);
    bad_toml(root);
    // Opted in, but neither a diesel.toml nor a migrations folder is anywhere.
    package(root, "no_diesel_toml", OptIn::Backend, &[]);
    workspace(root, &["bad_toml", "no_diesel_toml", "not_utf8"]);
    // The source scan analyses a package's code even when its schema side is broken: for
    // nothing at all to be analysed, the code must be broken too (a file that names a
    // connection and does not parse, or is not UTF-8).
    write(
        &root.join("bad_toml/src/lib.rs"),
        b"pub fn f(conn: &mut PgConnection {}\n",
    );
    write(
        &root.join("no_diesel_toml/src/lib.rs"),
        b"// caf\xe9\npub fn f(conn: &mut PgConnection) {}\n",
    );
    write(
        &root.join("not_utf8/src/lib.rs"),
        b"pub fn f(pool: &Pool) { let s = \"unterminated; }\n",
    );

    let out = dbopt(root, &["--workspace", "--format", "json"]);
    assert_eq!(out.status.code(), Some(2));
    let doc = json(&out);
    assert_eq!(findings(&doc), vec![]);
    assert_eq!(
        errors(&doc, root),
        vec![
            pair(
                "bad_toml/diesel.toml",
                "invalid `bad_toml/diesel.toml` at line 1, column 14: unclosed table, expected `]`",
            ),
            pair(
                "bad_toml/src/lib.rs",
                "cannot parse `bad_toml/src/lib.rs` (line 1, column 9): unbalanced delimiters, \
                 or an unterminated string or comment; its fns were not checked",
            ),
            pair(
                "no_diesel_toml/src/lib.rs",
                "`no_diesel_toml/src/lib.rs` is not valid UTF-8 (line 1, column 7); its fns were \
                 not checked",
            ),
            pair(
                "not_utf8/migrations/2024-01-01-000000_create/up.sql",
                "`not_utf8/migrations/2024-01-01-000000_create/up.sql` is not valid UTF-8 \
                 (line 2, column 17)",
            ),
            pair(
                "not_utf8/src/lib.rs",
                "cannot parse `not_utf8/src/lib.rs` (line 1, column 33): unbalanced delimiters, \
                 or an unterminated string or comment; its fns were not checked",
            ),
        ]
    );

    let out = dbopt(root, &["--workspace", "--color", "never"]);
    assert_eq!(out.status.code(), Some(2));
    insta::assert_snapshot!(normalised(&out.stderr, root));
}

/// A path named on the command line that is missing or cannot be read is a usage error,
/// exit 2 before anything is analysed (issue 19 §7): the user asked for those migrations to
/// be checked, and a warning beside exit 0 left them unchecked.
#[test]
fn command_line_paths_that_cannot_be_read_are_usage_errors() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let root = tmp.path();
    good(root);
    workspace(root, &["good"]);
    let fifo = root.join("fifo.toml");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo");
    assert!(made.success());
    for (flag, path, why) in [
        (
            "--diesel-toml",
            "missing.toml",
            "No such file or directory (os error N)",
        ),
        (
            "--diesel-toml",
            "fifo.toml",
            "not a regular file (a FIFO, socket or device); not read",
        ),
        (
            "--migrations",
            "missing",
            "No such file or directory (os error N)",
        ),
        ("--migrations", "Cargo.toml", "it is not a folder"),
        (
            "--schema",
            "missing.rs",
            "No such file or directory (os error N)",
        ),
        ("--schema", "good", "it is a folder, not a file"),
    ] {
        let given = root.join(path);
        let out = dbopt(root, &["--workspace", flag, given.to_str().expect("UTF-8")]);
        assert_eq!(out.status.code(), Some(2), "{flag} {path}");
        assert_eq!(
            normalised(&out.stderr, root),
            format!("error: cannot read `[ROOT]/{path}` given by {flag}: {why}\n"),
        );
        assert!(out.stdout.is_empty());
    }
}

/// A TOML error in a member's manifest names the member's manifest, with cargo's line and
/// column, not the workspace root manifest given by --manifest-path (issue 19 §8).
#[test]
fn a_toml_error_in_a_member_manifest_names_that_manifest() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let root = tmp.path();
    good(root);
    write(
        &root.join("broken/Cargo.toml"),
        b"[package]\nname = \"broken\"\nversion = 1\n",
    );
    write(&root.join("broken/src/lib.rs"), b"");
    workspace(root, &["broken", "good"]);
    let out = dbopt(root, &["--workspace"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        normalised(&out.stderr, root),
        "error: invalid manifest [ROOT]/broken/Cargo.toml: invalid type: integer `1`, \
         expected SemVer version (line 3, column 11)\n"
    );
}
