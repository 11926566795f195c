//! What a loop iterates over, read from its syntax: `n_plus_one` fires only for loops whose
//! passes are per-row work over a collection of unknown size.
//!
//! * **Retry and reconnect loops** leave on success (`break`/`return`) and sleep, back off or
//!   count attempts: `loop { match establish(url) { Ok(c) => break c, Err(_) => sleep(..) } }`.
//! * **Polling and scheduler loops** (`loop`, `while`) wait on every pass: a top-level
//!   `sleep`, `interval.tick()`, `select!`, `recv()` in the body, or a
//!   `while let Some(m) = rx.recv().await` condition.
//! * **Chunked batches** (`for chunk in ids.chunks(100)`) whose queries take the whole chunk
//!   (`eq_any(chunk)`, `.values(chunk)`): the fix the rule itself recommends.
//! * **Fixed, small collections**: a literal array, `vec![..]` of literals, a literal range of
//!   at most [`SMALL_RANGE`] values, a `SCREAMING_CASE` constant, the rows of a query with a
//!   literal `.limit(n)` (directly, or through a `let`): at most a warning, worded "runs up to
//!   N queries".
//!
//! Paged loops (a query with `.limit(..)` in a loop that leaves when a page comes back short)
//! are told apart after the walk, from the round trips themselves
//! ([`crate::rust::model::FnModel::mark_paged_loops`]).

use crate::rust::model::LoopNature;
use crate::rust::visit::{any_expr, any_in_block};

/// The largest literal range that counts as a fixed, small collection.
pub const SMALL_RANGE: u64 = 64;

/// Calls that wait: on every pass of a polling loop, between attempts of a retry loop.
const WAITS: &[&str] = &[
    "sleep",
    "sleep_until",
    "delay_for",
    "delay_until",
    "tick",
    "recv",
    "recv_async",
    "recv_timeout",
    "recv_many",
    "changed",
    "notified",
    "accept",
    "park_timeout",
    "wait",
    "wait_timeout",
];

/// Macros that wait on several futures (a timer among them, in practice).
const WAIT_MACROS: &[&str] = &["select", "select_biased"];

/// Identifier fragments of a retry's bookkeeping (`attempts += 1`, `backoff.next()`).
const RETRY_WORDS: &[&str] = &["attempt", "retr", "tries", "backoff"];

/// Chunking adapters: each pass gets a slice of the collection.
const CHUNKS: &[&str] = &["chunks", "chunks_exact", "chunks_mut", "array_chunks"];

/// Query methods that take a whole collection.
const BATCH_ARGS: &[&str] = &["eq_any", "ne_all", "values", "any", "is_contained_by"];

/// The nature of `for pat in expr { body }`.
pub fn for_nature(f: &syn::ExprForLoop, exits: bool) -> LoopNature {
    if exits && retries(&f.body) {
        return LoopNature::Retry;
    }
    // A `for` loop iterates a collection: a wait in its body does not make it a poll.
    let iterable = strip(&f.expr);
    if let Some(var) = chunk_var(iterable, &f.pat)
        && takes_whole(&f.body, &var)
    {
        return LoopNature::Chunks;
    }
    match fixed_size(iterable) {
        Some(n) => LoopNature::Bounded(n),
        None => LoopNature::PerItem,
    }
}

/// The nature of `while cond { body }`.
pub fn while_nature(w: &syn::ExprWhile, exits: bool) -> LoopNature {
    if exits && retries(&w.body) {
        return LoopNature::Retry;
    }
    if has_wait(&w.cond) || waits_every_pass(&w.body) {
        return LoopNature::Polling;
    }
    LoopNature::PerItem
}

/// The nature of `loop { body }`.
pub fn loop_nature(l: &syn::ExprLoop, exits: bool) -> LoopNature {
    if exits && retries(&l.body) {
        return LoopNature::Retry;
    }
    if waits_every_pass(&l.body) {
        return LoopNature::Polling;
    }
    LoopNature::PerItem
}

