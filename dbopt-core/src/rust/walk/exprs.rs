//! Expressions: handles flow through references, `?`, `.await` and fields; control flow
//! opens loop contexts, branch alternatives and scopes.

use crate::rust::handles::{ACCESSORS, Binding, HandleKind, Shape};
use crate::rust::loop_nature;
use crate::rust::loops::body_exits;
use crate::rust::model::{Cost, LoopKind, LoopNature};
use crate::rust::txn::as_closure;

use super::{Val, Walker};

impl Walker<'_> {
    pub(super) fn expr_inner(&mut self, e: &syn::Expr) -> Val {
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
            E::Try(_) | E::Await(_) | E::Field(_) | E::MethodCall(_) | E::Call(_) | E::Index(_) => {
                self.suffixes(e)
            }
            E::Cast(c) => self.expr(&c.expr),
            E::Unary(u) => {
                let v = self.expr(&u.expr);
                match u.op {
                    syn::UnOp::Deref(_) => v,
                    _ => Val::default(),
                }
            }
            E::Macro(m) => self.mac(&m.mac),
            E::ForLoop(f) => {
                self.expr(&f.expr);
                let exits = body_exits(&f.body, f.label.as_ref());
                let mut nature = loop_nature::for_nature(f, exits);
                // The rows of a query with a literal `.limit(n)`: at most n passes.
                let limit = loop_nature::limited_load(&f.expr).or_else(|| {
                    loop_nature::iterated_name(&f.expr)
                        .and_then(|n| self.limited_rows.get(&n).copied())
                });
                if nature == LoopNature::PerItem
                    && let Some(n) = limit
                {
                    nature = LoopNature::Bounded(n);
                }
                self.push_loop(LoopKind::For, f.for_token.span, exits, nature);
                // The body may run no time: its costs are an alternative to nothing (a
                // `return` in it ends only the paths through it).
                let body = self.arm(|w| {
                    w.env.push();
                    w.bind_pat(&f.pat, Val::default());
                    w.block(&f.body);
                    w.env.pop();
                });
                self.push_cost(Cost::Alt(vec![body, Vec::new()]));
                self.pop_loop();
                Val::default()
            }
            E::While(wl) => {
                let exits = body_exits(&wl.body, wl.label.as_ref());
                let mut nature = loop_nature::while_nature(wl, exits);
                // `while let Some(msg) = socket.next().await`: a consumer of messages that
                // arrive over time, unless the stream is rows the fn loaded (`load_stream`).
                if nature == LoopNature::PerItem
                    && let Some(root) = loop_nature::awaited_stream(&wl.cond)
                    && self.env.get(&root).is_none_or(|b| b.shape != Shape::Many)
                {
                    nature = LoopNature::Polling;
                }
                self.push_loop(LoopKind::While, wl.while_token.span, exits, nature);
                self.env.push();
                self.expr(&wl.cond);
                let body = self.arm(|w| w.block(&wl.body));
                self.push_cost(Cost::Alt(vec![body, Vec::new()]));
                self.env.pop();
                self.pop_loop();
                Val::default()
            }
            E::Loop(l) => {
                let exits = body_exits(&l.body, l.label.as_ref());
                self.push_loop(
                    LoopKind::Loop,
                    l.loop_token.span,
                    exits,
                    loop_nature::loop_nature(l, exits),
                );
                self.block(&l.body);
                self.pop_loop();
                Val::default()
            }
            E::If(i) => {
                // The condition runs on both paths; its bindings belong to the `then` branch.
                self.env.push();
                let leaves = leaves_fn(&i.then_branch.stmts)
                    || i.else_branch
                        .as_ref()
                        .is_some_and(|(_, e)| leaves_fn_expr(e));
                match &*i.cond {
                    // `if let Err(e) = write(conn) { return Err(e) }`: its failure ends the fn.
                    E::Let(l) if leaves => {
                        let v = self.aborting(&l.expr);
                        self.bind_pat(&l.pat, v);
                    }
                    cond => {
                        self.expr(cond);
                    }
                }
                let then = self.arm(|w| w.block(&i.then_branch));
                self.env.pop();
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
                // `match write(conn) { Ok(..) => .., Err(e) => return Err(e) }`.
                let v = if m.arms.iter().any(|a| leaves_fn_expr(&a.body)) {
                    self.aborting(&m.expr)
                } else {
                    self.expr(&m.expr)
                };
                // `match event { .. }` on the loop's item: its arms dispatch per kind.
                // A `match` nested in such an arm stays in the outer arm's dispatch.
                let on_item = self
                    .of_loop_item(&m.expr)
                    .filter(|id| self.dispatch.is_none_or(|d| d.loop_id != *id))
                    .map(|loop_id| {
                        self.next_match += 1;
                        (loop_id, self.next_match)
                    });
                let outer = self.dispatch;
                let mut arms = Vec::new();
                for (i, arm) in m.arms.iter().enumerate() {
                    if let Some((loop_id, match_id)) = on_item {
                        self.dispatch = Some(crate::rust::model::Dispatch {
                            loop_id,
                            match_id,
                            arm: i,
                        });
                    }
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
                self.dispatch = outer;
                self.push_cost(Cost::Alt(arms));
                Val::default()
            }
            E::Block(b) => {
                self.block(&b.block);
                Val::default()
            }
            E::Async(a) => {
                self.closure_depth += 1;
                self.block(&a.block);
                self.closure_depth -= 1;
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
                    self.aborting(e);
                }
                self.exit();
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

    /// A chain of suffixes, `base.f(..)?.field.await[i](..)`, walked from its base outwards
    /// in a loop. syn nests a chain as deep as it is long, and builder chains run to
    /// thousands of links: walked recursively, each link would count against the walk's
    /// depth limit, which is meant for nesting, and a long chain would go unanalysed.
    fn suffixes(&mut self, e: &syn::Expr) -> Val {
        use syn::Expr as E;
        // What the chain recorded from here on: the round trips and calls whose value a `?`
        // or `.unwrap()` further out propagates, and the costs an `or_else` splits off.
        let (trips, calls) = (self.round_trips.len(), self.calls.len());
        let cost_mark = self.cost.last().map_or(0, Vec::len);
        let mut links = Vec::new();
        let mut base = e;
        loop {
            let inner = match base {
                E::MethodCall(m) => &*m.receiver,
                E::Try(t) => &*t.expr,
                E::Await(a) => &*a.base,
                E::Field(f) => &*f.base,
                E::Index(i) => &*i.expr,
                E::Call(c) if !matches!(&*c.func, E::Path(_)) => &*c.func,
                _ => break,
            };
            links.push(base);
            base = inner;
        }
        let mut v = match base {
            // A call of a path: its fn is not walked.
            E::Call(c) => self.call_after_func(c),
            // Not a suffix: `expr` does not come back here for it.
            other => self.expr(other),
        };
        for link in links.into_iter().rev() {
            v = match link {
                // `write(conn).unwrap()`: a failure panics, which ends the fn.
                E::MethodCall(m)
                    if matches!(m.method.to_string().as_str(), "unwrap" | "expect") =>
                {
                    self.mark_aborts(&m.receiver, trips, calls);
                    self.method_call_on(m, v)
                }
                // `write_a(conn).or_else(|_| write_b(conn))`: the closure runs only when the
                // receiver failed (wrote nothing): the two are alternatives, not a sequence.
                E::MethodCall(m)
                    if OR_ELSE.contains(&m.method.to_string().as_str())
                        && m.args.first().and_then(as_closure).is_some() =>
                {
                    let receiver = self
                        .cost
                        .last_mut()
                        .map(|top| top.split_off(cost_mark.min(top.len())))
                        .unwrap_or_default();
                    let fallback = self.arm(|w| {
                        if let Some(c) = m.args.first().and_then(as_closure) {
                            w.closure(c, None);
                        }
                    });
                    self.push_cost(Cost::Alt(vec![receiver, fallback]));
                    Val::default()
                }
                E::MethodCall(m) => self.method_call_on(m, v),
                E::Call(c) => self.call_after_func(c),
                E::Try(t) => {
                    self.mark_aborts(&t.expr, trips, calls);
                    v
                }
                E::Await(_) => Val {
                    handle: v.handle,
                    // `load_stream(conn).await?` is still many rows; a future's output is
                    // unknown.
                    shape: if v.shape == Shape::Many {
                        Shape::Many
                    } else {
                        Shape::Unknown
                    },
                },
                E::Field(f) => self.field(f),
                E::Index(i) => {
                    self.expr(&i.index);
                    Val::default()
                }
                _ => v,
            };
        }
        v
    }

    /// A field of a value the caller has walked: an accessor or a configured name yields a
    /// handle.
    fn field(&mut self, f: &syn::ExprField) -> Val {
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
}

/// Methods whose closure runs only when the receiver failed.
const OR_ELSE: &[&str] = &["or_else", "unwrap_or_else", "or_else_async"];

/// Macros that never return normally: the path ends (`bail!` returns an error).
pub(super) const DIVERGING: &[&str] = &["panic", "unreachable", "todo", "unimplemented", "bail"];

/// Can these statements leave the fn (`return`, `?`, a diverging macro), outside closures?
fn leaves_fn(stmts: &[syn::Stmt]) -> bool {
    use syn::visit::Visit;
    let mut v = Leaves::default();
    for s in stmts {
        v.visit_stmt(s);
    }
    v.found
}

fn leaves_fn_expr(e: &syn::Expr) -> bool {
    use syn::visit::Visit;
    let mut v = Leaves::default();
    v.visit_expr(e);
    v.found
}

#[derive(Default)]
struct Leaves {
    found: bool,
    depth: usize,
}

impl<'ast> syn::visit::Visit<'ast> for Leaves {
    fn visit_expr(&mut self, e: &'ast syn::Expr) {
        if self.found || self.depth >= super::MAX_DEPTH {
            return;
        }
        match e {
            syn::Expr::Return(_) | syn::Expr::Try(_) => self.found = true,
            syn::Expr::Closure(_) | syn::Expr::Async(_) => {}
            _ => {
                self.depth += 1;
                syn::visit::visit_expr(self, e);
                self.depth -= 1;
            }
        }
    }
    fn visit_macro(&mut self, m: &'ast syn::Macro) {
        if m.path
            .segments
            .last()
            .is_some_and(|s| DIVERGING.contains(&s.ident.to_string().as_str()))
        {
            self.found = true;
        }
    }
    fn visit_item(&mut self, _: &'ast syn::Item) {}
}
