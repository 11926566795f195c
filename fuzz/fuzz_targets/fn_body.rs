//! Any UTF-8 text as a Rust file, through both front ends of the code rules:
//!
//! * the proc macro: `check_attribute` on the whole text's tokens (whatever proc-macro2
//!   lexes, item or not) and, when `syn::parse_file` accepts the text, on each item as rustc
//!   would invoke `#[db_checked(..)]` on it (its first `#[db_checked ..]` attribute taken off
//!   and its arguments passed as the attribute's). The expansion's item must be the input
//!   minus dbopt's own attributes, every other token kept with its text and span; the emitted
//!   tokens must be the errors, then that item with nothing added but dbopt's warning blocks.
//! * the scan: `analyse_file` never panics, every byte range it returns lies in the text on
//!   char boundaries, and it finds what `check_file` finds on the same file (text nested
//!   deeper than `depth::MAX_NESTING` is a parse error to both).
//!
//! Spans: under `cfg(fuzzing)` proc-macro2 keeps no source map, so every `byte_range()` is
//! `0..0` and the span checks hold trivially. Build with `--no-cfg-fuzzing` (CONTRIBUTING.md)
//! to check real spans.
#![no_main]

use dbopt_core::diagnostic::Level;
use dbopt_core::rust::depth;
use dbopt_core::rust::emit::emit;
use dbopt_core::rust::package::{FileInput, analyse_file};
use dbopt_core::rust::{Options, check_attribute, check_file};
use dbopt_core::schema_rs::position::Positions;
use dbopt_core::source::FileId;
use dbopt_fuzz::check_range;
use dbopt_fuzz::tokens::{check_emitted, check_stripped, take_db_checked};
use libfuzzer_sys::fuzz_target;
use proc_macro2::TokenStream;
use quote::ToTokens;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let found = macro_checks(text);
    // Last: `analyse_file` releases the thread's proc-macro2 spans, which would invalidate
    // any span still held.
    scan_checks(text, found);
});

/// Per-fn findings of `check_file` as (rule, level, message), or `None` when syn rejects.
type Found = Option<Vec<(&'static str, Level, String)>>;

fn macro_checks(text: &str) -> Found {
    if let Ok(tokens) = text.parse::<TokenStream>() {
        expand_and_check(TokenStream::new(), tokens);
    }
    // What `syn::parse_file` parses (after a BOM and a shebang line) must be shallow enough
    // for syn; deeper text is the scan's parse error, like text syn rejects.
    let parsed = Positions::new(text).parsed().parse::<TokenStream>().ok()?;
    depth::check(&parsed).ok()?;
    depth::with_rust_stack(|| {
        let file = syn::parse_file(text).ok()?;
        for item in &file.items {
            let (attr, item) = take_db_checked(item.to_token_stream());
            expand_and_check(attr, item);
        }
        let analysis = check_file(&file, &Options::default());
        Some(
            analysis
                .diagnostics
                .into_iter()
                .map(|d| (d.rule, d.level, d.message))
                .collect(),
        )
    })
}

fn expand_and_check(attr: TokenStream, item: TokenStream) {
    let exp = check_attribute(attr, item.clone());
    check_stripped(&item, &exp.item);
    assert_eq!(exp.owners.len(), exp.diagnostics.len(), "owners");
    let errors: usize = exp
        .errors
        .iter()
        .map(|e| e.clone().into_iter().count())
        .sum::<usize>()
        + exp
            .diagnostics
            .iter()
            .filter(|d| d.level == Level::Deny)
            .count();
    let warnings = exp.diagnostics.iter().any(|d| d.level == Level::Warn);
    let stripped = exp.item.clone();
    check_emitted(&stripped, &emit(exp), errors, warnings);
}

fn scan_checks(text: &str, found: Found) {
    let id = FileId(3);
    let a = analyse_file(
        FileInput {
            id,
            text,
            module_path: &[],
        },
        &Options::default(),
    );
    assert_eq!(a.id, Some(id));
    assert_eq!(a.owners.len(), a.diagnostics.len(), "owners");
    for d in &a.diagnostics {
        for (what, span) in std::iter::once(("primary", &d.primary.span))
            .chain(d.secondary.iter().map(|l| ("secondary", &l.span)))
        {
            assert_eq!(span.file, id, "{what} label in another file");
            check_range(text, &span.range, what);
        }
    }
    for r in &a.owners {
        check_range(text, r, "owner");
        #[cfg(not(fuzzing))]
        assert!(!r.is_empty(), "owner fn name with an empty span");
    }
    for e in a.parse_error.iter().chain(&a.errors) {
        assert_eq!(e.span.file, id, "error in another file");
        check_range(text, &e.span.range, "error");
    }
    match found {
        // The scan reads the file as `syn::parse_file` does, so both see the same fns.
        Some(found) => {
            assert_eq!(
                a.parse_error, None,
                "the scan rejects what syn::parse_file accepts"
            );
            let scan: Vec<_> = a
                .diagnostics
                .into_iter()
                .map(|d| (d.rule, d.level, d.message))
                .collect();
            assert_eq!(scan, found, "the scan and check_file disagree");
        }
        None => assert!(
            a.parse_error.is_some(),
            "the scan accepts what syn::parse_file rejects"
        ),
    }
}
