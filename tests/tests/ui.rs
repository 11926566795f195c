//! trybuild UI tests of `#[db_checked]`, blessed on the toolchain pinned in
//! `rust-toolchain.toml` (rustc's diagnostics drift between releases).
//!
//! - `ui/fail/<rule>/*.rs`: real Diesel code that fails only because of the finding recorded
//!   in the `.stderr` beside it; warn-level findings are captured with `#![deny(deprecated)]`.
//! - `ui/pass/*.rs`: real Diesel code with no finding. trybuild accepts warnings in pass
//!   cases, so each one says `#![deny(warnings)]` to fail on a warn-level finding too, and
//!   its `main` runs the code against an in-memory SQLite database.
//!
//! Bless with `TRYBUILD=overwrite cargo test -p dbopt-tests --test ui` and read the diff.

use std::fs;
use std::path::{Path, PathBuf};

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("ui/fail/*/*.rs");
    t.pass("ui/pass/*.rs");
}

/// Every fail case with `#[db_checked]`, `#[dbopt::allow]` and the macro import removed must
/// compile without a single warning, so its `.stderr` holds our errors and nothing of Diesel's
/// or rustc's. (The pass cases need no such copy: the attribute emits them unchanged, and the
/// `ui` test builds and runs them.) The copies keep the folder layout so
/// `include!("../../schema.rs")` resolves, and their `main` returns at once (some cases sleep,
/// spawn or dial out). Building ~40 binaries takes minutes, so run it when adding or changing
/// a case: `cargo test -p dbopt-tests --test ui -- --ignored`.
#[test]
#[ignore = "slow; run with --ignored after adding or changing a UI case"]
fn fail_cases_compile_without_the_attribute() {
    let ui = Path::new(env!("CARGO_MANIFEST_DIR")).join("ui");
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("ui-without-attribute");
    let _ = fs::remove_dir_all(&out);
    fs::create_dir_all(&out).expect("create the copy folder");
    fs::copy(ui.join("schema.rs"), out.join("schema.rs")).expect("copy schema.rs");

    let cases = fail_cases(&ui);
    assert!(cases.len() >= 21, "only {} fail cases", cases.len());
    let t = trybuild::TestCases::new();
    for case in cases {
        let relative = case.strip_prefix(&ui).expect("case under ui/");
        let copy = out.join(relative);
        fs::create_dir_all(copy.parent().expect("case folder")).expect("create the folder");
        let source = fs::read_to_string(&case).expect("read the case");
        fs::write(&copy, without_attribute(&source)).expect("write the copy");
        t.pass(copy);
    }
}

/// `ui/fail/<rule>/*.rs`, except the attribute-misuse cases (about the attribute itself).
fn fail_cases(ui: &Path) -> Vec<PathBuf> {
    let mut cases = Vec::new();
    for rule in fs::read_dir(ui.join("fail")).expect("read ui/fail") {
        let rule = rule.expect("rule folder").path();
        if rule.file_name().is_some_and(|n| n == "attribute") {
            continue;
        }
        for case in fs::read_dir(&rule).expect("read a rule folder") {
            let case = case.expect("case file").path();
            if case.extension().is_some_and(|e| e == "rs") {
                cases.push(case);
            }
        }
    }
    cases.sort();
    cases
}

fn without_attribute(source: &str) -> String {
    let mut out = String::from("#![deny(warnings)]\n");
    let mut stripped = 0;
    for line in source.lines() {
        let code = line.trim();
        if code.starts_with("#[db_checked")
            || code.starts_with("#[dbopt_macros::db_checked")
            || code.starts_with("#[dbopt::allow")
        {
            assert!(
                code.ends_with(']'),
                "keep the attribute on one line: {line}"
            );
            stripped += 1;
            continue;
        }
        if code == "use dbopt_macros::db_checked;" {
            continue;
        }
        out.push_str(line);
        out.push('\n');
        if code == "fn main() {" {
            out.push_str("    if std::env::var_os(\"DBOPT_UI_RUN\").is_none() {\n");
            out.push_str("        return;\n    }\n");
        }
    }
    assert!(stripped > 0, "no #[db_checked] to strip in:\n{source}");
    out
}
