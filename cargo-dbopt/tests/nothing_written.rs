//! Nothing is written outside `--fix` and `init` (issue 7 §4). A copy of `examples/blog`
//! (with a workspace root like the repository's) is recorded whole — every path, its kind,
//! permissions and bytes — before and after each invocation of every subcommand and format,
//! run from inside the package. The subcommands and formats are read from the binary's own
//! help and usage errors, so one added without a case here fails the test.
//!
//! `--fix` may only add files; `init` may only change Cargo.toml manifests (that is what it
//! is for) and, run again, nothing.
#![cfg(unix)]

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Output;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("cargo-dbopt sits in the workspace")
        .to_path_buf()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read_dir") {
        let entry = entry.expect("entry");
        let (src, dst) = (entry.path(), to.join(entry.file_name()));
        if entry.file_name() == "target" {
            continue;
        }
        if entry.file_type().expect("file type").is_dir() {
            copy_dir(&src, &dst);
        } else {
            std::fs::copy(&src, &dst).expect("copy");
        }
    }
}

/// `<tmp>/Cargo.toml` (the repository's root manifest with `blog` as the only member and
/// the path dependencies pointing into the repository), `rust-toolchain.toml` and
/// `<tmp>/blog`, the example.
fn example_copy(tmp: &Path) -> PathBuf {
    let repo = repo();
    let root_manifest = std::fs::read_to_string(repo.join("Cargo.toml")).expect("manifest");
    let mut manifest = String::new();
    for line in root_manifest.lines() {
        let line = if line.starts_with("members = ") {
            "members = [\"blog\"]".to_owned()
        } else if line.starts_with("default-members = ") {
            "default-members = [\"blog\"]".to_owned()
        } else {
            line.replace(
                "path = \"dbopt-",
                &format!("path = \"{}/dbopt-", repo.display()),
            )
        };
        manifest.push_str(&line);
        manifest.push('\n');
    }
    std::fs::write(tmp.join("Cargo.toml"), manifest).expect("write");
    std::fs::copy(
        repo.join("rust-toolchain.toml"),
        tmp.join("rust-toolchain.toml"),
    )
    .expect("copy");
    copy_dir(&repo.join("examples/blog"), &tmp.join("blog"));
    tmp.join("blog")
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Entry {
    Dir { mode: u32 },
    File { mode: u32, bytes: Vec<u8> },
    Symlink { target: PathBuf },
}

/// Every path under `root` (relative) with what is there.
fn record(root: &Path) -> BTreeMap<PathBuf, Entry> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Entry>) {
        for entry in std::fs::read_dir(dir).expect("read_dir") {
            let path = entry.expect("entry").path();
            let meta = std::fs::symlink_metadata(&path).expect("metadata");
            let mode = meta.permissions().mode();
            let rel = path.strip_prefix(root).expect("inside").to_path_buf();
            let recorded = if meta.file_type().is_symlink() {
                Entry::Symlink {
                    target: std::fs::read_link(&path).expect("link"),
                }
            } else if meta.is_dir() {
                walk(root, &path, out);
                Entry::Dir { mode }
            } else {
                Entry::File {
                    mode,
                    bytes: std::fs::read(&path).expect("read"),
                }
            };
            out.insert(rel, recorded);
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

/// The paths added, changed and removed between two records.
fn diff(
    before: &BTreeMap<PathBuf, Entry>,
    after: &BTreeMap<PathBuf, Entry>,
) -> (Vec<PathBuf>, Vec<PathBuf>, Vec<PathBuf>) {
    let added = after.keys().filter(|p| !before.contains_key(*p)).cloned();
    let changed = after
        .iter()
        .filter(|(p, e)| before.get(*p).is_some_and(|b| b != *e))
        .map(|(p, _)| p.clone());
    let removed = before.keys().filter(|p| !after.contains_key(*p)).cloned();
    (added.collect(), changed.collect(), removed.collect())
}

fn run(dir: &Path, args: &[&str]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_cargo-dbopt"))
        .arg("dbopt")
        .args(args)
        .current_dir(dir)
        .env_remove("CLICOLOR_FORCE")
        .env_remove("NO_COLOR")
        .output()
        .expect("the binary runs")
}

/// The names listed under `Commands:` in `cargo dbopt --help`.
fn commands(dir: &Path) -> Vec<String> {
    let help = String::from_utf8(run(dir, &["--help"]).stdout).expect("utf-8");
    help.lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
        .collect()
}

/// The `[possible values: ..]` clap lists for a bad value of `flag`.
fn possible_values(dir: &Path, flag: &str) -> Vec<String> {
    let err = String::from_utf8(run(dir, &[flag, "no-such-value"]).stderr).expect("utf-8");
    let list = err
        .split("[possible values: ")
        .nth(1)
        .and_then(|rest| rest.split(']').next())
        .unwrap_or_else(|| panic!("no possible values for {flag}:\n{err}"));
    list.split(", ").map(str::to_owned).collect()
}

fn owned(args: &[&str]) -> Vec<String> {
    args.iter().map(|a| (*a).to_owned()).collect()
}

/// Every read-only invocation: each command with and without its options, each format
/// and colour choice, each command's help, and the usage errors.
fn read_only_invocations(dir: &Path) -> Vec<Vec<String>> {
    let formats = possible_values(dir, "--format");
    let colors = possible_values(dir, "--color");
    assert_eq!(formats, ["human", "json", "sarif", "github"]);
    let mut runs: Vec<Vec<String>> = [
        &[][..],
        &["--version"],
        &["--help"],
        &["-D", "warnings", "-A", "fk_without_index"],
        &["--workspace"],
        &[
            "-p",
            "blog",
            "--migrations",
            "migrations",
            "--schema",
            "src/schema.rs",
        ],
        &["--diesel-toml", "diesel.toml"],
        &["--manifest-path", "../Cargo.toml", "--workspace"],
        &["--no-such-flag"],
        &["-D", "no_such_rule"],
    ]
    .iter()
    .map(|r| owned(r))
    .collect();
    let commands = commands(dir);
    for command in &commands {
        let cases: &[&[&str]] = match command.as_str() {
            "check" => &[&["check"], &["check", "-W", "warnings"]],
            "rules" => &[&["rules"], &["rules", "-p", "blog", "-D", "warnings"]],
            "explain" => &[
                &["explain", "fk_without_index"],
                &["explain", "n_plus_one"],
                &["explain", "no_such_rule"],
            ],
            "help" => &[&["help"], &["help", "check"]],
            // Writes by design: checked in `init_only_changes_manifests` below.
            "init" => &[],
            other => panic!("`{other}` has no case here: add one (and say what it may write)"),
        };
        runs.push(owned(&[command, "--help"]));
        runs.extend(cases.iter().map(|c| owned(c)));
    }
    assert_eq!(commands, ["check", "rules", "explain", "init", "help"]);
    for format in &formats {
        runs.push(owned(&["--format", format]));
        runs.push(owned(&["check", "--format", format]));
    }
    for color in &colors {
        runs.push(owned(&["--color", color]));
    }
    runs
}

#[test]
fn no_read_only_invocation_writes_anything() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let package = example_copy(tmp.path());
    let before = record(tmp.path());
    // The copy is analysed like the example: deny findings, exit 1.
    let out = run(&package, &["--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("\"fk_without_index\""));
    let runs = read_only_invocations(&package);
    assert!(runs.len() > 30, "{}", runs.len());
    for args in &runs {
        let out = run(
            &package,
            &args.iter().map(String::as_str).collect::<Vec<_>>(),
        );
        assert!(
            out.status.code().is_some_and(|c| c <= 2),
            "{args:?}: {:?}",
            out.status
        );
        let after = record(tmp.path());
        assert_eq!(
            diff(&before, &after),
            (vec![], vec![], vec![]),
            "`cargo dbopt {}` changed the tree (added, changed, removed)",
            args.join(" ")
        );
    }
}

#[test]
fn fix_only_adds_files() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let package = example_copy(tmp.path());
    let before = record(tmp.path());
    let out = run(&package, &["--fix", "--format", "json"]);
    assert!(out.status.code().is_some_and(|c| c <= 1), "{out:?}");
    let (added, changed, removed) = diff(&before, &record(tmp.path()));
    assert_eq!((changed, removed), (vec![], vec![]));
    assert!(
        !added.is_empty(),
        "the example has fk_without_index findings"
    );
    for path in &added {
        assert!(path.starts_with("blog/migrations"), "{}", path.display());
    }
}

#[test]
fn init_only_changes_manifests() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let package = example_copy(tmp.path());
    let before = record(tmp.path());
    let out = run(&package, &["init"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let once = record(tmp.path());
    let (added, changed, removed) = diff(&before, &once);
    assert_eq!((added, removed), (vec![], vec![]));
    assert!(!changed.is_empty(), "init writes the configuration");
    for path in &changed {
        assert_eq!(path.file_name().expect("a file"), "Cargo.toml");
    }
    let out = run(&package, &["init"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(
        diff(&once, &record(tmp.path())),
        (vec![], vec![], vec![]),
        "init again changes nothing"
    );
}
