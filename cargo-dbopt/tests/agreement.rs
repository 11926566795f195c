//! One engine (issue 4 §1): for every UI fixture (`tests/ui/fail/*/*.rs`, `tests/ui/pass/*.rs`)
//! the findings `#[db_checked]` reports on each annotated item (what the macro sees:
//! `dbopt_core::rust::check_attribute` on the attribute's arguments and the item without the
//! attribute) equal the findings the scan reports in that file (`analyse_file` + `link` on the
//! file alone, default options) inside the annotated items, compared as (rule, level, line,
//! column, message); and the attribute errors agree too. The scan also checks fns nobody
//! annotated; those findings are outside this comparison.

use std::ops::Range;
use std::path::{Path, PathBuf};

use dbopt_core::rust::package::{FileInput, analyse_file, link};
use dbopt_core::rust::{Options, check_attribute};
use dbopt_core::source::{FileId, SourceFile};
use quote::ToTokens;
use syn::visit::Visit;

/// (rule, level, line, column), 1-based, and the message.
type Finding = (String, String, usize, usize, String);
/// (line, column), 1-based, and the message.
type AttrError = (usize, usize, String);

fn fixtures() -> Vec<PathBuf> {
    let ui = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/ui");
    let mut files = Vec::new();
    let mut add = |dir: &Path| {
        for entry in std::fs::read_dir(dir).expect("fixture folder") {
            let path = entry.expect("entry").path();
            if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    };
    add(&ui.join("pass"));
    for rule in std::fs::read_dir(ui.join("fail")).expect("ui/fail") {
        add(&rule.expect("entry").path());
    }
    files.sort();
    files
}

/// The outermost items carrying `#[db_checked]`: each is one expansion of the macro (nested
/// ones are applied by the outer expansion).
#[derive(Default)]
struct Annotated {
    /// (attribute arguments, the item without that attribute, the item's byte range)
    items: Vec<(
        proc_macro2::TokenStream,
        proc_macro2::TokenStream,
        Range<usize>,
    )>,
}

impl Annotated {
    /// Records the item if one of `attrs` is `#[db_checked]`; returns whether it did.
    fn take(&mut self, attrs: &[syn::Attribute], item: &dyn ToTokens) -> bool {
        let Some(pos) = attrs.iter().position(|a| {
            a.path()
                .segments
                .last()
                .is_some_and(|s| s.ident == "db_checked")
        }) else {
            return false;
        };
        let args = match &attrs[pos].meta {
            syn::Meta::List(list) => list.tokens.clone(),
            _ => proc_macro2::TokenStream::new(),
        };
        // The item as the macro gets it: every token but the `#[db_checked]` being expanded.
        let attr_tokens: Vec<String> = attrs[pos]
            .to_token_stream()
            .into_iter()
            .map(|t| format!("{:?}", t.span().byte_range()))
            .collect();
        let tokens = item.to_token_stream();
        let span = {
            let mut first = usize::MAX;
            let mut last = 0;
            for t in tokens.clone() {
                let r = t.span().byte_range();
                first = first.min(r.start);
                last = last.max(r.end);
            }
            first..last
        };
        let without: proc_macro2::TokenStream = {
            let trees: Vec<proc_macro2::TokenTree> = tokens.into_iter().collect();
            let mut out = Vec::new();
            let mut i = 0;
            while i < trees.len() {
                let here = format!("{:?}", trees[i].span().byte_range());
                if attr_tokens.first() == Some(&here) && i + 1 < trees.len() {
                    i += 2; // `#` and `[..]`
                    continue;
                }
                out.push(trees[i].clone());
                i += 1;
            }
            out.into_iter().collect()
        };
        self.items.push((args, without, span));
        true
    }
}

impl<'ast> Visit<'ast> for Annotated {
    fn visit_item(&mut self, item: &'ast syn::Item) {
        let attrs: &[syn::Attribute] = match item {
            syn::Item::Fn(i) => &i.attrs,
            syn::Item::Impl(i) => &i.attrs,
            syn::Item::Trait(i) => &i.attrs,
            syn::Item::Mod(i) => &i.attrs,
            _ => &[],
        };
        if !self.take(attrs, item) {
            syn::visit::visit_item(self, item);
        }
    }
    fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
        if !self.take(&f.attrs, f) {
            syn::visit::visit_impl_item_fn(self, f);
        }
    }
    fn visit_trait_item_fn(&mut self, f: &'ast syn::TraitItemFn) {
        if !self.take(&f.attrs, f) {
            syn::visit::visit_trait_item_fn(self, f);
        }
    }
}