/// `q.limit(5).load(conn)?` (through `.await`, `?`, `.unwrap()`): the query's literal limit,
/// the most rows a loop over its result passes over.
pub fn limited_load(e: &syn::Expr) -> Option<u64> {
    let mut e = strip(e);
    for _ in 0..16 {
        match e {
            syn::Expr::Try(t) => e = strip(&t.expr),
            syn::Expr::Await(a) => e = strip(&a.base),
            syn::Expr::MethodCall(m)
                if matches!(
                    m.method.to_string().as_str(),
                    "unwrap" | "expect" | "iter" | "into_iter"
                ) =>
            {
                e = strip(&m.receiver)
            }
            syn::Expr::MethodCall(m)
                if matches!(m.method.to_string().as_str(), "load" | "get_results") =>
            {
                return crate::rust::calls::chain(&m.receiver)
                    .methods
                    .iter()
                    .find(|c| c.method == "limit")
                    .and_then(|c| c.args.first())
                    .and_then(int);
            }
            _ => return None,
        }
    }
    None
}

/// The name a `for` loop iterates over (`rows`, `&rows`, `rows.iter()`).
pub fn iterated_name(e: &syn::Expr) -> Option<String> {
    match strip(e) {
        syn::Expr::Path(p) => p.path.get_ident().map(ToString::to_string),
        syn::Expr::MethodCall(m)
            if matches!(
                m.method.to_string().as_str(),
                "iter" | "into_iter" | "iter_mut"
            ) =>
        {
            iterated_name(&m.receiver)
        }
        _ => None,
    }
}

/// `let Some(x) = rx.next().await` (also `try_next`, `message`): the root name of the stream
/// a `while let` waits on for its next item.
pub fn awaited_stream(cond: &syn::Expr) -> Option<String> {
    let syn::Expr::Let(l) = cond else {
        return None;
    };
    let mut e = &*l.expr;
    loop {
        match e {
            syn::Expr::Try(t) => e = &t.expr,
            syn::Expr::Paren(p) => e = &p.expr,
            syn::Expr::Await(a) => {
                let syn::Expr::MethodCall(m) = &*a.base else {
                    return None;
                };
                if !matches!(
                    m.method.to_string().as_str(),
                    "next" | "try_next" | "message" | "next_message"
                ) {
                    return None;
                }
                let chain = crate::rust::walk::receiver_chain(&m.receiver);
                return chain.first().cloned();
            }
            _ => return None,
        }
    }
}

/// Does a spawned task's body run a loop of its own (a long-lived worker)?
pub fn is_long_lived(body: &syn::Expr) -> bool {
    any_expr(body, &|e| {
        matches!(e, syn::Expr::Loop(_) | syn::Expr::While(_))
    })
}

fn strip(e: &syn::Expr) -> &syn::Expr {
    match e {
        syn::Expr::Reference(r) => strip(&r.expr),
        syn::Expr::Paren(p) => strip(&p.expr),
        syn::Expr::Group(g) => strip(&g.expr),
        _ => e,
    }
}

/// `xs.chunks(n)` (through `.iter()`, `.enumerate()`, `.into_iter()`): the name the pattern
/// binds each chunk to.
fn chunk_var(iterable: &syn::Expr, pat: &syn::Pat) -> Option<String> {
    let mut e = iterable;
    let mut chunked = false;
    for _ in 0..32 {
        match e {
            syn::Expr::MethodCall(m) => {
                let name = m.method.to_string();
                if CHUNKS.contains(&name.as_str()) {
                    chunked = true;
                    break;
                }
                if !matches!(name.as_str(), "into_iter" | "iter" | "enumerate" | "map") {
                    return None;
                }
                e = &m.receiver;
            }
            syn::Expr::Call(c) => {
                // `itertools::Itertools::chunks(xs, n)`, `xs.iter().chunks(n)`.
                let is_chunks = matches!(&*c.func, syn::Expr::Path(p)
                    if p.path.segments.last().is_some_and(|s| CHUNKS.contains(&s.ident.to_string().as_str())));
                chunked = is_chunks;
                break;
            }
            _ => return None,
        }
    }
    if !chunked {
        return None;
    }
    // `chunk`, `(i, chunk)`: the last identifier bound.
    let mut names = Vec::new();
    crate::rust::handles::pat_idents(pat, &mut names);
    names.pop()
}

/// Does the body pass `var` whole to a batch query method (`eq_any(chunk)`, `.values(chunk)`)?
fn takes_whole(body: &syn::Block, var: &str) -> bool {
    any_in_block(
        body,
        &|e| {
            matches!(e, syn::Expr::MethodCall(m)
                if BATCH_ARGS.contains(&m.method.to_string().as_str())
                    && m.args.iter().any(|a| mentions_whole(a, var)))
        },
        // `sql_query` binds and project macros: a mention of the chunk as a token.
        &|m| {
            let text = m.tokens.to_string();
            text.contains("eq_any")
                && text
                    .split(|c: char| !c.is_alphanumeric() && c != '_')
                    .any(|w| w == var)
        },
    )
}

