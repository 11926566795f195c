//! `lock_order`: tables written or locked in a transaction against the declared order.

use proc_macro2::Span;
use serde_json::json;

use crate::diagnostic::{Diagnostic, Level, Reporter};
use crate::rule::{Check, Group, Rule};
use crate::rust::CodeContext;

pub static RULE: Rule = Rule {
    name: "lock_order",
    group: Group::Transactions,
    default_level: Level::Deny,
    summary: "tables locked in a transaction against the declared lock order",
    docs: r#"## What it does
With `#[db_checked(lock_order(accounts, ledger))]`, follows each transaction scope in order and
fires when a table of the list is written (`insert_into`, `update`, `delete`, an SQL write) or
locked (`for_update()`, `for_share()`) after a table that the list puts later.

## Why is this bad
Two transactions that lock the same rows in opposite orders deadlock: each waits for the lock
the other holds, until the database kills one. One agreed order makes that impossible.

## Example
```rust
#[db_checked(lock_order(accounts, ledger))]
fn transfer(conn: &mut PgConnection) -> QueryResult<()> {
    conn.transaction(|conn| {
        diesel::insert_into(ledger::table).values(&entry).execute(conn)?;
        diesel::update(accounts::table.find(from)).set(&debit).execute(conn)?;
        Ok(())
    })
}
```

## Use instead
Write or lock the tables in the declared order (`accounts` first, then `ledger`).

## Configuration
`lock_order(table, ..)` in `#[db_checked(..)]`; on an `impl` block or module it applies to every
fn inside. `#[dbopt::allow(lock_order)]` on a statement.

## Known limitations
Only the local form: the order is checked inside one fn against its declared list. Writes in
helpers are not seen. `cargo dbopt`'s workspace-wide cycle check is separate.
"#,
    check: Check::Code(check),
};

fn check(ctx: &CodeContext<'_>, out: &mut Reporter<Span>) {
    let order = &ctx.options.lock_order;
    if order.is_empty() {
        return;
    }
    let rank = |t: &str| order.iter().position(|o| o.name == t);
    // Per transaction: the declared tables it holds so far. Writing or locking a table the
    // transaction already holds takes no new lock, so only a table taken for the first time
    // after a later-ranked one is out of order.
    let mut held: Vec<(usize, Vec<(usize, String)>)> = Vec::new();
    for trip in &ctx.model.round_trips {
        let Some(txn) = &trip.ctx.txn else { continue };
        let table = trip
            .write
            .as_ref()
            .and_then(|w| w.table.clone())
            .or_else(|| trip.locks.clone());
        let Some(table) = table else { continue };
        let Some(r) = rank(&table) else { continue };
        let tables = match held.iter_mut().find(|(id, _)| *id == txn.id) {
            Some((_, tables)) => tables,
            None => {
                held.push((txn.id, Vec::new()));
                &mut held.last_mut().expect("just pushed").1
            }
        };
        if tables.iter().any(|(_, t)| *t == table) {
            continue;
        }
        let later = tables
            .iter()
            .filter(|(rank, _)| *rank > r)
            .max_by_key(|(rank, _)| *rank)
            .map(|(_, t)| t.clone());
        tables.push((r, table.clone()));
        let Some(top_table) = later else { continue };
        if trip.ctx.allows(RULE.name) {
            continue;
        }
        let declared: Vec<&str> = order.iter().map(|o| o.name.as_str()).collect();
        out.report(
            Diagnostic::new(
                &RULE,
                format!(
                    "lock order violated: `{table}` is locked after `{top_table}` in \
                     this transaction, against `lock_order({})`",
                    declared.join(", ")
                ),
                trip.span,
            )
            .with_label(format!("locks `{table}`"))
            .with_secondary(txn.span, "in this transaction")
            .with_help(format!(
                "write or lock `{table}` before `{top_table}`, in the declared order, \
                 so concurrent transactions cannot deadlock"
            ))
            .with_data(json!({ "table": table, "after": top_table })),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::rust::testing::hits_with;

    const R: &str = "lock_order";

    const SRC: &str = r#"fn transfer(conn: &mut PgConnection) {
    conn.transaction(|conn| {
        diesel::insert_into(ledger::table).values(&e).execute(conn)?;
        diesel::update(accounts::table.find(1)).set(&d).execute(conn)?;
        Ok(())
    })
}"#;

    #[test]
    fn against_the_declared_order_fires() {
        assert_eq!(
            hits_with(SRC, "lock_order(accounts, ledger)", R),
            vec![(4, 57)]
        );
        assert!(hits_with(SRC, "lock_order(ledger, accounts)", R).is_empty());
        assert!(hits_with(SRC, "", R).is_empty());
    }

    #[test]
    fn for_update_counts_as_a_lock() {
        let src = r#"fn f(conn: &mut PgConnection) {
    conn.transaction(|conn| {
        let l = ledger::table.find(1).for_update().first::<L>(conn)?;
        let a = accounts::table.find(1).for_update().first::<A>(conn)?;
        Ok(())
    })
}"#;
        assert_eq!(
            hits_with(src, "lock_order(accounts, ledger)", R),
            vec![(4, 54)]
        );
    }

    #[test]
    fn lock_sequences_for_the_workspace_graph() {
        let item: syn::Item = syn::parse_str(SRC).unwrap_or_else(|e| panic!("{e}"));
        let syn::Item::Fn(f) = item else {
            panic!("not a fn")
        };
        let walked = crate::rust::walk::walk_fn(
            &f.sig,
            &f.block,
            &[],
            &crate::rust::Options::default(),
            Vec::new(),
        );
        let seqs: Vec<Vec<String>> = walked
            .model
            .lock_sequences()
            .into_iter()
            .map(|s| s.into_iter().map(|l| l.table).collect())
            .collect();
        assert_eq!(seqs, vec![vec!["ledger".to_owned(), "accounts".to_owned()]]);
    }

    #[test]
    fn separate_transactions_are_independent() {
        let src = r#"fn f(conn: &mut PgConnection) {
    conn.transaction(|c| diesel::delete(ledger::table.find(1)).execute(c))?;
    conn.transaction(|c| diesel::delete(accounts::table.find(1)).execute(c))?;
}"#;
        assert!(hits_with(src, "lock_order(accounts, ledger)", R).is_empty());
    }

    #[test]
    fn a_table_already_held_takes_no_new_lock() {
        // accounts then payments, in order, locked with FOR UPDATE; then both written: the
        // later write of accounts is no new lock and must not fire.
        let src = r#"fn f(conn: &mut PgConnection) {
    conn.transaction(|conn| {
        let a = accounts::table.find(1).for_update().first::<A>(conn)?;
        let p = payments::table.find(1).for_update().first::<P>(conn)?;
        diesel::update(payments::table.find(1)).set(&p).execute(conn)?;
        diesel::update(accounts::table.find(1)).set(&a).execute(conn)?;
        Ok(())
    })
}"#;
        assert!(hits_with(src, "lock_order(accounts, payments)", R).is_empty());
        // Out of order: one finding where accounts is first taken, none for its later write.
        let src = r#"fn f(conn: &mut PgConnection) {
    conn.transaction(|conn| {
        let p = payments::table.find(1).for_update().first::<P>(conn)?;
        let a = accounts::table.find(1).for_update().first::<A>(conn)?;
        diesel::update(accounts::table.find(1)).set(&a).execute(conn)?;
        Ok(())
    })
}"#;
        assert_eq!(
            hits_with(src, "lock_order(accounts, payments)", R),
            vec![(4, 54)]
        );
    }
}
