//! Calls: method calls and fn calls become round trips, checkouts, transaction scopes, loop
//! contexts (adapters) or I/O events.

use syn::punctuated::Punctuated;

use crate::rust::calls::{
    self, CHECKOUTS, EXECUTORS, PASSTHROUGH, batch_write, call_path, io_of_method, io_of_path,
};
use crate::rust::handles::{ACCESSORS, HandleKind, Shape};
use crate::rust::loop_nature;
use crate::rust::loops::{call_shape, is_loop_adapter, method_shape};
use crate::rust::model::{Callee, ConnectKind, IoKind, LoopKind, TripKind};
use crate::rust::pools;
use crate::rust::test_code::TEST_TRANSACTIONS;
use crate::rust::txn::{as_closure, is_transaction_fn, is_transaction_method};

use super::{Val, Walker};

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

/// Fns and methods that run their closure or async block as a task of its own.
const SPAWNS: &[&str] = &["spawn", "spawn_blocking", "spawn_local", "spawn_on"];

/// Fns and methods that store a closure for a scheduler to run later (`Job::new_async(..)`,
/// `scheduler.every(..).run(..)`, `add_job`): it runs on a timer, not on this path nor once
/// per pass of a loop around the registration.
const SCHEDULES: &[&str] = &[
    "new_async",
    "new_cron_job",
    "new_repeated",
    "new_one_shot",
    "add_job",
    "schedule",
    "schedule_at",
    "schedule_repeating",
    "run_later",
    "on_tick",
];

/// A fn or method path that hands its closure to a scheduler: one of [`SCHEDULES`], or
/// `Job::new(..)` (tokio-cron-scheduler, clokwerk's jobs).
fn schedules(path: &[String]) -> bool {
    let Some(last) = path.last() else {
        return false;
    };
    SCHEDULES.contains(&last.as_str())
        || (last == "new" && path.len() >= 2 && path[path.len() - 2].ends_with("Job"))
}

/// Query methods that bound the rows to one page.
const PAGE_METHODS: &[&str] = &["limit", "paginate", "per_page", "page"];

/// A closure or async block: what a spawn runs.
fn is_task_body(e: &syn::Expr) -> bool {
    matches!(
        e,
        syn::Expr::Closure(_) | syn::Expr::Async(_) | syn::Expr::Paren(_)
    ) || matches!(e, syn::Expr::Call(c) if c.args.iter().any(is_task_body))
}

/// Collection methods that store their argument (`shards.push(conn)`).
const STORING: &[&str] = &["push", "push_back", "push_front"];

/// Fns that wrap a handle without using it (`Arc::new(pool)`, `Some(conn)`).
const WRAPPERS: &[&str] = &["new", "from", "Some", "Ok", "clone", "identity"];

/// Free fns that turn a pool into a connection (`get_conn(pool)`, lemmy's form).
const CHECKOUT_FNS: &[&str] = &[
    "get_conn",
    "get_connection",
    "conn",
    "connection",
    "checkout",
    "acquire",
];

/// Fns that take a handle and never query (`drop(conn)`).
const NON_QUERY_FNS: &[&str] = &["drop", "forget", "take", "replace", "swap", "Err"];

