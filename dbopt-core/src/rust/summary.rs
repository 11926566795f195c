//! Phase 1 of the scan's cross-function analysis: each analysed fn becomes a [`FnSummary`]
//! (plain data, byte spans, `Send`), and each file's [`Decls`] record what name resolution
//! needs: types and their fields, traits, `impl` blocks and `use` imports.
//!
//! Everything here is syntax: a type is its last path segment (`Arc<T>`, `&T`, `Box<dyn T>`,
//! `web::Data<T>`, `State<T>` are looked through to `T`), a generic parameter is its first
//! trait bound, and a local's type is its annotation, its struct literal, or the receiver
//! chain it is bound from (`let repo = &self.repo;`), resolved in phase 2.

use std::collections::HashMap;
use std::ops::Range;

use syn::visit::Visit;

use crate::diagnostic::Level;
use crate::rule::Rule;
use crate::rust::attr::Options;
use crate::rust::handles::{pat_main_ident, type_handle};
use crate::rust::items::{AnalysedFn, FnScope};
use crate::rust::model::{Callee, Cost, Ctx};
use crate::rust::walk::receiver_chain;
use crate::source::Span;

/// A local's or a parameter's type, as far as syntax says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LocalTy {
    /// A type or trait name (last path segment, wrappers looked through).
    Named(String),
    /// Bound from a receiver chain (`let repo = &self.repo;`, `let s = Service::new(p);`).
    Alias(Vec<String>),
}

/// What the signature and body of a fn say beyond its model.
#[derive(Debug, Clone, Default)]
pub struct FnSyntax {
    /// It has a `self` parameter (it can be called as a method).
    pub has_receiver: bool,
    /// A parameter (or `self`) is a connection or pool.
    pub takes_handle: bool,
    /// Parameters and locals with a known type or origin; a name bound twice differently is
    /// left out.
    pub locals: Vec<(String, LocalTy)>,
    /// The return type's name (`Self` replaced by the impl's type; `Result<T, E>`,
    /// `Option<T>` looked through).
    pub ret: Option<String>,
}

/// Type wrappers whose first type argument is what a method call reaches.
const WRAPPER_TYPES: &[&str] = &[
    "Arc",
    "Rc",
    "Box",
    "Mutex",
    "RwLock",
    "RefCell",
    "Cell",
    "Option",
    "Result",
    "QueryResult",
    "Data",
    "State",
    "Extension",
    "Pin",
    "Cow",
    "MutexGuard",
    "RwLockReadGuard",
    "RwLockWriteGuard",
    "Weak",
    "OnceCell",
    "OnceLock",
    "LazyLock",
    "Lazy",
];

/// Trait bounds that say nothing about which methods a type has.
const MARKER_TRAITS: &[&str] = &[
    "Send",
    "Sync",
    "Sized",
    "Unpin",
    "Clone",
    "Copy",
    "Debug",
    "Display",
    "Default",
    "Eq",
    "PartialEq",
    "Hash",
    "Ord",
    "PartialOrd",
    "Fn",
    "FnMut",
    "FnOnce",
    "Any",
    "Serialize",
    "Deserialize",
];

/// The name a type is known by for method resolution; see the module docs.
pub fn type_name(ty: &syn::Type, bounds: &[(String, String)]) -> Option<String> {
    type_name_at(ty, bounds, 0)
}

fn type_name_at(ty: &syn::Type, bounds: &[(String, String)], depth: usize) -> Option<String> {
    if depth > 32 {
        return None;
    }
    match ty {
        syn::Type::Reference(r) => type_name_at(&r.elem, bounds, depth + 1),
        syn::Type::Paren(p) => type_name_at(&p.elem, bounds, depth + 1),
        syn::Type::Group(g) => type_name_at(&g.elem, bounds, depth + 1),
        syn::Type::Ptr(p) => type_name_at(&p.elem, bounds, depth + 1),
        syn::Type::Path(p) if p.qself.is_none() => {
            let last = p.path.segments.last()?;
            let name = last.ident.to_string();
            if WRAPPER_TYPES.contains(&name.as_str())
                && let syn::PathArguments::AngleBracketed(a) = &last.arguments
                && let Some(inner) = a.args.iter().find_map(|g| match g {
                    syn::GenericArgument::Type(t) => Some(t),
                    _ => None,
                })
            {
                return type_name_at(inner, bounds, depth + 1);
            }
            if p.path.segments.len() == 1
                && let Some((_, tr)) = bounds.iter().find(|(g, _)| *g == name)
            {
                return Some(tr.clone());
            }
            Some(name)
        }
        syn::Type::TraitObject(t) => first_trait(&t.bounds),
        syn::Type::ImplTrait(t) => first_trait(&t.bounds),
        _ => None,
    }
}

