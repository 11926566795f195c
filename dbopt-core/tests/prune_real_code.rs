//! The item splitter of `rust::package::prune` on real code: every `.rs` file of this
//! repository (and of `DBOPT_PRUNE_CORPUS`, a folder, when set: the registry was checked so)
//! that syn parses still parses with every fn left out, so the scan never falls back to a
//! whole parse on ordinary code.

use std::path::{Path, PathBuf};

use dbopt_core::rust::package::prune::prune;
use proc_macro2::TokenStream;

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        match entry.file_type() {
            Ok(t) if t.is_dir() && !name.starts_with('.') && name != "target" => {
                rust_files(&path, out);
            }
            Ok(t) if t.is_file() && name.ends_with(".rs") => out.push(path),
            _ => {}
        }
    }
}

#[test]
fn code_that_parses_still_parses_with_every_fn_left_out() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    for dir in [
        "dbopt-core",
        "dbopt-macros",
        "cargo-dbopt",
        "xtask",
        "tests",
        "examples",
    ] {
        rust_files(&root.join(dir), &mut files);
    }
    if let Some(extra) = std::env::var_os("DBOPT_PRUNE_CORPUS") {
        rust_files(Path::new(&extra), &mut files);
    }
    assert!(files.len() > 100, "{} files", files.len());
    let mut failed = Vec::new();
    let mut pruned = 0;
    for path in &files {
        let Ok(text) = std::fs::read_to_string(path) else {
            continue;
        };
        let Ok(tokens) = text.parse::<TokenStream>() else {
            continue;
        };
        if syn::parse2::<syn::File>(tokens.clone()).is_err() {
            continue;
        }
        if let Ok(p) = prune(tokens, &|_| false) {
            pruned += 1;
            if let Err(e) = syn::parse2::<syn::File>(p.tokens) {
                failed.push(format!("{}: {e}", path.display()));
            }
        }
        proc_macro2::extra::invalidate_current_thread_spans();
    }
    assert!(pruned > 100, "{pruned} files pruned");
    assert!(
        failed.is_empty(),
        "{} of {pruned}:\n{}",
        failed.len(),
        failed.join("\n")
    );
}
