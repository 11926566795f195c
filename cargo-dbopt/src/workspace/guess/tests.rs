//! The guess against cargo's own answer: on workspaces of every shape the guess reads, each
//! guessed package must be the one `cargo metadata` selects, with the same settings.

use std::path::{Path, PathBuf};

use super::*;
use crate::workspace::{self, Workspace};

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// A member package at `dir` with `deps` as its `[dependencies]` (and `extra` after).
fn member(dir: &Path, name: &str, deps: &str, extra: &str) {
    write(
        &dir.join("Cargo.toml"),
        &format!(
            "[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n\
             [dependencies]\n{deps}\n{extra}"
        ),
    );
    write(&dir.join("src/lib.rs"), "");
}

/// What the schema side takes of a package: name, folder, config, diesel backend.
type Facts = (String, PathBuf, Config, Option<Backend>);

fn from_cargo(ws: &Workspace) -> (PathBuf, Config, Vec<Facts>) {
    let packages = ws
        .packages
        .iter()
        .map(|p| {
            (
                p.name.clone(),
                p.dir.clone(),
                p.config.clone(),
                p.diesel_backend,
            )
        })
        .collect();
    (ws.root.clone(), ws.config.clone(), packages)
}

fn from_guess(guess: Guess) -> (PathBuf, Config, Vec<Facts>) {
    let packages = guess
        .packages
        .into_iter()
        .map(|p| (p.name, p.dir, p.config, p.diesel_backend))
        .collect();
    (guess.root, guess.config, packages)
}

/// The guess and cargo agree, packages compared as sets (cargo sorts them by id).
fn agree(args: &WorkspaceArgs) -> Vec<String> {
    let cargo = from_cargo(&workspace::load(args).expect("cargo metadata reads the workspace"));
    let guessed = from_guess(guess(args).expect("the manifests are guessed"));
    let sorted = |(root, config, mut packages): (PathBuf, Config, Vec<Facts>)| {
        packages.sort_by(|a, b| a.0.cmp(&b.0));
        (root, config, packages)
    };
    let (cargo, guessed) = (sorted(cargo), sorted(guessed));
    assert_eq!(guessed, cargo);
    cargo.2.into_iter().map(|p| p.0).collect()
}

fn at(manifest: &Path) -> WorkspaceArgs {
    WorkspaceArgs {
        manifest_path: Some(manifest.to_path_buf()),
        ..WorkspaceArgs::default()
    }
}

/// A virtual workspace: globbed and listed members, an excluded folder, inherited, renamed,
/// target-specific and dev-only diesel dependencies, and dbopt tables at both levels.
fn virtual_workspace(root: &Path, default_members: &str) {
    write(
        &root.join("Cargo.toml"),
        &format!(
            "[workspace]\nmembers = [\"crates/*\", \"tools/gen\"]\nexclude = [\"crates/old\"]\n\
             {default_members}\nresolver = \"2\"\n\n\
             [workspace.dependencies]\ndiesel = {{ version = \"2.3\", features = [\"postgres\"] }}\n\n\
             [workspace.metadata.dbopt]\nbackend = \"postgres\"\n\n\
             [workspace.metadata.dbopt.rules]\nfk_without_index = \"warn\"\n"
        ),
    );
    member(
        &root.join("crates/api"),
        "api",
        "diesel = { workspace = true, features = [\"chrono\"] }",
        "\n[package.metadata.dbopt]\nmigrations = \"db/migrations\"\n",
    );
    member(
        &root.join("crates/store"),
        "store",
        "db = { package = \"diesel\", version = \"2.3\", features = [\"mysql\"] }",
        "",
    );
    member(
        &root.join("crates/tests_only"),
        "tests_only",
        "",
        "[dev-dependencies]\ndiesel = { version = \"2.3\", features = [\"sqlite\"] }\n",
    );
    member(
        &root.join("crates/native"),
        "native",
        "",
        "[target.'cfg(unix)'.dependencies]\ndiesel = { version = \"2.3\", features = [\"sqlite\"] }\n",
    );
    member(&root.join("crates/old"), "old", "", "");
    member(&root.join("tools/gen"), "gen", "serde = \"1\"", "");
    // A file the glob matches is not a member.
    write(&root.join("crates/README.md"), "");
}

