//! `write_outside_transaction` counting the writes of called fns, and silent where every
//! caller runs a fn in a transaction.

use super::*;

const ACCOUNTS: &str = r#"use crate::events::log_event;

pub fn open_account(conn: &mut PgConnection, owner: i32) {
    create_account(conn, owner)?;
    log_event(conn, "opened")?;
}

pub fn double_log(conn: &mut PgConnection) {
    log_event(conn, "a")?;
    if owner_is_new() {
        return Ok(());
    }
    log_event(conn, "b")?;
}

pub fn either_log(conn: &mut PgConnection, a: bool) {
    if a {
        log_event(conn, "a");
    } else {
        log_event(conn, "b");
    }
}

fn create_account(conn: &mut PgConnection, owner: i32) {
    diesel::insert_into(accounts::table)
        .values(accounts::owner.eq(owner))
        .execute(conn)
        .unwrap();
}

pub fn close_twice(conn: &mut PgConnection, id: i32) {
    diesel::update(accounts::table.find(id)).set(accounts::open.eq(false)).execute(conn).unwrap();
    diesel::delete(sessions::table.filter(sessions::account.eq(id))).execute(conn).unwrap();
}

pub fn close_from_admin(conn: &mut PgConnection, id: i32) {
    close_twice(conn, id);
}
"#;

#[test]
fn writes_made_by_called_helpers_count_for_the_caller() {
    let files = [("accounts", ACCOUNTS), ("events", EVENTS)];
    assert_eq!(
        scan(&files),
        [
            hit(
                "write_outside_transaction",
                0,
                5,
                "2 writes outside a transaction: `log_event(..)` commits separately from the \
                 write before it"
            ),
            hit(
                "write_outside_transaction",
                0,
                13,
                "2 writes outside a transaction: `log_event(..)` commits separately from the \
                 write before it"
            ),
            // The helper that writes twice is reported once, in itself, not in its caller.
            hit(
                "write_outside_transaction",
                0,
                33,
                "2 writes outside a transaction: `execute` commits separately from the write \
                 before it"
            ),
        ]
    );
    let (diags, _) = scan_full(&files);
    assert_eq!(
        labels(&files, &diags[0]),
        [
            (0, 4, "another write: `create_account(..)`".to_owned()),
            (0, 27, "`create_account` writes `accounts` here".to_owned()),
            (1, 4, "`log_event` writes `events` here".to_owned()),
        ]
    );
    assert_eq!(diags[0].data["via"], "events::log_event");
    assert_eq!(
        diags[0].data["writes"],
        serde_json::json!(["create_account", "log_event"])
    );
}

const CHECKOUT: &str = r#"pub fn checkout(conn: &mut PgConnection, cart: i32) -> QueryResult<()> {
    conn.transaction(|conn| {
        place_order(conn, cart);
        settle(conn, cart);
        Ok(())
    })
}

pub fn place_order(conn: &mut PgConnection, cart: i32) {
    diesel::insert_into(orders::table).values(orders::cart.eq(cart)).execute(conn).unwrap();
    diesel::delete(carts::table.find(cart)).execute(conn).unwrap();
}

fn settle(conn: &mut PgConnection, cart: i32) {
    charge(conn, cart);
    receipt(conn, cart);
}

fn charge(conn: &mut PgConnection, cart: i32) {
    diesel::insert_into(charges::table).values(charges::cart.eq(cart)).execute(conn).unwrap();
}

fn receipt(conn: &mut PgConnection, cart: i32) {
    diesel::insert_into(receipts::table).values(receipts::cart.eq(cart)).execute(conn).unwrap();
}

pub fn reorder(conn: &mut PgConnection, cart: i32) {
    place_order(conn, cart);
}
"#;

#[test]
fn no_write_finding_where_every_caller_runs_the_fn_in_a_transaction() {
    // `settle` writes twice through helpers and `place_order` twice itself; `checkout` runs
    // both in its transaction. `reorder` also calls `place_order`, outside one.
    let files = [("", CHECKOUT)];
    assert_eq!(
        scan(&files),
        [hit(
            "write_outside_transaction",
            0,
            11,
            "2 writes outside a transaction: `execute` commits separately from the write \
             before it"
        )]
    );
    let only_in_txn = CHECKOUT.replace("place_order(conn, cart);\n}", "}");
    let files = [("", only_in_txn.as_str())];
    assert_eq!(scan(&files), []);
}

const LAYERS: &str = r#"pub fn handler(conn: &mut PgConnection) -> QueryResult<()> {
    conn.transaction(|conn| {
        service(conn);
        Ok(())
    })
}

fn service(conn: &mut PgConnection) {
    repo_pair(conn);
}

fn repo_pair(conn: &mut PgConnection) {
    diesel::insert_into(a::table).values(a::x.eq(1)).execute(conn).unwrap();
    diesel::insert_into(b::table).values(b::x.eq(1)).execute(conn).unwrap();
}
"#;

#[test]
fn a_caller_that_is_always_in_a_transaction_passes_it_on() {
    // `service` opens no transaction, but its only caller runs it in one.
    assert_eq!(scan(&[("", LAYERS)]), []);
    let direct = LAYERS.replace(
        "conn.transaction(|conn| {\n        service(conn);\n        Ok(())\n    })",
        "service(conn);\n    Ok(())",
    );
    assert_eq!(
        scan(&[("", direct.as_str())]),
        [hit(
            "write_outside_transaction",
            0,
            12,
            "2 writes outside a transaction: `execute` commits separately from the write \
             before it"
        )]
    );
}
