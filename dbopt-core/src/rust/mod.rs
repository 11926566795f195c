//! The Rust front end: fn bodies (syn) -> a small model of database handles, round trips,
//! loops and transactions ([`model::FnModel`]) -> the code rules.
//!
//! Two entry points produce identical findings: [`check_attribute`] for `#[db_checked]` and
//! [`check_item`] / [`check_file`] for `cargo dbopt`'s scan of whole files (which reads the
//! `#[db_checked(..)]` attributes it finds on items as refinements of the options it is given).
//!
//! * [`attr`]: `#[db_checked(..)]` options and `#[dbopt::allow(..)]`.
//! * [`depth`]: the nesting guard run before syn parses (syn recurses without a limit).
//! * [`walk`]: one fn body -> [`model::FnModel`], using [`handles`] (what is a connection or
//!   pool), [`calls`] (executors, writes, I/O), [`loops`] (adapters vs `Option::map`) and
//!   [`txn`] (transaction scopes).
//! * [`pools`]: pool builders and their literal settings; [`handler`]: fns that look like
//!   request handlers.
//! * [`items`]: which fns an item holds and the options for each; runs the code rules.
//! * [`strip`]: removes dbopt's inert attributes from the caller's tokens.
//! * [`emit`] and [`render`]: the tokens and text the proc macro emits.
//!
//! `cargo dbopt`'s scan also reads whole packages ([`package`]): `// dbopt: allow(..)`
//! comments ([`comments`]), a summary of every fn ([`summary`]), and the package's call graph
//! with the facts that flow along it ([`callgraph`]), for the findings no single fn shows.

pub mod attr;
pub mod callgraph;
pub mod calls;
pub mod comments;
pub mod depth;
pub mod emit;
pub mod handler;
pub mod handles;
pub mod items;
pub mod loop_nature;
pub mod loops;
pub mod model;
pub mod package;
pub mod pools;
pub mod render;
pub mod strip;
pub mod summary;
pub mod test_code;
#[cfg(test)]
mod tests;
pub mod txn;
pub mod txn_wrappers;
pub mod visit;
pub mod walk;
pub mod write_paths;

use proc_macro2::{Span, TokenStream};

pub use attr::Options;
pub use items::{Analysis, analyse_item, check_file, check_item, scan_file};

use crate::diagnostic::Diagnostic;

/// What a code rule's check sees: one analysed fn and the options in force for it.
#[derive(Debug)]
pub struct CodeContext<'a> {
    pub model: &'a model::FnModel,
    pub options: &'a Options,
}

/// The outcome of `#[db_checked(attr)] item`.
#[derive(Debug)]
pub struct Expansion {
    /// Misuse of the attribute (unknown options or rules, malformed values), spanned.
    pub errors: Vec<syn::Error>,
    /// Findings with their decided level (allow-level ones dropped), in source order per fn.
    pub diagnostics: Vec<Diagnostic<Span>>,
    /// For each diagnostic, the name of the fn it was found in (same index).
    pub owners: Vec<Span>,
    /// The caller's original tokens minus dbopt's own inert attributes.
    pub item: TokenStream,
    /// The item is a fn: warnings can be emitted inside its body (the only place that works
    /// for a method in an `impl` block).
    pub is_fn: bool,
}

/// Analyses `#[db_checked(attr)] item`. Never panics; an item that does not parse is
/// returned (minus dbopt's attributes) with no findings: rustc reports the syntax error.
/// Tokens nested too deep for syn ([`depth::check`]) are one error.
pub fn check_attribute(attr: TokenStream, item: TokenStream) -> Expansion {
    if let Err(e) = depth::check(&attr).and(depth::check(&item)) {
        return Expansion {
            errors: vec![e],
            diagnostics: Vec::new(),
            owners: Vec::new(),
            item: strip::strip(item),
            is_fn: false,
        };
    }
    depth::with_rust_stack(|| analyse_attribute(attr, item))
}

