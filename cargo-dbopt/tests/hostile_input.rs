//! Hostile input end to end (issue 7 §2), beside `bad_input.rs`: deep SQL, unterminated
//! strings, symlink loops in and as the migrations folder, an `up.sql` that is a folder, a
//! dangling symlink or a FIFO (which must not hang), non-UTF-8 diesel.toml and schema.rs, a
//! schema.rs that does not parse or nests absurdly, diesel.toml pointing outside the
//! workspace, and a 50 MB migration. Each problem is one message naming its file, every
//! other package is still analysed, and exit 2 only when nothing could be. Unix only
//! (symlinks, FIFOs, permissions).
#![cfg(unix)]

#[path = "support/workspace.rs"]
mod support;

use std::path::Path;

use support::*;

const CREATE: &str = "migrations/2024-01-01-000000_create/up.sql";

fn up_sql(root: &Path, name: &str, sql: &[u8]) {
    package(root, name, &[DIESEL_TOML, (CREATE, sql)]);
}

/// One member per hostile input, beside `good`; returns the member names.
fn hostile_workspace(root: &Path) -> Vec<&'static str> {
    up_sql(root, "good", GOOD_SQL.as_bytes());

    // 100,000 nested parentheses (200,000 tokens): above the statement bound, then replay goes on.
    let nested = format!("{}1{}", "(".repeat(100_000), ")".repeat(100_000));
    let deep = format!(
        "CREATE TABLE a (id INT PRIMARY KEY);\nSELECT {nested};\n\
         CREATE TABLE b (id INT PRIMARY KEY, a_id INT REFERENCES a (id));\n"
    );
    up_sql(root, "deep_sql", deep.as_bytes());
    up_sql(
        root,
        "unterminated_string",
        b"CREATE TABLE t (id INT PRIMARY KEY);\nINSERT INTO t VALUES ('open);\n",
    );

    // A migrations folder holding symlinks to itself and to its parent, beside a migration.
    up_sql(root, "loop_inside", GOOD_SQL.as_bytes());
    let migrations = root.join("loop_inside/migrations");
    std::os::unix::fs::symlink("..", migrations.join("parent")).expect("symlink");
    std::os::unix::fs::symlink(".", migrations.join("self")).expect("symlink");
    // The migrations folder itself a symlink to itself.
    package(root, "loop_as_dir", &[DIESEL_TOML]);
    std::os::unix::fs::symlink("migrations", root.join("loop_as_dir/migrations")).expect("symlink");

    // up.sql a folder, a dangling symlink, a FIFO.
    package(root, "up_sql_folder", &[DIESEL_TOML]);
    std::fs::create_dir_all(root.join("up_sql_folder").join(CREATE)).expect("mkdir");
    package(root, "up_sql_dangling", &[DIESEL_TOML]);
    let dangling = root.join("up_sql_dangling").join(CREATE);
    std::fs::create_dir_all(dangling.parent().expect("parent")).expect("mkdir");
    std::os::unix::fs::symlink("gone.sql", &dangling).expect("symlink");
    package(root, "up_sql_fifo", &[DIESEL_TOML]);
    let fifo = root.join("up_sql_fifo").join(CREATE);
    std::fs::create_dir_all(fifo.parent().expect("parent")).expect("mkdir");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo");
    assert!(made.success());

    // Not UTF-8: diesel.toml; schema.rs (the migrations are still analysed).
    package(
        root,
        "toml_not_utf8",
        &[
            (
                "diesel.toml",
                b"[migrations_directory]\ndir = \"migr\xe9\"\n",
            ),
            (CREATE, GOOD_SQL.as_bytes()),
        ],
    );
    const WITH_SCHEMA: (&str, &[u8]) = (
        "diesel.toml",
        b"[print_schema]\nfile = \"src/schema.rs\"\n\n[migrations_directory]\ndir = \"migrations\"\n",
    );
    package(
        root,
        "schema_not_utf8",
        &[
            WITH_SCHEMA,
            (CREATE, GOOD_SQL.as_bytes()),
            (
                "src/schema.rs",
                b"// \xff\ndiesel::table! { users (id) { id -> Int4, } }\n",
            ),
        ],
    );
    package(
        root,
        "schema_unparsable",
        &[
            WITH_SCHEMA,
            (CREATE, GOOD_SQL.as_bytes()),
            (
                "src/schema.rs",
                b"diesel::table! {\n    users (id) {\n        id -> ,\n    }\n}\n",
            ),
        ],
    );
    let deep_type = format!(
        "diesel::table! {{\n    users (id) {{\n        id -> {}Int4{},\n    }}\n}}\n",
        "Nullable<".repeat(100_000),
        ">".repeat(100_000)
    );
    package(
        root,
        "schema_deep",
        &[
            WITH_SCHEMA,
            (CREATE, GOOD_SQL.as_bytes()),
            ("src/schema.rs", deep_type.as_bytes()),
        ],
    );

    let members = vec![
        "deep_sql",
        "good",
        "loop_as_dir",
        "loop_inside",
        "schema_deep",
        "schema_not_utf8",
        "schema_unparsable",
        "toml_not_utf8",
        "unterminated_string",
        "up_sql_dangling",
        "up_sql_fifo",
        "up_sql_folder",
    ];
    workspace(root, &members);
    members
}

