//! The small model of one fn body that the code rules read: round trips, I/O calls and pool
//! checkouts, each with its loop, transaction and statement-level allow context.

use proc_macro2::Span;

/// Where a loop context comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoopKind {
    For,
    While,
    Loop,
    /// A closure handed to an iterator or stream adapter, e.g. `map`.
    Adapter(String),
}

/// What a loop's passes are, read from its syntax ([`crate::rust::loop_nature`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoopNature {
    /// One pass per item of a collection of unknown size: a round trip per pass is an N+1.
    PerItem,
    /// A fixed, small collection: `n` passes (0: a constant whose size is not written here).
    Bounded(u64),
    /// Leaves on success, waits or counts attempts otherwise.
    Retry,
    /// Every pass waits on a timer, interval, schedule or channel.
    Polling,
    /// Each pass takes a chunk of the collection, which its queries take whole.
    Chunks,
    /// Its queries page through a table with `.limit(..)` and it leaves on a short page.
    Paged,
}

impl LoopNature {
    /// Passes of a per-row loop: their round trips are `n_plus_one` findings.
    pub fn is_per_row(self) -> bool {
        matches!(self, LoopNature::PerItem | LoopNature::Bounded(_))
    }
}

/// One enclosing loop context.
#[derive(Debug, Clone)]
pub struct LoopCtx {
    /// Unique within the fn: events with the same id are in the same loop.
    pub id: usize,
    pub nature: LoopNature,
    pub kind: LoopKind,
    /// The `for`/`while`/`loop` keyword or the adapter's method name.
    pub span: Span,
    /// The body can leave the loop early (`break`, or `return` outside a nested closure):
    /// a retry loop such as `loop { match establish(url) { Ok(c) => break c, .. } }`.
    pub exits: bool,
}

impl LoopCtx {
    /// How a message names it: "`for` loop", "closure passed to `.map(..)`".
    pub fn describe(&self) -> String {
        match &self.kind {
            LoopKind::For => "`for` loop".to_owned(),
            LoopKind::While => "`while` loop".to_owned(),
            LoopKind::Loop => "`loop`".to_owned(),
            LoopKind::Adapter(name) => format!("closure passed to `.{name}(..)`"),
        }
    }
}

/// The transaction scope around an event.
#[derive(Debug, Clone)]
pub struct TxnCtx {
    /// `transaction`, `immediate_transaction`, `run` (of `build_transaction()`), or
    /// `in_transaction` when the attribute declares it.
    pub method: String,
    /// Identifies the scope: events with the same id are in the same transaction.
    pub id: usize,
    pub span: Span,
}

/// The context every event carries.
#[derive(Debug, Clone, Default)]
pub struct Ctx {
    /// Enclosing loop contexts, outermost first.
    pub loops: Vec<LoopCtx>,
    /// The innermost enclosing transaction scope.
    pub txn: Option<TxnCtx>,
    /// Rules allowed by `#[dbopt::allow(..)]` on an enclosing statement.
    pub allows: Vec<&'static str>,
    /// Inside an arm of a `match` on the item of a loop: which loop, which `match`, which arm.
    pub dispatch: Option<Dispatch>,
}

/// An event inside an arm of a `match` whose scrutinee is (derived from) the current item of
/// a loop: `for event in events { match event { A => insert(..), B => delete(..) } }`. Each
/// pass runs the queries of its item's kind, a per-event processor rather than the same
/// query N times.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dispatch {
    pub loop_id: usize,
    pub match_id: usize,
    pub arm: usize,
}

impl Ctx {
    pub fn allows(&self, rule: &str) -> bool {
        self.allows.contains(&rule)
    }

    /// The innermost loop context.
    pub fn innermost_loop(&self) -> Option<&LoopCtx> {
        self.loops.last()
    }

    /// The loop that makes an event per-row work: the innermost per-item loop, else the
    /// innermost fixed-size one; `None` inside retry, polling, chunked or paged loops only.
    pub fn per_row_loop(&self) -> Option<&LoopCtx> {
        self.loops
            .iter()
            .rev()
            .find(|l| l.nature == LoopNature::PerItem)
            .or_else(|| self.loops.iter().rev().find(|l| l.nature.is_per_row()))
    }
}

/// How a round trip reaches the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TripKind {
    /// A Diesel executor (`load`, `execute`, ...) called with a handle.
    Executor,
    /// Any other call that receives a handle: `helper(conn, id)`, `model.save(conn)`.
    Helper,
    /// A method called on a handle: `conn.batch_execute(..)`, `conn.run_pending_migrations()`.
    OnHandle,
    /// A macro whose tokens mention a handle (`db_run!(conn, ..)`).
    Macro,
}

/// A write and the table it writes, when known.
#[derive(Debug, Clone)]
pub struct Write {
    pub table: Option<String>,
    /// `insert`, `update` (also `save_changes`), `delete` or `merge`.
    pub verb: &'static str,
}

