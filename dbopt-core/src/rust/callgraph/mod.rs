//! Phase 2 of the scan's cross-function analysis: the package's call graph, resolved from
//! the files' [`FnSummary`]s and [`Decls`](crate::rust::summary::Decls) by syntax alone,
//! and the facts that flow along it (who makes round trips, how many writes a fn commits
//! outside a transaction, which callers run a fn inside a transaction, which tables a fn
//! writes or locks in which order).
//!
//! # Resolution
//! * A path call (`f(..)`, `repo::f(..)`, `crate::a::f(..)`, `super::f(..)`) is read from the
//!   caller's module: fns nested in the caller, then the module, then the module's `use`
//!   imports (an import that names something outside the package resolves to nothing), then
//!   the crate root, then `Type::f` for the last two segments, then glob imports, and for a
//!   bare name with nothing else to go on, every free fn of the package with that name.
//!   Re-exports (`pub use`) are followed.
//! * `Type::f(..)` and `Self::f(..)`: the methods of impls of a type of that name (any module),
//!   else the default methods of traits it implements; on a trait, its default and every
//!   impl's method.
//! * `recv.f(..)`: the receiver's type, when syntax tells it (`self`, a typed parameter, a
//!   local with a type, a struct literal or an alias such as `let repo = &self.repo;`, a field
//!   of a package struct, a package fn's or method's return type), picks the methods as for
//!   `Type::f`; a type outside the package resolves to nothing. When the type is unknown
//!   (an untyped closure parameter, say) every method of the package with that name is a
//!   candidate, unless the name is a common std, iterator or Diesel method ([`STD_METHODS`]).
//!
//! A call with several candidates is resolved to all of them only when every one makes
//! round trips, and to nothing otherwise: a wrong guess must not invent a finding.

mod names;
mod resolve;

pub use names::STD_METHODS;

use crate::rust::package::FileAnalysis;
use crate::rust::summary::{FnSummary, Step};
use crate::source::Span;

use resolve::Index;

/// Index of a fn in [`Graph::fns`].
pub type FnId = usize;

/// Write counts saturate here; a count this high is "unbounded".
pub const MANY: u32 = 64;

/// Where a fact comes from: the fn whose own body has it, and the span there.
#[derive(Debug, Clone)]
pub struct Witness {
    pub fn_id: FnId,
    pub span: Span,
    /// For a write: its table, when known.
    pub table: Option<String>,
}

/// A table a fn writes or locks, in the order it takes them (first time only).
#[derive(Debug, Clone)]
pub struct LockStep {
    pub table: String,
    /// The round trip or call in this fn that takes it.
    pub span: Span,
    /// The call that takes it goes to this fn (`None`: the fn's own round trip).
    pub via: Option<FnId>,
    /// The round trip that takes it, possibly in another fn.
    pub witness: Span,
    pub write: bool,
    /// `lock_order` is allowed on the round trip or call that takes it.
    pub allowed: bool,
}

/// The package's fns, their resolved calls and the facts along them.
pub struct Graph<'a> {
    pub files: &'a [FileAnalysis],
    /// `(file index, fn index)` of each fn.
    pub fns: Vec<(usize, usize)>,
    /// Per fn and call site: the package fns it may call.
    pub resolved: Vec<Vec<Vec<FnId>>>,
    /// Where a fn's first round trip is (directly or through its callees), if it makes any.
    pub trips: Vec<Option<Witness>>,
    /// The most writes one run of the fn commits outside a transaction, counting callees
    /// (capped at [`MANY`]).
    pub free_writes: Vec<u32>,
    /// Where the fn's first such write is.
    pub write_witness: Vec<Option<Witness>>,
    /// Each fn's resolved call sites: `(caller, call index)`.
    pub callers: Vec<Vec<(FnId, usize)>>,
    /// Every run of the fn is inside a transaction: it is declared `in_transaction`, or it is
    /// reached only through calls made inside one (entry points and fns called outside a
    /// transaction by a fn that may run outside one are not).
    pub always_in_txn: Vec<bool>,
    /// The tables the fn writes or locks, through its callees too, in the order it takes them.
    pub locks: Vec<Vec<LockStep>>,
    /// The strongly connected component of each fn in the call graph with every candidate
    /// of every call (recursion).
    comp: Vec<usize>,
    /// The fns, callees before callers (up to recursion).
    order: Vec<FnId>,
}