fn finding(package: &str, rule: &str, line: u64) -> (String, String, String, u64) {
    (
        package.to_owned(),
        rule.to_owned(),
        format!("{package}/{CREATE}"),
        line,
    )
}

#[test]
fn each_hostile_input_gets_one_message_and_the_rest_is_analysed() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let root = tmp.path();
    hostile_workspace(root);

    let out = dbopt(root, &["--workspace", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "deny findings, no tool failure");
    let doc = json(&out);
    let no_up_sql = |dir: &str| {
        pair(
            dir,
            &format!(
                "`{dir}` holds no up.sql, so it is not a migration (diesel stops with \
                 \"unknown migration format\" on it)"
            ),
        )
    };
    let up = |package: &str| format!("{package}/{CREATE}");
    assert_eq!(
        errors(&doc, root),
        vec![
            pair(
                "loop_as_dir/migrations",
                "cannot read `loop_as_dir/migrations`: Too many levels of symbolic links \
                 (os error N)",
            ),
            no_up_sql("loop_inside/migrations/parent"),
            no_up_sql("loop_inside/migrations/self"),
            pair(
                "schema_deep/src/schema.rs",
                "cannot parse `schema_deep/src/schema.rs` at line 3, column 158: nesting deeper \
                 than 64 levels is not read",
            ),
            pair(
                "schema_not_utf8/src/schema.rs",
                "`schema_not_utf8/src/schema.rs` is not valid UTF-8 (line 1, column 4)",
            ),
            pair(
                "schema_unparsable/src/schema.rs",
                "cannot parse `schema_unparsable/src/schema.rs` at line 3, column 15: expected \
                 identifier",
            ),
            pair(
                "toml_not_utf8/diesel.toml",
                "`toml_not_utf8/diesel.toml` is not valid UTF-8",
            ),
            pair(
                &up("up_sql_dangling"),
                &format!(
                    "`{}` is a symlink to `gone.sql`, which does not exist",
                    up("up_sql_dangling")
                ),
            ),
            pair(
                &up("up_sql_fifo"),
                &format!(
                    "cannot read `{}`: not a regular file (a FIFO, socket or device); not read",
                    up("up_sql_fifo")
                ),
            ),
            pair(
                &up("up_sql_folder"),
                &format!(
                    "cannot read `{}`: it is a folder, not a file",
                    up("up_sql_folder")
                ),
            ),
        ]
    );
    assert_eq!(
        findings(&doc),
        vec![
            finding("deep_sql", "unparsed_statement", 2),
            // Replay went on after the statement sqlparser gave up on.
            finding("deep_sql", "fk_without_index", 3),
            finding("good", "fk_without_index", 4),
            finding("loop_inside", "fk_without_index", 4),
            finding("schema_deep", "fk_without_index", 4),
            finding("schema_not_utf8", "fk_without_index", 4),
            finding("schema_unparsable", "fk_without_index", 4),
            finding("unterminated_string", "unparsed_statement", 2),
        ]
    );

    let out = dbopt(root, &["--workspace", "--color", "never"]);
    assert_eq!(out.status.code(), Some(1));
    let text = normalised(&out.stderr, root);
    assert!(!text.contains("[ROOT]"), "paths are relative:\n{text}");
    assert!(!text.contains("panicked"), "{text}");
    insta::assert_snapshot!(text);
}