fn first_trait(
    bounds: &syn::punctuated::Punctuated<syn::TypeParamBound, syn::Token![+]>,
) -> Option<String> {
    bounds.iter().find_map(|b| match b {
        syn::TypeParamBound::Trait(t) => t
            .path
            .segments
            .last()
            .map(|s| s.ident.to_string())
            .filter(|n| !MARKER_TRAITS.contains(&n.as_str())),
        _ => None,
    })
}

/// Appends the generic parameters of `generics` bounded by a (non-marker) trait, inline or in
/// the `where` clause, as `(param, trait)`.
pub fn generic_bounds(generics: &syn::Generics, out: &mut Vec<(String, String)>) {
    for p in generics.type_params() {
        if let Some(t) = first_trait(&p.bounds) {
            out.push((p.ident.to_string(), t));
        }
    }
    if let Some(wc) = &generics.where_clause {
        for pred in &wc.predicates {
            if let syn::WherePredicate::Type(t) = pred
                && let syn::Type::Path(tp) = &t.bounded_ty
                && let Some(id) = tp.path.get_ident()
                && let Some(tr) = first_trait(&t.bounds)
            {
                out.push((id.to_string(), tr));
            }
        }
    }
}

/// Reads a fn's signature and body for [`FnSyntax`].
pub fn fn_syntax(
    sig: &syn::Signature,
    block: &syn::Block,
    generics: &[String],
    opts: &Options,
    scope: &FnScope,
) -> FnSyntax {
    let mut out = FnSyntax::default();
    let mut locals = Locals::default();
    let mut generics = generics.to_vec();
    crate::rust::handles::conn_generics(&sig.generics, &mut generics);
    for input in &sig.inputs {
        match input {
            syn::FnArg::Receiver(_) => {
                out.has_receiver = true;
                out.takes_handle |= generics.iter().any(|g| g == "Self");
            }
            syn::FnArg::Typed(pt) => {
                let name = pat_main_ident(&pt.pat);
                out.takes_handle |= type_handle(&pt.ty, &generics, &opts.conn).is_some()
                    || name.as_ref().is_some_and(|n| opts.conn.contains(n));
                if let (Some(n), Some(t)) = (name, type_name(&pt.ty, &scope.bounds)) {
                    locals.bind(n, LocalTy::Named(t));
                }
            }
        }
    }
    out.ret = match &sig.output {
        syn::ReturnType::Type(_, ty) => type_name(ty, &scope.bounds),
        syn::ReturnType::Default => None,
    };
    if out.ret.as_deref() == Some("Self") {
        out.ret.clone_from(&scope.self_ty);
    }
    locals.bounds = scope.bounds.clone();
    locals.visit_block(block);
    let mut names: Vec<(String, Option<LocalTy>)> = locals.map.into_iter().collect();
    names.sort_by(|a, b| a.0.cmp(&b.0));
    out.locals = names
        .into_iter()
        .filter_map(|(n, t)| Some((n, t?)))
        .collect();
    out
}

/// Locals with a known type; `None` once a name is bound to two different things.
#[derive(Default)]
struct Locals {
    map: HashMap<String, Option<LocalTy>>,
    bounds: Vec<(String, String)>,
}

impl Locals {
    fn bind(&mut self, name: String, ty: LocalTy) {
        match self.map.get(&name) {
            Some(Some(old)) if *old == ty => {}
            Some(_) => {
                self.map.insert(name, None);
            }
            None => {
                self.map.insert(name, Some(ty));
            }
        }
    }

    fn unknown(&mut self, name: String) {
        self.map.insert(name, None);
    }
}