impl<'a> Graph<'a> {
    /// Resolves every call of the package and computes the facts.
    pub fn build(files: &'a [FileAnalysis]) -> Self {
        let mut fns = Vec::new();
        for (fi, f) in files.iter().enumerate() {
            for i in 0..f.fns.len() {
                fns.push((fi, i));
            }
        }
        let mut g = Graph {
            files,
            resolved: Vec::new(),
            trips: vec![None; fns.len()],
            free_writes: vec![0; fns.len()],
            write_witness: vec![None; fns.len()],
            callers: vec![Vec::new(); fns.len()],
            always_in_txn: vec![false; fns.len()],
            locks: vec![Vec::new(); fns.len()],
            comp: Vec::new(),
            order: Vec::new(),
            fns,
        };
        let index = Index::new(&g);
        g.resolved = (0..g.fns.len())
            .map(|f| {
                let s = g.summary(f);
                s.calls.iter().map(|c| index.resolve(s, c)).collect()
            })
            .collect();
        // Callees before callers, so each fixpoint below settles in a pass or two.
        let succ: Vec<Vec<FnId>> = g.resolved.iter().map(|calls| calls.concat()).collect();
        (g.comp, g.order) = sccs(&succ);
        g.compute_trips();
        g.compute_callers();
        g.compute_free_writes();
        g.compute_always_in_txn();
        g.compute_locks();
        g
    }

