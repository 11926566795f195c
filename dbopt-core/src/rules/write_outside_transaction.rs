//! `write_outside_transaction`: two or more writes that do not share a transaction.

use proc_macro2::Span;
use serde_json::json;

use crate::diagnostic::{Diagnostic, Level, Reporter};
use crate::rule::{Check, Group, Rule};
use crate::rust::CodeContext;
use crate::rust::model::RoundTrip;

pub static RULE: Rule = Rule {
    name: "write_outside_transaction",
    group: Group::Transactions,
    default_level: Level::Deny,
    summary: "two or more writes outside any transaction",
    docs: r#"## What it does
Counts the writes (`insert_into`, `update`, `delete`, `save_changes`, `replace_into`, an
`sql_query` starting with INSERT/UPDATE/DELETE/MERGE) a fn runs outside any transaction scope.
Two or more on one path through the fn fire; a write in a loop counts as many. Writes in
different `if`/`match` arms count once.

## Why is this bad
Each write commits on its own. When the second one fails (a constraint, a timeout, a crash,
a cancelled future) the first stays: half an order, a user without a profile. Readers also see
the intermediate state.

## Example
```rust
diesel::insert_into(orders::table).values(&order).execute(conn)?;
diesel::insert_into(order_lines::table).values(&lines).execute(conn)?;
```

## Use instead
```rust
conn.transaction(|conn| {
    diesel::insert_into(orders::table).values(&order).execute(conn)?;
    diesel::insert_into(order_lines::table).values(&lines).execute(conn)?;
    Ok(())
})
```

## Configuration
`#[db_checked(in_transaction)]` declares that callers always run the fn inside a transaction.
`#[db_checked(allow(write_outside_transaction))]`, or `#[dbopt::allow(write_outside_transaction)]`
on a statement to leave that write out of the count.

## Known limitations
Writes done by helpers that receive the connection are not seen as writes (they are round
trips). A transaction opened by the caller is only known through `in_transaction`.
"#,
    check: Check::Code(check),
};

fn counted(t: &RoundTrip) -> bool {
    t.write.is_some() && t.ctx.txn.is_none() && !t.ctx.allows(RULE.name)
}

fn check(ctx: &CodeContext<'_>, out: &mut Reporter<Span>) {
    if ctx.options.in_transaction {
        return;
    }
    let count = ctx.model.max_round_trips(&|t| !counted(t));
    if count.is_some_and(|n| n < 2) {
        return;
    }
    let writes: Vec<&RoundTrip> = ctx
        .model
        .round_trips
        .iter()
        .filter(|t| counted(t))
        .collect();
    let looped = writes.iter().find(|t| !t.ctx.loops.is_empty());
    let (primary, message) = match (looped, writes.get(1)) {
        (Some(t), _) => {
            let where_ = t
                .ctx
                .innermost_loop()
                .map(|l| l.describe())
                .unwrap_or_default();
            (
                *t,
                format!(
                    "writes outside a transaction: `{}` runs once per iteration of the {where_}",
                    t.call
                ),
            )
        }
        (None, Some(t)) => (
            *t,
            format!(
                "{} writes outside a transaction: `{}` commits separately from the write before it",
                count.unwrap_or(2),
                t.call
            ),
        ),
        (None, None) => return,
    };
    let mut d = Diagnostic::new(&RULE, message, primary.span)
        .with_label("commits on its own")
        .with_help(
            "run the writes in one transaction so they commit or fail together: \
             `conn.transaction(|conn| { .. })`",
        )
        .with_data(json!({
            "writes": writes.iter().map(|w| w.name.clone()).collect::<Vec<_>>(),
        }));
    for other in writes.iter().filter(|w| !std::ptr::eq(**w, primary)) {
        d = d.with_secondary(other.span, format!("another write: `{}`", other.call));
    }
    out.report(d);
}

#[cfg(test)]
mod tests {
    use crate::rust::testing::{hits, hits_with};

    const R: &str = "write_outside_transaction";

    #[test]
    fn two_writes_fire_at_the_second() {
        let src = r#"fn f(conn: &mut PgConnection) {
    diesel::insert_into(orders::table).values(&o).execute(conn)?;
    diesel::update(stock::table.find(1)).set(n.eq(2)).execute(conn)?;
}"#;
        assert_eq!(hits(src, R), vec![(3, 55)]);
    }

    #[test]
    fn writes_inside_transaction_are_silent() {
        let src = r#"fn f(conn: &mut PgConnection) {
    conn.transaction(|conn| {
        diesel::insert_into(orders::table).values(&o).execute(conn)?;
        diesel::delete(carts::table.find(1)).execute(conn)?;
        Ok(())
    })
}"#;
        assert!(hits(src, R).is_empty());
    }

    #[test]
    fn build_transaction_and_sqlite_forms_are_scopes() {
        let src = r#"fn f(conn: &mut SqliteConnection) {
    conn.immediate_transaction(|c| { a.save_changes::<A>(c)?; b.save_changes::<B>(c) })?;
    conn.build_transaction().read_write().run(|c| {
        sql_query("INSERT INTO t VALUES (1)").execute(c)?;
        sql_query("DELETE FROM t").execute(c)
    })
}"#;
        assert!(hits(src, R).is_empty());
    }

    #[test]
    fn one_write_in_a_loop_counts_as_many() {
        let src = r#"fn f(conn: &mut PgConnection, rows: Vec<NewPost>) {
    for r in &rows {
        diesel::insert_into(posts::table).values(r).execute(conn)?;
    }
}"#;
        assert_eq!(hits(src, R), vec![(3, 53)]);
    }

    #[test]
    fn one_write_per_branch_is_one_write() {
        let src = r#"fn f(conn: &mut PgConnection, new: bool) {
    if new {
        diesel::insert_into(posts::table).values(&p).execute(conn)?;
    } else {
        diesel::update(posts::table.find(1)).set(&p).execute(conn)?;
    }
    let n = posts::table.count().get_result::<i64>(conn)?;
}"#;
        assert!(hits(src, R).is_empty());
    }

    #[test]
    fn in_transaction_and_statement_allow() {
        let src = r#"fn f(conn: &mut PgConnection) {
    diesel::insert_into(a::table).values(&x).execute(conn)?;
    #[dbopt::allow(write_outside_transaction)]
    diesel::insert_into(b::table).values(&y).execute(conn)?;
}"#;
        assert!(hits(src, R).is_empty());
        let src2 = src.replace("#[dbopt::allow(write_outside_transaction)]", "");
        assert_eq!(hits(&src2, R).len(), 1);
        assert!(hits_with(&src2, "in_transaction", R).is_empty());
    }
}