impl<'ast> Visit<'ast> for Locals {
    fn visit_local(&mut self, l: &'ast syn::Local) {
        let (pat, ty) = match &l.pat {
            syn::Pat::Type(t) => (&*t.pat, Some(&*t.ty)),
            p => (p, None),
        };
        if let Some(name) = pat_main_ident(pat) {
            let known = match (ty, &l.init) {
                (Some(t), _) => type_name(t, &self.bounds).map(LocalTy::Named),
                (None, Some(init)) => local_origin(&init.expr),
                (None, None) => None,
            };
            match known {
                Some(t) => self.bind(name, t),
                None => self.unknown(name),
            }
        }
        syn::visit::visit_local(self, l);
    }

    fn visit_expr_closure(&mut self, c: &'ast syn::ExprClosure) {
        for input in &c.inputs {
            if let syn::Pat::Type(pt) = input
                && let Some(name) = pat_main_ident(&pt.pat)
                && let Some(t) = type_name(&pt.ty, &self.bounds)
            {
                self.bind(name, LocalTy::Named(t));
            }
        }
        syn::visit::visit_expr_closure(self, c);
    }

    // Items in a body are analysed as fns of their own.
    fn visit_item(&mut self, _: &'ast syn::Item) {}
}

/// What a `let` without a type annotation is bound from.
fn local_origin(e: &syn::Expr) -> Option<LocalTy> {
    match e {
        syn::Expr::Struct(s) => s
            .path
            .segments
            .last()
            .map(|seg| LocalTy::Named(seg.ident.to_string())),
        syn::Expr::Paren(p) => local_origin(&p.expr),
        syn::Expr::Reference(r) => local_origin(&r.expr),
        _ => {
            let chain = receiver_chain(e);
            (!chain.is_empty()).then_some(LocalTy::Alias(chain))
        }
    }
}

/// A round trip, as the scan needs it.
#[derive(Debug, Clone)]
pub struct TripFact {
    pub span: Span,
    /// How messages show it (`load`, `helper(..)`).
    pub call: String,
    /// The transaction scope it is in (ids are per fn).
    pub txn: Option<usize>,
    pub innermost_loop: Option<LoopFact>,
    pub allows: Vec<&'static str>,
    /// `(verb, table)` when it writes.
    pub write: Option<(&'static str, Option<String>)>,
    /// The table it locks with `for_update()`/`for_share()`.
    pub locks: Option<String>,
    /// The call site this round trip is (a call that received a handle), if it is one.
    pub call_site: Option<usize>,
    /// Its failure ends the fn (`?`, `.unwrap()`, `return`, the fn's value).
    pub aborts: bool,
}

/// The loop that makes a call per-row work ([`crate::rust::model::Ctx::per_row_loop`]):
/// retry, polling, chunked and paged loops are not.
#[derive(Debug, Clone)]
pub struct LoopFact {
    /// Unique within the fn.
    pub id: usize,
    /// "`for` loop", "closure passed to `.map(..)`".
    pub describe: String,
    pub span: Span,
    /// `Some(n)` for a fixed, small collection of `n` items (0: a constant).
    pub bounded: Option<u64>,
}

/// A call site, as the scan needs it.
#[derive(Debug, Clone)]
pub struct CallFact {
    pub span: Span,
    /// How messages show it (`self.repo.find(..)`).
    pub text: String,
    pub callee: Callee,
    pub innermost_loop: Option<LoopFact>,
    pub txn: Option<usize>,
    pub allows: Vec<&'static str>,
    /// The per-fn model already counted it as a round trip (it received a handle).
    pub counted: bool,
    /// Its failure ends the fn (`?`, `.unwrap()`, `return`, the fn's value).
    pub aborts: bool,
}

impl CallFact {
    pub fn name(&self) -> &str {
        match &self.callee {
            Callee::Path(p) => p.last().map_or("", String::as_str),
            Callee::Method { name, .. } => name,
        }
    }
}

/// The order of a fn's round trips and calls, with `if`/`match` arms as alternatives.
#[derive(Debug, Clone)]
pub enum Step {
    Trip(usize),
    Call(usize),
    Alt(Vec<Vec<Step>>),
    /// The fn returns here: what follows in the sequence is not on this path.
    Exit,
}

/// One fn of the package, summarised for phase 2. Plain data (`Send`).
#[derive(Debug, Clone)]
pub struct FnSummary {
    pub name: String,
    /// The module the fn is in: the file's module path, then inline modules.
    pub module: Vec<String>,
    /// The fns it is nested in.
    pub enclosing_fns: Vec<String>,
    pub self_ty: Option<String>,
    /// The trait of its `impl Trait for T`, or the trait whose default method it is.
    pub trait_name: Option<String>,
    pub has_receiver: bool,
    pub takes_handle: bool,
    /// `#[db_checked]` on it or on an item around it: its findings are the macro's.
    pub annotated: bool,
    /// The fn's name.
    pub span: Span,
    /// The level overrides in force (configuration, attributes, comments), last wins.
    pub levels: Vec<(&'static str, Level)>,
    /// `#[db_checked(in_transaction)]`.
    pub in_transaction: bool,
    /// `#[db_checked(lock_order(..))]`.
    pub lock_order: Vec<String>,
    pub locals: Vec<(String, LocalTy)>,
    pub ret: Option<String>,
    pub trips: Vec<TripFact>,
    pub calls: Vec<CallFact>,
    pub steps: Vec<Step>,
    /// It checks out a connection (`pool.get()`, `establish(..)`).
    pub checkouts: bool,
    /// Its per-fn findings: a range of the file's `FileAnalysis::diagnostics`.
    pub diagnostics: Range<usize>,
}

impl FnSummary {
    /// The fn's path in its crate: module, enclosing fns, impl type or trait, name.
    pub fn qualified(&self) -> Vec<String> {
        let mut q = self.module.clone();
        q.extend(self.enclosing_fns.iter().cloned());
        if let Some(owner) = self.self_ty.as_ref().or(self.trait_name.as_ref()) {
            q.push(owner.clone());
        }
        q.push(self.name.clone());
        q
    }

