//! The walk over one fn body that builds its [`FnModel`]: handles flow through `let`s,
//! reborrows and checkouts; calls that receive a handle become round trips; loops, adapter
//! closures and transaction closures become the context of what happens inside them.

mod call_sites;
mod exprs;
mod macros;
mod wrappers;

pub(crate) use call_sites::receiver_chain;

use proc_macro2::Span;

use crate::rust::attr::{Options, stmt_allows};
use crate::rust::handles::{
    Binding, Env, HandleKind, Shape, pat_idents, pat_main_ident, type_handle, type_shape,
};
use crate::rust::model::{
    CallSite, Callee, Connect, ConnectKind, Cost, Ctx, FnModel, IoCall, IoKind, LoopCtx, RoundTrip,
    TripKind, TxnCtx, Write,
};
use crate::rust::pools::PoolBuild;

/// Deeper expressions are not analysed; the walk reports one error ([`TOO_DEEP`]) instead of
/// overflowing. A chain of suffixes (`a.f().g()?`) is walked in a loop and counts once.
pub const MAX_DEPTH: usize = 120;

/// The error for a fn nested deeper than [`MAX_DEPTH`] (the scan words it its own way).
pub const TOO_DEEP: &str = "expression nested too deeply for `#[db_checked]` to analyse";

/// The value of an expression, as far as the rules care.
#[derive(Debug, Clone, Copy, Default)]
struct Val {
    handle: Option<HandleKind>,
    shape: Shape,
}

/// A fn item found inside a body, analysed on its own with the statement allows around it.
pub struct NestedFn {
    pub item: syn::ItemFn,
    pub allows: Vec<&'static str>,
}

/// The result of walking one fn.
pub struct Walked {
    pub model: FnModel,
    pub errors: Vec<syn::Error>,
    pub nested: Vec<NestedFn>,
}

/// Builds the model of one fn from its signature and body. `outer_generics` are the
/// connection-bounded generics of an enclosing `impl`; `allows` the statement allows around a
/// nested fn.
pub fn walk_fn(
    sig: &syn::Signature,
    block: &syn::Block,
    outer_generics: &[String],
    opts: &Options,
    allows: Vec<&'static str>,
) -> Walked {
    walk_fn_with(sig, block, outer_generics, opts, allows, false)
}

/// [`walk_fn`]; with `record_calls` (the scan) every call site is kept in
/// [`FnModel::calls`] and the cost tree, for the cross-function analysis.
pub fn walk_fn_with(
    sig: &syn::Signature,
    block: &syn::Block,
    outer_generics: &[String],
    opts: &Options,
    allows: Vec<&'static str>,
    record_calls: bool,
) -> Walked {
    let mut generics = outer_generics.to_vec();
    crate::rust::handles::conn_generics(&sig.generics, &mut generics);
    let mut w = Walker {
        opts,
        generics,
        env: Env::new(),
        loops: Vec::new(),
        loop_scopes: Vec::new(),
        txn: Vec::new(),
        allows,
        cost: vec![Vec::new()],
        round_trips: Vec::new(),
        io: Vec::new(),
        connects: Vec::new(),
        pools: Vec::new(),
        implicit: 0,
        calls: Vec::new(),
        record_calls,
        depth: 0,
        too_deep: false,
        next_txn: 1,
        last_span: sig.ident.span(),
        errors: Vec::new(),
        nested: Vec::new(),
    };
    if opts.in_transaction {
        w.txn.push(TxnCtx {
            method: "in_transaction".to_owned(),
            id: 0,
            span: sig.ident.span(),
        });
    }
    for input in &sig.inputs {
        match input {
            syn::FnArg::Typed(pt) => w.bind_param(&pt.pat, Some(&pt.ty), None),
            syn::FnArg::Receiver(_) => {
                // `impl DbConn { fn f(&mut self) .. }`: items mark such impls with `Self`.
                let handle = w
                    .generics
                    .iter()
                    .any(|g| g == "Self")
                    .then_some(HandleKind::Conn);
                w.env.bind(
                    "self".to_owned(),
                    Binding {
                        handle,
                        shape: Shape::Unknown,
                    },
                );
            }
        }
    }
    w.block(block);
    let cost = w.cost.pop().unwrap_or_default();
    Walked {
        model: FnModel {
            name: sig.ident.to_string(),
            span: sig.ident.span(),
            round_trips: w.round_trips,
            io: w.io,
            calls: w.calls,
            cost,
            connects: w.connects,
            pools: w.pools,
            handler: None,
        },
        errors: w.errors,
        nested: w.nested,
    }
}