fn analyse_attribute(attr: TokenStream, item: TokenStream) -> Expansion {
    let mut errors = Vec::new();
    let opts = match Options::parse(attr) {
        Ok(o) => o,
        Err(e) => {
            errors.push(e);
            Options::default()
        }
    };
    // syn would recurse into absurdly nested input until the compiler's stack overflows.
    if let Some(span) = depth::too_deep(&item, depth::MAX_NESTING) {
        errors.push(syn::Error::new(span, depth::message(depth::MAX_NESTING)));
        return Expansion {
            errors,
            diagnostics: Vec::new(),
            owners: Vec::new(),
            item: strip::strip(item),
            is_fn: false,
        };
    }
    let parsed = match syn::parse2::<syn::Item>(item.clone()) {
        Ok(i) => i,
        Err(_) => match syn::parse2::<syn::ImplItemFn>(item.clone()) {
            Ok(f) => syn::Item::Fn(syn::ItemFn {
                attrs: f.attrs,
                vis: f.vis,
                sig: f.sig,
                block: Box::new(f.block),
            }),
            Err(_) => {
                return Expansion {
                    errors,
                    diagnostics: Vec::new(),
                    owners: Vec::new(),
                    item: strip::strip(item),
                    is_fn: false,
                };
            }
        },
    };
    let is_fn = matches!(parsed, syn::Item::Fn(_));
    if !matches!(
        parsed,
        syn::Item::Fn(_) | syn::Item::Impl(_) | syn::Item::Mod(_) | syn::Item::Trait(_)
    ) {
        errors.push(syn::Error::new(
            Span::call_site(),
            "`#[db_checked]` applies to fns, `impl` blocks, traits and inline modules",
        ));
    }
    let analysis = analyse_item(&parsed, &opts);
    errors.extend(analysis.errors);
    // A misused attribute (an unknown key or rule name) may have been meant to silence a
    // finding: report only the misuse, not the cascade it would cause.
    let (diagnostics, owners) = if errors.is_empty() {
        (analysis.diagnostics, analysis.owners)
    } else {
        (Vec::new(), Vec::new())
    };
    Expansion {
        errors,
        diagnostics,
        owners,
        item: strip::strip(item),
        is_fn,
    }
}

/// Test helpers: run the code rules over a source string.
#[cfg(test)]
pub(crate) mod testing {
    use super::*;

    /// Every finding for `src` (one item) under `#[db_checked]` with no options.
    pub fn run(src: &str) -> Vec<Diagnostic<Span>> {
        run_with(src, "")
    }

    /// Every finding for `src` under `#[db_checked(attr)]`; panics on bad test input.
    pub fn run_with(src: &str, attr: &str) -> Vec<Diagnostic<Span>> {
        let attr: TokenStream = attr.parse().expect("attribute tokens");
        let item: TokenStream = src.parse().expect("item tokens");
        let exp = check_attribute(attr, item);
        assert!(exp.errors.is_empty(), "unexpected errors: {:?}", exp.errors);
        exp.diagnostics
    }

    /// (line, 1-based column) of each finding of `rule`.
    pub fn hits(src: &str, rule: &str) -> Vec<(usize, usize)> {
        hits_with(src, "", rule)
    }

    pub fn hits_with(src: &str, attr: &str, rule: &str) -> Vec<(usize, usize)> {
        run_with(src, attr)
            .iter()
            .filter(|d| d.rule == rule)
            .map(|d| {
                let start = d.primary.span.start();
                (start.line, start.column + 1)
            })
            .collect()
    }

    /// (line, 1-based column) of every round trip `rule` points at: each finding's primary
    /// span and its "another query in the same loop" labels, sorted.
    pub fn trip_hits(src: &str, rule: &str) -> Vec<(usize, usize)> {
        let mut out: Vec<(usize, usize)> = run_with(src, "")
            .iter()
            .filter(|d| d.rule == rule)
            .flat_map(|d| {
                std::iter::once(d.primary.span).chain(
                    d.secondary
                        .iter()
                        .filter(|l| l.message.starts_with("another query"))
                        .map(|l| l.span),
                )
            })
            .map(|s| (s.start().line, s.start().column + 1))
            .collect();
        out.sort();
        out
    }

    /// (line, 1-based column, source text) of the primary span of each finding of `rule`.
    pub fn spans_with(src: &str, attr: &str, rule: &str) -> Vec<(usize, usize, String)> {
        run_with(src, attr)
            .iter()
            .filter(|d| d.rule == rule)
            .map(|d| {
                let (start, end) = (d.primary.span.start(), d.primary.span.end());
                let line = src.lines().nth(start.line - 1).unwrap_or_default();
                let text: String = if end.line == start.line {
                    line.chars()
                        .skip(start.column)
                        .take(end.column - start.column)
                        .collect()
                } else {
                    line.chars().skip(start.column).collect()
                };
                (start.line, start.column + 1, text)
            })
            .collect()
    }
}