/// Only broken packages: exit 2, each problem an error, and the closing line names them.
#[test]
fn a_workspace_of_hostile_packages_only_exits_2() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let root = tmp.path();
    hostile_workspace(root);
    workspace(
        root,
        &[
            "loop_as_dir",
            "toml_not_utf8",
            "up_sql_fifo",
            "up_sql_folder",
        ],
    );
    // The source scan analyses a package's code even when its schema side is broken: for
    // nothing at all to be analysed, the code must be broken too.
    for package in [
        "loop_as_dir",
        "toml_not_utf8",
        "up_sql_fifo",
        "up_sql_folder",
    ] {
        std::fs::write(
            root.join(package).join("src/lib.rs"),
            "pub fn f(conn: &mut PgConnection {}\n",
        )
        .expect("write");
    }
    let out = dbopt(root, &["--workspace", "--color", "never"]);
    assert_eq!(out.status.code(), Some(2));
    insta::assert_snapshot!(normalised(&out.stderr, root));
}

/// A diesel.toml may name a migrations folder outside the workspace, relatively or by an
/// absolute path: it is read (diesel would run it) and its files are shown by their full
/// path, so nobody takes them for the workspace's. `--fix` refuses to write there.
#[test]
fn migrations_outside_the_workspace_are_read_shown_in_full_and_never_written() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let root = tmp.path().join("ws");
    let elsewhere = tmp.path().join("elsewhere");
    write(
        &elsewhere.join("2024-01-01-000000_create/up.sql"),
        GOOD_SQL.as_bytes(),
    );
    package(
        &root,
        "relative",
        &[(
            "diesel.toml",
            b"[migrations_directory]\ndir = \"../../elsewhere\"\n",
        )],
    );
    let absolute = format!(
        "[migrations_directory]\ndir = \"{}\"\n",
        elsewhere.display()
    );
    package(&root, "absolute", &[("diesel.toml", absolute.as_bytes())]);
    workspace(&root, &["absolute", "relative"]);
    let dirs = [(root.as_path(), "[ROOT]"), (tmp.path(), "[TMP]")];

    let out = dbopt(&root, &["--workspace", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let doc = json(&out);
    assert_eq!(errors(&doc, &root), vec![]);
    let files: Vec<(String, String)> = doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            let file = f["file"].as_str().expect("file");
            (
                f["package"].as_str().expect("package").to_owned(),
                normalised_with(file.as_bytes(), &dirs),
            )
        })
        .collect();
    let up = "[TMP]/elsewhere/2024-01-01-000000_create/up.sql".to_owned();
    assert_eq!(
        files,
        vec![
            ("absolute".to_owned(), up.clone()),
            ("relative".to_owned(), up)
        ]
    );

    let before = std::fs::read_dir(&elsewhere).expect("read_dir").count();
    let out = dbopt(&root, &["--workspace", "--fix", "--color", "never"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        normalised_with(&out.stderr, &dirs),
        "error: --fix writes only inside the workspace, and the migrations folder \
         [TMP]/elsewhere lies outside [ROOT]; nothing was written (each finding's help shows \
         the index to add)\n"
    );
    assert_eq!(
        std::fs::read_dir(&elsewhere).expect("read_dir").count(),
        before
    );
}

/// cargo itself cannot load a workspace whose member manifest is not UTF-8: nothing can
/// be analysed, exit 2, and cargo's message names the file.
#[test]
fn a_member_manifest_that_is_not_utf8_is_exit_2_naming_it() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let root = tmp.path();
    up_sql(root, "good", GOOD_SQL.as_bytes());
    package(root, "latin1", &[]);
    write(
        &root.join("latin1/Cargo.toml"),
        b"[package]\nname = \"latin1\"\nversion = \"0.1.0\"\ndescription = \"caf\xe9\"\n",
    );
    workspace(root, &["good", "latin1"]);
    let out = dbopt(root, &["--workspace", "--color", "never"]);
    assert_eq!(out.status.code(), Some(2));
    let text = normalised(&out.stderr, root);
    assert!(text.starts_with("error: "), "{text}");
    assert!(text.contains("[ROOT]/latin1/Cargo.toml"), "{text}");
    assert!(!text.contains("panicked"), "{text}");
}