/// `chunk`, `&chunk`, `chunk.to_vec()`, `chunk.iter().map(..).collect::<Vec<_>>()`: the whole
/// chunk (not `chunk[0]`).
fn mentions_whole(e: &syn::Expr, var: &str) -> bool {
    match strip(e) {
        syn::Expr::Path(p) => p.path.is_ident(var),
        syn::Expr::MethodCall(m) => mentions_whole(&m.receiver, var),
        syn::Expr::Field(f) => mentions_whole(&f.base, var),
        _ => false,
    }
}

/// The number of passes over a literal collection: `[a, b, c]`, `vec![a, b]`, `0..3`,
/// `1..=4`; `Some(0)` for a `SCREAMING_CASE` constant (fixed, size not written here).
fn fixed_size(e: &syn::Expr) -> Option<u64> {
    match strip(e) {
        syn::Expr::Array(a) => Some(a.elems.len() as u64),
        syn::Expr::Repeat(r) => int(&r.len).filter(|n| *n <= SMALL_RANGE),
        syn::Expr::Macro(m) if m.mac.path.is_ident("vec") => {
            let elems = m
                .mac
                .parse_body_with(
                    syn::punctuated::Punctuated::<syn::Expr, syn::Token![,]>::parse_terminated,
                )
                .ok()?;
            Some(elems.len() as u64)
        }
        syn::Expr::Range(r) => {
            let start = r.start.as_deref().map_or(Some(0), int)?;
            let end = int(r.end.as_deref()?)?;
            let n = match r.limits {
                syn::RangeLimits::HalfOpen(_) => end.checked_sub(start)?,
                syn::RangeLimits::Closed(_) => end.checked_sub(start)?.checked_add(1)?,
            };
            (n <= SMALL_RANGE).then_some(n)
        }
        syn::Expr::Path(p) => {
            let last = p.path.segments.last()?.ident.to_string();
            let screaming = last.len() > 1
                && last
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
            screaming.then_some(0)
        }
        syn::Expr::MethodCall(m)
            if matches!(
                m.method.to_string().as_str(),
                "iter" | "into_iter" | "iter_mut" | "enumerate" | "copied" | "cloned"
            ) =>
        {
            fixed_size(&m.receiver)
        }
        _ => None,
    }
}

fn int(e: &syn::Expr) -> Option<u64> {
    match strip(e) {
        syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Int(i),
            ..
        }) => i.base10_parse().ok(),
        _ => None,
    }
}

/// A statement of the body (at its top level, not inside a branch) that waits: every pass
/// waits on a timer, interval or channel.
fn waits_every_pass(body: &syn::Block) -> bool {
    body.stmts.iter().any(|s| match s {
        syn::Stmt::Expr(e, _) => top_level_wait(e),
        syn::Stmt::Local(l) => l.init.as_ref().is_some_and(|i| top_level_wait(&i.expr)),
        syn::Stmt::Macro(m) => is_wait_macro(&m.mac),
        syn::Stmt::Item(_) => false,
    })
}

/// `sleep(..).await`, `interval.tick().await`, `rx.recv().await?`, `select! { .. }`,
/// `let msg = rx.recv().await`, `if let Some(m) = rx.recv().await { .. }`.
fn top_level_wait(e: &syn::Expr) -> bool {
    match e {
        syn::Expr::Await(a) => top_level_wait(&a.base),
        syn::Expr::Try(t) => top_level_wait(&t.expr),
        syn::Expr::Paren(p) => top_level_wait(&p.expr),
        syn::Expr::Let(l) => top_level_wait(&l.expr),
        syn::Expr::If(i) => top_level_wait(&i.cond),
        syn::Expr::Match(m) => top_level_wait(&m.expr),
        syn::Expr::Macro(m) => is_wait_macro(&m.mac),
        syn::Expr::MethodCall(m) => {
            WAITS.contains(&m.method.to_string().as_str()) || top_level_wait(&m.receiver)
        }
        syn::Expr::Call(c) => match &*c.func {
            syn::Expr::Path(p) => p
                .path
                .segments
                .last()
                .is_some_and(|s| WAITS.contains(&s.ident.to_string().as_str())),
            _ => false,
        },
        _ => false,
    }
}

