//! A baseline for migration history: `start_after` in the config and `--since <git
//! revision>` limit the migration rules (a migration's transition) to newer migrations,
//! while the rules about the final schema judge it whole. Without a baseline, the summary
//! counts the findings in migrations older than 90 days. Migrations dated 2020 are old on
//! any day these tests run, and those dated 2999 never are.

#[path = "support/workspace.rs"]
mod support;

use std::path::Path;
use std::process::{Command, Output, Stdio};

use support::{DIESEL_TOML, dbopt, findings, json, normalised, write};

/// Users and posts in 2020, the posts' foreign key without an index (`fk_without_index`,
/// a state rule) and an index built without CONCURRENTLY (`index_not_concurrent`).
const OLD: &[(&str, &str)] = &[
    (
        "2020-01-01-000000_users",
        "CREATE TABLE users (id INT PRIMARY KEY, email TEXT);\n",
    ),
    (
        "2020-02-01-000000_posts",
        "CREATE TABLE posts (id INT PRIMARY KEY, user_id INT NOT NULL REFERENCES users (id));\n\
         CREATE INDEX users_email ON users (email);\n",
    ),
];

/// A column dropped (`destructive_change`), dated 2999.
const NEW: (&str, &str) = (
    "2999-01-01-000000_drop_email",
    "ALTER TABLE users DROP COLUMN email;\n",
);

/// A NOT NULL column without a default on an existing table (`locking_column_change`).
const NEWER: (&str, &str) = (
    "2999-02-01-000000_title",
    "ALTER TABLE posts ADD COLUMN title TEXT NOT NULL;\n",
);

/// A workspace at `root` with the package `shop` holding `migrations`, configured with
/// `config` (lines of `[package.metadata.dbopt]`).
fn shop(root: &Path, config: &str, migrations: &[(&str, &str)]) {
    write(
        &root.join("Cargo.toml"),
        b"[workspace]\nresolver = \"2\"\nmembers = [\"shop\"]\n",
    );
    let manifest = format!(
        "[package]\nname = \"shop\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n\
         [package.metadata.dbopt]\nbackend = \"postgres\"\n{config}"
    );
    write(&root.join("shop/Cargo.toml"), manifest.as_bytes());
    write(&root.join("shop/src/lib.rs"), b"");
    write(&root.join("shop").join(DIESEL_TOML.0), DIESEL_TOML.1);
    for m in migrations {
        add(root, m);
    }
}

fn add(root: &Path, (folder, sql): &(&str, &str)) {
    let dir = root.join("shop/migrations").join(folder);
    write(&dir.join("up.sql"), sql.as_bytes());
    write(&dir.join("down.sql"), b"");
}

fn finding(rule: &str, folder: &str, line: u64) -> (String, String, String, u64) {
    (
        "shop".to_owned(),
        rule.to_owned(),
        format!("shop/migrations/{folder}/up.sql"),
        line,
    )
}

/// `git ARGS` in `dir`, which must succeed.
fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A git repository at `root` with everything in it committed on `main`.
fn repository(root: &Path) {
    git(root, &["init", "-q", "-b", "main"]);
    git(root, &["config", "user.name", "dbopt tests"]);
    git(root, &["config", "user.email", "tests@dbopt.invalid"]);
    git(root, &["config", "commit.gpgsign", "false"]);
    git(root, &["add", "-A"]);
    git(root, &["commit", "-q", "-m", "history"]);
}