    /// How messages name it: `Type::method` or `fn_name`.
    pub fn display(&self) -> String {
        match self.self_ty.as_ref().or(self.trait_name.as_ref()) {
            Some(owner) => format!("{owner}::{}", self.name),
            None => self.name.clone(),
        }
    }

    /// The effective level of `rule` for this fn.
    pub fn level(&self, rule: &Rule) -> Level {
        self.levels
            .iter()
            .rev()
            .find(|(name, _)| *name == rule.name)
            .map_or(rule.default_level, |(_, level)| *level)
    }

    /// A trait's default method (no `impl` type).
    pub fn is_trait_default(&self) -> bool {
        self.self_ty.is_none() && self.trait_name.is_some()
    }

    /// Reaches the database in its own body: a round trip (a transaction is one) or a
    /// checkout. A handle parameter alone is not enough: a constructor `new(pool: DbPool)`
    /// that only stores the pool gives its callers nothing any rule reads (it makes no round
    /// trip, writes nothing, locks nothing), and every file of a package calls some `new`.
    pub fn reaches_db_directly(&self) -> bool {
        !self.trips.is_empty() || self.checkouts
    }
}

/// Turns one analysed fn into its summary; `to_span` converts token spans to file spans and
/// `module_path` is the file's module path in its crate.
pub fn summarise(
    f: AnalysedFn,
    module_path: &[String],
    to_span: &dyn Fn(proc_macro2::Span) -> Span,
) -> FnSummary {
    let model = f.model;
    let trips = model
        .round_trips
        .iter()
        .enumerate()
        .map(|(i, t)| TripFact {
            call_site: model.calls.iter().position(|c| c.trip == Some(i)),
            span: to_span(t.span),
            call: t.call.clone(),
            txn: t.ctx.txn.as_ref().map(|x| x.id),
            innermost_loop: loop_fact(&t.ctx, to_span),
            allows: t.ctx.allows.clone(),
            write: t.write.as_ref().map(|w| (w.verb, w.table.clone())),
            locks: t.locks.clone(),
            aborts: t.aborts,
        })
        .collect();
    let calls = model
        .calls
        .into_iter()
        .map(|c| CallFact {
            span: to_span(c.span),
            text: c.text,
            callee: c.callee,
            innermost_loop: loop_fact(&c.ctx, to_span),
            txn: c.ctx.txn.as_ref().map(|x| x.id),
            allows: c.ctx.allows,
            counted: c.trip.is_some(),
            aborts: c.aborts,
        })
        .collect();
    let mut module = module_path.to_vec();
    module.extend(f.scope.modules);
    FnSummary {
        name: model.name,
        module,
        enclosing_fns: f.scope.enclosing_fns,
        self_ty: f.scope.self_ty,
        trait_name: f.scope.trait_name,
        has_receiver: f.syntax.has_receiver,
        takes_handle: f.syntax.takes_handle,
        annotated: f.scope.annotated,
        span: to_span(model.span),
        levels: f.options.levels,
        in_transaction: f.options.in_transaction,
        lock_order: f.options.lock_order.into_iter().map(|t| t.name).collect(),
        locals: f.syntax.locals,
        ret: f.syntax.ret,
        trips,
        calls,
        steps: steps(&model.cost, 0),
        checkouts: model
            .io
            .iter()
            .any(|io| io.kind == crate::rust::model::IoKind::Checkout),
        diagnostics: f.diagnostics,
    }
}

fn loop_fact(ctx: &Ctx, to_span: &dyn Fn(proc_macro2::Span) -> Span) -> Option<LoopFact> {
    ctx.per_row_loop().map(|l| LoopFact {
        id: l.id,
        describe: l.describe(),
        span: to_span(l.span),
        bounded: match l.nature {
            crate::rust::model::LoopNature::Bounded(n) => Some(n),
            _ => None,
        },
    })
}

pub(crate) fn steps(cost: &[Cost], depth: usize) -> Vec<Step> {
    if depth > 512 {
        return Vec::new();
    }
    cost.iter()
        .map(|c| match c {
            Cost::Trip(i) => Step::Trip(*i),
            Cost::Call(i) => Step::Call(*i),
            Cost::Alt(arms) => Step::Alt(arms.iter().map(|a| steps(a, depth + 1)).collect()),
            Cost::Exit => Step::Exit,
        })
        .collect()
}

/// A struct, enum, union or type alias of the package.
#[derive(Debug, Clone)]
pub struct TypeDecl {
    pub module: Vec<String>,
    pub name: String,
    /// Named (or `0`, `1`, .. tuple) fields with their type names.
    pub fields: Vec<(String, String)>,
    /// `type Name = Target;`: the target's name.
    pub alias_of: Option<String>,
}

/// `impl [Trait for] Type`.
#[derive(Debug, Clone)]
pub struct ImplDecl {
    pub self_ty: String,
    pub trait_name: Option<String>,
}

/// A name a `use` brings into a module.
#[derive(Debug, Clone)]
pub struct UseDecl {
    /// The module the `use` is in.
    pub module: Vec<String>,
    /// The name it binds; `*` for a glob.
    pub alias: String,
    /// The paths it may mean, from the crate root: `crate::`, `self::` and `super::` paths
    /// give one; a plain path gives the module-relative and the crate-root reading.
    pub targets: Vec<Vec<String>>,
}

/// The declarations of one file that name resolution needs.
#[derive(Debug, Clone, Default)]
pub struct Decls {
    pub types: Vec<TypeDecl>,
    /// Traits defined in the file, with their module.
    pub traits: Vec<(Vec<String>, String)>,
    pub impls: Vec<ImplDecl>,
    pub uses: Vec<UseDecl>,
}

/// The declarations of a parsed file whose module path is `module_path`.
pub fn decls(file: &syn::File, module_path: &[String]) -> Decls {
    let mut d = DeclVisitor {
        out: Decls::default(),
        module: module_path.to_vec(),
        depth: 0,
    };
    d.visit_file(file);
    d.out
}

struct DeclVisitor {
    out: Decls,
    module: Vec<String>,
    depth: usize,
}

impl<'ast> Visit<'ast> for DeclVisitor {
    fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
        if self.depth > 64 {
            return;
        }
        self.module.push(m.ident.to_string());
        self.depth += 1;
        syn::visit::visit_item_mod(self, m);
        self.depth -= 1;
        self.module.pop();
    }

