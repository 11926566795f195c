//! `io_in_transaction`: sleeps, network, file, process and task I/O, or a second pool
//! checkout, inside a transaction scope.

use proc_macro2::Span;
use serde_json::json;

use crate::diagnostic::{Diagnostic, Level, Reporter};
use crate::rule::{Check, Group, Rule};
use crate::rust::CodeContext;
use crate::rust::model::IoKind;

pub static RULE: Rule = Rule {
    name: "io_in_transaction",
    group: Group::Transactions,
    default_level: Level::Deny,
    summary: "slow i/o or a second pool checkout inside a transaction",
    docs: r#"## What it does
Finds calls inside a transaction scope that wait on something other than the database:
sleeps (`std::thread::sleep`, `tokio::time::sleep`), HTTP and network calls (`reqwest`, `ureq`,
`client.get(..).send()`, `TcpStream::connect`), file I/O (`std::fs`, `tokio::fs`, `File::open`),
processes (`Command::new`), task spawns (`tokio::spawn`, `thread::spawn`, `spawn_blocking`), and a
second connection: `pool.get()`, `establish(..)`, or the pool handed to a helper.

## Why is this bad
A transaction holds a pooled connection and its row locks until it commits. A slow HTTP call
inside it holds them for the call's whole duration, and other requests queue behind the locks.
A second checkout from the same pool while the first connection is held deadlocks the pool
under load: every task holds one connection and waits for another.

## Example
```rust
conn.transaction(|conn| {
    let order = diesel::insert_into(orders::table).values(&o).get_result::<Order>(conn)?;
    reqwest::blocking::get(format!("{PAYMENT}/charge/{}", order.id))?;
    Ok(())
})
```

## Use instead
Do the I/O before the transaction starts or after it commits (an outbox table for reliable
side effects), and use the transaction's own connection (the closure's parameter).

## Configuration
`#[db_checked(allow(io_in_transaction))]`, or `#[dbopt::allow(io_in_transaction)]` on a statement.
`#[db_checked(in_transaction)]` makes the whole fn a transaction scope.

## Known limitations
I/O hidden in helpers is not seen; only the well-known crates and paths are recognised.
`cargo dbopt` does not scan test code (`#[cfg(test)]`, test fns, `tests.rs`, test-support
packages) unless `include_tests = true` / `--include-tests`. The package's own transaction
wrappers (a `macro_rules!` or fn running its argument in `.transaction(..)`) open a scope
like `transaction` does; those of other crates need `transaction_macros`.
"#,
    check: Check::Code(check),
};

fn check(ctx: &CodeContext<'_>, out: &mut Reporter<Span>) {
    for io in &ctx.model.io {
        let Some(txn) = &io.ctx.txn else { continue };
        if io.ctx.allows(RULE.name) {
            continue;
        }
        let scope = if txn.method == "in_transaction" {
            "a fn declared `in_transaction`".to_owned()
        } else {
            format!("the `{}` closure", txn.method)
        };
        let help = match io.kind {
            IoKind::Checkout => "use the transaction's own connection (the closure's parameter); \
                                 a second checkout while the first is held can deadlock the pool"
                .to_owned(),
            _ => format!(
                "move the call out of the transaction: before it starts or after it commits; \
                 the transaction holds a connection and its locks while it {}",
                match io.kind {
                    IoKind::Sleep => "sleeps",
                    _ => "waits",
                }
            ),
        };
        out.report(
            Diagnostic::new(
                &RULE,
                format!(
                    "i/o in a transaction: `{}` {} inside {scope}",
                    io.call,
                    io.kind.describe()
                ),
                io.span,
            )
            .with_label(io.kind.describe())
            .with_secondary(txn.span, "transaction opened here")
            .with_help(help)
            .with_data(json!({ "call": io.call, "kind": format!("{:?}", io.kind) })),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::rust::testing::{hits, hits_with, run};

    const R: &str = "io_in_transaction";

    #[test]
    fn http_and_sleep_in_a_diesel_async_transaction() {
        let src = r#"async fn f(conn: &mut AsyncPgConnection, client: &reqwest::Client) {
    conn.transaction(|conn| async move {
        diesel::insert_into(orders::table).values(&o).execute(conn).await?;
        client.post(url).json(&o).send().await?;
        tokio::time::sleep(Duration::from_secs(1)).await;
        reqwest::get(url).await?;
        Ok(())
    }.scope_boxed()).await
}"#;
        assert_eq!(hits(src, R), vec![(4, 35), (5, 22), (6, 18)]);
        let d = &run(src)[1];
        assert_eq!(
            d.message,
            "i/o in a transaction: `tokio::time::sleep(..)` sleeps inside the `transaction` closure"
        );
    }

    #[test]
    fn async_closure_form_and_spawns() {
        let src = r#"async fn f(conn: &mut AsyncPgConnection) {
    conn.transaction(async |conn| {
        tokio::spawn(async move { notify().await });
        std::fs::write("x", b"y")?;
        Command::new("ls").output()?;
        Ok(())
    }).await
}"#;
        assert_eq!(hits(src, R), vec![(3, 16), (4, 18), (5, 18)]);
    }

    #[test]
    fn second_pool_checkout_inside_a_transaction() {
        let src = r#"fn f(pool: &DbPool) {
    let mut conn = pool.get()?;
    conn.transaction(|conn| {
        let mut other = pool.get()?;
        audit(pool, 1);
        Ok(())
    })
}"#;
        assert_eq!(hits(src, R), vec![(4, 30), (5, 9)]);
    }

    #[test]
    fn accessor_pool_inside_in_transaction_fn() {
        let src = r#"async fn f(context: &LemmyContext) {
    let conn = &mut context.pool().get().await?;
}"#;
        assert_eq!(hits_with(src, "in_transaction", R), vec![(2, 36)]);
        assert!(hits(src, R).is_empty());
    }

    #[test]
    fn database_calls_on_models_named_like_io_are_silent() {
        let src = r#"fn f(conn: &mut PgConnection, client: &Client) {
    conn.transaction(|conn| {
        File::create(conn, &form)?;
        Command::insert(&mut *conn, &cmd)?;
        tx.send(event)?;
        Ok(())
    })
}"#;
        assert!(hits(src, R).is_empty());
    }

    #[test]
    fn io_outside_transactions_is_silent() {
        let src = r#"async fn f(conn: &mut AsyncPgConnection) {
    tokio::time::sleep(d).await;
    reqwest::get(url).await?;
    conn.transaction(|conn| async move { a.execute(conn).await }.scope_boxed()).await?;
    std::thread::sleep(d);
}"#;
        assert!(hits(src, R).is_empty());
    }
}