/// A load of a whole table ([`RoundTrip::unbounded`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnboundedLoad {
    pub table: String,
    /// Through an outer join (`left_join`): the table's rows and their matches.
    pub joined: bool,
}

/// One call that talks to the database.
#[derive(Debug, Clone)]
pub struct RoundTrip {
    /// The method or fn name of the call (its span is `span`).
    pub span: Span,
    /// How messages show the call: `load`, `helper(..)`, `conn.batch_execute(..)`.
    pub call: String,
    /// The method or fn name alone.
    pub name: String,
    pub kind: TripKind,
    pub ctx: Ctx,
    pub write: Option<Write>,
    /// A table locked by `for_update()`/`for_share()` in this query.
    pub locks: Option<String>,
    /// The table an executor's query starts from, when it is written in the call's chain.
    pub table: Option<String>,
    /// Set when the call is `load`/`get_results` of a whole table with no filter, inner
    /// join, limit or pagination in its query chain.
    pub unbounded: Option<UnboundedLoad>,
    /// The query carries `.limit(..)` (or a paginate helper): one page of rows.
    pub limited: bool,
    /// A failure of this call ends the fn (`?`, `.unwrap()`, `.expect(..)`, `return`, the
    /// fn's value), as opposed to being handled (`.ok()`, `let _ =`, `if let Err(..)`).
    pub aborts: bool,
}

/// What an I/O call inside a transaction does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IoKind {
    Sleep,
    Network,
    File,
    Process,
    Spawn,
    /// A pool checkout or a new connection (`pool.get()`, `establish(..)`).
    Checkout,
}

impl IoKind {
    pub fn describe(self) -> &'static str {
        match self {
            IoKind::Sleep => "sleeps",
            IoKind::Network => "makes a network call",
            IoKind::File => "does file I/O",
            IoKind::Process => "runs a process",
            IoKind::Spawn => "spawns a task",
            IoKind::Checkout => "checks out a second connection",
        }
    }
}

/// A call that does I/O other than the transaction's own queries.
#[derive(Debug, Clone)]
pub struct IoCall {
    pub span: Span,
    pub call: String,
    pub kind: IoKind,
    pub ctx: Ctx,
}

/// What a [`Connect`] creates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectKind {
    /// A new connection: `PgConnection::establish(url)`, `establish_connection()`.
    Establish,
    /// A new pool: `Pool::builder()`, `Pool::new(manager)`, `r2d2::Pool::builder()`.
    PoolBuild,
}

/// A call that opens a new connection or builds a new pool.
#[derive(Debug, Clone)]
pub struct Connect {
    /// The call's last path segment (`establish`, `builder`, `new`).
    pub span: Span,
    /// How messages show the call: `PgConnection::establish(..)`, `Pool::builder(..)`.
    pub call: String,
    pub kind: ConnectKind,
    pub ctx: Ctx,
    /// Its arguments use a value bound inside the innermost loop (the loop's variable or a
    /// `let` in its body): one connection per item, e.g. one per tenant database.
    pub per_item: bool,
}

/// Why a fn looks like a request handler.
#[derive(Debug, Clone)]
pub struct Handler {
    /// The route attribute or the extractor parameter's type.
    pub span: Span,
    /// How messages show it: "route attribute `#[get]`", "extractor parameter `Json<..>`".
    pub sign: String,
}

/// What a call names as its callee, as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Callee {
    /// `f(..)`, `repo::find(..)`, `Repo::find(..)`, `Self::find(..)`: the path's segments.
    Path(Vec<String>),
    /// `recv.name(..)`. `receiver` is the receiver as a chain of names when it is one
    /// (`self.repo` -> `["self", "repo"]`, `repo` -> `["repo"]`), looking through `&`, `*`,
    /// `?`, `.await`, parentheses and handle-preserving calls such as `.clone()`; empty when
    /// the receiver is any other expression.
    Method { name: String, receiver: Vec<String> },
}

/// One call in a body, whether or not it talks to the database: the input of the scan's
/// cross-function analysis (`cargo dbopt` resolves it to the package's fns).
#[derive(Debug, Clone)]
pub struct CallSite {
    /// The fn or method name.
    pub span: Span,
    pub callee: Callee,
    /// How messages show it: `self.repo.find(..)`, `repo::find(..)`.
    pub text: String,
    pub ctx: Ctx,
    /// The round trip the per-fn model made of this call (it received a handle), if any.
    pub trip: Option<usize>,
    /// A failure of this call ends the fn (see [`RoundTrip::aborts`]).
    pub aborts: bool,
}

impl CallSite {
    /// The fn or method name alone.
    pub fn name(&self) -> &str {
        match &self.callee {
            Callee::Path(p) => p.last().map_or("", String::as_str),
            Callee::Method { name, .. } => name,
        }
    }
}

