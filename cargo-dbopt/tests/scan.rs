//! The source scan end to end on a fixture workspace (tests/fixtures/scan_shop): two packages,
//! handler -> service -> repository modules, trait default methods and impl blocks, an
//! annotated fn, levels from `[workspace.metadata.dbopt]`, `[package.metadata.dbopt]` and the
//! attribute, a file without database words that calls a repository helper, a file that
//! cannot touch a database, and `tests/`, `benches/` and `src/tests/` folders whose queries
//! must not be reported. The full human and JSON output are snapshots.

use std::path::{Path, PathBuf};
use std::process::Output;

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/scan_shop")
}

fn dbopt(args: &[&str]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_cargo-dbopt"))
        .arg("dbopt")
        .arg("--manifest-path")
        .arg(fixture().join("Cargo.toml"))
        .args(args)
        .current_dir(std::env::temp_dir())
        .env_remove("CLICOLOR_FORCE")
        .env_remove("NO_COLOR")
        .output()
        .expect("the binary runs")
}

fn text(bytes: &[u8]) -> String {
    let text = String::from_utf8(bytes.to_vec()).expect("UTF-8 output");
    assert!(
        !text.contains(fixture().to_string_lossy().as_ref()),
        "paths are relative to the workspace root:\n{text}"
    );
    text
}

fn json(args: &[&str]) -> serde_json::Value {
    let out = dbopt(&[&["--workspace", "--format", "json"], args].concat());
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(out.stderr.is_empty(), "{}", text(&out.stderr));
    serde_json::from_str(&text(&out.stdout)).expect("one JSON document")
}

#[test]
fn human_output() {
    let out = dbopt(&["--workspace", "--color", "never"]);
    assert_eq!(out.status.code(), Some(1), "deny-level findings");
    assert!(out.stdout.is_empty());
    insta::assert_snapshot!(text(&out.stderr));
}

#[test]
fn json_output() {
    let out = dbopt(&["--workspace", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stderr.is_empty(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let _: serde_json::Value = serde_json::from_str(&stdout).expect("one JSON document");
    insta::assert_snapshot!(stdout);
}

#[test]
fn what_is_not_the_packages_code_is_not_reported() {
    let doc = json(&[]);
    let files: Vec<&str> = doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["file"].as_str().expect("file"))
        .collect();
    for file in &files {
        assert!(
            file.starts_with("shop/src/")
                || file.starts_with("billing/src/")
                || file.starts_with("shop/migrations/"),
            "{file}"
        );
        assert!(
            !file.contains("/tests/") && !file.contains("/benches/"),
            "{file}"
        );
        assert_ne!(*file, "shop/src/money.rs");
    }
    assert!(
        files.contains(&"billing/src/bin/refund-all.rs"),
        "bin targets are read"
    );
    assert_eq!(doc["errors"], serde_json::json!([]));
}

#[test]
fn the_output_does_not_depend_on_the_number_of_threads() {
    let all = json(&[]);
    for jobs in ["1", "3"] {
        assert_eq!(json(&["--jobs", jobs]), all, "--jobs {jobs}");
    }
    let out = dbopt(&["--workspace", "-j", "0"]);
    assert_eq!(out.status.code(), Some(2), "zero threads is a usage error");
}

#[test]
fn command_line_levels_apply_to_code_rules() {
    let doc = json(&["-A", "n_plus_one", "-W", "unbounded_load"]);
    let found: Vec<(&str, &str, &str, u64)> = doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["file"].as_str().unwrap().ends_with(".rs"))
        .map(|f| {
            (
                f["rule"].as_str().unwrap(),
                f["level"].as_str().unwrap(),
                f["file"].as_str().unwrap(),
                f["line"].as_u64().unwrap(),
            )
        })
        .collect();
    // As in rustc, an attribute in the code wins over the command line: `totals` says
    // `#[db_checked(warn(n_plus_one))]`.
    assert_eq!(
        found,
        [
            (
                "write_outside_transaction",
                "deny",
                "shop/src/handlers/orders.rs",
                25
            ),
            ("unbounded_load", "warn", "shop/src/repo/users.rs", 35),
            (
                "write_outside_transaction",
                "deny",
                "shop/src/service/orders.rs",
                42
            ),
            ("query_budget", "deny", "shop/src/service/orders.rs", 73),
            ("n_plus_one", "warn", "shop/src/service/orders.rs", 80),
            (
                "write_outside_transaction",
                "deny",
                "billing/src/ledger.rs",
                20
            ),
            ("lock_order", "deny", "billing/src/transfer.rs", 23),
        ]
    );
}
