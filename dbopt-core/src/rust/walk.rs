//! The walk over one fn body that builds its [`FnModel`]: handles flow through `let`s,
//! reborrows and checkouts; calls that receive a handle become round trips; loops, adapter
//! closures and transaction closures become the context of what happens inside them.

use proc_macro2::{Delimiter, Span, TokenStream, TokenTree};
use syn::punctuated::Punctuated;

use crate::rust::attr::{Options, stmt_allows};
use crate::rust::calls::{
    self, CHECKOUTS, EXECUTORS, PASSTHROUGH, batch_write, call_path, io_of_method, io_of_path,
};
use crate::rust::handles::{
    ACCESSORS, Binding, Env, HandleKind, Shape, pat_idents, pat_main_ident, type_handle, type_shape,
};
use crate::rust::loops::{call_shape, is_loop_adapter, method_shape};
use crate::rust::model::{
    Cost, Ctx, FnModel, IoCall, IoKind, LoopCtx, LoopKind, RoundTrip, TripKind, TxnCtx, Write,
};
use crate::rust::txn::{as_closure, is_transaction_fn, is_transaction_method};

/// Deeper expressions are not analysed; the walk reports one error instead of overflowing.
pub const MAX_DEPTH: usize = 120;

/// Methods on a handle that do not talk to the database.
const NEUTRAL: &[&str] = &[
    "state",
    "status",
    "is_closed",
    "is_broken",
    "has_broken",
    "max_size",
    "set_instrumentation",
    "instrumentation",
    "to_string",
    "fmt",
    "is_some",
    "is_none",
    "is_ok",
    "is_err",
];

/// Fns that wrap a handle without using it (`Arc::new(pool)`, `Some(conn)`).
const WRAPPERS: &[&str] = &["new", "from", "Some", "Ok", "clone", "identity"];

/// Fns that take a handle and never query (`drop(conn)`).
const NON_QUERY_FNS: &[&str] = &["drop", "forget", "take", "replace", "swap", "Err"];

