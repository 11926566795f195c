//! Dogfood (STYLE.md §17): `cargo dbopt` over the example application, its output compared
//! with the committed snapshots. A change in what dbopt finds in `examples/blog`, or in how
//! it says so, shows up here as a snapshot diff to review.

use std::path::{Path, PathBuf};
use std::process::Output;

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("cargo-dbopt sits in the workspace")
        .to_path_buf()
}

/// `cargo dbopt --manifest-path <workspace>/examples/blog/Cargo.toml <args>`, run from the
/// system temp dir so nothing depends on where the test runs.
fn dbopt_on_blog(args: &[&str]) -> Output {
    let manifest = workspace_root().join("examples/blog/Cargo.toml");
    std::process::Command::new(env!("CARGO_BIN_EXE_cargo-dbopt"))
        .arg("dbopt")
        .arg("--manifest-path")
        .arg(&manifest)
        .args(args)
        .current_dir(std::env::temp_dir())
        .env_remove("CLICOLOR_FORCE")
        .env_remove("NO_COLOR")
        .output()
        .expect("the binary runs")
}

/// Exit code, stdout and stderr as one text; fails if the machine's paths leak into it.
fn transcript(out: &Output) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let root = workspace_root();
    for (name, text) in [("stdout", &stdout), ("stderr", &stderr)] {
        assert!(
            !text.contains(root.to_string_lossy().as_ref()),
            "{name} holds the absolute workspace path:\n{text}"
        );
    }
    format!(
        "exit code: {}\n--- stdout\n{stdout}--- stderr\n{stderr}",
        out.status.code().expect("exited normally")
    )
}

#[test]
fn blog_human() {
    let out = dbopt_on_blog(&["--color", "never"]);
    assert_eq!(out.status.code(), Some(1), "the example has deny findings");
    assert!(out.stdout.is_empty(), "human output goes to stderr only");
    insta::assert_snapshot!(transcript(&out));
}

#[test]
fn blog_json() {
    let out = dbopt_on_blog(&["--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "the example has deny findings");
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("stdout is one JSON document");
    let files: Vec<&str> = doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["file"].as_str())
        .collect();
    assert!(
        !files.is_empty() && files.iter().all(|f| f.starts_with("examples/blog/")),
        "paths are relative to the workspace root: {files:?}"
    );
    insta::assert_snapshot!(transcript(&out));
}
