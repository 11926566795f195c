//! The built binary, run as cargo runs it: exit codes, error sentences, stdout/stderr split.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

fn dbopt(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cargo-dbopt"))
        .arg("dbopt")
        .args(args)
        .current_dir(dir)
        .env_remove("CLICOLOR_FORCE")
        .env_remove("NO_COLOR")
        .output()
        .expect("the binary runs")
}

fn code(out: &Output) -> i32 {
    out.status.code().expect("exited normally")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A fresh directory under the target's tmp dir holding `files`.
fn project(files: &[(&str, &str)]) -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "cli-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for (path, text) in files {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

const LIB: (&str, &str) = ("src/lib.rs", "");

fn package_manifest(extra: &str) -> String {
    format!(
        "[package]\nname = \"shop\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n\
         [dependencies]\ndiesel = {{ version = \"2\", features = [\"postgres\"] }}\n\n\
         [workspace]\n{extra}"
    )
}

#[test]
fn unknown_flag_is_a_usage_error() {
    let out = dbopt(Path::new("."), &["--frobnicate"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("unexpected argument '--frobnicate'"));
}

#[test]
fn unknown_rule_in_a_level_flag_lists_the_rules() {
    let out = dbopt(Path::new("."), &["check", "-W", "fk_no_index"]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains(&dbopt_core::config::unknown_rule_message("fk_no_index")),
        "{}",
        stderr(&out)
    );
}

#[test]
fn broken_manifest_is_one_sentence_naming_the_path() {
    let dir = project(&[("Cargo.toml", "[package\nname = \"x\"\n"), LIB]);
    let manifest = dir.join("Cargo.toml");
    let out = dbopt(&dir, &["--manifest-path", manifest.to_str().unwrap()]);
    assert_eq!(code(&out), 2);
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    let prefix = format!("error: invalid manifest {}: ", manifest.display());
    assert!(err.starts_with(&prefix), "{err}");
    assert!(err.trim_end().ends_with("(line 1, column 9)"), "{err}");
    assert!(out.stdout.is_empty());
}

#[test]
fn missing_manifest_is_an_error() {
    let dir = project(&[]);
    let manifest = dir.join("nope/Cargo.toml");
    let out = dbopt(&dir, &["--manifest-path", manifest.to_str().unwrap()]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains(manifest.to_str().unwrap()),
        "{}",
        stderr(&out)
    );
}

#[test]
fn explain_prints_the_generated_doc_page() {
    let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/rules");
    for rule in dbopt_core::rules::RULES {
        let out = dbopt(Path::new("."), &["explain", rule.name]);
        assert_eq!(code(&out), 0);
        let page = std::fs::read_to_string(docs.join(format!("{}.md", rule.name)))
            .expect("docs/rules holds every rule; run `cargo xtask docs`");
        assert_eq!(
            stdout(&out),
            page,
            "`explain {}` and its page differ",
            rule.name
        );
    }
    let out = dbopt(Path::new("."), &["explain", "fk_without_index"]);
    assert!(stdout(&out).starts_with(
        "# fk_without_index\n\na foreign key whose referencing columns have no index\n\n\
         - group: `performance`\n- default level: `deny`\n\n## What it does\n"
    ));
}

#[test]
fn explain_of_an_unknown_rule_lists_the_rules() {
    let out = dbopt(Path::new("."), &["explain", "fk_no_index"]);
    assert_eq!(code(&out), 2);
    let names: Vec<&str> = dbopt_core::rules::RULES.iter().map(|r| r.name).collect();
    assert!(names.contains(&"fk_without_index"));
    assert_eq!(
        stderr(&out).lines().next().unwrap(),
        format!(
            "error: unknown rule `fk_no_index`; expected one of: {}",
            names.join(", ")
        )
    );
}

#[test]
fn rules_show_levels_and_their_sources() {
    let dir = project(&[
        (
            "Cargo.toml",
            &package_manifest(
                "[workspace.metadata.dbopt]\nrules = { unparsed_statement = \"deny\" }\n\n\
                 [package.metadata.dbopt]\nrules = { fk_without_index = \"warn\" }\n",
            ),
        ),
        LIB,
    ]);
    let out = dbopt(
        &dir,
        &["rules", "-A", "warnings", "-W", "joinable_without_fk"],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = stdout(&out);
    let row = |rule: &str| -> Vec<String> {
        let line = text.lines().find(|l| l.starts_with(rule)).unwrap();
        line.split_whitespace().take(4).map(str::to_owned).collect()
    };
    assert!(text.starts_with("levels for package `shop`:\n"), "{text}");
    // the package's warn, then `-A warnings`
    assert_eq!(
        row("fk_without_index"),
        ["fk_without_index", "performance", "allow", "command"]
    );
    // `-A warnings`, then `-W joinable_without_fk`
    assert_eq!(
        row("joinable_without_fk"),
        ["joinable_without_fk", "schema", "warn", "command"]
    );
    // the workspace's deny is not a warning
    assert_eq!(
        row("unparsed_statement"),
        ["unparsed_statement", "tooling", "deny", "workspace"]
    );
}

#[test]
fn unknown_config_key_is_an_error_listing_the_keys() {
    let dir = project(&[
        (
            "Cargo.toml",
            &package_manifest("\n[package.metadata.dbopt]\nmigration = \"db/migrations\"\n"),
        ),
        LIB,
    ]);
    let out = dbopt(&dir, &[]);
    assert_eq!(code(&out), 2);
    let err = stderr(&out);
    assert!(err.contains("`[package.metadata.dbopt]` in "), "{err}");
    assert!(
        err.contains(
            "unknown key `migration`; expected one of: accessors, backend, handle_types, \
             include_tests, max_connections, migrations, rules, schema, small_tables, \
             start_after, transaction_macros, wrapper_macros"
        ),
        "{err}"
    );
}

#[test]
fn wrongly_typed_pool_keys_are_errors_naming_the_manifest() {
    let dir = project(&[
        (
            "Cargo.toml",
            &package_manifest(
                "\n[package.metadata.dbopt]\nmax_connections = \"lots\"\nwrapper_macros = [\"db_run\"]\n",
            ),
        ),
        LIB,
    ]);
    let out = dbopt(&dir, &[]);
    assert_eq!(code(&out), 2);
    let err = stderr(&out);
    let manifest = dir.join("Cargo.toml");
    assert!(
        err.contains(&format!(
            "`[package.metadata.dbopt]` in {}: `max_connections` must be a positive integer, \
             found a string",
            manifest.display()
        )),
        "{err}"
    );
}

#[test]
fn unknown_rule_in_config_is_an_error() {
    let dir = project(&[
        (
            "Cargo.toml",
            &package_manifest("\n[workspace.metadata.dbopt.rules]\nn_plus_two = \"deny\"\n"),
        ),
        LIB,
    ]);
    let out = dbopt(&dir, &["rules"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("`[workspace.metadata.dbopt]`"));
    assert!(stderr(&out).contains("unknown rule `n_plus_two`; expected one of: "));
}

#[test]
fn unknown_package_lists_the_members() {
    let dir = project(&[("Cargo.toml", &package_manifest("")), LIB]);
    let out = dbopt(&dir, &["-p", "blog"]);
    assert_eq!(code(&out), 2);
    assert_eq!(
        stderr(&out).trim_end(),
        "error: package `blog` is not a member of the workspace; expected one of: shop"
    );
}

/// An N+1 in a fn no attribute marks: the source scan reports it.
const N_PLUS_ONE: &str = "pub fn titles(conn: &mut PgConnection, ids: &[i32]) {
    for id in ids {
        posts::table.find(id).first::<Post>(conn);
    }
}
";

#[test]
fn a_package_without_diesel_toml_is_still_scanned() {
    // Before the source scan such a package was "nothing to analyse" (exit 2); its code is
    // now checked, so it is clean or has findings like any other.
    let dir = project(&[("Cargo.toml", &package_manifest("")), LIB]);
    let out = dbopt(&dir, &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(stderr(&out), "");
    let dir = project(&[
        ("Cargo.toml", &package_manifest("")),
        ("src/lib.rs", N_PLUS_ONE),
    ]);
    let out = dbopt(&dir, &["--format", "json"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON document");
    let finding = &doc["findings"][0];
    assert_eq!(
        (&finding["rule"], &finding["file"], &finding["line"]),
        (
            &serde_json::json!("n_plus_one"),
            &serde_json::json!("src/lib.rs"),
            &serde_json::json!(3)
        )
    );
    assert_eq!(doc["errors"], serde_json::json!([]));
}

#[test]
fn nothing_analysed_is_exit_2_in_both_formats() {
    // No diesel.toml, and the only Rust file (it names a connection, so it is parsed) does
    // not parse.
    let broken = "pub fn f(conn: &mut PgConnection {}\n";
    let dir = project(&[
        ("Cargo.toml", &package_manifest("")),
        ("src/lib.rs", broken),
    ]);
    let out = dbopt(&dir, &[]);
    assert_eq!(code(&out), 2);
    assert_eq!(
        stderr(&out),
        "error: cannot parse `src/lib.rs` (line 1, column 9): unbalanced delimiters, or an \
         unterminated string or comment; its fns were not checked\n\
         error: could not analyse any selected package (shop)\n",
    );
    let out = dbopt(&dir, &["check", "--format", "json"]);
    assert_eq!(code(&out), 2);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON document");
    assert_eq!(doc["version"], 1);
    assert_eq!(
        doc["summary"],
        serde_json::json!({"deny": 0, "warn": 0, "old_migration_findings": 0})
    );
    assert!(doc["findings"].as_array().unwrap().is_empty());
    assert_eq!(
        doc["errors"],
        serde_json::json!([{
            "path": "src/lib.rs",
            "message": "cannot parse `src/lib.rs` (line 1, column 9): unbalanced delimiters, or \
                        an unterminated string or comment; its fns were not checked"
        }])
    );
    assert!(out.stderr.is_empty(), "{}", stderr(&out));
}

#[test]
fn colour_follows_the_flag_and_the_environment() {
    let dir = project(&[("Cargo.toml", &package_manifest("")), LIB]);
    let plain = dbopt(&dir, &["-p", "nope"]);
    assert!(!stderr(&plain).contains('\u{1b}'), "piped output is plain");
    let forced = dbopt(&dir, &["-p", "nope", "--color", "always"]);
    assert!(stderr(&forced).contains("\u{1b}["));
    let env = Command::new(env!("CARGO_BIN_EXE_cargo-dbopt"))
        .args(["dbopt", "-p", "nope"])
        .current_dir(&dir)
        .env("CLICOLOR_FORCE", "1")
        .env_remove("NO_COLOR")
        .output()
        .unwrap();
    assert!(stderr(&env).contains("\u{1b}["));
    let never = Command::new(env!("CARGO_BIN_EXE_cargo-dbopt"))
        .args(["dbopt", "-p", "nope", "--color", "never"])
        .current_dir(&dir)
        .env("CLICOLOR_FORCE", "1")
        .output()
        .unwrap();
    assert!(!stderr(&never).contains('\u{1b}'));
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_cargo-dbopt"))
            .args(args)
            .current_dir(&dir)
            .env("NO_COLOR", "1")
            .env("CLICOLOR_FORCE", "1")
            .output()
            .unwrap()
    };
    // NO_COLOR beats CLICOLOR_FORCE; an explicit --color always beats both.
    assert!(!stderr(&run(&["dbopt", "-p", "nope"])).contains('\u{1b}'));
    assert!(stderr(&run(&["dbopt", "-p", "nope", "--color=always"])).contains("\u{1b}["));
}

#[test]
fn help_and_version_exit_0() {
    assert_eq!(code(&dbopt(Path::new("."), &["--help"])), 0);
    assert_eq!(code(&dbopt(Path::new("."), &["--version"])), 0);
    assert_eq!(code(&dbopt(Path::new("."), &["explain", "--help"])), 0);
}

fn member(name: &str, diesel: bool) -> String {
    let dep = if diesel {
        "diesel = { version = \"2\", features = [\"sqlite\"] }"
    } else {
        ""
    };
    format!(
        "[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n\
         [dependencies]\n{dep}\n"
    )
}

/// A virtual workspace: `a` (default member) and `b` use diesel, `c` does not.
fn virtual_workspace() -> PathBuf {
    project(&[
        (
            "Cargo.toml",
            "[workspace]\nresolver = \"2\"\nmembers = [\"a\", \"b\", \"c\"]\ndefault-members = [\"a\"]\n",
        ),
        ("a/Cargo.toml", &member("a", true)),
        ("a/src/lib.rs", N_PLUS_ONE),
        ("b/Cargo.toml", &member("b", true)),
        ("b/src/lib.rs", N_PLUS_ONE),
        ("c/Cargo.toml", &member("c", false)),
        ("c/src/lib.rs", N_PLUS_ONE),
    ])
}

/// The packages checked, from their summary lines (each has one finding).
fn checked(out: &Output) -> String {
    let names: Vec<String> = stderr(out)
        .lines()
        .filter_map(|l| l.strip_prefix("error: 1 problem (1 denied) in package "))
        .map(str::to_owned)
        .collect();
    names.join(", ")
}

#[test]
fn packages_are_selected_as_cargo_selects_them() {
    let ws = virtual_workspace();
    // At a virtual root: its default members.
    assert_eq!(checked(&dbopt(&ws, &[])), "a");
    // In a package's directory (or below): that package, even without diesel.
    assert_eq!(checked(&dbopt(&ws.join("b/src"), &[])), "b");
    assert_eq!(checked(&dbopt(&ws.join("c"), &[])), "c");
    // --manifest-path of a member: that member.
    let b = ws.join("b/Cargo.toml");
    assert_eq!(
        checked(&dbopt(
            Path::new("."),
            &["--manifest-path", b.to_str().unwrap()]
        )),
        "b"
    );
    // --workspace: every member that uses diesel.
    assert_eq!(checked(&dbopt(&ws, &["--workspace"])), "a, b");
    assert_eq!(
        checked(&dbopt(&ws, &["--workspace", "--exclude", "a"])),
        "b"
    );
    assert_eq!(
        code(&dbopt(&ws, &["--exclude", "a"])),
        2,
        "--exclude needs --workspace"
    );
    // -p, several times and as a glob; a named package is analysed without diesel.
    assert_eq!(checked(&dbopt(&ws, &["-p", "b", "-p", "c"])), "b, c");
    assert_eq!(checked(&dbopt(&ws, &["-p", "?"])), "a, b, c");
    assert_eq!(checked(&dbopt(&ws, &["-p", "b@0.1"])), "b");
}

#[test]
fn a_selection_without_diesel_is_a_usage_error() {
    let ws = project(&[
        (
            "Cargo.toml",
            "[workspace]\nresolver = \"2\"\nmembers = [\"c\", \"d\"]\n",
        ),
        ("c/Cargo.toml", &member("c", false)),
        ("c/src/lib.rs", ""),
        ("d/Cargo.toml", &member("d", false)),
        ("d/src/lib.rs", ""),
    ]);
    let out = dbopt(&ws, &[]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("depends on diesel; choose one with `-p SPEC`"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn rules_at_a_virtual_root_show_the_workspace_and_with_p_the_package() {
    let ws = project(&[
        (
            "Cargo.toml",
            "[workspace]\nresolver = \"2\"\nmembers = [\"a\"]\n\n\
             [workspace.metadata.dbopt]\nrules = { joinable_without_fk = \"allow\" }\n",
        ),
        (
            "a/Cargo.toml",
            &format!(
                "{}\n[package.metadata.dbopt]\nrules = {{ joinable_without_fk = \"deny\" }}\n",
                member("a", true)
            ),
        ),
        ("a/src/lib.rs", ""),
    ]);
    let level = |out: &Output| -> Vec<String> {
        let text = stdout(out);
        let line = text
            .lines()
            .find(|l| l.starts_with("joinable_without_fk"))
            .unwrap_or_default()
            .to_owned();
        line.split_whitespace()
            .skip(2)
            .take(2)
            .map(str::to_owned)
            .collect()
    };
    let root = dbopt(&ws, &["rules"]);
    assert!(
        stdout(&root).starts_with("levels for the workspace at "),
        "{}",
        stdout(&root)
    );
    assert_eq!(level(&root), ["allow", "workspace"]);
    let a = dbopt(&ws, &["rules", "-p", "a"]);
    assert!(stdout(&a).starts_with("levels for package `a`:"));
    assert_eq!(level(&a), ["deny", "package"]);
    assert_eq!(
        level(&dbopt(&ws.join("a"), &["rules"])),
        ["deny", "package"]
    );
}

#[test]
fn init_adds_config_and_dependency_once() {
    let dir = project(&[("Cargo.toml", &package_manifest("")), LIB]);
    let manifest = dir.join("Cargo.toml");
    let before = std::fs::read_to_string(&manifest).unwrap();
    let out = dbopt(&dir, &["init"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(
        stderr(&out),
        "      Adding [package.metadata.dbopt] to Cargo.toml\n      \
         Adding dbopt-macros v0.1.0 to dependencies of shop\n"
    );
    let after = std::fs::read_to_string(&manifest).unwrap();
    assert!(
        after.contains("dbopt-macros = \"0.1.0\"\ndiesel = "),
        "{after}"
    );
    assert!(after.starts_with(&before.replace(
        "[dependencies]\n",
        "[dependencies]\ndbopt-macros = \"0.1.0\"\n"
    )));
    // cargo reads it, and the levels come from the package now.
    let rules = dbopt(&dir, &["rules"]);
    assert_eq!(code(&rules), 0, "{}", stderr(&rules));
    for rule in dbopt_core::rules::RULES {
        let line = stdout(&rules)
            .lines()
            .find(|l| l.starts_with(rule.name))
            .map(str::to_owned)
            .unwrap();
        let cells: Vec<&str> = line.split_whitespace().take(4).collect();
        assert_eq!(
            cells[2..],
            [rule.default_level.as_str(), "package"],
            "{line}"
        );
    }
    // Twice: nothing changes.
    let again = dbopt(&dir, &["init"]);
    assert_eq!(code(&again), 0);
    assert_eq!(std::fs::read_to_string(&manifest).unwrap(), after);
    assert_eq!(
        stderr(&again),
        "note: Cargo.toml already has [package.metadata.dbopt]; left as it is\n\
         note: shop already depends on dbopt-macros; left as it is\n"
    );
}

#[test]
fn init_at_a_virtual_root_configures_the_workspace_and_its_diesel_members() {
    let dir = virtual_workspace();
    let c_before = std::fs::read_to_string(dir.join("c/Cargo.toml")).unwrap();
    let out = dbopt(&dir, &["init"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(
        stderr(&out),
        "      Adding [workspace.metadata.dbopt] to Cargo.toml\n      \
         Adding dbopt-macros v0.1.0 to dependencies of a\n      \
         Adding dbopt-macros v0.1.0 to dependencies of b\n"
    );
    let root = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
    assert!(
        root.contains("\n[workspace.metadata.dbopt.rules]\n"),
        "{root}"
    );
    assert!(root.contains("\nfk_without_index = \"deny\""), "{root}");
    for m in ["a", "b"] {
        let text = std::fs::read_to_string(dir.join(m).join("Cargo.toml")).unwrap();
        assert_eq!(
            text,
            member(m, true).replace(
                "[dependencies]\n",
                "[dependencies]\ndbopt-macros = \"0.1.0\"\n"
            ),
        );
    }
    assert_eq!(
        std::fs::read_to_string(dir.join("c/Cargo.toml")).unwrap(),
        c_before
    );
    let rules = dbopt(&dir, &["rules"]);
    assert!(stdout(&rules).contains("workspace"), "{}", stdout(&rules));
}