    fn visit_item_struct(&mut self, s: &'ast syn::ItemStruct) {
        let mut bounds = Vec::new();
        generic_bounds(&s.generics, &mut bounds);
        let params: Vec<String> = s
            .generics
            .type_params()
            .map(|p| p.ident.to_string())
            .collect();
        let fields = s
            .fields
            .iter()
            .enumerate()
            .filter_map(|(i, f)| {
                let name = f
                    .ident
                    .as_ref()
                    .map_or_else(|| i.to_string(), |id| id.to_string());
                let ty = type_name(&f.ty, &bounds)?;
                // An unbounded generic parameter says nothing.
                let unbounded = params.contains(&ty) && !bounds.iter().any(|(p, _)| *p == ty);
                (!unbounded).then_some((name, ty))
            })
            .collect();
        self.out.types.push(TypeDecl {
            module: self.module.clone(),
            name: s.ident.to_string(),
            fields,
            alias_of: None,
        });
    }

    fn visit_item_enum(&mut self, e: &'ast syn::ItemEnum) {
        self.out.types.push(TypeDecl {
            module: self.module.clone(),
            name: e.ident.to_string(),
            fields: Vec::new(),
            alias_of: None,
        });
    }

    fn visit_item_union(&mut self, u: &'ast syn::ItemUnion) {
        self.out.types.push(TypeDecl {
            module: self.module.clone(),
            name: u.ident.to_string(),
            fields: Vec::new(),
            alias_of: None,
        });
    }