fn is_wait_macro(m: &syn::Macro) -> bool {
    m.path
        .segments
        .last()
        .is_some_and(|s| WAIT_MACROS.contains(&s.ident.to_string().as_str()))
}

/// Anywhere in `e` (not in nested items): a call that waits.
fn has_wait(e: &syn::Expr) -> bool {
    any_expr(e, &top_level_wait)
}

/// A loop that leaves on success retries when its body waits (a sleep or a back-off) or
/// counts attempts.
fn retries(body: &syn::Block) -> bool {
    let counts_attempts = |name: &str| {
        let name = name.to_ascii_lowercase();
        RETRY_WORDS.iter().any(|w| name.contains(w))
    };
    any_in_block(
        body,
        &|e| match e {
            syn::Expr::Path(p) => p
                .path
                .segments
                .iter()
                .any(|s| counts_attempts(&s.ident.to_string())),
            syn::Expr::Field(f) => {
                matches!(&f.member, syn::Member::Named(n) if counts_attempts(&n.to_string()))
            }
            syn::Expr::MethodCall(m) if counts_attempts(&m.method.to_string()) => true,
            e => top_level_wait(e),
        },
        &is_wait_macro,
    )
}

/// The nature of an adapter closure (`xs.iter().map(|x| ..)`): chunks and fixed collections
/// as for `for` loops, otherwise per item.
pub fn adapter_nature(receiver: &syn::Expr, closure: &syn::ExprClosure) -> LoopNature {
    if let Some(param) = closure.inputs.last() {
        let body = syn::Block {
            brace_token: Default::default(),
            stmts: vec![syn::Stmt::Expr((*closure.body).clone(), None)],
        };
        if let Some(var) = chunk_var(strip(receiver), param)
            && takes_whole(&body, &var)
        {
            return LoopNature::Chunks;
        }
    }
    match fixed_size(strip(receiver)) {
        Some(n) => LoopNature::Bounded(n),
        None => LoopNature::PerItem,
    }
}

#[cfg(test)]
mod tests {
    use crate::diagnostic::Level;
    use crate::rust::testing;

    const R: &str = "n_plus_one";

    /// The sources hold several fns: analysed as one inline module (line 1 gains a prefix,
    /// later lines keep their positions).
    fn in_mod(src: &str) -> String {
        format!("mod m {{ {src} }}")
    }

    fn hits(src: &str, rule: &str) -> Vec<(usize, usize)> {
        testing::hits(&in_mod(src), rule)
    }

    fn run(src: &str) -> Vec<crate::diagnostic::Diagnostic<proc_macro2::Span>> {
        testing::run(&in_mod(src))
    }

