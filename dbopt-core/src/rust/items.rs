//! Items: which fns an item holds (fns, methods of inherent and trait impls, trait default
//! methods, inline modules, fns nested in bodies) and the options in force for each, then the
//! code rules over each fn's model.

use std::ops::Range;

use proc_macro2::Span;

use crate::diagnostic::{Diagnostic, Level, Reporter};
use crate::rule::Check;
use crate::rules::RULES;
use crate::rust::CodeContext;
use crate::rust::attr::{Options, is_db_checked, nested_options, stmt_allows};
use crate::rust::comments::CommentAllow;
use crate::rust::handler::request_handler;
use crate::rust::handles::{HandleKind, conn_generics, type_handle};
use crate::rust::model::{Ctx, FnModel};
use crate::rust::summary::{FnSyntax, fn_syntax, generic_bounds};
use crate::rust::test_code::is_test_item;
use crate::rust::walk::walk_fn_with;

/// Findings and attribute misuse for one item.
#[derive(Debug, Default)]
pub struct Analysis {
    /// Levels decided; allow-level findings dropped.
    pub diagnostics: Vec<Diagnostic<Span>>,
    /// For each diagnostic, the name of the fn it was found in (same index).
    pub owners: Vec<Span>,
    /// Misuse of nested `#[db_checked(..)]` or `#[dbopt::allow(..)]`, or input too deep.
    pub errors: Vec<syn::Error>,
    /// Every analysed fn with its model, for the scan's cross-function analysis
    /// ([`scan_file`] only; empty otherwise).
    pub fns: Vec<AnalysedFn>,
}

/// Where a fn sits in its file.
#[derive(Debug, Clone, Default)]
pub struct FnScope {
    /// The inline modules around it (`mod a { mod b { fn f() } }` -> `["a", "b"]`).
    pub modules: Vec<String>,
    /// The fns it is nested in, outermost first.
    pub enclosing_fns: Vec<String>,
    /// The self type of its `impl` block (last path segment).
    pub self_ty: Option<String>,
    /// The trait of its `impl Trait for T` block, or the trait whose default method it is.
    pub trait_name: Option<String>,
    /// `#[db_checked]` is on it or on an item around it.
    pub annotated: bool,
    /// Generic parameters of the items around it bounded by a trait: `(param, trait)`.
    pub bounds: Vec<(String, String)>,
}

/// One fn as the scan analysed it.
#[derive(Debug)]
pub struct AnalysedFn {
    pub model: FnModel,
    /// The options the per-fn rules ran with.
    pub options: Options,
    pub scope: FnScope,
    pub syntax: FnSyntax,
    /// Its findings: a range of [`Analysis::diagnostics`].
    pub diagnostics: Range<usize>,
}

/// The findings of every fn in `item` under `options` (refined by the `#[db_checked(..)]`
/// attributes found on the item and inside it). What the CLI calls on each item of a file.
pub fn check_item(item: &syn::Item, options: &Options) -> Vec<Diagnostic<Span>> {
    analyse_item(item, options).diagnostics
}

/// Every item of a parsed file ([`analyse_item`] on each), for `cargo dbopt`'s scan.
pub fn check_file(file: &syn::File, options: &Options) -> Analysis {
    let mut w = Items {
        out: Analysis::default(),
        comments: None,
    };
    for item in &file.items {
        w.item(item, options, &[], &FnScope::default(), 0);
    }
    w.out
}

/// [`check_file`] for the scan: `// dbopt: allow(..)` comments applied to the fns outside
/// `#[db_checked]` items, and every fn's model kept in [`Analysis::fns`].
pub fn scan_file(file: &syn::File, options: &Options, comments: &[CommentAllow]) -> Analysis {
    let mut w = Items {
        out: Analysis::default(),
        comments: Some(comments),
    };
    for item in &file.items {
        w.item(item, options, &[], &FnScope::default(), 0);
    }
    w.out
}

/// [`check_item`] with the attribute errors.
pub fn analyse_item(item: &syn::Item, options: &Options) -> Analysis {
    let mut w = Items {
        out: Analysis::default(),
        comments: None,
    };
    w.item(item, options, &[], &FnScope::default(), 0);
    w.out
}

/// The walk over items.
struct Items<'c> {
    out: Analysis,
    /// `Some` in the scan: the file's comment allows, and keep every fn's model.
    comments: Option<&'c [CommentAllow]>,
}

/// The self type of an `impl` (last path segment of `Foo<T>`, looking through `&`).
fn self_type_name(ty: &syn::Type) -> Option<String> {
    match ty {
        syn::Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
        syn::Type::Reference(r) => self_type_name(&r.elem),
        syn::Type::Paren(p) => self_type_name(&p.elem),
        syn::Type::Group(g) => self_type_name(&g.elem),
        _ => None,
    }
}

