//! Every input a fuzz target crashed on (`fuzz/regressions/<target>/`) run through what that
//! target checks, so a regression fails `cargo test` and not only a fuzzing session.
//!
//! * `fn_body`: the scan's `analyse_file` and, for each item syn accepts, `#[db_checked]`'s
//!   `check_attribute`, which must return the item minus dbopt's own attributes.
//! * `schema_rs`: `parse_schema_rs` returns an error (nesting too deep) instead of
//!   overflowing the stack.
//!
//! (`config` has one input, replayed by a unit test beside the code it fixed.)

use std::path::{Path, PathBuf};

use dbopt_core::model::Backend;
use dbopt_core::rust::package::{FileInput, analyse_file};
use dbopt_core::rust::{Options, check_attribute, depth, strip};
use dbopt_core::schema_rs::{SchemaRsInput, parse_schema_rs};
use dbopt_core::source::FileId;
use quote::ToTokens;

fn inputs(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/regressions")
        .join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("entry").path())
        .collect();
    files.sort();
    assert!(
        !files.is_empty(),
        "no regression inputs in {}",
        dir.display()
    );
    files
        .into_iter()
        .map(|p| {
            let bytes = std::fs::read(&p).expect("read");
            (p, bytes)
        })
        .collect()
}

#[test]
fn fn_body_regressions() {
    for (path, bytes) in inputs("fn_body") {
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let a = analyse_file(
            FileInput {
                id: FileId(0),
                text: &text,
                module_path: &[],
            },
            &Options::default(),
        );
        for d in &a.diagnostics {
            let r = &d.primary.span.range;
            assert!(
                r.start <= r.end && r.end <= text.len(),
                "{}: span {r:?} outside the file",
                path.display()
            );
        }
        // As the target does: what the nesting guard rejects is a parse error to both, and
        // syn runs on the front end's stack.
        let Ok(tokens) = text.parse::<proc_macro2::TokenStream>() else {
            continue;
        };
        if depth::check(&tokens).is_err() {
            continue;
        }
        depth::with_rust_stack(|| {
            let Ok(file) = syn::parse2::<syn::File>(tokens) else {
                return;
            };
            for item in file.items {
                let tokens = item.into_token_stream();
                let expected = strip::strip(tokens.clone()).to_string();
                let expansion = check_attribute(proc_macro2::TokenStream::new(), tokens);
                assert_eq!(
                    expansion.item.to_string(),
                    expected,
                    "{}: the expansion changed the item",
                    path.display()
                );
            }
        });
    }
}

#[test]
fn schema_rs_regressions() {
    for (path, bytes) in inputs("schema_rs") {
        // The target's first byte picks the backend; the rest is the schema.rs.
        let text = String::from_utf8_lossy(bytes.get(1..).unwrap_or_default()).into_owned();
        let result = parse_schema_rs(SchemaRsInput {
            file: FileId(0),
            path: &path,
            text: &text,
            default_schema: None,
            backend: Backend::Postgres,
        });
        let err = result.expect_err("nested past the guard's limit");
        assert!(
            err.message.contains("nesting deeper than"),
            "{}: {}",
            path.display(),
            err.message
        );
    }
}