    pub fn summary(&self, f: FnId) -> &'a FnSummary {
        let (fi, i) = self.fns[f];
        &self.files[fi].fns[i]
    }

    /// The file index of a fn.
    pub fn file_of(&self, f: FnId) -> usize {
        self.fns[f].0
    }

    /// The fns a call goes to: its one candidate, or all of several when every one makes
    /// round trips, else none.
    pub fn targets(&self, f: FnId, call: usize) -> &[FnId] {
        let cands = &self.resolved[f][call];
        if cands.len() <= 1 || cands.iter().all(|c| self.trips[*c].is_some()) {
            cands
        } else {
            &[]
        }
    }

    /// The fn's qualified name, `::`-joined.
    pub fn qualified(&self, f: FnId) -> String {
        self.summary(f).qualified().join("::")
    }

    /// A fn makes round trips when one of its own does: an executor, a macro, or a call
    /// that received a handle and resolves to nothing in the package (it is taken to query)
    /// or to fns that make round trips; or when it calls fns that make round trips.
    fn compute_trips(&mut self) {
        loop {
            let mut changed = false;
            for &f in &self.order {
                if self.trips[f].is_some() {
                    continue;
                }
                let s = self.summary(f);
                let resolved = &self.resolved[f];
                let querying = |cands: &Vec<FnId>| {
                    !cands.is_empty() && cands.iter().all(|c| self.trips[*c].is_some())
                };
                let own = s.trips.iter().find_map(|t| match t.call_site {
                    Some(c) if !resolved[c].is_empty() => {
                        querying(&resolved[c]).then(|| self.trips[resolved[c][0]].clone())?
                    }
                    _ => Some(Witness {
                        fn_id: f,
                        span: t.span.clone(),
                        table: None,
                    }),
                });
                let found = own.or_else(|| {
                    resolved
                        .iter()
                        .find(|cands| querying(cands))
                        .and_then(|cands| self.trips[cands[0]].clone())
                });
                if found.is_some() {
                    self.trips[f] = found;
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
    }

    fn compute_callers(&mut self) {
        for f in 0..self.fns.len() {
            for c in 0..self.resolved[f].len() {
                for &t in self.targets(f, c).to_vec().iter() {
                    self.callers[t].push((f, c));
                }
            }
        }
    }

    /// What a call adds to its caller's count of writes outside a transaction.
    pub fn call_writes(&self, f: FnId, c: usize) -> u32 {
        let call = &self.summary(f).calls[c];
        if call.txn.is_some() || call.allows.contains(&WOT) {
            return 0;
        }
        let n = self
            .targets(f, c)
            .iter()
            .map(|t| self.free_writes[*t])
            .min()
            .unwrap_or(0);
        if n > 0 && call.innermost_loop.is_some() {
            MANY
        } else {
            n
        }
    }

    fn compute_free_writes(&mut self) {
        loop {
            let mut changed = false;
            for &f in &self.order {
                let n = self.write_verdict(f, &self.summary(f).steps).max_writes;
                if n != self.free_writes[f] {
                    self.free_writes[f] = n;
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        // Witnesses: the first own write, else the first counted call's.
        loop {
            let mut changed = false;
            for &f in &self.order {
                if self.write_witness[f].is_some() || self.free_writes[f] == 0 {
                    continue;
                }
                let s = self.summary(f);
                let mut found = None;
                for step in flatten(&s.steps) {
                    match step {
                        Step::Trip(t) => {
                            let trip = &s.trips[t];
                            if is_free_write(trip) {
                                found = Some(Witness {
                                    fn_id: f,
                                    span: trip.span.clone(),
                                    table: trip.write.as_ref().and_then(|w| w.1.clone()),
                                });
                                break;
                            }
                        }
                        Step::Call(c) if self.call_writes(f, c) > 0 => {
                            if let Some(t) = self.targets(f, c).first()
                                && let Some(w) = &self.write_witness[*t]
                            {
                                found = Some(w.clone());
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                if found.is_some() {
                    self.write_witness[f] = found;
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
    }

    /// Writes outside a transaction along the costliest path of `steps`, and whether one
    /// path fails after a write committed ([`crate::rust::write_paths`]).
    pub fn write_verdict(&self, f: FnId, steps: &[Step]) -> crate::rust::write_paths::Verdict {
        let s = self.summary(f);
        crate::rust::write_paths::judge(steps, &|step| self.write_event(f, s, step))
    }

    /// A step of `f` as a write on its paths: a free write, or a call whose callee writes.
    pub fn write_event(
        &self,
        f: FnId,
        s: &FnSummary,
        step: &Step,
    ) -> Option<crate::rust::write_paths::WriteEvent> {
        use crate::rust::write_paths::WriteEvent;
        match step {
            Step::Trip(t) => s
                .trips
                .get(*t)
                .filter(|t| is_free_write(t))
                .map(|t| WriteEvent {
                    weight: if t.innermost_loop.is_some() { MANY } else { 1 },
                    aborts: t.aborts,
                }),
            Step::Call(c) => {
                let n = self.call_writes(f, *c);
                (n > 0).then(|| WriteEvent {
                    weight: n,
                    aborts: s.calls[*c].aborts,
                })
            }
            _ => None,
        }
    }

    /// The least fixpoint of "may run outside a transaction": a fn no caller outside its own
    /// recursion reaches (an entry point) may, and so may a fn called outside a transaction
    /// by one that may. A fn declared `in_transaction` never does.
    fn compute_always_in_txn(&mut self) {
        let n = self.fns.len();
        let mut outside: Vec<bool> = (0..n)
            .map(|f| {
                !self.summary(f).in_transaction
                    && self.callers[f]
                        .iter()
                        .all(|&(caller, _)| self.comp[caller] == self.comp[f])
            })
            .collect();
        loop {
            let mut changed = false;
            for f in 0..n {
                if outside[f] || self.summary(f).in_transaction {
                    continue;
                }
                if self.callers[f].iter().any(|&(caller, c)| {
                    outside[caller] && self.summary(caller).calls[c].txn.is_none()
                }) {
                    outside[f] = true;
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        self.always_in_txn = outside.into_iter().map(|o| !o).collect();
    }

    fn compute_locks(&mut self) {
        for f in self.order.clone() {
            let s = self.summary(f);
            let mut seq: Vec<LockStep> = Vec::new();
            for step in flatten(&s.steps) {
                match step {
                    Step::Trip(t) => {
                        let trip = &s.trips[t];
                        let write = row_lock_write(&trip.write);
                        let is_write = write.is_some();
                        let Some(table) = write.or_else(|| trip.locks.clone()) else {
                            continue;
                        };
                        take(
                            &mut seq,
                            LockStep {
                                table,
                                span: trip.span.clone(),
                                via: None,
                                witness: trip.span.clone(),
                                write: is_write,
                                allowed: trip.allows.contains(&LOCK_ORDER),
                            },
                        );
                    }
                    Step::Call(c) => {
                        let call = &s.calls[c];
                        let [t] = self.targets(f, c) else { continue };
                        if self.comp[*t] == self.comp[f] {
                            continue;
                        }
                        for inner in self.locks[*t].clone() {
                            take(
                                &mut seq,
                                LockStep {
                                    table: inner.table,
                                    span: call.span.clone(),
                                    via: Some(*t),
                                    witness: inner.witness,
                                    write: inner.write,
                                    allowed: call.allows.contains(&LOCK_ORDER),
                                },
                            );
                        }
                    }
                    Step::Alt(_) | Step::Exit => {}
                }
            }
            self.locks[f] = seq;
        }
    }

    /// Per transaction the fn opens (or declares with `in_transaction`), the tables it
    /// writes or locks inside, through its callees too, in the order it first takes them.
    pub fn transaction_locks(&self, f: FnId) -> Vec<Vec<LockStep>> {
        let s = self.summary(f);
        let mut scopes: Vec<(usize, Vec<LockStep>)> = Vec::new();
        let mut push = |txn: usize, step: LockStep| {
            let pos = match scopes.iter().position(|(id, _)| *id == txn) {
                Some(p) => p,
                None => {
                    scopes.push((txn, Vec::new()));
                    scopes.len() - 1
                }
            };
            take(&mut scopes[pos].1, step);
        };
        for step in flatten(&s.steps) {
            match step {
                Step::Trip(t) => {
                    let trip = &s.trips[t];
                    let Some(txn) = trip.txn else { continue };
                    let write = row_lock_write(&trip.write);
                    let is_write = write.is_some();
                    let Some(table) = write.or_else(|| trip.locks.clone()) else {
                        continue;
                    };
                    push(
                        txn,
                        LockStep {
                            table,
                            span: trip.span.clone(),
                            via: None,
                            witness: trip.span.clone(),
                            write: is_write,
                            allowed: trip.allows.contains(&LOCK_ORDER),
                        },
                    );
                }
                Step::Call(c) => {
                    let call = &s.calls[c];
                    let Some(txn) = call.txn else { continue };
                    let [t] = self.targets(f, c) else { continue };
                    for inner in &self.locks[*t] {
                        push(
                            txn,
                            LockStep {
                                table: inner.table.clone(),
                                span: call.span.clone(),
                                via: Some(*t),
                                witness: inner.witness.clone(),
                                write: inner.write,
                                allowed: call.allows.contains(&LOCK_ORDER),
                            },
                        );
                    }
                }
                Step::Alt(_) | Step::Exit => {}
            }
        }
        scopes.into_iter().map(|(_, s)| s).collect()
    }
}

const WOT: &str = "write_outside_transaction";
const LOCK_ORDER: &str = "lock_order";

/// A write outside any transaction that no statement allow leaves out.
pub fn is_free_write(trip: &crate::rust::summary::TripFact) -> bool {
    trip.write.is_some() && trip.txn.is_none() && !trip.allows.contains(&WOT)
}

/// Adds `step` unless its table is already held (writing a held table takes no new lock).
/// The table whose existing rows a write locks: UPDATE, DELETE and MERGE do; an INSERT locks
/// only the rows it creates, which no other transaction can hold yet (and the KEY SHARE lock
/// its FK check takes on the parent row does not conflict with an UPDATE that keeps the key),
/// so the order of inserts is no lock order. Without this, the usual "insert parents first,
/// delete children first" pair would be a cycle. `FOR UPDATE` reads count through `locks`.
fn row_lock_write(write: &Option<(&'static str, Option<String>)>) -> Option<String> {
    write
        .as_ref()
        .filter(|(verb, _)| *verb != "insert")
        .and_then(|(_, table)| table.clone())
}

fn take(seq: &mut Vec<LockStep>, step: LockStep) {
    if !seq.iter().any(|s| s.table == step.table) {
        seq.push(step);
    }
}

/// The round trips and calls of `steps` in source order (the arms of an `if`/`match` one
/// after the other; exits left out): the leaf order of [`crate::rust::write_paths`].
pub fn flatten(steps: &[Step]) -> Vec<Step> {
    fn go(steps: &[Step], out: &mut Vec<Step>, depth: usize) {
        if depth > 512 {
            return;
        }
        for s in steps {
            match s {
                Step::Alt(arms) => {
                    for a in arms {
                        go(a, out, depth + 1);
                    }
                }
                Step::Exit => {}
                leaf => out.push(leaf.clone()),
            }
        }
    }
    let mut out = Vec::new();
    go(steps, &mut out, 0);
    out
}

/// Strongly connected components (Tarjan, iterative): the component of each node, and the
/// nodes in an order where every node comes after the components it reaches.
pub(crate) fn sccs(succ: &[Vec<usize>]) -> (Vec<usize>, Vec<usize>) {
    let n = succ.len();
    let mut index = vec![usize::MAX; n];
    let mut low = vec![0; n];
    let mut on_stack = vec![false; n];
    let mut comp = vec![usize::MAX; n];
    let mut stack = Vec::new();
    let mut order = Vec::with_capacity(n);
    let mut next = 0;
    let mut ncomp = 0;
    for root in 0..n {
        if index[root] != usize::MAX {
            continue;
        }
        let mut work: Vec<(usize, usize)> = vec![(root, 0)];
        index[root] = next;
        low[root] = next;
        next += 1;
        stack.push(root);
        on_stack[root] = true;
        while let Some(&mut (v, ref mut i)) = work.last_mut() {
            if let Some(&w) = succ[v].get(*i) {
                *i += 1;
                if index[w] == usize::MAX {
                    index[w] = next;
                    low[w] = next;
                    next += 1;
                    stack.push(w);
                    on_stack[w] = true;
                    work.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
            } else {
                work.pop();
                if let Some(&(parent, _)) = work.last() {
                    low[parent] = low[parent].min(low[v]);
                }
                if low[v] == index[v] {
                    while let Some(w) = stack.pop() {
                        on_stack[w] = false;
                        comp[w] = ncomp;
                        order.push(w);
                        if w == v {
                            break;
                        }
                    }
                    ncomp += 1;
                }
            }
        }
    }
    (comp, order)
}