    fn visit_item_type(&mut self, t: &'ast syn::ItemType) {
        self.out.types.push(TypeDecl {
            module: self.module.clone(),
            name: t.ident.to_string(),
            fields: Vec::new(),
            alias_of: type_name(&t.ty, &[]),
        });
    }

    fn visit_item_trait(&mut self, t: &'ast syn::ItemTrait) {
        self.out
            .traits
            .push((self.module.clone(), t.ident.to_string()));
    }

    fn visit_item_impl(&mut self, i: &'ast syn::ItemImpl) {
        if let Some(self_ty) = type_name(&i.self_ty, &[]) {
            self.out.impls.push(ImplDecl {
                self_ty,
                trait_name: i
                    .trait_
                    .as_ref()
                    .and_then(|(_, p, _)| p.segments.last())
                    .map(|s| s.ident.to_string()),
            });
        }
    }

    fn visit_item_use(&mut self, u: &'ast syn::ItemUse) {
        let mut prefix = Vec::new();
        self.use_tree(&u.tree, &mut prefix, 0);
    }

    // Bodies hold no declarations the resolution reads.
    fn visit_item_fn(&mut self, _: &'ast syn::ItemFn) {}
}

impl DeclVisitor {
    fn use_tree(&mut self, tree: &syn::UseTree, prefix: &mut Vec<String>, depth: usize) {
        if depth > 32 {
            return;
        }
        match tree {
            syn::UseTree::Path(p) => {
                prefix.push(p.ident.to_string());
                self.use_tree(&p.tree, prefix, depth + 1);
                prefix.pop();
            }
            syn::UseTree::Name(n) => {
                let name = n.ident.to_string();
                if name == "self" {
                    if let Some(last) = prefix.last().cloned() {
                        self.push_use(last, prefix.clone());
                    }
                } else {
                    let mut path = prefix.clone();
                    path.push(name.clone());
                    self.push_use(name, path);
                }
            }
            syn::UseTree::Rename(r) => {
                let mut path = prefix.clone();
                if r.ident != "self" {
                    path.push(r.ident.to_string());
                }
                self.push_use(r.rename.to_string(), path);
            }
            syn::UseTree::Glob(_) => self.push_use("*".to_owned(), prefix.clone()),
            syn::UseTree::Group(g) => {
                for t in &g.items {
                    self.use_tree(t, prefix, depth + 1);
                }
            }
        }
    }

    fn push_use(&mut self, alias: String, path: Vec<String>) {
        let targets = absolute_paths(&self.module, &path);
        if targets.is_empty() {
            return;
        }
        self.out.uses.push(UseDecl {
            module: self.module.clone(),
            alias,
            targets,
        });
    }
}

/// The crate-root paths `path`, written in `module`, may mean.
pub fn absolute_paths(module: &[String], path: &[String]) -> Vec<Vec<String>> {
    let Some(first) = path.first() else {
        return Vec::new();
    };
    match first.as_str() {
        "crate" => vec![path[1..].to_vec()],
        "self" => {
            let mut p = module.to_vec();
            p.extend_from_slice(&path[1..]);
            vec![p]
        }
        "super" => {
            let supers = path.iter().take_while(|s| *s == "super").count();
            if supers > module.len() {
                return Vec::new();
            }
            let mut p = module[..module.len() - supers].to_vec();
            p.extend_from_slice(&path[supers..]);
            vec![p]
        }
        _ => {
            let mut relative = module.to_vec();
            relative.extend_from_slice(path);
            if module.is_empty() {
                vec![relative]
            } else {
                vec![relative, path.to_vec()]
            }
        }
    }
}