struct Walker<'o> {
    opts: &'o Options,
    generics: Vec<String>,
    env: Env,
    loops: Vec<LoopCtx>,
    /// For each open loop, the first env scope index that belongs to one iteration.
    loop_scopes: Vec<usize>,
    txn: Vec<TxnCtx>,
    allows: Vec<&'static str>,
    cost: Vec<Vec<Cost>>,
    round_trips: Vec<RoundTrip>,
    io: Vec<IoCall>,
    connects: Vec<Connect>,
    pools: Vec<PoolBuild>,
    /// Inside a configured wrapper macro: its code runs with an implicit connection.
    implicit: usize,
    calls: Vec<CallSite>,
    record_calls: bool,
    depth: usize,
    too_deep: bool,
    next_txn: usize,
    last_span: Span,
    errors: Vec<syn::Error>,
    nested: Vec<NestedFn>,
}

impl Walker<'_> {
    fn ctx(&self) -> Ctx {
        Ctx {
            loops: self.loops.clone(),
            txn: self.txn.last().cloned(),
            allows: self.allows.clone(),
        }
    }

    fn is_conn_name(&self, name: &str) -> bool {
        self.opts.conn.iter().any(|c| c == name)
    }

    /// Binds a fn or closure parameter: a handle by its type, by a configured name, or
    /// because the closure's caller hands it a connection (`force`).
    fn bind_param(&mut self, pat: &syn::Pat, ty: Option<&syn::Type>, force: Option<HandleKind>) {
        let (pat, ty) = match (pat, ty) {
            (syn::Pat::Type(t), None) => (&*t.pat, Some(&*t.ty)),
            _ => (pat, ty),
        };
        let main = pat_main_ident(pat);
        let by_type = ty.and_then(|t| type_handle(t, &self.generics, &self.opts.conn));
        let shape = ty.map(type_shape).unwrap_or_default();
        let mut names = Vec::new();
        pat_idents(pat, &mut names);
        for name in names {
            let is_main = main.as_deref() == Some(name.as_str());
            let handle = if is_main {
                by_type
                    .or(force)
                    .or_else(|| self.is_conn_name(&name).then_some(HandleKind::Conn))
            } else {
                None
            };
            let shape = if is_main { shape } else { Shape::Unknown };
            self.env.bind(name, Binding { handle, shape });
        }
    }

    /// Binds a `let`/`if let`/`match` pattern to a value.
    fn bind_pat(&mut self, pat: &syn::Pat, val: Val) {
        let (pat, ty) = match pat {
            syn::Pat::Type(t) => (&*t.pat, Some(&*t.ty)),
            _ => (pat, None),
        };
        let main = pat_main_ident(pat);
        let handle = ty
            .and_then(|t| type_handle(t, &self.generics, &self.opts.conn))
            .or(val.handle);
        let shape = ty.map(type_shape).unwrap_or(val.shape);
        let mut names = Vec::new();
        pat_idents(pat, &mut names);
        for name in names {
            let b = if main.as_deref() == Some(name.as_str()) {
                Binding {
                    handle: handle.or_else(|| self.is_conn_name(&name).then_some(HandleKind::Conn)),
                    shape,
                }
            } else {
                Binding::default()
            };
            self.env.bind(name, b);
        }
    }

    fn with_allows(&mut self, attrs: &[syn::Attribute], f: impl FnOnce(&mut Self)) {
        let added = stmt_allows(attrs, &mut self.errors);
        let len = self.allows.len();
        self.allows.extend(added);
        f(self);
        self.allows.truncate(len);
    }

    fn block(&mut self, block: &syn::Block) {
        self.env.push();
        for stmt in &block.stmts {
            self.stmt(stmt);
        }
        self.env.pop();
    }

    fn stmt(&mut self, stmt: &syn::Stmt) {
        match stmt {
            syn::Stmt::Local(local) => self.with_allows(&local.attrs, |w| {
                let val = match &local.init {
                    Some(init) => {
                        let v = w.expr(&init.expr);
                        if let Some((_, diverge)) = &init.diverge {
                            w.expr(diverge);
                        }
                        v
                    }
                    None => Val::default(),
                };
                w.bind_pat(&local.pat, val);
            }),
            syn::Stmt::Item(syn::Item::Fn(f)) => self.nested.push(NestedFn {
                item: f.clone(),
                allows: self.allows.clone(),
            }),
            syn::Stmt::Item(_) => {}
            syn::Stmt::Expr(e, _) => {
                let attrs = expr_attrs(e).to_vec();
                self.with_allows(&attrs, |w| {
                    w.expr(e);
                });
            }
            syn::Stmt::Macro(m) => self.with_allows(&m.attrs, |w| {
                w.mac(&m.mac);
            }),
        }
    }

    fn arm(&mut self, f: impl FnOnce(&mut Self)) -> Vec<Cost> {
        self.cost.push(Vec::new());
        f(self);
        self.cost.pop().unwrap_or_default()
    }

    fn push_cost(&mut self, c: Cost) {
        if let Some(top) = self.cost.last_mut() {
            top.push(c);
        }
    }

    fn expr(&mut self, e: &syn::Expr) -> Val {
        if self.depth >= MAX_DEPTH {
            if !self.too_deep {
                self.too_deep = true;
                self.errors.push(syn::Error::new(self.last_span, TOO_DEEP));
            }
            return Val::default();
        }
        self.depth += 1;
        let v = self.expr_inner(e);
        self.depth -= 1;
        v
    }

    /// Walks a closure; `force` makes its parameters handles (a transaction's `|conn|`).
    fn closure(&mut self, c: &syn::ExprClosure, force: Option<HandleKind>) {
        self.with_allows(&c.attrs, |w| {
            w.env.push();
            for input in &c.inputs {
                w.bind_param(input, None, force);
            }
            w.expr(&c.body);
            w.env.pop();
        });
    }

    fn txn_closure(&mut self, c: &syn::ExprClosure, method: &str, span: Span) {
        let id = self.next_txn;
        self.next_txn += 1;
        self.txn.push(TxnCtx {
            method: method.to_owned(),
            id,
            span,
        });
        self.closure(c, Some(HandleKind::Conn));
        self.txn.pop();
    }

    fn record_trip(&mut self, trip: RoundTrip) {
        let idx = self.round_trips.len();
        self.round_trips.push(trip);
        self.push_cost(Cost::Trip(idx));
    }

    #[allow(clippy::too_many_arguments)]
    fn trip(
        &mut self,
        span: Span,
        call: String,
        name: String,
        kind: TripKind,
        write: Option<Write>,
        locks: Option<String>,
        unbounded_table: Option<String>,
    ) {
        let ctx = self.ctx();
        self.record_trip(RoundTrip {
            span,
            call,
            name,
            kind,
            ctx,
            write,
            locks,
            table: None,
            unbounded_table,
        });
    }

    fn push_loop(&mut self, lp: LoopCtx) {
        self.loops.push(lp);
        self.loop_scopes.push(self.env.depth());
    }

    fn pop_loop(&mut self) {
        self.loops.pop();
        self.loop_scopes.pop();
    }

    /// Records a new connection or pool; `args` are the values it is made from.
    fn connect(&mut self, span: Span, call: String, kind: ConnectKind, args: &[&syn::Expr]) {
        let ctx = self.ctx();
        let per_item = self.loop_scopes.last().is_some_and(|&first| {
            let mut names = Vec::new();
            for a in args {
                expr_idents(a, &mut names);
            }
            names
                .iter()
                .any(|n| self.env.scope_of(n).is_some_and(|s| s >= first))
        });
        self.connects.push(Connect {
            span,
            call,
            kind,
            ctx,
            per_item,
        });
    }

    /// Records a call for the scan's cross-function analysis; `trip` is the round trip just
    /// recorded for it, if any.
    fn record_call(&mut self, span: Span, callee: Callee, text: String, trip: Option<usize>) {
        if !self.record_calls {
            return;
        }
        let ctx = self.ctx();
        let idx = self.calls.len();
        self.calls.push(CallSite {
            span,
            callee,
            text,
            ctx,
            trip,
        });
        self.push_cost(Cost::Call(idx));
    }

    fn io_call(&mut self, span: Span, call: String, kind: IoKind) {
        let ctx = self.ctx();
        self.io.push(IoCall {
            span,
            call,
            kind,
            ctx,
        });
    }
}

