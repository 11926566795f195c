//! Every output format on the example project (examples/blog), snapshotted, and `--fix` on a
//! copy of its migrations. Paths in the output are relative to the workspace root; the
//! SARIF root URI is the one absolute path and is redacted.

#[path = "support/sarif_schema.rs"]
mod sarif_schema;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("cargo-dbopt sits in the workspace")
        .to_path_buf()
}

fn example(args: &[&str]) -> Output {
    let root = workspace_root();
    Command::new(env!("CARGO_BIN_EXE_cargo-dbopt"))
        .arg("dbopt")
        .args([
            "--manifest-path",
            "examples/blog/Cargo.toml",
            "--color",
            "never",
        ])
        .args(args)
        .current_dir(&root)
        .env_remove("CLICOLOR_FORCE")
        .env_remove("NO_COLOR")
        .output()
        .expect("the binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).expect("UTF-8 output")
}

#[test]
fn human_on_the_example() {
    let out = example(&[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    insta::assert_snapshot!(text(&out.stderr));
}

#[test]
fn json_on_the_example() {
    let out = example(&["--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stderr.is_empty(), "{}", text(&out.stderr));
    insta::assert_snapshot!(text(&out.stdout));
}

#[test]
fn github_on_the_example() {
    let out = example(&["--format", "github"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stderr.is_empty(), "{}", text(&out.stderr));
    insta::assert_snapshot!(text(&out.stdout));
}

#[test]
fn sarif_on_the_example() {
    let out = example(&["--format", "sarif"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stderr.is_empty(), "{}", text(&out.stderr));
    let log = text(&out.stdout);
    let errors = sarif_schema::errors(&log);
    assert!(errors.is_empty(), "not valid SARIF 2.1.0: {errors:#?}");
    let root_uri = format!("file://{}/", workspace_root().display());
    assert!(log.contains(&root_uri), "{log}");
    insta::assert_snapshot!(log.replace(&root_uri, "file:///[workspace]/"));
}