#[test]
fn a_virtual_workspace_is_guessed_as_cargo_reads_it() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    virtual_workspace(root, "");
    let names = agree(&at(&root.join("Cargo.toml")));
    assert_eq!(names, ["api", "gen", "native", "store", "tests_only"]);
    // What the guess agreed on: inherited, renamed, target-specific, dev-only dependencies.
    let guessed = guess(&at(&root.join("Cargo.toml"))).unwrap();
    let mut backends: Vec<(&str, Option<Backend>)> = guessed
        .packages
        .iter()
        .map(|p| (p.name.as_str(), p.diesel_backend))
        .collect();
    backends.sort();
    assert_eq!(
        backends,
        [
            ("api", Some(Backend::Postgres)),
            ("gen", None),
            ("native", Some(Backend::Sqlite)),
            ("store", Some(Backend::Mysql)),
            ("tests_only", Some(Backend::Sqlite)),
        ]
    );
    let api = guessed.packages.iter().find(|p| p.name == "api").unwrap();
    assert_eq!(
        api.config.migrations.as_deref(),
        Some(root.join("crates/api/db/migrations").as_path())
    );
    let all = WorkspaceArgs {
        workspace: true,
        ..at(&root.join("Cargo.toml"))
    };
    assert_eq!(agree(&all).len(), 5);
    // From a member's manifest: that package alone.
    assert_eq!(agree(&at(&root.join("crates/store/Cargo.toml"))), ["store"]);
    // `..` in the path is resolved as cargo resolves it.
    assert_eq!(
        agree(&at(&root.join("tools/../crates/api/Cargo.toml"))),
        ["api"]
    );
}

#[test]
fn default_members_are_the_default_selection() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    virtual_workspace(root, "default-members = [\"crates/api\", \"tools/*\"]");
    assert_eq!(agree(&at(&root.join("Cargo.toml"))), ["api", "gen"]);
}

#[test]
fn a_root_package_and_a_single_package_are_guessed() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("app");
    member(
        &root,
        "app",
        "diesel = { version = \"2.3\", features = [\"sqlite\"] }",
        "\n[workspace]\nmembers = [\"worker\"]\n",
    );
    member(&root.join("worker"), "worker", "", "");
    assert_eq!(agree(&at(&root.join("Cargo.toml"))), ["app"]);
    let single = tmp.path().join("single");
    member(&single, "single", "diesel = \"2.3\"", "");
    assert_eq!(agree(&at(&single.join("Cargo.toml"))), ["single"]);
}

#[test]
fn what_the_manifests_leave_unsure_is_not_guessed() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    virtual_workspace(root, "");
    let by_name = WorkspaceArgs {
        packages: vec!["api".into()],
        ..at(&root.join("Cargo.toml"))
    };
    assert!(guess(&by_name).is_none());
    // A package outside the members of the workspace above it: cargo refuses it.
    member(&root.join("stray"), "stray", "", "");
    assert!(guess(&at(&root.join("stray/Cargo.toml"))).is_none());
    // A manifest that does not parse.
    write(&root.join("broken/Cargo.toml"), "[package\n");
    assert!(guess(&at(&root.join("broken/Cargo.toml"))).is_none());
    // A FIFO is not read (reading it would wait for a writer forever).
    #[cfg(unix)]
    {
        std::fs::create_dir_all(root.join("fifo")).unwrap();
        let fifo = root.join("fifo/Cargo.toml");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        assert!(made.expect("mkfifo runs").success());
        assert!(guess(&at(&fifo)).is_none());
    }
}