#[test]
fn without_a_baseline_every_migration_is_judged_and_the_old_findings_are_counted() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path();
    shop(root, "", &[OLD[0], OLD[1], NEW]);
    let out = dbopt(root, &["--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let doc = json(&out);
    assert_eq!(
        findings(&doc),
        vec![
            finding("fk_without_index", OLD[1].0, 1),
            finding("index_not_concurrent", OLD[1].0, 2),
            finding("destructive_change", NEW.0, 1),
        ]
    );
    // The index in 2020 is old; the foreign key is the final schema's, not history's.
    assert_eq!(
        doc["summary"],
        serde_json::json!({"deny": 1, "warn": 2, "old_migration_findings": 1})
    );
    let out = dbopt(root, &["--color", "never"]);
    let text = normalised(&out.stderr, root);
    let tail: Vec<&str> = text.lines().rev().take(2).collect();
    assert_eq!(
        tail,
        vec![
            "note: 1 finding is in migrations older than 90 days; to judge only the migrations \
             to come, set `start_after = \"2999-01-01-000000\"` (the newest migration) in \
             [package.metadata.dbopt], or pass `--since <git revision>` on a pull request",
            "error: 3 problems (1 denied, 2 warnings) in package shop",
        ]
    );
}

#[test]
fn start_after_judges_only_later_migrations_with_the_migration_rules() {
    for start_after in [
        "2020-02-01-000000",
        "20200201000000",
        "2020-02-01-000000_posts",
    ] {
        let tmp = tempfile::tempdir().expect("tempdir");
        let root = tmp.path();
        let config = format!("start_after = \"{start_after}\"\n");
        shop(root, &config, &[OLD[0], OLD[1], NEW]);
        let out = dbopt(root, &["--format", "json"]);
        assert_eq!(out.status.code(), Some(1));
        let doc = json(&out);
        assert_eq!(
            findings(&doc),
            vec![
                finding("fk_without_index", OLD[1].0, 1),
                finding("destructive_change", NEW.0, 1),
            ],
            "start_after = {start_after:?}"
        );
        assert_eq!(doc["summary"]["old_migration_findings"], 0);
        let out = dbopt(root, &["--color", "never"]);
        let text = String::from_utf8_lossy(&out.stderr);
        assert!(!text.contains("older than 90 days"), "{text}");
    }
    // After the newest: only the final schema is judged.
    let tmp = tempfile::tempdir().expect("tempdir");
    shop(
        tmp.path(),
        "start_after = \"2999-01-01-000000\"\n",
        &[OLD[0], OLD[1], NEW],
    );
    let doc = json(&dbopt(tmp.path(), &["--format", "json"]));
    assert_eq!(
        findings(&doc),
        vec![finding("fk_without_index", OLD[1].0, 1)]
    );
}

#[test]
fn a_start_after_that_is_no_version_is_a_config_error() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path();
    shop(root, "start_after = \"last week\"\n", &[OLD[0]]);
    let out = dbopt(root, &[]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        normalised(&out.stderr, root),
        "error: `[package.metadata.dbopt]` in [ROOT]/shop/Cargo.toml: `start_after` must be \
         a migration version like \"2024-01-10-090100\" or \"20240110090100\", found \
         \"last week\"\n"
    );
}