/// A file the user may not read. Root reads through `chmod 000`, so the case only runs
/// where the permission holds (the test checks rather than asks who it runs as).
#[test]
fn an_unreadable_up_sql_is_named() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().expect("temp dir");
    let root = tmp.path();
    up_sql(root, "good", GOOD_SQL.as_bytes());
    up_sql(root, "locked", GOOD_SQL.as_bytes());
    workspace(root, &["good", "locked"]);
    let locked = root.join("locked").join(CREATE);
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).expect("chmod");
    if std::fs::read(&locked).is_ok() {
        return; // root (or CAP_DAC_OVERRIDE) reads it anyway: nothing to test here
    }
    let out = dbopt(root, &["--workspace", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let doc = json(&out);
    let shown = format!("locked/{CREATE}");
    assert_eq!(
        errors(&doc, root),
        vec![pair(
            &shown,
            &format!("cannot read `{shown}`: Permission denied (os error N)")
        )]
    );
    assert_eq!(findings(&doc), vec![finding("good", "fk_without_index", 4)]);
}

/// A 50 MB migration of ordinary statements: 300,000 lines of inserts between tables, every
/// tenth table's foreign key left without an index. It completes (no time is asserted:
/// speed lives in the benchmarks) with exactly the findings the generator planted.
#[test]
fn a_50_mb_migration_is_analysed() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let root = tmp.path();
    let mut sql = String::from("CREATE TABLE users (id BIGINT PRIMARY KEY, name TEXT NOT NULL);\n");
    let mut expected = Vec::new();
    let mut line = 1;
    for i in 0..300_000u64 {
        if i % 3_000 == 0 {
            let t = i / 3_000;
            sql.push_str(&format!(
                "CREATE TABLE t{t} (id BIGINT PRIMARY KEY, user_id BIGINT NOT NULL REFERENCES \
                 users (id), payload TEXT);\n"
            ));
            line += 1;
            if t % 10 == 0 {
                expected.push(finding("big", "fk_without_index", line));
            } else {
                sql.push_str(&format!("CREATE INDEX t{t}_user_id ON t{t} (user_id);\n"));
                line += 1;
            }
        }
        sql.push_str(&format!(
            "INSERT INTO users (id, name) VALUES ({i}, 'user number {i} with a name long \
             enough to look like real seed data, padded: {:0>60}');\n",
            i * 7919
        ));
        line += 1;
    }
    assert!(sql.len() > 50_000_000, "{}", sql.len());
    up_sql(root, "big", sql.as_bytes());
    drop(sql);
    workspace(root, &["big"]);
    let out = dbopt_within(
        root,
        &["--format", "json"],
        std::time::Duration::from_secs(900),
    );
    assert_eq!(out.status.code(), Some(1));
    let doc = json(&out);
    assert_eq!(errors(&doc, root), vec![]);
    assert_eq!(expected.len(), 10);
    assert_eq!(findings(&doc), expected);
}

/// A Rust file is read like every other file (issue 19 §1): a FIFO, and symlinks to
/// `/dev/zero` and `/dev/stdin`, are each one error naming the file, without waiting for a
/// writer or reading forever; the package's other files and its migrations are still
/// analysed.
#[test]
fn rust_files_that_are_fifos_or_devices_are_refused_not_read() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let root = tmp.path();
    up_sql(root, "devices", GOOD_SQL.as_bytes());
    write(
        &root.join("devices/src/lib.rs"),
        b"pub fn f(conn: &mut PgConnection, ids: &[i32]) {\n    for id in ids {\n        \
          users.find(id).first::<User>(conn);\n    }\n}\n",
    );
    for fifo in ["devices/src/db.rs", "devices/src/schema.rs"] {
        let made = std::process::Command::new("mkfifo")
            .arg(root.join(fifo))
            .status()
            .expect("mkfifo");
        assert!(made.success());
    }
    std::os::unix::fs::symlink("/dev/zero", root.join("devices/src/zero.rs")).expect("symlink");
    std::os::unix::fs::symlink("/dev/stdin", root.join("devices/src/stdin.rs")).expect("symlink");
    workspace(root, &["devices"]);

    let out = dbopt(root, &["--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let doc = json(&out);
    let refused = |file: &str| {
        pair(
            file,
            &format!(
                "cannot read `{file}`: not a regular file (a FIFO, socket or device); not read"
            ),
        )
    };
    assert_eq!(
        errors(&doc, root),
        vec![
            refused("devices/src/db.rs"),
            refused("devices/src/schema.rs"),
            refused("devices/src/stdin.rs"),
            refused("devices/src/zero.rs"),
        ]
    );
    assert_eq!(
        findings(&doc),
        vec![
            finding("devices", "fk_without_index", 4),
            (
                "devices".to_owned(),
                "n_plus_one".to_owned(),
                "devices/src/lib.rs".to_owned(),
                3
            ),
        ]
    );
}

/// A quoted SQL name and a migration folder name holding a newline and a carriage return:
/// human output writes them escaped, so no stderr line starts with what followed the newline
/// (here a GitHub Actions command) and nothing is overwritten (issue 19 §9).
#[test]
fn control_characters_from_migrations_are_escaped_in_human_output() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let root = tmp.path();
    let sql = "CREATE TABLE \"us\n::error file=a::ers\" (id INT PRIMARY KEY);\n\
               CREATE TABLE posts (id INT PRIMARY KEY, user_id INT REFERENCES \"us\n::error \
               file=a::ers\" (id));\n";
    up_sql(root, "odd", sql.as_bytes());
    write(
        &root.join("odd/migrations/2024-01-02-000000_x\n::error file=b::\ry/up.sql"),
        b"CREATE TABLE c (id INT PRIMARY KEY, p INT REFERENCES posts (id));\n",
    );
    workspace(root, &["odd"]);
    let out = dbopt(root, &["--color", "never"]);
    assert_eq!(out.status.code(), Some(1));
    let text = normalised(&out.stderr, root);
    assert!(!text.contains('\r'), "{text:?}");
    assert!(
        text.lines().all(|l| !l.starts_with("::")),
        "a line starts a workflow command:\n{text}"
    );
    insta::assert_snapshot!(text);
}

