//! Test workspaces built in a temp dir, and the binary run on them.
#![allow(dead_code)] // each test file uses its own part

use std::path::Path;
use std::process::{Output, Stdio};
use std::time::Duration;

pub const GOOD_SQL: &str = "CREATE TABLE users (id INT PRIMARY KEY);
CREATE TABLE posts (
    id INT PRIMARY KEY,
    user_id INT NOT NULL REFERENCES users (id)
);
";

pub const DIESEL_TOML: (&str, &[u8]) = (
    "diesel.toml",
    b"[migrations_directory]\ndir = \"migrations\"\n",
);

pub fn write(path: &Path, bytes: &[u8]) {
    std::fs::create_dir_all(path.parent().expect("a parent")).expect("create dirs");
    std::fs::write(path, bytes).expect("write");
}

/// A member `name` of the workspace at `root`, opted in with `backend = "postgres"` and
/// holding `files` (paths relative to it).
pub fn package(root: &Path, name: &str, files: &[(&str, &[u8])]) {
    let dir = root.join(name);
    let manifest = format!(
        "[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n\
         [package.metadata.dbopt]\nbackend = \"postgres\"\n"
    );
    write(&dir.join("Cargo.toml"), manifest.as_bytes());
    write(&dir.join("src/lib.rs"), b"");
    for (path, bytes) in files {
        write(&dir.join(path), bytes);
    }
}

pub fn workspace(root: &Path, members: &[&str]) {
    let members: Vec<String> = members.iter().map(|m| format!("\"{m}\"")).collect();
    let manifest = format!(
        "[workspace]\nresolver = \"2\"\nmembers = [{}]\n",
        members.join(", ")
    );
    write(&root.join("Cargo.toml"), manifest.as_bytes());
}

/// `cargo dbopt --manifest-path <root>/Cargo.toml ARGS` in `root`; fails the test when it
/// runs longer than `limit` (a FIFO read would block forever) and kills it.
pub fn dbopt_within(root: &Path, args: &[&str], limit: Duration) -> Output {
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_cargo-dbopt"))
        .arg("dbopt")
        .arg("--manifest-path")
        .arg(root.join("Cargo.toml"))
        .args(args)
        .current_dir(root)
        .env_remove("CLICOLOR_FORCE")
        .env_remove("NO_COLOR")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let pid = child.id();
    let (send, receive) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = send.send(child.wait_with_output());
    });
    match receive.recv_timeout(limit) {
        Ok(out) => out.expect("output"),
        Err(_) => {
            let _ = std::process::Command::new("kill")
                .arg("-9")
                .arg(pid.to_string())
                .status();
            panic!("cargo dbopt {args:?} still runs after {limit:?}");
        }
    }
}

pub fn dbopt(root: &Path, args: &[&str]) -> Output {
    dbopt_within(root, args, Duration::from_secs(120))
}

/// The text with each of `dirs` (and its canonical form) replaced by its label, and the OS
/// error number by `N` (ELOOP is 40 on Linux, 62 on macOS).
pub fn normalised_with(text: &[u8], dirs: &[(&Path, &str)]) -> String {
    let mut text = String::from_utf8_lossy(text).into_owned();
    for (dir, label) in dirs {
        for dir in [dir.to_path_buf(), dir.canonicalize().expect("canonical")] {
            text = text.replace(dir.to_string_lossy().as_ref(), label);
        }
    }
    numbers_after(&text, "(os error ")
}

pub fn normalised(text: &[u8], root: &Path) -> String {
    normalised_with(text, &[(root, "[ROOT]")])
}

/// `text` with the number after each `marker` replaced by `N`.
pub fn numbers_after(text: &str, marker: &str) -> String {
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

pub fn json(out: &Output) -> serde_json::Value {
    assert!(
        out.stderr.is_empty(),
        "json mode keeps stderr empty: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("stdout is one JSON document")
}

/// `(path, message)` of each error, with `dirs` replaced by their labels.
pub fn errors_with(doc: &serde_json::Value, dirs: &[(&Path, &str)]) -> Vec<(String, String)> {
    doc["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| {
            let text = |v: &serde_json::Value| {
                normalised_with(v.as_str().expect("a string").as_bytes(), dirs)
            };
            (text(&e["path"]), text(&e["message"]))
        })
        .collect()
}

pub fn errors(doc: &serde_json::Value, root: &Path) -> Vec<(String, String)> {
    errors_with(doc, &[(root, "[ROOT]")])
}

/// `(package, rule, file, line)` of each finding.
pub fn findings(doc: &serde_json::Value) -> Vec<(String, String, String, u64)> {
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

pub fn pair(path: &str, message: &str) -> (String, String) {
    (path.to_owned(), message.to_owned())
}
