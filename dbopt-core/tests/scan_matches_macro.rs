//! For every fn under `#[db_checked]` in the UI fixtures (`tests/ui/**/*.rs`), `cargo dbopt`'s
//! scan (phase 1 and the package-level link, with its cross-function analysis) reports
//! exactly what the macro reports: same rule, same primary byte range, same message.

use std::ops::Range;
use std::path::{Path, PathBuf};

use dbopt_core::rust::package::{FileInput, analyse_file, link};
use dbopt_core::rust::{Options, attr::is_db_checked, check_attribute};
use dbopt_core::source::FileId;
use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::spanned::Spanned;

type Finding = (&'static str, (usize, usize), String);

fn fixtures(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            fixtures(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The attribute's arguments (empty for `#[db_checked]`).
fn args(attr: &syn::Attribute) -> TokenStream {
    match &attr.meta {
        syn::Meta::List(l) => l.tokens.clone(),
        _ => TokenStream::new(),
    }
}

/// The macro on an item whose `#[db_checked]` was taken out (`attr`): findings as byte
/// ranges, or `None` when the attribute is misused (the macro then reports only the misuse).
fn expand(attr: &syn::Attribute, item: TokenStream) -> Option<Vec<Finding>> {
    let exp = check_attribute(args(attr), item);
    exp.errors.is_empty().then(|| {
        exp.diagnostics
            .iter()
            .map(|d| {
                let r = d.primary.span.byte_range();
                (d.rule, (r.start, r.end), d.message.clone())
            })
            .collect()
    })
}

/// Takes `#[db_checked]` out of `attrs`.
fn take(attrs: &mut Vec<syn::Attribute>) -> Option<syn::Attribute> {
    let at = attrs.iter().position(is_db_checked)?;
    Some(attrs.remove(at))
}

/// What the macro reports for each annotated item of a file, with the item's byte range.
fn macro_findings(file: &syn::File) -> Vec<(Range<usize>, Vec<Finding>)> {
    let mut out = Vec::new();
    for item in &file.items {
        let range = item.span().byte_range();
        let mut item = item.clone();
        let found = match &mut item {
            syn::Item::Fn(f) => take(&mut f.attrs).and_then(|a| expand(&a, f.to_token_stream())),
            syn::Item::Mod(m) => take(&mut m.attrs).and_then(|a| expand(&a, m.to_token_stream())),
            syn::Item::Trait(t) => take(&mut t.attrs).and_then(|a| expand(&a, t.to_token_stream())),
            syn::Item::Impl(i) => match take(&mut i.attrs) {
                Some(a) => expand(&a, i.to_token_stream()),
                None => {
                    for it in &mut i.items {
                        if let syn::ImplItem::Fn(f) = it {
                            let range = f.span().byte_range();
                            if let Some(found) =
                                take(&mut f.attrs).and_then(|a| expand(&a, f.to_token_stream()))
                            {
                                out.push((range, found));
                            }
                        }
                    }
                    None
                }
            },
            _ => None,
        };
        if let Some(found) = found {
            out.push((range, found));
        }
    }
    out
}

#[test]
fn the_scan_reports_what_the_macro_reports_for_every_annotated_fn() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/ui");
    let mut files = Vec::new();
    fixtures(&root, &mut files);
    files.sort();
    assert!(files.len() >= 40, "fixtures not found under {root:?}");
    let mut compared = 0;
    for path in files {
        let text = std::fs::read_to_string(&path).expect("readable fixture");
        let Ok(ast) = syn::parse_file(&text) else {
            continue;
        };
        let expected = macro_findings(&ast);
        let analysis = analyse_file(
            FileInput {
                id: FileId(0),
                text: &text,
                module_path: &[],
            },
            &Options::default(),
        );
        let scanned = link(vec![analysis], &Options::default());
        for (range, mut want) in expected {
            let mut got: Vec<Finding> = scanned
                .iter()
                .filter(|d| {
                    range.start <= d.primary.span.range.start
                        && d.primary.span.range.end <= range.end
                })
                .map(|d| {
                    let r = &d.primary.span.range;
                    (d.rule, (r.start, r.end), d.message.clone())
                })
                .collect();
            want.sort();
            got.sort();
            assert_eq!(got, want, "{}", path.display());
            compared += 1;
        }
    }
    assert!(compared >= 40, "only {compared} annotated items compared");
}
