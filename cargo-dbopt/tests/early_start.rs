//! The schema side started before `cargo metadata` answers changes nothing in the output.
//! `--workspace` lets dbopt guess the packages from the manifests and start early; `-p`
//! names them and starts nothing early (the guess does not read cargo's package specs).
//! On a workspace where the guess is right for two packages and misses a third (a member
//! only because another member depends on it by path), both runs must print the same
//! findings (in the packages' order, which `-p` decides), summary and errors.

use std::path::Path;
use std::process::{Command, Output};

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().expect("a parent")).expect("create dirs");
    std::fs::write(path, text).expect("write");
}

/// A package at `root/name` with `deps` and `extra` in its manifest, a diesel.toml, and two
/// migrations whose foreign key has no index.
fn package(root: &Path, name: &str, deps: &str, extra: &str) {
    let dir = root.join(name);
    write(
        &dir.join("Cargo.toml"),
        &format!(
            "[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n\
             [dependencies]\n{deps}\n{extra}"
        ),
    );
    write(&dir.join("src/lib.rs"), "");
    write(
        &dir.join("diesel.toml"),
        "[migrations_directory]\ndir = \"migrations\"\n",
    );
    write(
        &dir.join("migrations/2024-01-01-000000_users/up.sql"),
        "CREATE TABLE users (id INT PRIMARY KEY);\n",
    );
    write(
        &dir.join("migrations/2024-01-02-000000_posts/up.sql"),
        "CREATE TABLE posts (\n    id INT PRIMARY KEY,\n    \
         user_id INT NOT NULL REFERENCES users (id)\n);\n",
    );
}

fn check(root: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cargo-dbopt"))
        .args(["dbopt", "check", "--format", "json"])
        .args(args)
        .current_dir(root)
        .output()
        .expect("the binary runs")
}

#[test]
fn starting_early_changes_nothing_in_the_output() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path();
    write(
        &root.join("Cargo.toml"),
        "[workspace]\nmembers = [\"crates/a\", \"crates/b\"]\nresolver = \"2\"\n\n\
         [workspace.dependencies]\ndiesel = { version = \"2.3\", features = [\"sqlite\"] }\n\n\
         [workspace.metadata.dbopt.rules]\nfk_without_index = \"warn\"\n",
    );
    // `a` is guessed, with a level of its own; `b` is guessed, its backend inherited; `c`
    // is a member only through `a`'s path dependency, which the guess does not follow.
    package(
        &root.join("crates"),
        "a",
        "diesel = { version = \"2.3\", features = [\"postgres\"] }\nc = { path = \"../c\" }",
        "\n[package.metadata.dbopt.rules]\nfk_without_index = \"deny\"\n",
    );
    package(
        &root.join("crates"),
        "b",
        "diesel = { workspace = true }",
        "",
    );
    package(
        &root.join("crates"),
        "c",
        "diesel = { version = \"2.3\", features = [\"sqlite\"] }",
        "",
    );
    let early = check(root, &["--workspace"]);
    let named = check(root, &["-p", "a", "-p", "b", "-p", "c"]);
    // The same document, but for the packages' order, which `-p` decides.
    let document = |out: &Output| {
        let mut doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
        let findings = doc["findings"].as_array_mut().expect("findings");
        findings.sort_by_key(|f| f["package"].as_str().unwrap_or_default().to_owned());
        doc
    };
    assert_eq!(document(&early), document(&named));
    assert_eq!(early.status.code(), named.status.code());
    // `a` denies the finding: exit 1.
    assert_eq!(early.status.code(), Some(1), "{early:?}");
    let doc = document(&early);
    let mut findings: Vec<(String, String, String, u64, String)> = doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["package"].as_str().unwrap_or_default().to_owned(),
                f["rule"].as_str().unwrap_or_default().to_owned(),
                f["file"].as_str().unwrap_or_default().to_owned(),
                f["line"].as_u64().unwrap_or_default(),
                f["level"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    findings.sort();
    let at = |package: &str, level: &str| {
        (
            package.to_owned(),
            "fk_without_index".to_owned(),
            format!("crates/{package}/migrations/2024-01-02-000000_posts/up.sql"),
            3,
            level.to_owned(),
        )
    };
    assert_eq!(
        findings,
        [at("a", "deny"), at("b", "warn"), at("c", "warn")],
        "{doc:#}"
    );
}
