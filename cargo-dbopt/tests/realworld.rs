//! What dbopt concludes on code written the way real Diesel applications write it (issue 15
//! §10): `tests/realworld` (at the repository root), a data crate with repository structs and seed
//! migrations, an axum + diesel-async API crate, a background worker (retry, scheduler,
//! spawned workers, an event batch), and a test-support crate. Each fn in the fixture says in
//! a comment what a reviewer concludes; the first test asserts dbopt finds exactly the real
//! problems, the second keeps the whole JSON as a snapshot so that any change in what dbopt
//! concludes shows in review.

#[path = "support/workspace.rs"]
mod support;

use std::path::{Path, PathBuf};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/realworld")
}

fn json(args: &[&str]) -> (serde_json::Value, String) {
    let out = support::dbopt(
        &fixture(),
        &[&["--workspace", "--format", "json"], args].concat(),
    );
    assert_eq!(out.status.code(), Some(1), "deny-level findings");
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).expect("UTF-8");
    assert!(
        !stdout.contains(fixture().to_string_lossy().as_ref()),
        "paths are relative to the workspace root"
    );
    (
        serde_json::from_str(&stdout).expect("one JSON document"),
        stdout,
    )
}

/// (rule, level, file, line) of every code finding.
fn code_findings(doc: &serde_json::Value) -> Vec<(String, String, String, u64)> {
    doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["file"].as_str().is_some_and(|p| p.ends_with(".rs")))
        .map(|f| {
            (
                f["rule"].as_str().expect("rule").to_owned(),
                f["level"].as_str().expect("level").to_owned(),
                f["file"].as_str().expect("file").to_owned(),
                f["line"].as_u64().expect("line"),
            )
        })
        .collect()
}

fn f(rule: &str, level: &str, file: &str, line: u64) -> (String, String, String, u64) {
    (rule.to_owned(), level.to_owned(), file.to_owned(), line)
}

#[test]
fn only_the_real_problems_are_reported() {
    let (doc, _) = json(&[]);
    assert_eq!(
        code_findings(&doc),
        [
            // `titles_by_author`: one query per author.
            f("n_plus_one", "deny", "store/src/repo/posts.rs", 12),
            // `UserRepo::register`: the audit insert can fail after the user committed.
            f(
                "write_outside_transaction",
                "deny",
                "store/src/repo/users.rs",
                27
            ),
            // `UserRepo::everyone`: the whole users table.
            f("unbounded_load", "warn", "store/src/repo/users.rs", 69),
            // `UserRepo::mark_seen`: one update per id, stopping halfway on an error.
            f("n_plus_one", "deny", "store/src/repo/users.rs", 78),
            f(
                "write_outside_transaction",
                "deny",
                "store/src/repo/users.rs",
                78
            ),
            // `list`: one count per post of a page of at most 50: "runs up to 50 queries".
            f("n_plus_one", "warn", "api/src/handlers/posts.rs", 24),
            // `publish`: update, then an audit insert whose failure is returned.
            f(
                "write_outside_transaction",
                "deny",
                "api/src/handlers/posts.rs",
                63
            ),
            // `dashboard`: two queries over a literal array, at most a warning.
            f("n_plus_one", "warn", "api/src/handlers/posts.rs", 77),
            // `apply_events`: each event runs its kind's statement (a `match` on the event):
            // a possibility, at most a warning.
            f("n_plus_one", "warn", "worker/src/main.rs", 66),
        ]
    );
    let dashboard = doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["line"] == 77)
        .expect("dashboard");
    assert_eq!(
        dashboard["message"],
        "query inside a loop over a fixed collection: `get_result` runs up to 2 queries, one \
         per iteration of the `for` loop"
    );
}

#[test]
fn test_code_is_reported_only_when_asked_for() {
    let (doc, _) = json(&["--include-tests"]);
    let files: Vec<(String, u64)> = code_findings(&doc)
        .into_iter()
        .filter(|(rule, ..)| rule == "n_plus_one")
        .map(|(_, _, file, line)| (file, line))
        .filter(|(file, _)| file.starts_with("store/") || file.starts_with("test-utils/"))
        .collect();
    assert_eq!(
        files,
        [
            ("store/src/repo/posts.rs".to_owned(), 12),
            // The `#[cfg(test)]` fixture and the `#[test]` fn's lookups.
            ("store/src/repo/posts.rs".to_owned(), 87),
            ("store/src/repo/posts.rs".to_owned(), 98),
            ("store/src/repo/users.rs".to_owned(), 78),
            // The test-support crate's seeding loop.
            ("test-utils/src/lib.rs".to_owned(), 13),
        ]
    );
}

#[test]
fn json_snapshot() {
    let (_, stdout) = json(&[]);
    insta::assert_snapshot!(stdout);
}