/// What the macro reports over the file: every expansion's findings and errors, and the
/// byte ranges of the annotated items.
fn macro_side(text: &str) -> (Vec<Finding>, Vec<AttrError>, Vec<Range<usize>>) {
    let file: syn::File = syn::parse_str(text).expect("the fixture parses");
    let mut annotated = Annotated::default();
    annotated.visit_file(&file);
    let mut findings = Vec::new();
    let mut errors = Vec::new();
    let mut ranges = Vec::new();
    for (args, item, range) in annotated.items {
        let exp = check_attribute(args, item);
        for d in &exp.diagnostics {
            let start = d.primary.span.start();
            findings.push((
                d.rule.to_owned(),
                d.level.to_string(),
                start.line,
                start.column + 1,
                d.message.clone(),
            ));
        }
        for e in exp.errors.into_iter().flat_map(|e| e.into_iter()) {
            let start = e.span().start();
            errors.push((start.line, start.column + 1, e.to_string()));
        }
        ranges.push(range);
    }
    (findings, errors, ranges)
}

/// What the scan reports in the file, inside `ranges`.
fn scan_side(text: &str, ranges: &[Range<usize>]) -> (Vec<Finding>, Vec<AttrError>) {
    let options = Options::default();
    let analysis = analyse_file(
        FileInput {
            id: FileId(0),
            text,
            module_path: &[],
        },
        &options,
    );
    assert_eq!(analysis.parse_error, None);
    let source = SourceFile::new("fixture.rs".into(), text.to_owned());
    let inside = |offset: usize| ranges.iter().any(|r| r.contains(&offset));
    let errors = analysis
        .errors
        .iter()
        .filter(|e| inside(e.span.range.start))
        .map(|e| {
            let at = source.line_col(e.span.range.start);
            (at.line, at.column, e.message.clone())
        })
        .collect();
    let findings = link(vec![analysis], &options)
        .into_iter()
        .filter(|d| inside(d.primary.span.range.start))
        .map(|d| {
            let at = source.line_col(d.primary.span.range.start);
            (
                d.rule.to_owned(),
                d.level.to_string(),
                at.line,
                at.column,
                d.message.clone(),
            )
        })
        .collect();
    (findings, errors)
}

#[test]
fn the_scan_reports_what_the_macro_reports_on_every_ui_fixture() {
    let files = fixtures();
    assert!(files.len() > 50, "the UI fixtures are found: {files:?}");
    let mut failures = Vec::new();
    let mut compared = 0;
    for path in &files {
        let text = std::fs::read_to_string(path).expect("fixture is UTF-8");
        let (mut macro_findings, mut macro_errors, ranges) = macro_side(&text);
        let (mut scan_findings, mut scan_errors) = scan_side(&text, &ranges);
        for v in [&mut macro_findings, &mut scan_findings] {
            v.sort();
        }
        for v in [&mut macro_errors, &mut scan_errors] {
            v.sort();
        }
        let name = path
            .strip_prefix(Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/ui"))
            .unwrap_or(path)
            .display()
            .to_string();
        assert!(!ranges.is_empty(), "{name}: no #[db_checked] item found");
        if macro_findings != scan_findings {
            failures.push(format!(
                "{name}: findings differ\n  macro: {macro_findings:#?}\n  scan:  {scan_findings:#?}"
            ));
        }
        if macro_errors != scan_errors {
            failures.push(format!(
                "{name}: attribute errors differ\n  macro: {macro_errors:#?}\n  scan:  {scan_errors:#?}"
            ));
        }
        // A fail fixture has something to compare; otherwise the test proves nothing.
        if name.starts_with("fail") && macro_findings.is_empty() && macro_errors.is_empty() {
            failures.push(format!("{name}: the macro reports nothing"));
        }
        compared += macro_findings.len() + macro_errors.len();
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(compared >= files.len() / 2, "{compared} findings compared");
}

#[test]
fn the_pre_check_keeps_every_ui_fixture() {
    // Every fail fixture has findings (see above): a pre-check that skipped one would lose
    // them. The pass fixtures are database code too. Without the `use` and `include!` lines
    // and comments, so the words must be in the code itself.
    let prefilter = cargo_dbopt::scan::prefilter::Prefilter::new::<&str>(&[]);
    for path in fixtures() {
        let text = std::fs::read_to_string(&path).expect("fixture is UTF-8");
        let code: String = text
            .lines()
            .filter(|l| {
                let l = l.trim_start();
                !(l.starts_with("use ") || l.starts_with("//") || l.starts_with("include!"))
            })
            .collect::<Vec<_>>()
            .join("\n");
        assert!(prefilter.may_touch_db(&code), "{}", path.display());
    }
}
