//! `n_plus_one`: a database round trip inside a loop or an iterator/stream closure.

use proc_macro2::Span;
use serde_json::json;

use crate::diagnostic::{Diagnostic, Level, Reporter};
use crate::rule::{Check, Group, Rule};
use crate::rust::CodeContext;
use crate::rust::model::{RoundTrip, TripKind};

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
on one statement (a `let`, a `for` or a call). `n_plus_one = "warn"` in
`[package.metadata.dbopt]`.

## Known limitations
The analysis is syntactic: a closure stored in a variable and called in a loop, or a
connection hidden in a struct field with an unusual name, is not seen. `map` on a value of
unknown type is assumed to be `Option::map` (not a loop) unless the receiver is visibly an
iterator or stream (`iter()`, `into_iter()`, `stream::iter(..)`, a `Vec` parameter, ...).
"#,
    check: Check::Code(check),
};

fn check(ctx: &CodeContext<'_>, out: &mut Reporter<Span>) {
    for trip in &ctx.model.round_trips {
        if trip.ctx.allows(RULE.name) {
            continue;
        }
        let Some(lp) = trip.ctx.innermost_loop() else {
            continue;
        };
        let where_ = lp.describe();
        out.report(
            Diagnostic::new(
                &RULE,
                format!(
                    "query inside a loop: `{}` runs once per iteration of the {where_}",
                    trip.call
                ),
                trip.span,
            )
            .with_label("one round trip per iteration")
            .with_secondary(lp.span, format!("the {where_}"))
            .with_help(help(trip))
            .with_data(json!({ "call": trip.name, "loop": where_ })),
        );
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
    use crate::rust::testing::{hits, hits_with, run};

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
        assert_eq!(hits(src, R), vec![(3, 9), (4, 9), (5, 9), (6, 9)]);
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
            hits(src, R),
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