/// Every identifier an expression mentions, macro tokens included.
fn expr_idents(e: &syn::Expr, out: &mut Vec<String>) {
    use syn::visit::Visit;
    struct V<'a> {
        out: &'a mut Vec<String>,
        depth: usize,
    }
    fn tokens(ts: proc_macro2::TokenStream, out: &mut Vec<String>, depth: usize) {
        for tt in ts {
            match tt {
                proc_macro2::TokenTree::Ident(i) => out.push(i.to_string()),
                proc_macro2::TokenTree::Group(g) if depth < MAX_DEPTH => {
                    tokens(g.stream(), out, depth + 1)
                }
                _ => {}
            }
        }
    }
    impl<'ast> Visit<'ast> for V<'_> {
        fn visit_expr(&mut self, e: &'ast syn::Expr) {
            if self.depth < MAX_DEPTH {
                self.depth += 1;
                syn::visit::visit_expr(self, e);
                self.depth -= 1;
            }
        }
        fn visit_ident(&mut self, i: &'ast proc_macro2::Ident) {
            self.out.push(i.to_string());
        }
        fn visit_macro(&mut self, m: &'ast syn::Macro) {
            tokens(m.tokens.clone(), self.out, 0);
        }
    }
    V { out, depth: 0 }.visit_expr(e);
}

/// The outer attributes of an expression statement (`#[dbopt::allow(..)] for x in ..`).
fn expr_attrs(e: &syn::Expr) -> &[syn::Attribute] {
    use syn::Expr as E;
    match e {
        E::Array(x) => &x.attrs,
        E::Assign(x) => &x.attrs,
        E::Async(x) => &x.attrs,
        E::Await(x) => &x.attrs,
        E::Binary(x) => &x.attrs,
        E::Block(x) => &x.attrs,
        E::Call(x) => &x.attrs,
        E::Closure(x) => &x.attrs,
        E::ForLoop(x) => &x.attrs,
        E::If(x) => &x.attrs,
        E::Loop(x) => &x.attrs,
        E::Macro(x) => &x.attrs,
        E::Match(x) => &x.attrs,
        E::MethodCall(x) => &x.attrs,
        E::Paren(x) => &x.attrs,
        E::Return(x) => &x.attrs,
        E::Try(x) => &x.attrs,
        E::Unsafe(x) => &x.attrs,
        E::While(x) => &x.attrs,
        E::Field(x) => &x.attrs,
        E::Path(x) => &x.attrs,
        _ => &[],
    }
}
