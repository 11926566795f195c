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
    CallSite, Callee, Connect, ConnectKind, Cost, Ctx, Dispatch, FnModel, IoCall, IoKind, LoopCtx,
    LoopKind, LoopNature, RoundTrip, TripKind, TxnCtx, UnboundedLoad, Write,
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
        next_loop: 0,
        dispatch: None,
        next_match: 0,
        limited_rows: std::collections::HashMap::new(),
        closure_depth: 0,
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
    w.fn_body(block);
    w.mark_paged_loops();
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
    next_loop: usize,
    /// The `match` arm on a loop's item the walk is in, and the next `match` id.
    dispatch: Option<Dispatch>,
    next_match: usize,
    /// Locals bound to the rows of a query with a literal `.limit(n)` (by name).
    limited_rows: std::collections::HashMap<String, u64>,
    /// Inside a closure or async block: a `return` there does not leave the fn.
    closure_depth: usize,
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
            dispatch: self.dispatch,
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
        self.stmts(&block.stmts);
        self.env.pop();
    }

    /// The fn's own body: its value is the fn's result, so a failure of the call that makes
    /// it ends the fn.
    fn fn_body(&mut self, block: &syn::Block) {
        self.env.push();
        match block.stmts.split_last() {
            Some((syn::Stmt::Expr(tail, None), rest)) => {
                self.stmts(rest);
                let attrs = expr_attrs(tail).to_vec();
                self.with_allows(&attrs, |w| {
                    w.aborting(tail);
                });
            }
            _ => self.stmts(&block.stmts),
        }
        self.env.pop();
    }

    /// Statements in order; a run of statements each under `#[cfg(..)]` is a set of
    /// alternatives (per-backend or per-feature code: one of them is compiled).
    fn stmts(&mut self, stmts: &[syn::Stmt]) {
        let mut i = 0;
        while i < stmts.len() {
            let run = stmts[i..]
                .iter()
                .take_while(|s| stmt_attrs(s).iter().any(|a| a.path().is_ident("cfg")))
                .count();
            if run >= 2 {
                let mut arms = Vec::new();
                for s in &stmts[i..i + run] {
                    arms.push(self.arm(|w| w.stmt(s)));
                }
                self.push_cost(Cost::Alt(arms));
                i += run;
            } else {
                self.stmt(&stmts[i]);
                i += 1;
            }
        }
    }

    /// The path ends here (`return`, a diverging macro), unless inside a closure.
    fn exit(&mut self) {
        if self.closure_depth == 0 {
            self.push_cost(Cost::Exit);
        }
    }

    /// Walks `e`, whose failure ends the fn (`e?`, `return e`, `e.unwrap()`, the fn's
    /// value): the round trip or call that produces its value (looking through `.await`,
    /// `.map_err(..)`, `.context(..)` and the like) is marked [`RoundTrip::aborts`].
    fn aborting(&mut self, e: &syn::Expr) -> Val {
        let (trips, calls) = (self.round_trips.len(), self.calls.len());
        let v = self.expr(e);
        self.mark_aborts(e, trips, calls);
        v
    }

    /// Marks the round trip and the call, among those recorded since `trips`/`calls`, that
    /// produce `e`'s value. Inside a closure too: `try_for_each(|x| write(conn, x))` and
    /// `.map(..).collect::<Result<..>>()?` hand the closure's error on to the fn.
    fn mark_aborts(&mut self, e: &syn::Expr, trips: usize, calls: usize) {
        let Some(name) = value_call(e) else {
            return;
        };
        let by_name = self.round_trips[trips..]
            .iter()
            .rposition(|t| t.name == name)
            .map(|i| i + trips);
        // A wrapper macro's value is its body's: the last round trip inside it.
        let is_macro = matches!(strip_value(e), syn::Expr::Macro(_));
        let last = (is_macro && self.round_trips.len() > trips).then(|| self.round_trips.len() - 1);
        if let Some(i) = by_name.or(last) {
            self.round_trips[i].aborts = true;
        }
        if let Some(c) = self.calls[calls..]
            .iter_mut()
            .rev()
            .find(|c| c.name() == name)
        {
            c.aborts = true;
        }
    }

    fn stmt(&mut self, stmt: &syn::Stmt) {
        match stmt {
            syn::Stmt::Local(local) => self.with_allows(&local.attrs, |w| {
                let val = match &local.init {
                    // A closure stored for later runs when it is called, not here: its round
                    // trips are not on this path.
                    Some(init) if matches!(&*init.expr, syn::Expr::Closure(_)) => {
                        let _later = w.arm(|w| {
                            w.expr(&init.expr);
                        });
                        Val::default()
                    }
                    Some(init) => {
                        if let Some(name) = pat_main_ident(&local.pat) {
                            match crate::rust::loop_nature::limited_load(&init.expr) {
                                Some(n) => w.limited_rows.insert(name, n),
                                None => w.limited_rows.remove(&name),
                            };
                        }
                        let v = w.expr(&init.expr);
                        // `let Ok(x) = .. else { return .. };`: the `else` runs only when the
                        // pattern does not match, so its exit ends only that path.
                        if let Some((_, diverge)) = &init.diverge {
                            let taken = w.arm(|w| {
                                w.expr(diverge);
                            });
                            w.push_cost(Cost::Alt(vec![taken, Vec::new()]));
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
        self.closure_with(c, force, true);
    }

    /// [`Walker::closure`]; `value_used`: whoever runs the closure hands its value on (a
    /// transaction, `map`, `and_then`, a project helper), so a failure of the call that makes
    /// it ends the fn as one of the fn's own would. Off for `for_each` and the like.
    fn closure_with(&mut self, c: &syn::ExprClosure, force: Option<HandleKind>, value_used: bool) {
        self.closure_depth += 1;
        self.with_allows(&c.attrs, |w| {
            w.env.push();
            for input in &c.inputs {
                w.bind_param(input, None, force);
            }
            match (&*c.body, value_used) {
                (syn::Expr::Block(b), true) if b.label.is_none() => {
                    w.env.push();
                    match b.block.stmts.split_last() {
                        Some((syn::Stmt::Expr(tail, None), rest)) => {
                            w.stmts(rest);
                            w.aborting(tail);
                        }
                        _ => w.stmts(&b.block.stmts),
                    }
                    w.env.pop();
                }
                (syn::Expr::Block(_), _) | (_, false) => {
                    w.expr(&c.body);
                }
                (body, true) => {
                    w.aborting(body);
                }
            }
            w.env.pop();
        });
        self.closure_depth -= 1;
    }

    fn txn_closure(&mut self, c: &syn::ExprClosure, method: &str, span: Span) {
        self.open_txn(method, span);
        self.closure(c, Some(HandleKind::Conn));
        self.txn.pop();
    }

    /// Opens a transaction scope (closed by the caller with `self.txn.pop()`).
    fn open_txn(&mut self, method: &str, span: Span) {
        let id = self.next_txn;
        self.next_txn += 1;
        self.txn.push(TxnCtx {
            method: method.to_owned(),
            id,
            span,
        });
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
        unbounded: Option<UnboundedLoad>,
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
            unbounded,
            limited: false,
            aborts: false,
        });
    }

    /// A per-item loop whose own query takes one page (`.limit(..)`) and that can leave
    /// (a `while` condition, a `break` on a short page) pages through a table: keyset or
    /// `LIMIT` pagination, the batch form `n_plus_one` recommends. Its events are marked
    /// [`LoopNature::Paged`].
    fn mark_paged_loops(&mut self) {
        let paged: Vec<usize> = self
            .round_trips
            .iter()
            .filter(|t| t.limited)
            .filter_map(|t| t.ctx.loops.last())
            .filter(|l| l.nature == LoopNature::PerItem && (l.exits || l.kind == LoopKind::While))
            .map(|l| l.id)
            .collect();
        if paged.is_empty() {
            return;
        }
        let mark = |ctx: &mut Ctx| {
            for l in &mut ctx.loops {
                if paged.contains(&l.id) {
                    l.nature = LoopNature::Paged;
                }
            }
        };
        self.round_trips.iter_mut().for_each(|t| mark(&mut t.ctx));
        self.io.iter_mut().for_each(|t| mark(&mut t.ctx));
        self.calls.iter_mut().for_each(|t| mark(&mut t.ctx));
        self.connects.iter_mut().for_each(|t| mark(&mut t.ctx));
    }

    /// Opens a loop context of this kind and nature, with a fresh id.
    fn push_loop(&mut self, kind: LoopKind, span: Span, exits: bool, nature: LoopNature) {
        let lp = LoopCtx {
            id: self.next_loop,
            nature,
            kind,
            span,
            exits,
        };
        self.next_loop += 1;
        self.loops.push(lp);
        self.loop_scopes.push(self.env.depth());
    }

    fn pop_loop(&mut self) {
        self.loops.pop();
        self.loop_scopes.pop();
    }

    /// Does `e` mention a name bound inside the innermost loop (its item, or a `let` in its
    /// body)? Returns that loop's id.
    fn of_loop_item(&self, e: &syn::Expr) -> Option<usize> {
        let (first, lp) = (*self.loop_scopes.last()?, self.loops.last()?);
        let mut names = Vec::new();
        expr_idents(e, &mut names);
        names
            .iter()
            .any(|n| self.env.scope_of(n).is_some_and(|s| s >= first))
            .then_some(lp.id)
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
            aborts: false,
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

/// The attributes of a statement.
fn stmt_attrs(s: &syn::Stmt) -> &[syn::Attribute] {
    match s {
        syn::Stmt::Local(l) => &l.attrs,
        syn::Stmt::Macro(m) => &m.attrs,
        syn::Stmt::Expr(e, _) => expr_attrs(e),
        syn::Stmt::Item(_) => &[],
    }
}

/// Methods that pass a call's result (or its error) on unchanged in kind.
const RESULT_PASSTHROUGH: &[&str] = &[
    "map_err",
    "map",
    "context",
    "with_context",
    "wrap_err",
    "wrap_err_with",
    "optional",
    "into",
    "boxed",
    "instrument",
    "in_current_span",
    "unwrap",
    "expect",
];

/// `e` without `.await`, parentheses and the result pass-through methods.
fn strip_value(e: &syn::Expr) -> &syn::Expr {
    let mut e = e;
    for _ in 0..64 {
        e = match e {
            syn::Expr::Await(a) => &a.base,
            syn::Expr::Paren(p) => &p.expr,
            syn::Expr::Group(g) => &g.expr,
            syn::Expr::MethodCall(m)
                if RESULT_PASSTHROUGH.contains(&m.method.to_string().as_str()) =>
            {
                &m.receiver
            }
            _ => return e,
        };
    }
    e
}

/// The name of the call that produces `e`'s value: `insert_into(..).execute(conn)` ->
/// `execute`, `helper(conn).await.map_err(E::from)` -> `helper`, `Ok(x?)` -> none.
fn value_call(e: &syn::Expr) -> Option<String> {
    let mut e = e;
    for _ in 0..64 {
        match e {
            syn::Expr::Await(a) => e = &a.base,
            syn::Expr::Paren(p) => e = &p.expr,
            syn::Expr::Group(g) => e = &g.expr,
            syn::Expr::MethodCall(m) => {
                let name = m.method.to_string();
                if RESULT_PASSTHROUGH.contains(&name.as_str()) {
                    e = &m.receiver;
                } else {
                    return Some(name);
                }
            }
            syn::Expr::Call(c) => {
                let syn::Expr::Path(p) = &*c.func else {
                    return None;
                };
                return p.path.segments.last().map(|s| s.ident.to_string());
            }
            syn::Expr::Macro(m) => {
                return m.mac.path.segments.last().map(|s| s.ident.to_string());
            }
            _ => return None,
        }
    }
    None
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