/// Macros that never talk to the database themselves.
const KNOWN_MACROS: &[&str] = &[
    "vec",
    "format",
    "format_args",
    "println",
    "eprintln",
    "print",
    "eprint",
    "write",
    "writeln",
    "assert",
    "assert_eq",
    "assert_ne",
    "debug_assert",
    "debug_assert_eq",
    "debug_assert_ne",
    "panic",
    "todo",
    "unimplemented",
    "unreachable",
    "dbg",
    "matches",
    "try_join",
    "join",
    "select",
    "info",
    "debug",
    "warn",
    "error",
    "trace",
    "event",
    "anyhow",
    "bail",
    "ensure",
    "json",
    "concat",
    "stringify",
    "pin",
    "pin_mut",
    "ready",
];

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
    let mut generics = outer_generics.to_vec();
    crate::rust::handles::conn_generics(&sig.generics, &mut generics);
    let mut w = Walker {
        opts,
        generics,
        env: Env::new(),
        loops: Vec::new(),
        txn: Vec::new(),
        allows,
        cost: vec![Vec::new()],
        round_trips: Vec::new(),
        io: Vec::new(),
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
            cost,
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
    txn: Vec<TxnCtx>,
    allows: Vec<&'static str>,
    cost: Vec<Vec<Cost>>,
    round_trips: Vec<RoundTrip>,
    io: Vec<IoCall>,
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
                self.errors.push(syn::Error::new(
                    self.last_span,
                    "expression nested too deeply for `#[db_checked]` to analyse",
                ));
            }
            return Val::default();
        }
        self.depth += 1;
        let v = self.expr_inner(e);
        self.depth -= 1;
        v
    }

    fn expr_inner(&mut self, e: &syn::Expr) -> Val {
        use syn::Expr as E;
        match e {
            E::Path(p) => {
                if let Some(id) = p.path.get_ident() {
                    let name = id.to_string();
                    if let Some(b) = self.env.get(&name) {
                        return Val {
                            handle: b.handle,
                            shape: b.shape,
                        };
                    }
                    if self.is_conn_name(&name) {
                        return Val {
                            handle: Some(HandleKind::Conn),
                            shape: Shape::Unknown,
                        };
                    }
                }
                Val::default()
            }
            E::Reference(r) => self.expr(&r.expr),
            E::Paren(p) => self.expr(&p.expr),
            E::Group(g) => self.expr(&g.expr),
            E::Try(t) => self.expr(&t.expr),
            E::Await(a) => {
                let v = self.expr(&a.base);
                Val {
                    handle: v.handle,
                    shape: Shape::Unknown,
                }
            }
            E::Cast(c) => self.expr(&c.expr),
            E::Unary(u) => {
                let v = self.expr(&u.expr);
                match u.op {
                    syn::UnOp::Deref(_) => v,
                    _ => Val::default(),
                }
            }
            E::Field(f) => {
                self.expr(&f.base);
                if let syn::Member::Named(name) = &f.member {
                    let n = name.to_string();
                    if let Some((_, kind)) = ACCESSORS.iter().find(|(a, _)| *a == n) {
                        return Val {
                            handle: Some(*kind),
                            shape: Shape::Unknown,
                        };
                    }
                    if self.is_conn_name(&n) {
                        return Val {
                            handle: Some(HandleKind::Conn),
                            shape: Shape::Unknown,
                        };
                    }
                }
                Val::default()
            }
            E::MethodCall(m) => self.method_call(m),
            E::Call(c) => self.call(c),
            E::Macro(m) => self.mac(&m.mac),
            E::ForLoop(f) => {
                self.expr(&f.expr);
                self.env.push();
                self.bind_pat(&f.pat, Val::default());
                self.loops.push(LoopCtx {
                    kind: LoopKind::For,
                    span: f.for_token.span,
                });
                self.block(&f.body);
                self.loops.pop();
                self.env.pop();
                Val::default()
            }
            E::While(wl) => {
                self.loops.push(LoopCtx {
                    kind: LoopKind::While,
                    span: wl.while_token.span,
                });
                self.env.push();
                self.expr(&wl.cond);
                self.block(&wl.body);
                self.env.pop();
                self.loops.pop();
                Val::default()
            }
            E::Loop(l) => {
                self.loops.push(LoopCtx {
                    kind: LoopKind::Loop,
                    span: l.loop_token.span,
                });
                self.block(&l.body);
                self.loops.pop();
                Val::default()
            }
            E::If(i) => {
                let then = self.arm(|w| {
                    w.env.push();
                    w.expr(&i.cond);
                    w.block(&i.then_branch);
                    w.env.pop();
                });
                let els = self.arm(|w| {
                    if let Some((_, e)) = &i.else_branch {
                        w.expr(e);
                    }
                });
                self.push_cost(Cost::Alt(vec![then, els]));
                Val::default()
            }
            E::Let(l) => {
                let v = self.expr(&l.expr);
                self.bind_pat(&l.pat, v);
                Val::default()
            }
            E::Match(m) => {
                let v = self.expr(&m.expr);
                let mut arms = Vec::new();
                for arm in &m.arms {
                    arms.push(self.arm(|w| {
                        w.with_allows(&arm.attrs, |w| {
                            w.env.push();
                            w.bind_pat(&arm.pat, v);
                            if let Some((_, g)) = &arm.guard {
                                w.expr(g);
                            }
                            w.expr(&arm.body);
                            w.env.pop();
                        });
                    }));
                }
                self.push_cost(Cost::Alt(arms));
                Val::default()
            }
            E::Block(b) => {
                self.block(&b.block);
                Val::default()
            }
            E::Async(a) => {
                self.block(&a.block);
                Val {
                    handle: None,
                    shape: Shape::One,
                }
            }
            E::Unsafe(u) => {
                self.block(&u.block);
                Val::default()
            }
            E::TryBlock(t) => {
                self.block(&t.block);
                Val::default()
            }
            E::Const(c) => {
                self.block(&c.block);
                Val::default()
            }
            E::Closure(c) => {
                self.closure(c, None);
                Val::default()
            }
            E::Assign(a) => {
                let v = self.expr(&a.right);
                self.expr(&a.left);
                if let E::Path(p) = &*a.left
                    && let Some(id) = p.path.get_ident()
                    && v.handle.is_some()
                {
                    self.env.bind(
                        id.to_string(),
                        Binding {
                            handle: v.handle,
                            shape: v.shape,
                        },
                    );
                }
                Val::default()
            }
            E::Binary(b) => {
                self.expr(&b.left);
                self.expr(&b.right);
                Val::default()
            }
            E::Index(i) => {
                self.expr(&i.expr);
                self.expr(&i.index);
                Val::default()
            }
            E::Array(a) => {
                for e in &a.elems {
                    self.expr(e);
                }
                Val {
                    handle: None,
                    shape: Shape::Many,
                }
            }
            E::Tuple(t) => {
                for e in &t.elems {
                    self.expr(e);
                }
                Val::default()
            }
            E::Range(r) => {
                if let Some(s) = &r.start {
                    self.expr(s);
                }
                if let Some(s) = &r.end {
                    self.expr(s);
                }
                Val {
                    handle: None,
                    shape: Shape::Many,
                }
            }
            E::Repeat(r) => {
                self.expr(&r.expr);
                self.expr(&r.len);
                Val {
                    handle: None,
                    shape: Shape::Many,
                }
            }
            E::Struct(s) => {
                for f in &s.fields {
                    self.expr(&f.expr);
                }
                if let Some(r) = &s.rest {
                    self.expr(r);
                }
                Val::default()
            }
            E::Return(r) => {
                if let Some(e) = &r.expr {
                    self.expr(e);
                }
                Val::default()
            }
            E::Break(b) => {
                if let Some(e) = &b.expr {
                    self.expr(e);
                }
                Val::default()
            }
            E::Yield(y) => {
                if let Some(e) = &y.expr {
                    self.expr(e);
                }
                Val::default()
            }
            E::RawAddr(r) => self.expr(&r.expr),
            _ => Val::default(),
        }
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
            unbounded_table,
        });
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

    fn method_call(&mut self, m: &syn::ExprMethodCall) -> Val {
        let name = m.method.to_string();
        let span = m.method.span();
        let recv = self.expr(&m.receiver);
        self.last_span = span;

        if recv.handle.is_some() && PASSTHROUGH.contains(&name.as_str()) {
            self.args(&m.args);
            return recv;
        }
        if recv.handle == Some(HandleKind::Pool) && CHECKOUTS.contains(&name.as_str()) {
            self.args(&m.args);
            self.io_call(span, format!("{name}()"), IoKind::Checkout);
            return Val {
                handle: Some(HandleKind::Conn),
                shape: Shape::Unknown,
            };
        }
        if m.args.is_empty()
            && let Some((_, kind)) = ACCESSORS.iter().find(|(a, _)| *a == name)
        {
            return Val {
                handle: Some(*kind),
                shape: Shape::Unknown,
            };
        }
        let has_closure = m.args.iter().any(|a| as_closure(a).is_some());
        if has_closure && is_transaction_method(&name, &m.receiver) {
            for arg in &m.args {
                match as_closure(arg) {
                    Some(c) => self.txn_closure(c, &name, span),
                    None => {
                        self.expr(arg);
                    }
                }
            }
            return Val::default();
        }
        if has_closure && recv.handle.is_some() {
            // `pool.interact(|conn| ..)`, `conn.run(|c| ..)`: the closure does the work.
            for arg in &m.args {
                match as_closure(arg) {
                    Some(c) => self.closure(c, Some(HandleKind::Conn)),
                    None => {
                        self.expr(arg);
                    }
                }
            }
            return Val::default();
        }

        let is_loop = is_loop_adapter(&name, recv.shape);
        let mut passed: Option<HandleKind> = None;
        for arg in &m.args {
            match as_closure(arg) {
                Some(c) if is_loop => {
                    self.loops.push(LoopCtx {
                        kind: LoopKind::Adapter(name.clone()),
                        span,
                    });
                    self.closure(c, None);
                    self.loops.pop();
                }
                _ => {
                    let v = self.expr(arg);
                    if v.handle.is_some() && passed != Some(HandleKind::Pool) {
                        passed = v.handle;
                    }
                }
            }
        }

        let on_handle = recv.handle.is_some() && !NEUTRAL.contains(&name.as_str());
        if passed.is_some() || on_handle {
            let executor = EXECUTORS.contains(&name.as_str());
            let (kind, call) = if passed.is_some() && executor {
                (TripKind::Executor, name.to_string())
            } else if passed.is_some() {
                (TripKind::Helper, format!(".{name}(..)"))
            } else {
                (TripKind::OnHandle, format!("{name}(..)"))
            };
            let write = match kind {
                TripKind::Executor => {
                    let env = &self.env;
                    calls::write_of(&name, &m.receiver, &|n| env.get(n).is_some())
                }
                TripKind::OnHandle if name == "batch_execute" => batch_write(&m.args),
                _ => None,
            };
            let locks = if kind == TripKind::Executor {
                calls::lock_of(&m.receiver)
            } else {
                None
            };
            let unbounded = if kind == TripKind::Executor {
                let env = &self.env;
                calls::unbounded_load(&name, &m.receiver, &|n| env.get(n).is_some())
            } else {
                None
            };
            self.trip(
                span,
                call.clone(),
                name.clone(),
                kind,
                write,
                locks,
                unbounded,
            );
            if passed == Some(HandleKind::Pool) || recv.handle == Some(HandleKind::Pool) {
                self.io_call(span, call, IoKind::Checkout);
            }
        } else if let Some(kind) = io_of_method(&name, &m.receiver) {
            self.io_call(span, format!(".{name}()"), kind);
        }
        Val {
            handle: None,
            shape: method_shape(&name, recv.shape),
        }
    }

    fn args(&mut self, args: &Punctuated<syn::Expr, syn::Token![,]>) -> Option<HandleKind> {
        let mut passed = None;
        for arg in args {
            let v = match as_closure(arg) {
                Some(c) => {
                    self.closure(c, None);
                    Val::default()
                }
                None => self.expr(arg),
            };
            if v.handle.is_some() && passed != Some(HandleKind::Pool) {
                passed = v.handle;
            }
        }
        passed
    }

    fn call(&mut self, c: &syn::ExprCall) -> Val {
        let path = call_path(c);
        let span = match &*c.func {
            syn::Expr::Path(p) => p
                .path
                .segments
                .last()
                .map_or(c.paren_token.span.open(), |s| s.ident.span()),
            other => {
                self.expr(other);
                c.paren_token.span.open()
            }
        };
        self.last_span = span;
        let last = path.last().cloned().unwrap_or_default();

        if last == "establish" {
            self.args(&c.args);
            self.io_call(span, "establish(..)".to_owned(), IoKind::Checkout);
            return Val {
                handle: Some(HandleKind::Conn),
                shape: Shape::Unknown,
            };
        }
        if is_transaction_fn(&path) && c.args.iter().any(|a| as_closure(a).is_some()) {
            for arg in &c.args {
                match as_closure(arg) {
                    Some(cl) => self.txn_closure(cl, &last, span),
                    None => {
                        self.expr(arg);
                    }
                }
            }
            return Val::default();
        }
        if let Some(kind) = io_of_path(&path) {
            self.io_call(span, format!("{}(..)", path.join("::")), kind);
        }
        let passed = self.args(&c.args);
        if WRAPPERS.contains(&last.as_str()) && c.args.len() == 1 && passed.is_some() {
            return Val {
                handle: passed,
                shape: call_shape(&path),
            };
        }
        if passed.is_some() && !NON_QUERY_FNS.contains(&last.as_str()) {
            let executor = EXECUTORS.contains(&last.as_str()) && path.len() > 1;
            let (kind, write) = match c.args.first() {
                Some(q) if executor => {
                    let env = &self.env;
                    let write = calls::write_of(&last, q, &|n| env.get(n).is_some());
                    (TripKind::Executor, write)
                }
                _ => (TripKind::Helper, None),
            };
            let call = format!("{last}(..)");
            self.trip(span, call.clone(), last.clone(), kind, write, None, None);
            if passed == Some(HandleKind::Pool) {
                self.io_call(span, call, IoKind::Checkout);
            }
        }
        Val {
            handle: None,
            shape: call_shape(&path),
        }
    }

    /// A macro in the body: its tokens as expressions, else as statements, else scanned for
    /// calls that receive a handle. Best effort, never an error.
    fn mac(&mut self, mac: &syn::Macro) -> Val {
        let name = mac
            .path
            .segments
            .last()
            .map(|s| s.ident.to_string())
            .unwrap_or_default();
        let span = mac
            .path
            .segments
            .last()
            .map_or_else(|| mac.bang_token.span, |s| s.ident.span());
        self.last_span = span;
        let known = KNOWN_MACROS.contains(&name.as_str());
        let shape = if name == "vec" {
            Shape::Many
        } else {
            Shape::Unknown
        };
        if let Ok(list) =
            mac.parse_body_with(Punctuated::<syn::Expr, syn::Token![,]>::parse_terminated)
        {
            let mut passed = false;
            for e in &list {
                passed |= self.expr(e).handle.is_some();
            }
            if passed && !known {
                self.trip(
                    span,
                    format!("{name}!(..)"),
                    name,
                    TripKind::Macro,
                    None,
                    None,
                    None,
                );
            }
            return Val {
                handle: None,
                shape,
            };
        }
        if let Ok(stmts) = mac.parse_body_with(syn::Block::parse_within) {
            self.env.push();
            for s in &stmts {
                self.stmt(s);
            }
            self.env.pop();
            return Val {
                handle: None,
                shape,
            };
        }
        let before = self.round_trips.len();
        let mut mentions = false;
        self.scan_tokens(mac.tokens.clone(), &mut mentions, 0);
        if mentions && !known && self.round_trips.len() == before {
            self.trip(
                span,
                format!("{name}!(..)"),
                name,
                TripKind::Macro,
                None,
                None,
                None,
            );
        }
        Val {
            handle: None,
            shape,
        }
    }

    /// Finds `name(.. handle ..)` calls in raw tokens.
    fn scan_tokens(&mut self, tokens: TokenStream, mentions: &mut bool, depth: usize) {
        if depth > MAX_DEPTH {
            return;
        }
        let mut last_ident: Option<(String, Span)> = None;
        // Inside a turbofish (`first::<User>(conn)`) the callee stays `first`.
        let mut turbofish = 0usize;
        let mut prev_colon = false;
        for tt in tokens {
            let colon = matches!(&tt, TokenTree::Punct(p) if p.as_char() == ':');
            match tt {
                TokenTree::Ident(id) => {
                    let n = id.to_string();
                    if self.env.get(&n).is_some_and(|b| b.handle.is_some()) {
                        *mentions = true;
                    }
                    if turbofish == 0 {
                        last_ident = Some((n, id.span()));
                    }
                }
                TokenTree::Group(g) => {
                    if g.delimiter() == Delimiter::Parenthesis {
                        let passes = g.stream().into_iter().any(|t| match t {
                            TokenTree::Ident(id) => self
                                .env
                                .get(&id.to_string())
                                .is_some_and(|b| b.handle.is_some()),
                            _ => false,
                        });
                        if let (true, Some((n, sp))) = (passes, &last_ident) {
                            let kind = if EXECUTORS.contains(&n.as_str()) {
                                TripKind::Executor
                            } else {
                                TripKind::Helper
                            };
                            self.trip(*sp, format!("{n}(..)"), n.clone(), kind, None, None, None);
                        }
                    }
                    self.scan_tokens(g.stream(), mentions, depth + 1);
                    last_ident = None;
                }
                TokenTree::Punct(p) => match p.as_char() {
                    '<' if prev_colon || turbofish > 0 => turbofish += 1,
                    '>' if turbofish > 0 => turbofish -= 1,
                    ':' | '<' | '>' | ',' | '&' if turbofish > 0 => {}
                    ':' => {}
                    _ => last_ident = None,
                },
                TokenTree::Literal(_) => {
                    if turbofish == 0 {
                        last_ident = None;
                    }
                }
            }
            prev_colon = colon;
        }
    }
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