impl Items<'_> {
    fn item(
        &mut self,
        item: &syn::Item,
        outer: &Options,
        generics: &[String],
        scope: &FnScope,
        depth: usize,
    ) {
        if depth > 64 {
            return;
        }
        let attrs: &[syn::Attribute] = match item {
            syn::Item::Impl(i) => &i.attrs,
            syn::Item::Trait(t) => &t.attrs,
            syn::Item::Mod(m) => &m.attrs,
            _ => &[],
        };
        if self.skips_test_code(outer, scope, attrs) {
            return;
        }
        self.guarded(attrs, |w| w.item_body(item, outer, generics, scope, depth));
    }

    fn item_body(
        &mut self,
        item: &syn::Item,
        outer: &Options,
        generics: &[String],
        scope: &FnScope,
        depth: usize,
    ) {
        match item {
            syn::Item::Fn(f) => {
                if self.skips_test_code(outer, scope, &f.attrs) {
                    return;
                }
                let scope = annotate(scope, &f.attrs);
                self.guarded(&f.attrs, |w| {
                    let opts = w.fn_options(outer, &f.attrs);
                    w.func(&f.attrs, &f.sig, &f.block, generics, &opts, &scope, depth)
                });
            }
            syn::Item::Impl(i) => {
                let opts = self.fn_options(outer, &i.attrs);
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
                if own_type
                    .is_some_and(|t| type_handle(&t, &g, &opts.conn) == Some(HandleKind::Conn))
                {
                    g.push("Self".to_owned());
                }
                let mut scope = annotate(scope, &i.attrs);
                // A blanket impl (`impl<C: Connection> Harness for C`) belongs to its trait.
                scope.self_ty = self_type_name(&i.self_ty)
                    .filter(|t| !i.generics.type_params().any(|p| p.ident == t));
                scope.trait_name = i
                    .trait_
                    .as_ref()
                    .and_then(|(_, p, _)| p.segments.last())
                    .map(|s| s.ident.to_string());
                generic_bounds(&i.generics, &mut scope.bounds);
                for it in &i.items {
                    if let syn::ImplItem::Fn(f) = it
                        && !self.skips_test_code(&opts, &scope, &f.attrs)
                    {
                        self.guarded(&f.attrs, |w| {
                            let fo = w.fn_options(&opts, &f.attrs);
                            let scope = annotate(&scope, &f.attrs);
                            w.func(&f.attrs, &f.sig, &f.block, &g, &fo, &scope, depth);
                        });
                    }
                }
            }
            syn::Item::Trait(t) => {
                let opts = self.fn_options(outer, &t.attrs);
                let mut g = generics.to_vec();
                conn_generics(&t.generics, &mut g);
                let mut scope = annotate(scope, &t.attrs);
                scope.self_ty = None;
                scope.trait_name = Some(t.ident.to_string());
                generic_bounds(&t.generics, &mut scope.bounds);
                for it in &t.items {
                    if let syn::TraitItem::Fn(f) = it
                        && let Some(block) = &f.default
                    {
                        self.guarded(&f.attrs, |w| {
                            let fo = w.fn_options(&opts, &f.attrs);
                            let scope = annotate(&scope, &f.attrs);
                            w.func(&f.attrs, &f.sig, block, &g, &fo, &scope, depth);
                        });
                    }
                }
            }
            syn::Item::Mod(m) => {
                let opts = self.fn_options(outer, &m.attrs);
                let mut scope = annotate(scope, &m.attrs);
                scope.modules.push(m.ident.to_string());
                if let Some((_, items)) = &m.content {
                    for it in items {
                        self.item(it, &opts, generics, &scope, depth + 1);
                    }
                }
            }
            _ => {}
        }
    }

    /// The scan leaves test code out (see [`crate::rust::test_code`]) unless `include_tests`
    /// is set or the user annotated the item (or one around it) with `#[db_checked]`.
    fn skips_test_code(&self, opts: &Options, scope: &FnScope, attrs: &[syn::Attribute]) -> bool {
        self.comments.is_some()
            && !opts.include_tests
            && !scope.annotated
            && !attrs.iter().any(is_db_checked)
            && is_test_item(attrs)
    }

    /// `outer` refined by `#[db_checked(..)]` in `attrs`; a `#[dbopt::allow(..)]` on an item
    /// allows the rules for the whole item.
    fn fn_options(&mut self, outer: &Options, attrs: &[syn::Attribute]) -> Options {
        let mut opts = nested_options(outer, attrs, &mut self.out.errors);
        for rule in stmt_allows(attrs, &mut self.out.errors) {
            opts.levels.push((rule, Level::Allow));
        }
        opts
    }

    /// Runs `check` for an item with `attrs`. As `check_attribute` does for the item it
    /// expands, an item carrying `#[db_checked]` whose dbopt attributes (its own or nested
    /// ones) are misused reports only the misuse: the attribute may have been meant to silence
    /// a finding. The scan sees the same findings as the macro this way.
    fn guarded(&mut self, attrs: &[syn::Attribute], check: impl FnOnce(&mut Self)) {
        let mark = attrs
            .iter()
            .any(is_db_checked)
            .then_some((self.out.diagnostics.len(), self.out.errors.len()));
        check(self);
        if let Some((diagnostics, errors)) = mark
            && self.out.errors.len() > errors
        {
            self.out.diagnostics.truncate(diagnostics);
            self.out.owners.truncate(diagnostics);
            for f in &mut self.out.fns {
                f.diagnostics.start = f.diagnostics.start.min(diagnostics);
                f.diagnostics.end = f.diagnostics.end.min(diagnostics);
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn func(
        &mut self,
        attrs: &[syn::Attribute],
        sig: &syn::Signature,
        block: &syn::Block,
        generics: &[String],
        opts: &Options,
        scope: &FnScope,
        depth: usize,
    ) {
        let scan = self.comments.is_some();
        // What the user annotated is checked whole, test set-up included (as the macro does).
        let annotated_opts;
        let opts = if scope.annotated && !opts.include_tests {
            annotated_opts = Options {
                include_tests: true,
                ..opts.clone()
            };
            &annotated_opts
        } else {
            opts
        };
        let mut walked = walk_fn_with(sig, block, generics, opts, Vec::new(), scan);
        walked.model.handler = request_handler(attrs, sig);
        self.out.errors.extend(walked.errors);
        let mut opts = opts.clone();
        if let Some(comments) = self.comments
            && !scope.annotated
        {
            apply_comment_allows(comments, &mut walked.model, &mut opts);
        }
        let first = self.out.diagnostics.len();
        run_rules(
            &CodeContext {
                model: &walked.model,
                options: &opts,
            },
            &mut self.out.diagnostics,
        );
        self.out
            .owners
            .resize(self.out.diagnostics.len(), walked.model.span);
        let name = walked.model.name.clone();
        if scan {
            let mut scope = scope.clone();
            generic_bounds(&sig.generics, &mut scope.bounds);
            let syntax = fn_syntax(sig, block, generics, &opts, &scope);
            self.out.fns.push(AnalysedFn {
                model: walked.model,
                options: opts.clone(),
                scope,
                syntax,
                diagnostics: first..self.out.diagnostics.len(),
            });
        }
        if depth > 64 {
            return;
        }
        let mut inner = scope.clone();
        inner.enclosing_fns.push(name);
        for nested in walked.nested {
            if self.skips_test_code(&opts, &inner, &nested.item.attrs) {
                continue;
            }
            let mut fo = self.fn_options(&opts, &nested.item.attrs);
            for rule in &nested.allows {
                fo.levels.push((rule, Level::Allow));
            }
            let inner = annotate(&inner, &nested.item.attrs);
            self.func(
                &nested.item.attrs,
                &nested.item.sig,
                &nested.item.block,
                generics,
                &fo,
                &inner,
                depth + 1,
            );
        }
    }
}

/// `scope`, annotated when `attrs` hold `#[db_checked]`.
fn annotate(scope: &FnScope, attrs: &[syn::Attribute]) -> FnScope {
    let mut s = scope.clone();
    s.annotated |= attrs.iter().any(is_db_checked);
    s
}

/// Applies the comment allows to one fn: before the fn (or an item around it) they set the
/// rules' level to `allow`; before a statement they allow the events on its lines.
fn apply_comment_allows(comments: &[CommentAllow], model: &mut FnModel, opts: &mut Options) {
    let line = |s: Span| s.start().line;
    let fn_line = line(model.span);
    for c in comments {
        if c.whole_fn {
            if c.lines.contains(&fn_line) {
                opts.levels
                    .extend(c.rules.iter().map(|r| (*r, Level::Allow)));
            }
            continue;
        }
        let add = |ctx: &mut Ctx, at: Span| {
            if c.lines.contains(&line(at)) {
                for r in &c.rules {
                    if !ctx.allows.contains(r) {
                        ctx.allows.push(r);
                    }
                }
            }
        };
        for t in &mut model.round_trips {
            add(&mut t.ctx, t.span);
        }
        for io in &mut model.io {
            add(&mut io.ctx, io.span);
        }
        for call in &mut model.calls {
            add(&mut call.ctx, call.span);
        }
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
            d.level = d.capped(level);
            out.push(d);
        }
    }
}