impl Walker<'_> {
    /// A method call on `recv`, the value of its receiver, which the caller has walked
    /// (`suffixes` walks a chain of calls in a loop).
    pub(super) fn method_call_on(&mut self, m: &syn::ExprMethodCall, recv: Val) -> Val {
        let name = m.method.to_string();
        let span = m.method.span();
        self.last_span = span;

        // `Pool::builder()..build(manager)`: a new pool, with the settings in its chain.
        if (name == "build" || name == "build_unchecked")
            && let Some((build, builder)) = pools::read_build(m, self.ctx())
        {
            self.args(&m.args);
            let mut args: Vec<&syn::Expr> = builder.args.iter().collect();
            args.extend(m.args.iter());
            self.connect(span, build.call.clone(), ConnectKind::PoolBuild, &args);
            self.pools.push(build);
            return Val {
                handle: Some(HandleKind::Pool),
                shape: Shape::Unknown,
            };
        }

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
        // `conn.test_transaction(|conn| ..)`: test set-up, rolled back; the scan leaves it out.
        if has_closure
            && self.record_calls
            && !self.opts.include_tests
            && TEST_TRANSACTIONS.contains(&name.as_str())
        {
            return Val::default();
        }
        if has_closure
            && (is_transaction_method(&name, &m.receiver)
                || self
                    .opts
                    .is_transaction_wrapper(std::slice::from_ref(&name)))
        {
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

        if schedules(std::slice::from_ref(&name)) && m.args.iter().any(is_task_body) {
            self.later_args(&m.args);
            return Val::default();
        }
        if SPAWNS.contains(&name.as_str()) && m.args.iter().any(is_task_body) {
            self.spawned_args(&m.args);
            if let Some(kind) = io_of_method(&name, &m.receiver) {
                self.io_call(span, format!(".{name}()"), kind);
            }
            return Val::default();
        }
        let is_loop = is_loop_adapter(&name, recv.shape);
        let mut passed: Option<HandleKind> = None;
        for arg in &m.args {
            match as_closure(arg) {
                Some(c) if is_loop => {
                    self.push_loop(
                        LoopKind::Adapter(name.clone()),
                        span,
                        false,
                        loop_nature::adapter_nature(&m.receiver, c),
                    );
                    let used = !matches!(
                        name.as_str(),
                        "for_each" | "for_each_concurrent" | "inspect"
                    );
                    self.closure_with(c, None, used);
                    self.pop_loop();
                }
                _ => {
                    let mut v = self.expr(arg);
                    if v.handle.is_none() && self.implicit_conn(&name, arg) {
                        v.handle = Some(HandleKind::Conn);
                    }
                    if v.handle.is_some() && passed != Some(HandleKind::Pool) {
                        passed = v.handle;
                    }
                }
            }
        }

        let on_handle = recv.handle.is_some() && !NEUTRAL.contains(&name.as_str());
        // `conns.push(conn)`: a handle stored in a collection is not a query.
        if recv.handle.is_none() && STORING.contains(&name.as_str()) {
            passed = None;
        }
        let trips_before = self.round_trips.len();
        let mut executor_trip = false;
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
            let table = if kind == TripKind::Executor {
                calls::table_of(&m.receiver).filter(|t| self.env.get(t).is_none())
            } else {
                None
            };
            let limited = kind == TripKind::Executor
                && (matches!(name.as_str(), "first" | "get_result")
                    || calls::chain(&m.receiver)
                        .methods
                        .iter()
                        .any(|c| PAGE_METHODS.contains(&c.method.to_string().as_str())));
            executor_trip = kind == TripKind::Executor;
            self.trip(
                span,
                call.clone(),
                name.clone(),
                kind,
                write,
                locks,
                unbounded,
            );
            if let Some(t) = self.round_trips.last_mut() {
                t.table = table;
                t.limited = limited;
            }
            if passed == Some(HandleKind::Pool) || recv.handle == Some(HandleKind::Pool) {
                self.io_call(span, call, IoKind::Checkout);
            }
        } else if let Some(kind) = io_of_method(&name, &m.receiver) {
            self.io_call(span, format!(".{name}()"), kind);
        }
        let shape = method_shape(&name, recv.shape);
        if !executor_trip && self.record_calls {
            let trip = (self.round_trips.len() > trips_before).then_some(trips_before);
            let receiver = receiver_chain(&m.receiver);
            let text = if receiver.is_empty() {
                format!(".{name}(..)")
            } else {
                format!("{}.{name}(..)", receiver.join("."))
            };
            self.record_call(span, Callee::Method { name, receiver }, text, trip);
        }
        Val {
            handle: None,
            shape,
        }
    }

    /// The arguments of a spawn: the task runs beside the caller, not on its path, so its
    /// round trips are left out of the caller's cost sequence (write counts); a long-lived
    /// task (one with a loop of its own, a worker) is not one pass of the loops around the
    /// spawn either.
    fn spawned_args(&mut self, args: &Punctuated<syn::Expr, syn::Token![,]>) -> Option<HandleKind> {
        let long_lived = args.iter().any(loop_nature::is_long_lived);
        let loops = long_lived.then(|| {
            (
                std::mem::take(&mut self.loops),
                std::mem::take(&mut self.loop_scopes),
            )
        });
        let mut passed = None;
        let _beside = self.arm(|w| passed = w.args(args));
        if let Some((loops, scopes)) = loops {
            self.loops = loops;
            self.loop_scopes = scopes;
        }
        passed
    }

    /// The arguments of a scheduler registration: its closure runs later, beside the fn and
    /// outside the loops around the registration.
    fn later_args(&mut self, args: &Punctuated<syn::Expr, syn::Token![,]>) -> Option<HandleKind> {
        let loops = std::mem::take(&mut self.loops);
        let scopes = std::mem::take(&mut self.loop_scopes);
        let mut passed = None;
        let _later = self.arm(|w| passed = w.args(args));
        self.loops = loops;
        self.loop_scopes = scopes;
        passed
    }

    pub(super) fn args(
        &mut self,
        args: &Punctuated<syn::Expr, syn::Token![,]>,
    ) -> Option<HandleKind> {
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

    /// A call whose fn, when it is not a path, the caller has walked (`suffixes` walks a
    /// chain of calls in a loop).
    pub(super) fn call_after_func(&mut self, c: &syn::ExprCall) -> Val {
        let path = call_path(c);
        let span = match &*c.func {
            syn::Expr::Path(p) => p
                .path
                .segments
                .last()
                .map_or(c.paren_token.span.open(), |s| s.ident.span()),
            _ => c.paren_token.span.open(),
        };
        self.last_span = span;
        let last = path.last().cloned().unwrap_or_default();

        // `PgConnection::establish(url)`, the tutorials' `establish_connection()`, and
        // `get_connection()` reaching a global pool: each yields a new connection.
        if last.starts_with("establish")
            || (CHECKOUT_FNS.contains(&last.as_str()) && c.args.is_empty())
        {
            self.args(&c.args);
            self.io_call(span, format!("{last}(..)"), IoKind::Checkout);
            if last.starts_with("establish") {
                let args: Vec<&syn::Expr> = c.args.iter().collect();
                self.connect(span, call_text(&path, c), ConnectKind::Establish, &args);
            }
            return Val {
                handle: Some(HandleKind::Conn),
                shape: Shape::Unknown,
            };
        }
        if (is_transaction_fn(&path) || self.opts.is_transaction_wrapper(&path))
            && c.args.iter().any(|a| as_closure(a).is_some())
        {
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
        // `Pool::new(manager)`: a pool with the library's defaults (builders are read at
        // their `build`).
        if let Some(None) = pools::pool_constructor(&path, c.args.len()) {
            self.args(&c.args);
            let args: Vec<&syn::Expr> = c.args.iter().collect();
            self.connect(span, call_text(&path, c), ConnectKind::PoolBuild, &args);
            return Val {
                handle: Some(HandleKind::Pool),
                shape: Shape::Unknown,
            };
        }
        let passed = if SPAWNS.contains(&last.as_str()) {
            self.spawned_args(&c.args)
        } else if schedules(&path) && c.args.iter().any(is_task_body) {
            self.later_args(&c.args)
        } else {
            self.args(&c.args)
        };
        // A call that receives a handle is a database call, even on a model named `File`.
        if let (Some(kind), None) = (io_of_path(&path), passed) {
            self.io_call(span, format!("{}(..)", path.join("::")), kind);
        }
        if CHECKOUT_FNS.contains(&last.as_str()) && passed.is_some() {
            // `get_conn(pool).await?`: a checkout helper, not a query.
            if passed == Some(HandleKind::Pool) {
                self.io_call(span, format!("{last}(..)"), IoKind::Checkout);
            }
            return Val {
                handle: Some(HandleKind::Conn),
                shape: Shape::Unknown,
            };
        }
        if WRAPPERS.contains(&last.as_str()) && c.args.len() == 1 && passed.is_some() {
            return Val {
                handle: passed,
                shape: call_shape(&path),
            };
        }
        let trips_before = self.round_trips.len();
        let mut executor_trip = false;
        if passed.is_some() && !NON_QUERY_FNS.contains(&last.as_str()) {
            let executor = EXECUTORS.contains(&last.as_str()) && path.len() > 1;
            executor_trip = executor;
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
        // A local closure called by name (`let f = |x| ..; f(1)`) is not a fn of the package.
        let local = path.len() == 1 && self.env.get(&last).is_some();
        if !executor_trip && !path.is_empty() && !local && self.record_calls {
            let trip = (self.round_trips.len() > trips_before).then_some(trips_before);
            let text = format!("{}(..)", path.join("::"));
            self.record_call(span, Callee::Path(path.clone()), text, trip);
        }
        Val {
            handle: None,
            shape: call_shape(&path),
        }
    }
}

/// `PgConnection::establish(..)`, `Pool::builder()`: how messages show a call.
fn call_text(path: &[String], c: &syn::ExprCall) -> String {
    let args = if c.args.is_empty() { "" } else { ".." };
    format!("{}({args})", path.join("::"))
}

/// A call's receiver as a chain of names: `self.repo` -> `["self", "repo"]`,
/// `self.repo().users` -> `["self", "repo()", "users"]`, `Repo::new(p)` -> `["Repo::new()"]`.
/// References, derefs, `?`, `.await`, parentheses and handle-preserving calls (`.clone()`,
/// `.lock()`, `.unwrap()`) are looked through. Empty for any other expression.
pub(crate) fn receiver_chain(e: &syn::Expr) -> Vec<String> {
    let mut out = Vec::new();
    if chain_into(e, &mut out, 0) {
        out
    } else {
        Vec::new()
    }
}

fn chain_into(e: &syn::Expr, out: &mut Vec<String>, depth: usize) -> bool {
    if depth > 16 {
        return false;
    }
    match e {
        syn::Expr::Reference(r) => chain_into(&r.expr, out, depth + 1),
        syn::Expr::Paren(p) => chain_into(&p.expr, out, depth + 1),
        syn::Expr::Group(g) => chain_into(&g.expr, out, depth + 1),
        syn::Expr::Try(t) => chain_into(&t.expr, out, depth + 1),
        syn::Expr::Await(a) => chain_into(&a.base, out, depth + 1),
        syn::Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => {
            chain_into(&u.expr, out, depth + 1)
        }
        syn::Expr::Path(p) if p.qself.is_none() => match p.path.get_ident() {
            Some(id) => {
                out.push(id.to_string());
                true
            }
            None => false,
        },
        syn::Expr::Field(f) => {
            if !chain_into(&f.base, out, depth + 1) {
                return false;
            }
            out.push(match &f.member {
                syn::Member::Named(n) => n.to_string(),
                syn::Member::Unnamed(i) => i.index.to_string(),
            });
            true
        }
        syn::Expr::MethodCall(m) => {
            if !chain_into(&m.receiver, out, depth + 1) {
                return false;
            }
            let name = m.method.to_string();
            if !PASSTHROUGH.contains(&name.as_str()) {
                out.push(format!("{name}()"));
            }
            true
        }
        syn::Expr::Call(c) => match &*c.func {
            syn::Expr::Path(p) if p.qself.is_none() && p.path.segments.len() > 1 => {
                let path: Vec<String> = p
                    .path
                    .segments
                    .iter()
                    .map(|s| s.ident.to_string())
                    .collect();
                out.push(format!("{}()", path.join("::")));
                true
            }
            _ => false,
        },
        _ => false,
    }
}