/// 2,000 nested folders under `src/`, two Rust files in each (the deepest path close to
/// Linux's 4,096-byte limit): every folder and file is identified by one `stat`, not by
/// canonicalizing its path, which cost the walk the cube of the depth (issue 19 §11: three
/// minutes here; about three seconds now). The deepest file is found and analysed. The
/// support's hang guard (two minutes) is what fails the old walk; no time is asserted.
#[test]
fn a_deep_source_tree_is_walked_without_canonicalizing_each_folder() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let root = tmp.path();
    up_sql(root, "deep", GOOD_SQL.as_bytes());
    let mut dir = root.join("deep/src");
    let mut rel = String::from("deep/src");
    for _ in 0..2_000 {
        dir.push("a");
        rel.push_str("/a");
    }
    std::fs::create_dir_all(&dir).expect("mkdir");
    let mut level = dir.clone();
    while level != root.join("deep/src") {
        std::fs::write(level.join("b.rs"), "").expect("write");
        std::fs::write(level.join("c.rs"), "").expect("write");
        level.pop();
    }
    std::fs::write(
        dir.join("b.rs"),
        "pub fn f(conn: &mut PgConnection, ids: &[i32]) {\n    for id in ids {\n        \
         users.find(id).first::<User>(conn);\n    }\n}\n",
    )
    .expect("write");
    workspace(root, &["deep"]);
    let out = dbopt(root, &["--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let doc = json(&out);
    assert_eq!(errors(&doc, root), vec![]);
    assert_eq!(
        findings(&doc),
        vec![
            finding("deep", "fk_without_index", 4),
            (
                "deep".to_owned(),
                "n_plus_one".to_owned(),
                format!("{rel}/b.rs"),
                3
            ),
        ]
    );
}

/// One package `p` holding `sql` as its only migration: the JSON report and the human one.
fn check_one(sql: &str) -> (serde_json::Value, String) {
    let tmp = tempfile::tempdir().expect("temp dir");
    let root = tmp.path();
    up_sql(root, "p", sql.as_bytes());
    workspace(root, &["p"]);
    let out = dbopt(root, &["--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let doc = json(&out);
    assert_eq!(errors(&doc, root), vec![]);
    let out = dbopt(root, &["--color", "never"]);
    assert_eq!(out.status.code(), Some(1));
    (doc, normalised(&out.stderr, root))
}

/// Issue 19 §5: `INT` followed by 10,000 `[]` (a 20 KB file) overflowed the stack of the
/// thread replaying it. The statement is reported and replay goes on.
#[test]
fn a_type_with_10_000_brackets_is_reported_not_parsed() {
    let sql = format!(
        "CREATE TABLE a (id INT PRIMARY KEY);\nCREATE TABLE t (id INT PRIMARY KEY, x INT{});\n\
         CREATE TABLE b (id INT PRIMARY KEY, a_id INT REFERENCES a (id));\n",
        "[]".repeat(10_000)
    );
    let (doc, text) = check_one(&sql);
    assert_eq!(
        findings(&doc),
        vec![
            finding("p", "unparsed_statement", 2),
            finding("p", "fk_without_index", 3),
        ]
    );
    assert!(
        text.contains("a type with more than 64 `[]` is not read"),
        "{}",
        &text[..text.len().min(2_000)]
    );
}

/// Issue 19 §2: one 600 KB `SELECT 1,1,..` (600,000 tokens; 12 MB took 9 GB) is reported as
/// too large, and one 3 MB seed `INSERT` of 40,000 rows is read by its keyword: the DDL
/// around both is replayed.
#[test]
fn statements_above_the_token_bound_are_not_parsed() {
    let rows: Vec<String> = (0..40_000)
        .map(|i| {
            format!(
                "({i}, 'user number {i} with a padded name {:0>30}')",
                i * 7919
            )
        })
        .collect();
    let sql = format!(
        "CREATE TABLE a (id INT PRIMARY KEY, name TEXT);\nSELECT 1{};\n\
         INSERT INTO a (id, name) VALUES {};\n\
         CREATE TABLE b (id INT PRIMARY KEY, a_id INT REFERENCES a (id));\n",
        ",1".repeat(300_000),
        rows.join(", ")
    );
    assert!(sql.len() > 3_000_000, "{}", sql.len());
    let (doc, text) = check_one(&sql);
    assert_eq!(
        findings(&doc),
        vec![
            finding("p", "unparsed_statement", 2),
            finding("p", "fk_without_index", 4),
        ]
    );
    assert!(
        text.contains(
            "statement too large to read: 600004 tokens, more than the 100000 dbopt reads"
        ),
        "{}",
        &text[..text.len().min(2_000)]
    );
}

/// Issue 19 §3: 3,000 `ADD COLUMN`s on one table (each statement kept a copy of every
/// column before it: 10,000 took 5.5 GB), then an FK column without an index.
#[test]
fn many_added_columns_on_one_table() {
    let mut sql = String::from("CREATE TABLE u (id INT PRIMARY KEY);\nCREATE TABLE t (id INT);\n");
    for i in 0..3_000 {
        sql.push_str(&format!("ALTER TABLE t ADD COLUMN c{i} INT;\n"));
    }
    sql.push_str("ALTER TABLE t ADD COLUMN u_id INT REFERENCES u (id);\n");
    let (doc, _) = check_one(&sql);
    assert_eq!(
        findings(&doc),
        vec![finding("p", "fk_without_index", 3_003)]
    );
}

/// Issue 19 §4: 3,000 tables with an FK each, and one table with 3,000 FK columns (each
/// FK indexed every name of its table again, and looked for its clause from the file's
/// start). Every FK is found, on its own line.
#[test]
fn many_foreign_keys() {
    let mut sql = String::from("CREATE TABLE u (id INT PRIMARY KEY);\n");
    for i in 0..3_000 {
        sql.push_str(&format!(
            "CREATE TABLE t{i} (id INT PRIMARY KEY, u_id INT REFERENCES u (id));\n"
        ));
    }
    sql.push_str("CREATE TABLE wide (id INT PRIMARY KEY");
    for i in 0..3_000 {
        sql.push_str(&format!(",\n  c{i} INT REFERENCES u (id)"));
    }
    sql.push_str(");\n");
    let (doc, _) = check_one(&sql);
    let mut lines: Vec<u64> = findings(&doc)
        .into_iter()
        .map(|(package, rule, _, line)| {
            assert_eq!((package.as_str(), rule.as_str()), ("p", "fk_without_index"));
            line
        })
        .collect();
    lines.sort_unstable();
    let expected: Vec<u64> = (2..=3_001).chain(3_003..=6_002).collect();
    assert_eq!(lines, expected);
}

/// A crate root `src/lib.rs` that is a folder is one error naming it (issue 19 §13); the
/// package's migrations are still analysed, so the exit status is the findings'.
#[test]
fn a_crate_root_that_is_a_folder_is_named() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let root = tmp.path();
    up_sql(root, "folder_root", GOOD_SQL.as_bytes());
    let lib = root.join("folder_root/src/lib.rs");
    std::fs::remove_file(&lib).expect("rm");
    std::fs::create_dir(&lib).expect("mkdir");
    workspace(root, &["folder_root"]);
    let out = dbopt(root, &["--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let doc = json(&out);
    assert_eq!(
        errors(&doc, root),
        vec![pair(
            "folder_root/src/lib.rs",
            "cannot read `folder_root/src/lib.rs`: it is a folder, not a file"
        )]
    );
    assert_eq!(
        findings(&doc),
        vec![finding("folder_root", "fk_without_index", 4)]
    );
}

/// A member whose Cargo.toml is a FIFO: refused before `cargo metadata` runs, which would
/// wait on it forever (issue 19 §14). Nothing can be analysed: exit 2.
#[test]
fn a_member_manifest_that_is_a_fifo_is_refused_before_cargo_runs() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let root = tmp.path();
    up_sql(root, "good", GOOD_SQL.as_bytes());
    std::fs::create_dir_all(root.join("fifo/src")).expect("mkdir");
    let made = std::process::Command::new("mkfifo")
        .arg(root.join("fifo/Cargo.toml"))
        .status()
        .expect("mkfifo");
    assert!(made.success());
    workspace(root, &["fifo", "good"]);
    let out = dbopt(root, &["--workspace"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        normalised(&out.stderr, root),
        "error: cannot read `[ROOT]/fifo/Cargo.toml`: not a regular file (a FIFO, socket or \
         device); not read\n"
    );
}

/// `cargo metadata` is stopped after DBOPT_METADATA_TIMEOUT seconds (issue 19 §14): here a
/// stand-in for cargo that never answers, and a limit of one second.
#[test]
fn cargo_metadata_that_never_answers_is_stopped_after_the_time_limit() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let root = tmp.path();
    up_sql(root, "good", GOOD_SQL.as_bytes());
    workspace(root, &["good"]);
    let cargo = root.join("hung-cargo");
    std::fs::write(&cargo, "#!/bin/sh\nexec sleep 600\n").expect("write");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&cargo, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let run = |limit: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_cargo-dbopt"))
            .args(["dbopt", "--color", "never", "--manifest-path"])
            .arg(root.join("Cargo.toml"))
            .current_dir(root)
            .env("CARGO", &cargo)
            .env("DBOPT_METADATA_TIMEOUT", limit)
            .output()
            .expect("the binary runs")
    };
    let out = run("1");
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        normalised(&out.stderr, root),
        "error: `cargo metadata` did not answer within 1 s for the workspace of \
         [ROOT]/Cargo.toml and was stopped (a manifest that is a FIFO, or a file system that \
         hangs, keeps it waiting); set DBOPT_METADATA_TIMEOUT to a number of seconds to wait \
         longer\n"
    );
    let out = run("soon");
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: DBOPT_METADATA_TIMEOUT must be a positive number of seconds, not `soon`\n"
    );
}