    #[test]
    fn retry_loops_are_not_n_plus_one() {
        let src = r#"async fn connect(pool: &Pool) -> Result<Conn, E> {
    let mut attempts = 0;
    loop {
        match pool.get().await {
            Ok(conn) => return Ok(conn),
            Err(e) if attempts < 5 => { attempts += 1; tokio::time::sleep(BACKOFF).await; }
            Err(e) => return Err(e),
        }
    }
}
fn save_with_retry(conn: &mut PgConnection, row: &Row) -> QueryResult<usize> {
    loop {
        match insert_into(rows::table).values(row).execute(conn) {
            Ok(n) => break Ok(n),
            Err(_) => std::thread::sleep(Duration::from_millis(50)),
        }
    }
}
fn control(conn: &mut PgConnection, ids: Vec<i32>) { for id in ids { find(conn, id); } }"#;
        // Only the control fn: a loop that does not leave on success is per item.
        assert_eq!(hits(src, R), vec![(19, 70)]);
    }

    #[test]
    fn polling_loops_are_not_n_plus_one() {
        let src = r#"async fn worker(pool: Pool, mut rx: Receiver<Job>) {
    let mut tick = tokio::time::interval(PERIOD);
    loop {
        tick.tick().await;
        let conn = &mut pool.get().await.unwrap();
        jobs::table.filter(jobs::due.lt(now)).load::<Job>(conn).await.ok();
    }
}
async fn consumer(conn: &mut AsyncPgConnection, mut rx: Receiver<Event>) {
    while let Some(ev) = rx.recv().await {
        insert_into(events::table).values(&ev).execute(conn).await.ok();
    }
}
fn control(conn: &mut PgConnection, ids: Vec<i32>) { for id in ids { find(conn, id); } }"#;
        assert_eq!(hits(src, R), vec![(14, 70)]);
    }

    #[test]
    fn long_lived_workers_spawned_per_configured_worker_are_not_n_plus_one() {
        let src = r#"fn start(pool: Pool, workers: usize) {
    for i in 0..workers {
        let pool = pool.clone();
        tokio::spawn(async move {
            loop {
                let conn = &mut pool.get().await.unwrap();
                next_job(conn).await;
                sleep(IDLE).await;
            }
        });
    }
}
fn per_item_tasks(pool: &Pool, ids: Vec<i32>) {
    for id in ids {
        tokio::spawn(find_user(pool, id));
    }
}"#;
        // A task per item that queries once is still one query per item.
        assert_eq!(hits(src, R), vec![(15, 22)]);
    }

    #[test]
    fn chunked_batches_that_take_the_whole_chunk_are_not_n_plus_one() {
        let src = r#"fn archive(conn: &mut PgConnection, ids: &[i32]) -> QueryResult<()> {
    for chunk in ids.chunks(1000) {
        diesel::update(posts::table.filter(posts::id.eq_any(chunk)))
            .set(posts::archived.eq(true))
            .execute(conn)?;
    }
    for chunk in rows.chunks(500) {
        insert_into(posts::table).values(chunk).execute(conn)?;
    }
    for chunk in ids.chunks(100) {
        for id in chunk {
            posts::table.find(id).first::<Post>(conn)?;
        }
    }
    Ok(())
}"#;
        assert_eq!(hits(src, R), vec![(12, 35)]);
    }

    #[test]
    fn paged_loops_are_not_n_plus_one() {
        let src = r#"fn export(conn: &mut PgConnection) -> QueryResult<()> {
    let mut last = 0;
    loop {
        let page = posts::table.filter(posts::id.gt(last)).order(posts::id).limit(500).load::<Post>(conn)?;
        if page.len() < 500 { break; }
        last = page.last().unwrap().id;
    }
    let mut offset = 0;
    while offset < total {
        let page = posts::table.offset(offset).limit(100).load::<Post>(conn)?;
        offset += 100;
    }
    Ok(())
}
fn control(conn: &mut PgConnection, ids: Vec<i32>) { for id in ids { find(conn, id); } }"#;
        assert_eq!(hits(src, R), vec![(15, 70)]);
    }

    #[test]
    fn fixed_collections_are_at_most_a_warning_that_counts_the_queries() {
        let src = r#"fn counts(conn: &mut PgConnection) {
    for t in ["users", "posts", "comments"] {
        sql_query(format!("ANALYZE {t}")).execute(conn);
    }
    for kind in KINDS {
        count_of(conn, kind);
    }
}"#;
        let d = run(src);
        let found: Vec<(Level, &str)> = d
            .iter()
            .filter(|d| d.rule == R)
            .map(|d| (d.level, d.message.as_str()))
            .collect();
        assert_eq!(
            found,
            vec![
                (
                    Level::Warn,
                    "query inside a loop over a fixed collection: `execute` runs up to 3 queries, \
                     one per iteration of the `for` loop"
                ),
                (
                    Level::Warn,
                    "query inside a loop over a fixed collection: `count_of(..)` runs once per \
                     item of the `for` loop"
                ),
            ]
        );
    }

    #[test]
    fn one_finding_per_loop_with_the_other_queries_as_labels() {
        let src = r#"fn sync(conn: &mut PgConnection, users: Vec<User>) -> QueryResult<()> {
    for u in &users {
        let p = Profile::belonging_to(u).first::<Profile>(conn)?;
        diesel::update(users::table.find(u.id)).set(users::seen.eq(true)).execute(conn)?;
        audit(conn, u.id)?;
    }
    Ok(())
}"#;
        let d: Vec<_> = run(src).into_iter().filter(|d| d.rule == R).collect();
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!(d[0].level, Level::Deny);
        assert_eq!(
            d[0].primary.message,
            "one round trip per iteration, and 2 more queries in the same loop"
        );
        let labels: Vec<(usize, &str)> = d[0]
            .secondary
            .iter()
            .map(|l| (l.span.start().line, l.message.as_str()))
            .collect();
        assert_eq!(
            labels,
            vec![
                (2, "the `for` loop"),
                (4, "another query in the same loop: `execute`"),
                (5, "another query in the same loop: `audit(..)`"),
            ]
        );
        assert_eq!(
            d[0].data["round_trips"],
            serde_json::json!(["first", "execute", "audit"])
        );
    }

    #[test]
    fn a_per_item_loop_around_a_retry_loop_is_still_n_plus_one() {
        let src = r#"fn f(conn: &mut PgConnection, ids: Vec<i32>) {
    for id in ids {
        let mut attempts = 0;
        loop {
            match find(conn, id) { Ok(_) => break, Err(_) => attempts += 1 }
        }
    }
}"#;
        assert_eq!(hits(src, R), vec![(5, 19)]);
    }

    #[test]
    fn message_consumers_are_not_n_plus_one_but_row_streams_are() {
        let src = r#"async fn socket(pool: &Pool, mut ws: WsReceiver) {
    while let Some(Ok(msg)) = ws.next().await {
        let conn = &mut pool.get().await.unwrap();
        handle(conn, msg).await;
    }
}
async fn rows(conn: &mut AsyncPgConnection, other: &mut AsyncPgConnection) -> QueryResult<()> {
    let mut stream = users::table.load_stream::<User>(conn).await?;
    while let Some(user) = stream.try_next().await? {
        touch(other, user.id).await?;
    }
    Ok(())
}"#;
        assert_eq!(hits(src, R), vec![(10, 9)]);
    }

    #[test]
    fn a_match_on_the_item_that_picks_the_query_is_at_most_a_warning() {
        let src = r#"fn apply(conn: &mut PgConnection, events: &[Event]) -> QueryResult<()> {
    for event in events {
        let event = event.parse();
        match event {
            Event::Added(a) => { insert_into(agents::table).values(&a).execute(conn)?; }
            Event::Removed(a) => {
                match find(conn, a.id)? {
                    Some(_) => { delete(agents::table.find(a.id)).execute(conn)?; }
                    None => {}
                }
            }
        }
    }
    Ok(())
}
fn same_query(conn: &mut PgConnection, events: &[Event]) -> QueryResult<()> {
    for event in events {
        match event.kind {
            Kind::A => { touch(conn, event.id)?; }
            Kind::B => {}
        }
    }
    Ok(())
}"#;
        let d = run(src);
        let found: Vec<(usize, Level)> = d
            .iter()
            .filter(|d| d.rule == R)
            .map(|d| (d.primary.span.start().line, d.level))
            .collect();
        // The second loop runs one query for every `A` item: the same query N times.
        assert_eq!(found, vec![(5, Level::Warn), (19, Level::Deny)]);
        assert_eq!(
            d[0].message,
            "query inside a loop: `execute` runs for each item of its kind in the `for` loop, \
             which may be many"
        );
    }

    #[test]
    fn the_rows_of_a_query_with_a_literal_limit_are_a_fixed_collection() {
        let src = r#"fn top(conn: &mut PgConnection) -> QueryResult<()> {
    let top = posts::table.order(posts::score.desc()).limit(5).load::<Post>(conn)?;
    for p in &top {
        comments::table.filter(comments::post_id.eq(p.id)).load::<Comment>(conn)?;
    }
    for u in users::table.limit(3).load::<User>(conn)? {
        touch(conn, u.id)?;
    }
    let all = posts::table.filter(posts::open.eq(true)).load::<Post>(conn)?;
    for p in all.iter() {
        touch(conn, p.id)?;
    }
    Ok(())
}"#;
        let found: Vec<(usize, Level, String)> = run(src)
            .into_iter()
            .filter(|d| d.rule == R)
            .map(|d| (d.primary.span.start().line, d.level, d.message))
            .collect();
        assert_eq!(
            found,
            vec![
                (
                    4,
                    Level::Warn,
                    "query inside a loop over a fixed collection: `load` runs up to 5 queries, \
                     one per iteration of the `for` loop"
                        .to_owned()
                ),
                (
                    7,
                    Level::Warn,
                    "query inside a loop over a fixed collection: `touch(..)` runs up to 3 \
                     queries, one per iteration of the `for` loop"
                        .to_owned()
                ),
                (
                    11,
                    Level::Deny,
                    "query inside a loop: `touch(..)` runs once per iteration of the `for` loop"
                        .to_owned()
                ),
            ]
        );
    }
}
