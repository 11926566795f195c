//! `unbounded_load`: `load`/`get_results` of a whole table with no filter, limit or paging.

use proc_macro2::Span;
use serde_json::json;

use crate::diagnostic::{Diagnostic, Level, Reporter};
use crate::rule::{Check, Group, Rule};
use crate::rust::CodeContext;

pub static RULE: Rule = Rule {
    name: "unbounded_load",
    group: Group::Performance,
    default_level: Level::Warn,
    summary: "a whole table loaded with no filter, limit or pagination",
    docs: r#"## What it does
Finds `load`, `get_results`, `load_iter` and `load_stream` calls whose query, written in the
same expression, starts from a table (`users::table`, `users`, `posts::dsl::posts`) and has
no `filter`, `find`, `inner_join`, `limit`, `belonging_to`, `count` or pagination in its
method chain. Through an outer join (`left_join`) the message says the table and its joined
rows are read, not "every row".

`cargo dbopt` passes over tables its migrations seed with fixed rows (`INSERT INTO countries
VALUES (..), (..)`: lookup tables, loaded whole on purpose) and the tables listed in
`small_tables`.

## Why is this bad
The query reads every row into memory. It is fast on a fresh database and an outage once the
table holds millions of rows: memory, network and the database's time grow with the table.

## Example
```rust
let all = users::table.load::<User>(conn)?;
```

## Use instead
```rust
let page = users::table.order(users::id).limit(50).offset(offset).load::<User>(conn)?;
```

## Configuration
`small_tables = ["settings", "feature_flags"]` in `[package.metadata.dbopt]` (or the
workspace's) for small tables the migrations do not seed; `#[db_checked(allow(unbounded_load))]`
on a fn, or `#[dbopt::allow(unbounded_load)]` on the statement.

## Known limitations
A query built in a variable (`let q = users::table.into_boxed(); .. q.load(conn)`) is not
judged. Seeded tables are known only for the package whose migrations seed them (another
workspace member loading them still gets the finding: list them in `small_tables`). The
macro (`#[db_checked]`) reads no migrations and no `small_tables`.
"#,
    check: Check::Code(check),
};

fn check(ctx: &CodeContext<'_>, out: &mut Reporter<Span>) {
    for trip in &ctx.model.round_trips {
        let Some(load) = &trip.unbounded else {
            continue;
        };
        let table = &load.table;
        if trip.ctx.allows(RULE.name) {
            continue;
        }
        out.report(
            Diagnostic::new(
                &RULE,
                if load.joined {
                    format!(
                        "unbounded load: `{}` reads `{table}` and its joined rows with no filter \
                         or limit",
                        trip.call
                    )
                } else {
                    format!(
                        "unbounded load: `{}` reads every row of `{table}`",
                        trip.call
                    )
                },
                trip.span,
            )
            .with_label("no filter, limit or pagination")
            .with_help(format!(
                "add a `.filter(..)` or `.limit(..)`, or paginate (`.limit(n).offset(..)`), so \
                 the load stays bounded as `{table}` grows"
            ))
            .with_data(json!({ "table": table })),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::rust::testing::{hits, run};

    const R: &str = "unbounded_load";

    #[test]
    fn whole_table_loads_warn() {
        let src = r#"fn f(conn: &mut PgConnection) {
    let all = users::table.load::<User>(conn)?;
    let names = posts.select(title).get_results::<String>(conn)?;
}"#;
        assert_eq!(hits(src, R), vec![(2, 28), (3, 37)]);
        assert_eq!(run(src)[0].level, crate::diagnostic::Level::Warn);
    }

    #[test]
    fn bounded_or_unknown_queries_are_silent() {
        let src = r#"fn f(conn: &mut PgConnection, user: &User) {
    users::table.filter(active.eq(true)).load::<User>(conn)?;
    users::table.limit(10).load::<User>(conn)?;
    Post::belonging_to(user).load::<Post>(conn)?;
    let q = users::table.into_boxed();
    q.load::<User>(conn)?;
    users::table.find(1).first::<User>(conn)?;
    users::table.count().get_result::<i64>(conn)?;
    users::table.paginate(1).load::<User>(conn)?;
}"#;
        assert!(hits(src, R).is_empty());
    }

    #[test]
    fn inner_joins_bound_and_outer_joins_are_worded_as_joins() {
        let src = r#"fn f(conn: &mut PgConnection) {
    posts::table.inner_join(users::table).load::<(Post, User)>(conn)?;
    posts::table.left_join(comments::table).load::<(Post, Option<Comment>)>(conn)?;
}"#;
        let d = run(src);
        let found: Vec<&str> = d
            .iter()
            .filter(|d| d.rule == R)
            .map(|d| d.message.as_str())
            .collect();
        assert_eq!(
            found,
            ["unbounded load: `load` reads `posts` and its joined rows with no filter or limit"]
        );
    }
}
