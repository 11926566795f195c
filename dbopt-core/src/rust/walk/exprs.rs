//! Expressions: handles flow through references, `?`, `.await` and fields; control flow
//! opens loop contexts, branch alternatives and scopes.

use crate::rust::handles::{ACCESSORS, Binding, HandleKind, Shape};
use crate::rust::loops::body_exits;
use crate::rust::model::{Cost, LoopCtx, LoopKind};

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
                self.push_loop(LoopCtx {
                    kind: LoopKind::For,
                    span: f.for_token.span,
                    exits: body_exits(&f.body, f.label.as_ref()),
                });
                self.env.push();
                self.bind_pat(&f.pat, Val::default());
                self.block(&f.body);
                self.env.pop();
                self.pop_loop();
                Val::default()
            }
            E::While(wl) => {
                self.push_loop(LoopCtx {
                    kind: LoopKind::While,
                    span: wl.while_token.span,
                    exits: body_exits(&wl.body, wl.label.as_ref()),
                });
                self.env.push();
                self.expr(&wl.cond);
                self.block(&wl.body);
                self.env.pop();
                self.pop_loop();
                Val::default()
            }
            E::Loop(l) => {
                self.push_loop(LoopCtx {
                    kind: LoopKind::Loop,
                    span: l.loop_token.span,
                    exits: body_exits(&l.body, l.label.as_ref()),
                });
                self.block(&l.body);
                self.pop_loop();
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

    /// A chain of suffixes, `base.f(..)?.field.await[i](..)`, walked from its base outwards
    /// in a loop. syn nests a chain as deep as it is long, and builder chains run to
    /// thousands of links: walked recursively, each link would count against the walk's
    /// depth limit, which is meant for nesting, and a long chain would go unanalysed.
    fn suffixes(&mut self, e: &syn::Expr) -> Val {
        use syn::Expr as E;
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
                E::MethodCall(m) => self.method_call_on(m, v),
                E::Call(c) => self.call_after_func(c),
                E::Try(_) => v,
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
