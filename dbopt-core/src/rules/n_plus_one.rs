//! `n_plus_one`: a database round trip inside a loop or an iterator/stream closure.

use proc_macro2::Span;
use serde_json::json;

use crate::diagnostic::{Diagnostic, Label, Level, Reporter};
use crate::rule::{Check, Group, Rule};
use crate::rust::CodeContext;
use crate::rust::callgraph::{FnId, Graph};
use crate::rust::model::{LoopCtx, LoopNature, RoundTrip, TripKind};
use crate::rust::package::PackageFindings;
use crate::rust::summary::LoopFact;
use crate::source::Span as FileSpan;

pub static RULE: Rule = Rule {
    name: "n_plus_one",
    group: Group::Performance,
    default_level: Level::Deny,
    summary: "a query inside a loop or an iterator closure",
    docs: r#"## What it does
Finds database round trips inside a loop context: a `for`, `while` or `loop` body, or a
closure handed to an iterator or stream adapter (`map`, `for_each`, `filter_map`, `flat_map`,
`fold`, `then`, `and_then`, `buffer_unordered`, `for_each_concurrent`, ...). A round trip is a
Diesel executor (`load`, `get_result`, `execute`, ...) called with a connection, any other call
that receives a connection or pool (`helper(conn, id)`), or a method called on one.

One loop is one finding: the first round trip of the loop body is the primary span, every
further one (directly or through helpers) a secondary label ("another query in the same
loop"), and JSON lists them all in `data.round_trips`.

Loops whose passes are not per-row work are not reported (`rust::loop_nature`):
* retry and reconnect loops: the loop leaves on success (`break`/`return`) and sleeps, backs
  off or counts attempts;
* polling and scheduler loops (`loop`, `while`): every pass waits on a timer, interval or
  channel (a top-level `sleep`, `interval.tick()`, `select!`, `recv()`, or a
  `while let Some(m) = rx.recv().await` condition);
* a long-lived task spawned per worker (`for _ in 0..n { spawn(async { loop { .. } }) }`);
* deliberate batches: `for chunk in ids.chunks(n)` whose query takes the whole chunk
  (`eq_any(chunk)`, `.values(chunk)`), and paged loops whose query carries `.limit(..)` and
  which leave on a short page (keyset or `LIMIT`/`OFFSET` pagination).

A loop over a fixed, small collection (a literal array, `vec![..]` of literals, a literal range
of at most 64 values, a `SCREAMING_CASE` constant, the rows of a query with a literal
`.limit(n)`) is at most a warning, worded "runs up to N queries". So is a per-event processor: every query of the loop sits in the arms (two or more)
of one `match` on the loop's item, so each pass runs its kind's statement rather than the same
query N times (`for event in events { match event { Added(a) => insert, Removed(a) =>
delete } }`). A per-item loop around such a loop (or around a retry loop) is still an N+1.

`cargo dbopt` also follows calls between the fns of a package: a call in a loop to a fn that
makes round trips, itself or through the fns it calls, fires even when no connection is
passed, because the callee reaches the database through `self`, a struct field, a captured
pool or a global (`self.repo.find(id)` where `find` checks out a connection from the
repository's pool). The finding names the called fn (`data.via`) and points at its query.

## Why is this bad
Each iteration waits for a network round trip to the database. Ten rows in development
become ten thousand in production, and the page that took 5 ms takes seconds while holding a
pooled connection the whole time.

## Example
```rust
for user in &users {
    let posts = Post::belonging_to(user).load::<Post>(conn)?;
}
```

## Use instead
One query for all rows, then group in memory:
```rust
let posts = Post::belonging_to(&users).load::<Post>(conn)?;
let per_user = posts.grouped_by(&users);
```
For lookups by key use `.filter(id.eq_any(&ids))`; for inserts one
`insert_into(table).values(&rows)`.

## Configuration
`#[db_checked(allow(n_plus_one))]` on the fn, `impl` or module, or `#[dbopt::allow(n_plus_one)]`
on one statement (a `let`, a `for` or a call). Outside `#[db_checked]` items, `cargo dbopt`
also reads a `// dbopt: allow(n_plus_one)` comment on the line before a fn (the whole fn) or
a statement (that statement's lines). `rules.n_plus_one = "warn"` in `[package.metadata.dbopt]`. `include_tests = true` (or
`--include-tests`) makes `cargo dbopt` check test code too.

## Known limitations
Loop natures are read from syntax: a retry loop that neither waits nor names its attempts
(`attempt`, `retry`, `tries`, `backoff`) is per-item; a loop polling through a helper that
sleeps inside it is per-item; a collection bounded elsewhere (`ids.len() <= 3` checked
earlier) is not known to be small; a query result with `.limit(5)` is known as such only when
the loop iterates it directly or through a `let` of the same fn.
Test code (`#[cfg(test)]`, test fns, `tests.rs`, test-support packages) is not scanned unless
`include_tests = true` / `--include-tests`.

The analysis is syntactic: a closure stored in a variable and called in a loop, or a
connection hidden in a struct field with an unusual name, is not seen. `map` on a value of
unknown type is assumed to be `Option::map` (not a loop) unless the receiver is visibly an
iterator or stream (`iter()`, `into_iter()`, `stream::iter(..)`, a `Vec` parameter, ...).

Cross-function findings (`cargo dbopt` only) come from a syntactic resolution of calls
inside one package, which cannot see: which impl a trait object or a generic bounded by a
trait dispatches to (such a call is resolved to the package's impls of the trait only when
every one of them makes round trips), closures stored in a variable or a field and called
later, fns generated by macros (`macro_rules!`, derives, attribute macros), calls through
function pointers or `Fn` values, fns of other crates (dependencies and other workspace
members are not read), and methods on a receiver whose type syntax does not tell
(an untyped closure parameter, a local bound from an unknown call) unless the method name
belongs to exactly one method of the package and is not a common std, Diesel or CRUD name
(`get`, `find`, `insert`, `update`, `save`, `delete`, `run`, `send`, ...) or a builder
setter or accessor (`with_*`, `set_*`, `get_*`); setters on `X::builder()` chains are never
package fns.
A fn under `#[db_checked]` gets exactly the macro's findings (the macro sees one item), so a
loop calling `self.repo.find(id)` there is only reported by the scan when the fn is not
annotated.
"#,
    check: Check::Code(check),
};

fn check(ctx: &CodeContext<'_>, out: &mut Reporter<Span>) {
    // One finding per loop: its round trips in source order, the first one primary.
    let mut loops: Vec<(&LoopCtx, Vec<&RoundTrip>)> = Vec::new();
    for trip in &ctx.model.round_trips {
        if trip.ctx.allows(RULE.name) {
            continue;
        }
        let Some(lp) = trip.ctx.per_row_loop() else {
            continue;
        };
        match loops.iter_mut().find(|(l, _)| l.id == lp.id) {
            Some((_, trips)) => trips.push(trip),
            None => loops.push((lp, vec![trip])),
        }
    }
    for (lp, trips) in loops {
        let first = trips[0];
        let where_ = lp.describe();
        let dispatched = dispatches_per_kind(lp.id, &trips);
        let message = match lp.nature {
            _ if dispatched => format!(
                "query inside a loop: `{}` runs for each item of its kind in the {where_}, \
                 which may be many",
                first.call
            ),
            LoopNature::Bounded(n) => format!(
                "query inside a loop over a fixed collection: `{}` runs {} of the {where_}",
                first.call,
                runs_up_to(n)
            ),
            _ => format!(
                "query inside a loop: `{}` runs once per iteration of the {where_}",
                first.call
            ),
        };
        let mut d = Diagnostic::new(&RULE, message, first.span)
            .with_label(per_iteration_label(trips.len()))
            .with_secondary(lp.span, format!("the {where_}"))
            .with_help(help(first))
            .with_data(json!({
                "call": first.name,
                "loop": where_,
                "round_trips": trips.iter().map(|t| t.name.clone()).collect::<Vec<_>>(),
            }));
        for t in &trips[1..] {
            d = d.with_secondary(
                t.span,
                format!("another query in the same loop: `{}`", t.call),
            );
        }
        if dispatched {
            d = d
                .with_help(
                    "the item's kind picks the query (a `match` on it): when the items are many, \
                     group them by kind and run each kind's statement once for the group \
                     (`insert_into(..).values(&rows)`, `.filter(id.eq_any(&ids))`)",
                )
                .with_cap(Level::Warn);
        }
        if let LoopNature::Bounded(_) = lp.nature {
            d = d.with_cap(Level::Warn);
        }
        out.report(d);
    }
}

/// Every round trip of the loop sits in an arm of one `match` on the loop's item, in two or
/// more arms: a per-event processor (each pass runs its kind's statement), which the syntax
/// cannot tell from an N+1 over many rows. At most a warning (issue 15: say less when unsure).
fn dispatches_per_kind(loop_id: usize, trips: &[&RoundTrip]) -> bool {
    let Some(first) = trips.first().and_then(|t| t.ctx.dispatch) else {
        return false;
    };
    let mut arms = Vec::new();
    for t in trips {
        match t.ctx.dispatch {
            Some(d) if d.loop_id == loop_id && d.match_id == first.match_id => {
                if !arms.contains(&d.arm) {
                    arms.push(d.arm);
                }
            }
            _ => return false,
        }
    }
    first.loop_id == loop_id && arms.len() >= 2
}

/// "runs up to 3 queries", or once per item of a constant whose size is not written here.
fn runs_up_to(n: u64) -> String {
    match n {
        0 => "once per item".to_owned(),
        1 => "up to 1 query, one per iteration".to_owned(),
        n => format!("up to {n} queries, one per iteration"),
    }
}

/// The primary label: one round trip per iteration, and how many more the loop makes.
fn per_iteration_label(trips: usize) -> String {
    match trips {
        0 | 1 => "one round trip per iteration".to_owned(),
        2 => "one round trip per iteration, and 1 more query in the same loop".to_owned(),
        n => format!(
            "one round trip per iteration, and {} more queries in the same loop",
            n - 1
        ),
    }
}

/// `cargo dbopt`'s scan: a call in a loop to a package fn that makes round trips, when the
/// per-fn model did not count the call itself (no handle passed: the fn reaches the database
/// through `self`, a struct field, a captured pool or a global). Fns under `#[db_checked]`
/// keep the macro's findings.
pub(crate) fn check_package(g: &Graph<'_>, out: &mut PackageFindings) {
    for f in 0..g.fns.len() {
        let s = g.summary(f);
        let level = s.level(&RULE);
        if s.annotated || level == Level::Allow {
            continue;
        }
        // One finding per loop: (loop, [(call, via, witness)]).
        let mut loops: Vec<(&LoopFact, Vec<(usize, FnId)>)> = Vec::new();
        for (ci, call) in s.calls.iter().enumerate() {
            if call.counted || call.allows.contains(&RULE.name) {
                continue;
            }
            let Some(lp) = &call.innermost_loop else {
                continue;
            };
            let targets = g.targets(f, ci);
            let Some(&via) = targets.first() else {
                continue;
            };
            if g.trips[via].is_none() || targets.iter().any(|t| g.trips[*t].is_none()) {
                continue;
            }
            match loops.iter_mut().find(|(l, _)| l.id == lp.id) {
                Some((_, calls)) => calls.push((ci, via)),
                None => loops.push((lp, vec![(ci, via)])),
            }
        }
        for (lp, calls) in loops {
            let (ci, via) = calls[0];
            let call = &s.calls[ci];
            let Some(witness) = &g.trips[via] else {
                continue;
            };
            let via_name = g.summary(via).display();
            let message = match lp.bounded {
                Some(n) => format!(
                    "query inside a loop over a fixed collection: `{}` queries the database \
                     through `{via_name}`, {} of the {}",
                    call.text,
                    runs_up_to(n),
                    lp.describe
                ),
                None => format!(
                    "query inside a loop: `{}` queries the database through `{via_name}` once \
                     per iteration of the {}",
                    call.text, lp.describe
                ),
            };
            let mut d = Diagnostic::new(&RULE, message, call.span.clone())
                .with_label(per_iteration_label(calls.len()))
                .with_secondary(lp.span.clone(), format!("the {}", lp.describe))
                .with_secondary(
                    witness.span.clone(),
                    format!(
                        "`{}` makes a query here",
                        g.summary(witness.fn_id).display()
                    ),
                )
                .with_help(format!(
                    "give `{via_name}` a batch form that loads what all the items need in one \
                     query (`.filter(col.eq_any(&ids))`, or `belonging_to(&parents)` + \
                     `grouped_by`) and call it once before the loop"
                ))
                .with_data(json!({
                    "call": call.name(),
                    "loop": lp.describe,
                    "via": g.qualified(via),
                    "round_trips": calls.iter().map(|(c, _)| s.calls[*c].name().to_owned()).collect::<Vec<_>>(),
                }));
            for (c, _) in &calls[1..] {
                let other = &s.calls[*c];
                d = d.with_secondary(
                    other.span.clone(),
                    format!("another query in the same loop: `{}`", other.text),
                );
            }
            d.level = match lp.bounded {
                Some(_) => level.min(Level::Warn),
                None => level,
            };
            out.add.push(d);
        }
    }
}

/// `cargo dbopt`'s scan: one finding per loop, also when the per-fn rule found some of its
/// round trips and the cross-function analysis the others. The loop is the first secondary
/// label of every `n_plus_one` finding; findings sharing it are folded into the first one
/// (by position), the others' round trips becoming its secondary labels.
pub(crate) fn fold_per_loop(found: Vec<Diagnostic<FileSpan>>) -> Vec<Diagnostic<FileSpan>> {
    let mut out: Vec<Diagnostic<FileSpan>> = Vec::with_capacity(found.len());
    let mut by_loop: std::collections::HashMap<FileSpan, usize> = Default::default();
    for d in found {
        let key = (d.rule == RULE.name)
            .then(|| d.secondary.first().map(|l| l.span.clone()))
            .flatten();
        let Some(key) = key else {
            out.push(d);
            continue;
        };
        match by_loop.get(&key) {
            None => {
                by_loop.insert(key, out.len());
                out.push(d);
            }
            Some(&i) => {
                let kept = &mut out[i];
                kept.level = kept.level.max(d.level);
                kept.secondary.push(Label::new(
                    d.primary.span.clone(),
                    format!(
                        "another query in the same loop: {}",
                        quoted_call(&d.message)
                    ),
                ));
                kept.secondary.extend(
                    d.secondary
                        .into_iter()
                        .skip(1)
                        .filter(|l| l.message.starts_with("another query")),
                );
                let more = d
                    .data
                    .get("round_trips")
                    .and_then(|r| r.as_array())
                    .cloned();
                if let (Some(more), Some(serde_json::Value::Array(trips))) =
                    (more, kept.data.get_mut("round_trips"))
                {
                    trips.extend(more);
                }
                let n = kept
                    .data
                    .get("round_trips")
                    .and_then(|r| r.as_array())
                    .map_or(1, Vec::len);
                kept.primary.message = per_iteration_label(n);
            }
        }
    }
    out
}

/// The first backquoted call of a message (`query inside a loop: `x` runs ..` -> `` `x` ``).
fn quoted_call(message: &str) -> String {
    let mut parts = message.split('`');
    match (parts.next(), parts.next()) {
        (Some(_), Some(call)) => format!("`{call}`"),
        _ => message.to_owned(),
    }
}

fn help(trip: &RoundTrip) -> String {
    match (&trip.write, &trip.kind) {
        (Some(w), _) if w.verb == "insert" => {
            let table = w.table.as_deref().unwrap_or("table");
            format!(
                "collect the rows and insert them at once: `insert_into({table}).values(&rows)`"
            )
        }
        (Some(_), _) => {
            "change all rows in one statement, e.g. `update(table.filter(id.eq_any(&ids)))`"
                .to_owned()
        }
        (None, TripKind::Helper | TripKind::Macro) => format!(
            "load what `{}` needs for all items in one query before the loop \
             (`.filter(col.eq_any(&ids))`, or `belonging_to(&parents)` + `grouped_by`)",
            trip.name
        ),
        _ => match &trip.table {
            Some(t) => format!(
                "load the `{t}` rows for all items in one query before the loop: \
                 `{t}::table.filter({t}::col.eq_any(&ids))`, or `belonging_to(&parents)` + `grouped_by`"
            ),
            None => "load all rows in one query before the loop: `.filter(col.eq_any(&ids))`, \
                     or `Child::belonging_to(&parents)` + `.grouped_by(&parents)`"
                .to_owned(),
        },
    }
}

#[cfg(test)]
mod tests {
    use crate::rust::testing::{hits, hits_with, run, trip_hits};

    const R: &str = "n_plus_one";

    #[test]
    fn for_loop_executor() {
        let src = r#"fn f(conn: &mut PgConnection, users: Vec<User>) {
    for u in &users {
        let posts = Post::belonging_to(u).load::<Post>(conn);
    }
}"#;
        assert_eq!(hits(src, R), vec![(3, 43)]);
        let d = &run(src)[0];
        assert_eq!(
            d.message,
            "query inside a loop: `load` runs once per iteration of the `for` loop"
        );
        assert!(d.help.as_deref().unwrap_or("").contains("grouped_by"));
    }

    #[test]
    fn help_names_the_table() {
        let src = r#"fn f(conn: &mut PgConnection, ids: Vec<i32>) {
    for id in ids { let c = comments::table.filter(comments::post_id.eq(id)).load::<C>(conn); }
}"#;
        let d = &run(src)[0];
        assert_eq!(
            d.help.as_deref(),
            Some(
                "load the `comments` rows for all items in one query before the loop: \
                 `comments::table.filter(comments::col.eq_any(&ids))`, or `belonging_to(&parents)` + `grouped_by`"
            )
        );
    }

    #[test]
    fn helper_taking_the_connection_inside_map() {
        let src = r#"fn f(conn: &mut PgConnection, ids: &[i32]) -> Vec<User> {
    ids.iter().map(|id| find_user(conn, *id)).collect()
}"#;
        assert_eq!(hits(src, R), vec![(2, 25)]);
        let d = &run(src)[0];
        assert!(
            d.message.contains("closure passed to `.map(..)`"),
            "{}",
            d.message
        );
    }

    #[test]
    fn reborrows_are_handles() {
        let src = r#"fn f(conn: &mut PgConnection, ids: Vec<i32>) {
    for id in ids {
        a(&mut *conn, id);
        b(&*conn, id);
        c(conn.deref_mut(), id);
        d(&mut conn.into(), id);
    }
}"#;
        assert_eq!(trip_hits(src, R), vec![(3, 9), (4, 9), (5, 9), (6, 9)]);
        // One loop, one finding.
        assert_eq!(hits(src, R), vec![(3, 9)]);
    }

    #[test]
    fn stream_then_async_closure() {
        let src = r#"async fn f(conn: &mut AsyncPgConnection, ids: Vec<i32>) {
    let out = stream::iter(ids)
        .then(|id| async move { users.find(id).first::<User>(conn).await })
        .collect::<Vec<_>>()
        .await;
}"#;
        assert_eq!(hits(src, R), vec![(3, 48)]);
    }

    #[test]
    fn non_query_calls_in_loops_are_silent() {
        let src = r#"fn f(conn: &mut PgConnection, v: Vec<i32>, n: AtomicUsize) {
    for x in &v {
        let a = n.load(Ordering::SeqCst);
        let b = v.first();
    }
}"#;
        assert!(hits(src, R).is_empty());
    }

    #[test]
    fn batched_query_then_in_memory_loop_is_silent() {
        let src = r#"fn f(conn: &mut PgConnection, ids: Vec<i32>) {
    let rows = users.filter(id.eq_any(&ids)).load::<User>(conn)?;
    for r in &rows {
        println!("{}", r.name);
    }
    let names: Vec<_> = rows.iter().map(|r| r.name.clone()).collect();
}"#;
        assert!(hits(src, R).is_empty());
    }

    #[test]
    fn connection_used_only_after_the_loop_is_silent() {
        let src = r#"fn f(conn: &mut PgConnection, items: Vec<NewItem>) {
    let mut rows = Vec::new();
    for i in items {
        rows.push(i);
    }
    insert_into(items::table).values(&rows).execute(conn)?;
}"#;
        assert!(hits(src, R).is_empty());
    }

    #[test]
    fn option_map_with_a_query_is_silent() {
        let src = r#"fn f(conn: &mut PgConnection, id: Option<i32>) -> Option<User> {
    id.map(|id| users.find(id).first::<User>(conn).unwrap())
}"#;
        assert!(hits(src, R).is_empty());
        let src = r#"fn f(conn: &mut PgConnection, id: Result<i32, E>) {
    let u = id.and_then(|id| load_user(conn, id));
    let v = find_id(x).map(|id| load_user(conn, id));
}"#;
        assert!(hits(src, R).is_empty());
    }

    #[test]
    fn write_loop_inside_a_transaction_still_fires() {
        let src = r#"fn f(conn: &mut PgConnection, rows: Vec<NewPost>) {
    conn.transaction(|conn| {
        for r in &rows {
            diesel::insert_into(posts::table).values(r).execute(conn)?;
        }
        Ok(())
    })
}"#;
        assert_eq!(hits(src, R), vec![(4, 57)]);
        assert!(hits(src, "write_outside_transaction").is_empty());
        let d = &run(src)[0];
        assert!(
            d.help
                .as_deref()
                .unwrap_or("")
                .contains("insert_into(posts).values(&rows)")
        );
    }

    #[test]
    fn pooled_connection_and_accessors_in_loops() {
        let src = r#"async fn f(context: &Context, ids: Vec<i32>) {
    let mut conn = context.pool().get().await?;
    for id in &ids {
        Post::read(&mut conn, *id).await?;
    }
    ids.iter().for_each(|id| { cache(context.pool(), *id); });
}"#;
        assert_eq!(hits(src, R), vec![(4, 15), (6, 32)]);
    }

    #[test]
    fn generic_and_where_bounded_connections() {
        let src = r#"fn f<C>(conn: &mut C, ids: Vec<i32>) where C: Connection<Backend = Pg> {
    while let Some(id) = next() { touch(conn, id); }
    loop { conn.batch_execute("SELECT 1")?; }
}"#;
        assert_eq!(hits(src, R), vec![(2, 35), (3, 17)]);
    }

    #[test]
    fn shadowing_drops_a_handle() {
        let src = r#"fn f(conn: &mut PgConnection, ids: Vec<i32>) {
    let conn = 5;
    for id in ids { g(conn, id); }
}"#;
        assert!(hits(src, R).is_empty());
    }

    #[test]
    fn statement_and_attribute_allows() {
        let src = r#"fn f(conn: &mut PgConnection, ids: Vec<i32>) {
    #[dbopt::allow(n_plus_one)]
    for id in &ids { g(conn, *id); }
    for id in &ids { h(conn, *id); }
}"#;
        assert_eq!(hits(src, R), vec![(4, 22)]);
        assert!(hits_with(src, "allow(n_plus_one)", R).is_empty());
    }

    #[test]
    fn macros_are_read_as_token_trees() {
        let src = r#"async fn f(conn: &mut AsyncPgConnection, ids: Vec<i32>) {
    for id in ids {
        let (a, b) = try_join!(load_a(conn, id), load_b(conn, id))?;
        db_run!(conn, id);
        with_conn!(conn, users.find(id).first::<User>(conn));
        tokio::select! { x = fetch(conn) => x, }
    }
}"#;
        assert_eq!(
            trip_hits(src, R),
            vec![(3, 32), (3, 50), (4, 9), (5, 41), (6, 30)]
        );
    }

    #[test]
    fn nested_fn_is_analysed_with_its_own_allows() {
        let src = r#"fn outer() {
    fn inner(conn: &mut PgConnection, ids: Vec<i32>) {
        for id in ids { g(conn, id); }
        #[dbopt::allow(n_plus_one)]
        for id in ids { g(conn, id); }
    }
}"#;
        assert_eq!(hits(src, R), vec![(3, 25)]);
    }
}