/// The branch structure of round trips and calls, for `query_budget` and the scan's write
/// counts: a sequence adds, alternatives (`if`/`match` arms) take the maximum.
#[derive(Debug, Clone)]
pub enum Cost {
    /// Index into [`FnModel::round_trips`].
    Trip(usize),
    /// Index into [`FnModel::calls`]: costs nothing in one fn's model.
    Call(usize),
    /// One sequence of costs per arm.
    Alt(Vec<Vec<Cost>>),
    /// The fn returns here (`return`, a diverging macro): the rest of the sequence is not on
    /// this path.
    Exit,
}

/// One analysed fn.
#[derive(Debug, Clone)]
pub struct FnModel {
    pub name: String,
    /// The fn's name.
    pub span: Span,
    pub round_trips: Vec<RoundTrip>,
    pub io: Vec<IoCall>,
    /// Every call that is not a Diesel executor, a checkout, a transaction or a handle
    /// conversion, in evaluation order. Recorded for the scan only (empty for the macro).
    pub calls: Vec<CallSite>,
    /// The fn body's cost sequence.
    pub cost: Vec<Cost>,
    /// New connections and pools created in the body.
    pub connects: Vec<Connect>,
    /// Pool builder chains (`Pool::builder().max_size(..).build(..)`) and their settings.
    pub pools: Vec<crate::rust::pools::PoolBuild>,
    /// Set when the fn looks like a request handler (see [`crate::rust::handler`]).
    pub handler: Option<Handler>,
}

/// `None` means unbounded (a round trip in a loop).
pub type Count = Option<u64>;

impl FnModel {
    /// The most round trips one run of the fn can make, skipping those `skip` says.
    pub fn max_round_trips(&self, skip: &dyn Fn(&RoundTrip) -> bool) -> Count {
        seq_cost(&self.cost, &self.round_trips, skip, 0)
    }
}

/// A table written or row-locked inside a transaction.
#[derive(Debug, Clone)]
pub struct Lock {
    pub table: String,
    pub span: Span,
}

impl FnModel {
    /// Per transaction scope (in source order), the tables it writes or locks with
    /// `for_update()`/`for_share()`, in order: the input of a workspace-wide lock-order graph.
    pub fn lock_sequences(&self) -> Vec<Vec<Lock>> {
        let mut scopes: Vec<(usize, Vec<Lock>)> = Vec::new();
        for trip in &self.round_trips {
            let Some(txn) = &trip.ctx.txn else { continue };
            let table = trip
                .write
                .as_ref()
                .and_then(|w| w.table.clone())
                .or_else(|| trip.locks.clone());
            let Some(table) = table else { continue };
            let lock = Lock {
                table,
                span: trip.span,
            };
            match scopes.iter_mut().find(|(id, _)| *id == txn.id) {
                Some((_, seq)) => seq.push(lock),
                None => scopes.push((txn.id, vec![lock])),
            }
        }
        scopes.into_iter().map(|(_, seq)| seq).collect()
    }

    /// The round trips along one most expensive path through the fn (source order), or `None`
    /// when a counted round trip sits in a loop.
    pub fn max_path(&self, skip: &dyn Fn(&RoundTrip) -> bool) -> Option<Vec<usize>> {
        let mut out = Vec::new();
        seq_path(&self.cost, &self.round_trips, skip, 0, &mut out)?;
        Some(out)
    }
}

fn seq_path(
    seq: &[Cost],
    trips: &[RoundTrip],
    skip: &dyn Fn(&RoundTrip) -> bool,
    depth: usize,
    out: &mut Vec<usize>,
) -> Option<()> {
    if depth > 512 {
        return None;
    }
    for c in seq {
        match c {
            Cost::Trip(i) => match trips.get(*i) {
                Some(t) if skip(t) => {}
                Some(t) if !t.ctx.loops.is_empty() => return None,
                Some(_) => out.push(*i),
                None => {}
            },
            Cost::Call(_) | Cost::Exit => {}
            Cost::Alt(arms) => {
                let mut best: Vec<usize> = Vec::new();
                for arm in arms {
                    let mut path = Vec::new();
                    seq_path(arm, trips, skip, depth + 1, &mut path)?;
                    if path.len() > best.len() {
                        best = path;
                    }
                }
                out.extend(best);
            }
        }
    }
    Some(())
}

fn seq_cost(
    seq: &[Cost],
    trips: &[RoundTrip],
    skip: &dyn Fn(&RoundTrip) -> bool,
    depth: usize,
) -> Count {
    if depth > 512 {
        return None;
    }
    let mut total: u64 = 0;
    for c in seq {
        let n = match c {
            Cost::Trip(i) => match trips.get(*i) {
                Some(t) if skip(t) => 0,
                Some(t) if !t.ctx.loops.is_empty() => return None,
                Some(_) => 1,
                None => 0,
            },
            Cost::Call(_) | Cost::Exit => 0,
            Cost::Alt(arms) => {
                let mut best = 0;
                for arm in arms {
                    best = best.max(seq_cost(arm, trips, skip, depth + 1)?);
                }
                best
            }
        };
        total = total.saturating_add(n);
    }
    Some(total)
}