/// Call and index suffixes count as nesting (issue 19 §6): `a()()..` 500,000 times and
/// `a[0]..` 1,000,000 times in one fn each are one error naming the file, not a stack overflow
/// that aborts the scan; the package's other files are analysed.
#[test]
fn endless_call_and_index_suffixes_are_refused_not_overflowed() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let root = tmp.path();
    up_sql(root, "suffixes", GOOD_SQL.as_bytes());
    let calls = format!(
        "pub fn f(conn: &mut PgConnection) {{\n    a{};\n}}\n",
        "()".repeat(500_000)
    );
    let index = format!(
        "pub fn g(conn: &mut PgConnection) {{\n    a{};\n}}\n",
        "[0]".repeat(1_000_000)
    );
    write(&root.join("suffixes/src/calls.rs"), calls.as_bytes());
    write(&root.join("suffixes/src/index.rs"), index.as_bytes());
    write(
        &root.join("suffixes/src/lib.rs"),
        b"pub fn f(conn: &mut PgConnection, ids: &[i32]) {\n    for id in ids {\n        \
          users.find(id).first::<User>(conn);\n    }\n}\n",
    );
    workspace(root, &["suffixes"]);
    let out = dbopt(root, &["--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let doc = json(&out);
    let refused = |file: &str, column: usize| {
        pair(
            file,
            &format!(
                "cannot parse `{file}` (line 2, column {column}): nesting deeper than 256 levels; \
                 not analysed; its fns were not checked"
            ),
        )
    };
    assert_eq!(
        errors(&doc, root),
        vec![
            refused("suffixes/src/calls.rs", 16_068),
            refused("suffixes/src/index.rs", 24_099),
        ]
    );
    assert_eq!(
        findings(&doc),
        vec![
            finding("suffixes", "fk_without_index", 4),
            (
                "suffixes".to_owned(),
                "n_plus_one".to_owned(),
                "suffixes/src/lib.rs".to_owned(),
                3
            ),
        ]
    );
}

/// An unannotated fn with a 2,000-link builder chain is analysed (issue 19 §12): no "invalid
/// dbopt attribute" for an attribute that is not there, and the round trip at the end of the
/// chain, in a loop, is found. A fn nested deeper than the walk goes is named as such, at
/// the fn.
#[test]
fn a_long_builder_chain_is_analysed_and_deep_nesting_is_named_as_such() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let root = tmp.path();
    up_sql(root, "chain", GOOD_SQL.as_bytes());
    let chain = format!(
        "pub fn f(conn: &mut PgConnection, ids: &[i32]) {{\n    for id in ids {{\n        \
         users{}\n            .first::<User>(conn);\n    }}\n}}\n",
        "\n            .filter(id.eq(1))".repeat(2_000)
    );
    write(&root.join("chain/src/lib.rs"), chain.as_bytes());
    let nested = format!(
        "pub fn g(conn: &mut PgConnection) {{\n    {}conn.touch(){};\n}}\n",
        "(".repeat(130),
        ")".repeat(130)
    );
    write(&root.join("chain/src/nested.rs"), nested.as_bytes());
    workspace(root, &["chain"]);
    let out = dbopt(root, &["--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let doc = json(&out);
    assert_eq!(
        errors(&doc, root),
        vec![pair(
            "chain/src/nested.rs",
            "code in `chain/src/nested.rs` (line 1, column 8) nests too deeply to analyse; the \
             fn holding it was not checked"
        )]
    );
    assert_eq!(
        findings(&doc),
        vec![
            finding("chain", "fk_without_index", 4),
            (
                "chain".to_owned(),
                "n_plus_one".to_owned(),
                "chain/src/lib.rs".to_owned(),
                2_004
            ),
        ]
    );
}

/// Two `--fix` runs at once on one migrations folder (issue 19 §15): exactly one migration
/// adds the index. Whichever run comes second either sees the first's migration in its
/// analysis, or finds it, written meanwhile, once it holds the folder, and writes nothing.
#[test]
fn two_concurrent_fix_runs_add_the_index_once() {
    for _ in 0..3 {
        let tmp = tempfile::tempdir().expect("temp dir");
        let root = tmp.path();
        up_sql(root, "blog", GOOD_SQL.as_bytes());
        workspace(root, &["blog"]);
        let runs: Vec<_> = (0..2)
            .map(|_| {
                let root = root.to_path_buf();
                std::thread::spawn(move || dbopt(&root, &["--fix", "--color", "never"]))
            })
            .collect();
        for run in runs {
            let out = run.join().expect("no panic");
            assert_eq!(
                out.status.code(),
                Some(0),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let mut names: Vec<String> = std::fs::read_dir(root.join("blog/migrations"))
            .expect("read_dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(
            names,
            [
                "2024-01-01-000000_create",
                "2024-01-01-000001-0000_add_index_posts_user_id"
            ]
        );
    }
}

/// `init` on a manifest with a BOM and CRLF line ends (issue 19 §16): the BOM and every
/// line it had stay byte for byte, and the lines it adds end in CRLF too.
#[test]
fn init_keeps_a_crlf_manifest_and_its_bom_byte_for_byte() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let root = tmp.path();
    let original = "\u{feff}# The shop.\r\n[package]\r\nname = \"shop\"\r\nversion = \"0.1.0\"\r\n\
                    edition = \"2021\"\r\n\r\n[dependencies]\r\ndiesel = { version = \"2\", \
                    features = [\"postgres\"] }\r\n";
    write(&root.join("Cargo.toml"), original.as_bytes());
    write(&root.join("src/lib.rs"), b"");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_cargo-dbopt"))
        .args(["dbopt", "init", "--manifest-path"])
        .arg(root.join("Cargo.toml"))
        .current_dir(root)
        .output()
        .expect("the binary runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let edited = std::fs::read_to_string(root.join("Cargo.toml")).expect("read");
    assert!(edited.starts_with('\u{feff}'), "{edited:?}");
    assert!(edited.ends_with("\r\n"), "{edited:?}");
    assert!(
        !edited.replace("\r\n", "").contains(['\n', '\r']),
        "a line not ended by CRLF: {edited:?}"
    );
    // The original lines, in order, with nothing but whole added lines between them.
    let mut rest = original.split_inclusive("\r\n").peekable();
    let (mut kept, mut added) = (String::new(), Vec::new());
    for line in edited.split_inclusive("\r\n") {
        if rest.peek() == Some(&line) {
            kept.push_str(line);
            rest.next();
        } else {
            added.push(line);
        }
    }
    assert_eq!(kept, original);
    assert!(added.contains(&"dbopt-macros = \"0.1.0\"\r\n"), "{added:?}");
    assert!(added.contains(&"[package.metadata.dbopt]\r\n"), "{added:?}");
}
