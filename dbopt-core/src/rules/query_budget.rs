//! `query_budget`: more round trips than `#[db_checked(max_queries = N)]` allows.

use proc_macro2::Span;
use serde_json::json;

use crate::diagnostic::{Diagnostic, Level, Reporter};
use crate::rule::{Check, Group, Rule};
use crate::rust::CodeContext;
use crate::rust::model::RoundTrip;

pub static RULE: Rule = Rule {
    name: "query_budget",
    group: Group::Performance,
    default_level: Level::Deny,
    summary: "more queries than the declared max_queries",
    docs: r#"## What it does
With `#[db_checked(max_queries = N)]`, counts the round trips one run of the fn can make and
fires when the count can exceed N. Alternatives (`if`/`match` arms) count as their most
expensive arm; a round trip inside a loop makes the count unbounded.

## Why is this bad
A request handler's latency is roughly its number of round trips times the database latency.
A budget written next to the code keeps a refactoring from quietly doubling it.

## Example
```rust
#[db_checked(max_queries = 2)]
fn profile(conn: &mut PgConnection, id: i32) -> QueryResult<Profile> {
    let user = users::table.find(id).first::<User>(conn)?;
    let posts = Post::belonging_to(&user).load::<Post>(conn)?;
    let likes = Like::belonging_to(&user).load::<Like>(conn)?;
    Ok(Profile { user, posts, likes })
}
```

## Use instead
Join or batch the queries, or raise the budget deliberately.

## Configuration
`max_queries = N` in `#[db_checked(..)]`; an inner attribute replaces the outer budget.
`#[dbopt::allow(query_budget)]` on a statement leaves its queries out of the count.

## Known limitations
Helpers that receive the connection count as one round trip each, whatever they do inside.
Early returns (`?`) are not followed: the count is the longest straight path. `cargo dbopt`
does not scan test code unless `include_tests = true` / `--include-tests`.
"#,
    check: Check::Code(check),
};

fn skipped(t: &RoundTrip) -> bool {
    t.ctx.allows(RULE.name)
}

fn check(ctx: &CodeContext<'_>, out: &mut Reporter<Span>) {
    let Some(max) = ctx.options.max_queries else {
        return;
    };
    let count = ctx.model.max_round_trips(&skipped);
    let counted: Vec<&RoundTrip> = ctx
        .model
        .round_trips
        .iter()
        .filter(|t| !skipped(t))
        .collect();
    let (primary, message) = match count {
        None => {
            let Some(t) = counted.iter().find(|t| !t.ctx.loops.is_empty()) else {
                return;
            };
            let where_ = t
                .ctx
                .innermost_loop()
                .map(|l| l.describe())
                .unwrap_or_default();
            (
                *t,
                format!(
                    "query budget exceeded: `{}` in the {where_} makes the number of queries \
                     unbounded (`max_queries = {}`)",
                    t.call, max.limit
                ),
            )
        }
        Some(n) if n > max.limit => {
            let path = ctx.model.max_path(&skipped).unwrap_or_default();
            let idx = usize::try_from(max.limit).unwrap_or(usize::MAX);
            let Some(t) = path
                .get(idx)
                .and_then(|i| ctx.model.round_trips.get(*i))
                .or(counted.last().copied())
            else {
                return;
            };
            (
                t,
                format!(
                    "query budget exceeded: up to {n} queries, `max_queries = {}`",
                    max.limit
                ),
            )
        }
        Some(_) => return,
    };
    out.report(
        Diagnostic::new(&RULE, message, primary.span)
            .with_label("over budget")
            .with_secondary(max.span, "budget declared here")
            .with_help(
                "batch or join the queries (`eq_any`, `belonging_to` + `grouped_by`, \
                 `inner_join`), or raise `max_queries`",
            )
            .with_data(json!({ "max_queries": max.limit, "count": count })),
    );
}

#[cfg(test)]
mod tests {
    use crate::rust::testing::{hits, hits_with, run_with};

    const R: &str = "query_budget";

    const THREE: &str = r#"fn profile(conn: &mut PgConnection, id: i32) {
    let user = users::table.find(id).first::<User>(conn)?;
    let posts = Post::belonging_to(&user).load::<Post>(conn)?;
    let likes = Like::belonging_to(&user).load::<Like>(conn)?;
}"#;

    #[test]
    fn over_budget_fires_at_the_first_extra_query() {
        assert_eq!(hits_with(THREE, "max_queries = 2", R), vec![(4, 43)]);
        assert!(hits_with(THREE, "max_queries = 3", R).is_empty());
        assert!(hits(THREE, R).is_empty());
        let d = &run_with(THREE, "max_queries = 2")[0];
        assert_eq!(
            d.message,
            "query budget exceeded: up to 3 queries, `max_queries = 2`"
        );
    }

    #[test]
    fn branches_count_their_most_expensive_arm() {
        let src = r#"fn f(conn: &mut PgConnection, a: bool) {
    if a { x.execute(conn)?; } else { y.execute(conn)?; }
    match a { true => z.execute(conn), false => Ok(0) };
}"#;
        assert!(hits_with(src, "max_queries = 2", R).is_empty());
        assert_eq!(hits_with(src, "max_queries = 1", R), vec![(3, 25)]);
    }

    #[test]
    fn a_query_in_a_loop_is_unbounded() {
        let src = r#"fn f(conn: &mut PgConnection, ids: Vec<i32>) {
    for id in ids { g(conn, id); }
}"#;
        assert_eq!(
            hits_with(src, "max_queries = 100, allow(n_plus_one)", R),
            vec![(2, 21)]
        );
    }
}
