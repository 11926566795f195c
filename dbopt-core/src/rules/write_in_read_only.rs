//! `write_in_read_only`: a write in a fn marked `#[db_checked(read_only)]`.

use proc_macro2::Span;
use serde_json::json;

use crate::diagnostic::{Diagnostic, Level, Reporter};
use crate::rule::{Check, Group, Rule};
use crate::rust::CodeContext;

pub static RULE: Rule = Rule {
    name: "write_in_read_only",
    group: Group::Transactions,
    default_level: Level::Deny,
    summary: "a write in a fn marked read_only",
    docs: r#"## What it does
With `#[db_checked(read_only)]` on a fn (or its `impl` block or module), every write in it is a
finding: `insert_into`, `update`, `delete`, `save_changes`, `replace_into`, or an `sql_query` /
`batch_execute` whose SQL starts with INSERT/UPDATE/DELETE/MERGE.

## Why is this bad
Read-only code paths are routed to replicas, cached, retried freely or run under a read-only
transaction. A write slipped into one fails on a replica, is lost, or runs twice on retry.

## Example
```rust
#[db_checked(read_only)]
fn show_post(conn: &mut PgConnection, id: i32) -> QueryResult<Post> {
    diesel::update(posts::table.find(id)).set(views.eq(views + 1)).execute(conn)?;
    posts::table.find(id).first(conn)
}
```

## Use instead
Move the write to a fn that is allowed to write (e.g. a separate view counter flushed in
batches), or drop `read_only` if the fn is meant to write.

## Configuration
`read_only` in `#[db_checked(..)]`; `#[dbopt::allow(write_in_read_only)]` on one statement.

## Known limitations
Writes inside helpers that receive the connection are not seen.
"#,
    check: Check::Code(check),
};

fn check(ctx: &CodeContext<'_>, out: &mut Reporter<Span>) {
    if !ctx.options.read_only {
        return;
    }
    for trip in &ctx.model.round_trips {
        let Some(write) = &trip.write else { continue };
        if trip.ctx.allows(RULE.name) {
            continue;
        }
        let target = write
            .table
            .as_deref()
            .map(|t| format!(" on `{t}`"))
            .unwrap_or_default();
        out.report(
            Diagnostic::new(
                &RULE,
                format!(
                    "write in a read-only fn: `{}` runs {} {}{target}",
                    trip.call,
                    if write.verb == "insert" || write.verb == "update" {
                        "an"
                    } else {
                        "a"
                    },
                    write.verb
                ),
                trip.span,
            )
            .with_label("writes")
            .with_help(format!(
                "move the write out of `{}`, or remove `read_only` from its `#[db_checked(..)]`",
                ctx.model.name
            ))
            .with_data(json!({ "verb": write.verb, "table": write.table })),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::rust::testing::{hits, hits_with, run_with};

    const R: &str = "write_in_read_only";

    #[test]
    fn writes_fire_only_when_read_only() {
        let src = r#"fn show(conn: &mut PgConnection, id: i32) {
    diesel::update(posts::table.find(id)).set(views.eq(views + 1)).execute(conn)?;
    conn.batch_execute("DELETE FROM sessions")?;
    posts::table.find(id).first::<Post>(conn)?;
}"#;
        assert_eq!(hits_with(src, "read_only", R), vec![(2, 68), (3, 10)]);
        assert!(hits(src, R).is_empty());
        let d = &run_with(src, "read_only")[0];
        assert_eq!(
            d.message,
            "write in a read-only fn: `execute` runs an update on `posts`"
        );
    }

    #[test]
    fn reads_are_silent() {
        let src = r#"fn show(conn: &mut PgConnection, id: i32) {
    sql_query("SELECT * FROM posts").load::<Post>(conn)?;
    posts::table.find(id).first::<Post>(conn)?;
}"#;
        assert!(hits_with(src, "read_only", R).is_empty());
    }
}