#[test]
fn since_judges_the_migrations_a_branch_added_committed_or_not() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path();
    shop(root, "", OLD);
    repository(root);
    git(root, &["checkout", "-q", "-b", "feature"]);
    add(root, &NEW);
    git(root, &["add", "-A"]);
    git(root, &["commit", "-q", "-m", "drop email"]);
    // Merged into main after the branch started: not the branch's own.
    git(root, &["checkout", "-q", "main"]);
    add(
        root,
        &(
            "2998-01-01-000000_main",
            "CREATE INDEX users_id ON users (id);\n",
        ),
    );
    git(root, &["add", "-A"]);
    git(root, &["commit", "-q", "-m", "on main"]);
    git(root, &["checkout", "-q", "feature"]);
    // Not committed at all.
    add(root, &NEWER);

    let out = dbopt(root, &["--since", "main", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let doc = json(&out);
    assert_eq!(
        findings(&doc),
        vec![
            finding("fk_without_index", OLD[1].0, 1),
            finding("destructive_change", NEW.0, 1),
            finding("locking_column_change", NEWER.0, 1),
        ]
    );
    assert_eq!(doc["summary"]["old_migration_findings"], 0);

    // Since HEAD: only what is not committed yet.
    let doc = json(&dbopt(root, &["--since", "HEAD", "--format", "json"]));
    assert_eq!(
        findings(&doc),
        vec![
            finding("fk_without_index", OLD[1].0, 1),
            finding("locking_column_change", NEWER.0, 1),
        ]
    );
    // --since wins over start_after, as the command line wins over the config.
    let manifest = root.join("shop/Cargo.toml");
    let text = std::fs::read_to_string(&manifest).expect("manifest");
    write(
        &manifest,
        format!("{text}start_after = \"2999-01-01-000000\"\n").as_bytes(),
    );
    let doc = json(&dbopt(root, &["--since", "main", "--format", "json"]));
    assert_eq!(findings(&doc).len(), 3);
}

#[test]
fn since_with_a_revision_git_does_not_know_is_exit_2() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path();
    shop(root, "", OLD);
    repository(root);
    let out = dbopt(root, &["--since", "no-such-branch"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        normalised(&out.stderr, root),
        "error: `--since no-such-branch`: no such revision in the git repository at `[ROOT]`\n"
    );
    assert!(out.stdout.is_empty());
    let out = dbopt(root, &["--since=--output=x"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        normalised(&out.stderr, root),
        "error: `--since` takes a git revision (a branch, tag or commit), found `--output=x`\n"
    );
}

#[test]
fn since_outside_a_git_repository_is_exit_2() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path();
    shop(root, "", OLD);
    // git must not find a repository above the temp dir either.
    let ceiling = root.parent().expect("a parent");
    let out: Output = Command::new(env!("CARGO_BIN_EXE_cargo-dbopt"))
        .args(["dbopt", "--manifest-path"])
        .arg(root.join("Cargo.toml"))
        .args(["--since", "main"])
        .current_dir(root)
        .env("GIT_CEILING_DIRECTORIES", ceiling)
        .stdin(Stdio::null())
        .output()
        .expect("the binary runs");
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        normalised(&out.stderr, root),
        "error: `--since` asks git which migrations are new, and `[ROOT]` is not inside a git \
         repository\n"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn init_writes_the_newest_migration_as_start_after() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path();
    write(
        &root.join("Cargo.toml"),
        b"[package]\nname = \"shop\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n\
          [dependencies]\ndiesel = { version = \"2\", features = [\"postgres\"] }\n",
    );
    write(&root.join("src/lib.rs"), b"");
    write(&root.join(DIESEL_TOML.0), DIESEL_TOML.1);
    for (folder, sql) in [OLD[0], OLD[1], NEW] {
        write(
            &root.join("migrations").join(folder).join("up.sql"),
            sql.as_bytes(),
        );
    }
    let out = Command::new(env!("CARGO_BIN_EXE_cargo-dbopt"))
        .args(["dbopt", "init"])
        .current_dir(root)
        .stdin(Stdio::null())
        .output()
        .expect("the binary runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        normalised(&out.stderr, root)
    );
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).expect("manifest");
    assert!(
        manifest.contains(
            "\n[package.metadata.dbopt]\nstart_after = \"2999-01-01-000000\"  # the migration \
             rules judge only later migrations (the newest when `init` ran)\n"
        ),
        "{manifest}"
    );
    assert!(
        normalised(&out.stderr, root).contains(
            "note: the migration rules judge only the migrations after 2999-01-01-000000 \
             (`start_after`, the newest migration)\n"
        ),
        "{}",
        normalised(&out.stderr, root)
    );
    // The baseline it wrote is in effect: the three migrations are history.
    let doc = json(&dbopt(root, &["--format", "json"]));
    let rules: Vec<String> = findings(&doc).into_iter().map(|f| f.1).collect();
    assert_eq!(rules, vec!["fk_without_index".to_owned()]);
}
