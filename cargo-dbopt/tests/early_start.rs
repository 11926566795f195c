//! The schema side started before `cargo metadata` answers changes nothing in the output.
//! `--workspace` lets dbopt guess the packages from the manifests and start early; `-p`
//! names them and starts nothing early (the guess does not read cargo's package specs).
//! On a workspace where the guess is right for two packages and misses a third (a member
//! only because another member depends on it by path), both runs must print the same
//! findings (in the packages' order, which `-p` decides), summary and errors.

#[path = "support/workspace.rs"]
mod support;

use std::path::Path;

use support::{DIESEL_TOML, GOOD_SQL, dbopt, findings, json, write};

/// A package at `root/crates/name` with `deps` and `extra` in its manifest, a diesel.toml,
/// and one migration whose foreign key has no index.
fn package(root: &Path, name: &str, deps: &str, extra: &str) {
    let dir = root.join("crates").join(name);
    let manifest = format!(
        "[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n\
         [dependencies]\n{deps}\n{extra}"
    );
    write(&dir.join("Cargo.toml"), manifest.as_bytes());
    write(&dir.join("src/lib.rs"), b"");
    write(&dir.join(DIESEL_TOML.0), DIESEL_TOML.1);
    write(
        &dir.join("migrations/2024-01-01-000000_init/up.sql"),
        GOOD_SQL.as_bytes(),
    );
}

#[test]
fn starting_early_changes_nothing_in_the_output() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path();
    write(
        &root.join("Cargo.toml"),
        b"[workspace]\nmembers = [\"crates/a\", \"crates/b\"]\nresolver = \"2\"\n\n\
          [workspace.dependencies]\ndiesel = { version = \"2.3\", features = [\"sqlite\"] }\n\n\
          [workspace.metadata.dbopt.rules]\nfk_without_index = \"warn\"\n",
    );
    // `a` is guessed, with a level of its own; `b` is guessed, its backend inherited; `c`
    // is a member only through `a`'s path dependency, which the guess does not follow.
    package(
        root,
        "a",
        "diesel = { version = \"2.3\", features = [\"postgres\"] }\nc = { path = \"../c\" }",
        "\n[package.metadata.dbopt.rules]\nfk_without_index = \"deny\"\n",
    );
    package(root, "b", "diesel = { workspace = true }", "");
    package(
        root,
        "c",
        "diesel = { version = \"2.3\", features = [\"sqlite\"] }",
        "",
    );
    let early = dbopt(root, &["--format", "json", "--workspace"]);
    let named = dbopt(root, &["--format", "json", "-p", "a", "-p", "b", "-p", "c"]);
    // The same document, but for the packages' order, which `-p` decides.
    let document = |out: &std::process::Output| {
        let mut doc = json(out);
        let findings = doc["findings"].as_array_mut().expect("findings");
        findings.sort_by_key(|f| f["package"].as_str().unwrap_or_default().to_owned());
        doc
    };
    let doc = document(&early);
    assert_eq!(doc, document(&named));
    assert_eq!(early.status.code(), named.status.code());
    // `a` denies the finding: exit 1.
    assert_eq!(early.status.code(), Some(1), "{early:?}");
    let at = |package: &str| {
        (
            package.to_owned(),
            "fk_without_index".to_owned(),
            format!("crates/{package}/migrations/2024-01-01-000000_init/up.sql"),
            4,
        )
    };
    assert_eq!(findings(&doc), [at("a"), at("b"), at("c")], "{doc:#}");
    let levels: Vec<&str> = doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["level"].as_str().expect("level"))
        .collect();
    assert_eq!(levels, ["deny", "warn", "warn"]);
}
