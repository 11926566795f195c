//! Items: which fns an item holds (fns, methods of inherent and trait impls, trait default
//! methods, inline modules, fns nested in bodies) and the options in force for each, then the
//! code rules over each fn's model.

use proc_macro2::Span;

use crate::diagnostic::{Diagnostic, Level, Reporter};
use crate::rule::Check;
use crate::rules::RULES;
use crate::rust::CodeContext;
use crate::rust::attr::{Options, is_db_checked, nested_options, stmt_allows};
use crate::rust::handler::request_handler;
use crate::rust::handles::{HandleKind, conn_generics, type_handle};
use crate::rust::walk::walk_fn;

/// Findings and attribute misuse for one item.
#[derive(Debug, Default)]
pub struct Analysis {
    /// Levels decided; allow-level findings dropped.
    pub diagnostics: Vec<Diagnostic<Span>>,
    /// For each diagnostic, the name of the fn it was found in (same index).
    pub owners: Vec<Span>,
    /// Misuse of nested `#[db_checked(..)]` or `#[dbopt::allow(..)]`, or input too deep.
    pub errors: Vec<syn::Error>,
}

/// The findings of every fn in `item` under `options` (refined by the `#[db_checked(..)]`
/// attributes found on the item and inside it). What the CLI calls on each item of a file.
pub fn check_item(item: &syn::Item, options: &Options) -> Vec<Diagnostic<Span>> {
    analyse_item(item, options).diagnostics
}

/// Every item of a parsed file ([`analyse_item`] on each), for `cargo dbopt`'s scan.
pub fn check_file(file: &syn::File, options: &Options) -> Analysis {
    let mut out = Analysis::default();
    for item in &file.items {
        item_rec(item, options, &[], &mut out, 0);
    }
    out
}

/// [`check_item`] with the attribute errors.
pub fn analyse_item(item: &syn::Item, options: &Options) -> Analysis {
    let mut out = Analysis::default();
    item_rec(item, options, &[], &mut out, 0);
    out
}

fn item_rec(
    item: &syn::Item,
    outer: &Options,
    generics: &[String],
    out: &mut Analysis,
    depth: usize,
) {
    if depth > 64 {
        return;
    }
    let attrs: &[syn::Attribute] = match item {
        syn::Item::Fn(f) => &f.attrs,
        syn::Item::Impl(i) => &i.attrs,
        syn::Item::Trait(t) => &t.attrs,
        syn::Item::Mod(m) => &m.attrs,
        _ => &[],
    };
    guarded(attrs, out, |out| {
        item_body(item, outer, generics, out, depth)
    });
}

/// Runs `check` for an item with `attrs`. As `check_attribute` does for the item it expands,
/// an item carrying `#[db_checked]` whose dbopt attributes (its own or nested ones) are
/// misused reports only the misuse: the attribute may have been meant to silence a finding.
/// The scan ([`check_file`]) sees the same findings as the macro this way.
fn guarded(attrs: &[syn::Attribute], out: &mut Analysis, check: impl FnOnce(&mut Analysis)) {
    let mark = attrs
        .iter()
        .any(is_db_checked)
        .then_some((out.diagnostics.len(), out.errors.len()));
    check(out);
    if let Some((diagnostics, errors)) = mark
        && out.errors.len() > errors
    {
        out.diagnostics.truncate(diagnostics);
        out.owners.truncate(diagnostics);
    }
}

fn item_body(
    item: &syn::Item,
    outer: &Options,
    generics: &[String],
    out: &mut Analysis,
    depth: usize,
) {
    match item {
        syn::Item::Fn(f) => {
            let opts = fn_options(outer, &f.attrs, out);
            let f_ = FnParts::new(&f.attrs, &f.sig, &f.block);
            fn_rec(f_, generics, &opts, Vec::new(), out, depth);
        }
        syn::Item::Impl(i) => {
            let opts = fn_options(outer, &i.attrs, out);
            let mut g = generics.to_vec();
            conn_generics(&i.generics, &mut g);
            // Only the type itself (`impl DbConn`), not its arguments (`impl Repo<C>`).
            let own_type = match &*i.self_ty {
                syn::Type::Path(p) => p.path.segments.last().map(|s| {
                    let bare: syn::Type = syn::Type::Path(syn::TypePath {
                        qself: None,
                        path: syn::Path::from(s.ident.clone()),
                    });
                    bare
                }),
                _ => None,
            };
            if own_type.is_some_and(|t| type_handle(&t, &g, &opts.conn) == Some(HandleKind::Conn)) {
                g.push("Self".to_owned());
            }
            for it in &i.items {
                if let syn::ImplItem::Fn(f) = it {
                    guarded(&f.attrs, out, |out| {
                        let fo = fn_options(&opts, &f.attrs, out);
                        let f_ = FnParts::new(&f.attrs, &f.sig, &f.block);
                        fn_rec(f_, &g, &fo, Vec::new(), out, depth);
                    });
                }
            }
        }
        syn::Item::Trait(t) => {
            let opts = fn_options(outer, &t.attrs, out);
            let mut g = generics.to_vec();
            conn_generics(&t.generics, &mut g);
            for it in &t.items {
                if let syn::TraitItem::Fn(f) = it
                    && let Some(block) = &f.default
                {
                    guarded(&f.attrs, out, |out| {
                        let fo = fn_options(&opts, &f.attrs, out);
                        fn_rec(
                            FnParts::new(&f.attrs, &f.sig, block),
                            &g,
                            &fo,
                            Vec::new(),
                            out,
                            depth,
                        );
                    });
                }
            }
        }
        syn::Item::Mod(m) => {
            let opts = fn_options(outer, &m.attrs, out);
            if let Some((_, items)) = &m.content {
                for it in items {
                    item_rec(it, &opts, generics, out, depth + 1);
                }
            }
        }
        _ => {}
    }
}

/// `outer` refined by `#[db_checked(..)]` in `attrs`; a `#[dbopt::allow(..)]` on an item
/// allows the rules for the whole item.
fn fn_options(outer: &Options, attrs: &[syn::Attribute], out: &mut Analysis) -> Options {
    let mut opts = nested_options(outer, attrs, &mut out.errors);
    for rule in stmt_allows(attrs, &mut out.errors) {
        opts.levels.push((rule, Level::Allow));
    }
    opts
}

/// The parts of a fn the analysis reads.
#[derive(Clone, Copy)]
struct FnParts<'a> {
    attrs: &'a [syn::Attribute],
    sig: &'a syn::Signature,
    block: &'a syn::Block,
}

impl<'a> FnParts<'a> {
    fn new(attrs: &'a [syn::Attribute], sig: &'a syn::Signature, block: &'a syn::Block) -> Self {
        FnParts { attrs, sig, block }
    }
}

fn fn_rec(
    f: FnParts<'_>,
    generics: &[String],
    opts: &Options,
    allows: Vec<&'static str>,
    out: &mut Analysis,
    depth: usize,
) {
    let mut walked = walk_fn(f.sig, f.block, generics, opts, allows);
    walked.model.handler = request_handler(f.attrs, f.sig);
    out.errors.extend(walked.errors);
    run_rules(
        &CodeContext {
            model: &walked.model,
            options: opts,
        },
        &mut out.diagnostics,
    );
    out.owners.resize(out.diagnostics.len(), walked.model.span);
    if depth > 64 {
        return;
    }
    for nested in walked.nested {
        let mut fo = fn_options(opts, &nested.item.attrs, out);
        for rule in &nested.allows {
            fo.levels.push((rule, Level::Allow));
        }
        let item = &nested.item;
        fn_rec(
            FnParts::new(&item.attrs, &item.sig, &item.block),
            generics,
            &fo,
            Vec::new(),
            out,
            depth + 1,
        );
    }
}

/// Runs every code rule whose level is not `allow` and sets the decided level.
pub fn run_rules(ctx: &CodeContext<'_>, out: &mut Vec<Diagnostic<Span>>) {
    for rule in RULES {
        let Check::Code(check) = rule.check else {
            continue;
        };
        let level = ctx.options.level(rule);
        if level == Level::Allow {
            continue;
        }
        let mut reporter = Reporter::new();
        check(ctx, &mut reporter);
        for mut d in reporter.into_diagnostics() {
            d.level = level;
            out.push(d);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_annotated_item_with_a_misused_attribute_reports_only_the_misuse() {
        let src = "
            #[db_checked(allow(n_plus_1))]
            fn a(conn: &mut PgConnection, ids: &[i32]) {
                for id in ids { users::table.find(id).first::<User>(conn); }
            }
            impl Repo {
                #[db_checked]
                fn b(conn: &mut PgConnection, ids: &[i32]) {
                    #[dbopt::allow(n_plus_ones)]
                    for id in ids { users::table.find(id).first::<User>(conn); }
                }
                fn c(conn: &mut PgConnection, ids: &[i32]) {
                    for id in ids { users::table.find(id).first::<User>(conn); }
                }
            }
        ";
        let file: syn::File = syn::parse_str(src).unwrap();
        let analysis = check_file(&file, &Options::default());
        assert_eq!(analysis.errors.len(), 2);
        let owners: Vec<String> = analysis
            .owners
            .iter()
            .map(|s| src[s.byte_range()].to_owned())
            .collect();
        assert_eq!(owners, ["c"], "only the fn without a misused attribute");
        assert_eq!(analysis.diagnostics.len(), 1);
    }
}
