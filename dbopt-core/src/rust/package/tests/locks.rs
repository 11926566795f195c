//! `lock_order` cycles across fns and files.

use super::*;

const LEDGER: &str = r#"pub fn debit_account(conn: &mut PgConnection, id: i32) -> QueryResult<usize> {
    diesel::update(accounts::table.find(id))
        .set(accounts::balance.eq(accounts::balance - 1))
        .execute(conn)
}

pub fn record_payment(conn: &mut PgConnection, id: i32) -> QueryResult<usize> {
    diesel::update(payments::table.find(id))
        .set(payments::paid.eq(true))
        .execute(conn)
}
"#;

const TRANSFER: &str = r#"use super::ledger::{debit_account, record_payment};

pub fn transfer(conn: &mut PgConnection, id: i32) -> QueryResult<()> {
    conn.transaction(|conn| {
        debit_account(conn, id)?;
        record_payment(conn, id)?;
        Ok(())
    })
}
"#;

const REFUND: &str = r#"pub fn refund(conn: &mut PgConnection, id: i32) -> QueryResult<()> {
    conn.transaction(|conn| {
        diesel::update(payments::table.find(id))
            .set(payments::status.eq("refunded"))
            .execute(conn)?;
        crate::bank::ledger::debit_account(conn, id)?;
        Ok(())
    })
}
"#;

#[test]
fn a_lock_order_cycle_across_two_files() {
    let files = [
        ("bank::ledger", LEDGER),
        ("bank::transfer", TRANSFER),
        ("bank::refund", REFUND),
    ];
    assert_eq!(
        scan(&files),
        [hit(
            "lock_order",
            1,
            6,
            "lock order cycle: `transfer` writes `accounts` then `payments` while `refund` \
             writes `payments` then `accounts`"
        )]
    );
    let (diags, _) = scan_full(&files);
    assert_eq!(
        labels(&files, &diags[0]),
        [
            (
                2,
                6,
                "`refund` takes `accounts` after `payments`".to_owned()
            ),
            (0, 10, "`record_payment` takes `payments` here".to_owned()),
            (0, 4, "`debit_account` takes `accounts` here".to_owned()),
        ]
    );
    assert_eq!(
        diags[0].data,
        serde_json::json!({
            "tables": ["accounts", "payments"],
            "fns": ["bank::transfer::transfer", "bank::refund::refund"],
            "via": "bank::ledger::record_payment",
        })
    );
    // Taken in one order everywhere: no cycle.
    let same = REFUND
        .replace("payments::table.find(id)", "accounts::table.find(id)")
        .replace("debit_account", "record_payment");
    let files = [
        ("bank::ledger", LEDGER),
        ("bank::transfer", TRANSFER),
        ("bank::refund", same.as_str()),
    ];
    assert_eq!(scan(&files), []);
}

const LOCKS_ANNOTATED: &str = r#"pub struct Ledger;

#[db_checked]
impl Ledger {
    fn charge(&self, conn: &mut PgConnection) -> QueryResult<()> {
        conn.transaction(|conn| {
            diesel::update(accounts::table.find(1)).set(accounts::n.eq(1)).execute(conn)?;
            diesel::update(payments::table.find(1)).set(payments::n.eq(1)).execute(conn)?;
            Ok(())
        })
    }

    fn settle(&self, conn: &mut PgConnection) -> QueryResult<()> {
        conn.transaction(|conn| {
            diesel::update(payments::table.find(1)).set(payments::n.eq(1)).execute(conn)?;
            diesel::update(accounts::table.find(1)).set(accounts::n.eq(1)).execute(conn)?;
            Ok(())
        })
    }
}
"#;

#[test]
fn a_cycle_between_annotated_fns_is_reported_unless_a_declared_order_judges_it() {
    let files = [("", LOCKS_ANNOTATED)];
    assert_eq!(
        scan(&files),
        [hit(
            "lock_order",
            0,
            8,
            "lock order cycle: `Ledger::charge` writes `accounts` then `payments` while \
             `Ledger::settle` writes `payments` then `accounts`"
        )]
    );
    let declared = LOCKS_ANNOTATED.replace(
        "#[db_checked]",
        "#[db_checked(lock_order(accounts, payments))]",
    );
    let files = [("", declared.as_str())];
    assert_eq!(
        scan(&files),
        [hit(
            "lock_order",
            0,
            16,
            "lock order violated: `accounts` is locked after `payments` in this transaction, \
             against `lock_order(accounts, payments)`"
        )]
    );
}

const CLEANUP: &str = r#"pub fn clear_all(conn: &mut PgConnection) -> QueryResult<()> {
    conn.transaction(|conn| {
        diesel::delete(post_tags::table).execute(conn)?;
        diesel::delete(tags::table).execute(conn)?;
        diesel::delete(posts::table).execute(conn)?;
        Ok(())
    })
}

pub fn create_post(conn: &mut PgConnection) -> QueryResult<()> {
    conn.transaction(|conn| {
        diesel::update(posts::table).set(posts::n.eq(1)).execute(conn)?;
        diesel::update(tags::table).set(tags::n.eq(1)).execute(conn)?;
        diesel::update(post_tags::table).set(post_tags::n.eq(1)).execute(conn)?;
        Ok(())
    })
}
"#;

/// Inserting parents first and deleting children first is the usual pair, and no cycle: an
/// INSERT locks only the rows it creates.
#[test]
fn inserts_in_the_opposite_order_of_deletes_are_no_cycle() {
    let inserting = CLEANUP
        .replace(
            "diesel::update(posts::table).set(posts::n.eq(1))",
            "diesel::insert_into(posts::table).values(posts::id.eq(1))",
        )
        .replace(
            "diesel::update(tags::table).set(tags::n.eq(1))",
            "diesel::insert_into(tags::table).values(tags::id.eq(1))",
        )
        .replace(
            "diesel::update(post_tags::table).set(post_tags::n.eq(1))",
            "diesel::insert_into(post_tags::table).values(post_tags::post.eq(1))",
        );
    assert!(inserting.contains("insert_into(post_tags::table)"));
    assert_eq!(scan(&[("", inserting.as_str())]), []);
}

#[test]
fn two_transactions_in_opposite_orders_are_one_finding_and_an_allowed_fn_drops_it() {
    // Three pairs of tables are taken in opposite orders; one reordering fixes them all.
    assert_eq!(
        scan(&[("", CLEANUP)]),
        [hit(
            "lock_order",
            0,
            5,
            "lock order cycle: `clear_all` writes `post_tags` then `posts` while \
             `create_post` writes `posts` then `post_tags`"
        )]
    );
    let allowed = format!("// dbopt: allow(lock_order)\n{CLEANUP}");
    assert_eq!(scan(&[("", allowed.as_str())]), []);
}

const THREE_WAY: &str = r#"pub fn a(conn: &mut PgConnection) -> QueryResult<()> {
    conn.transaction(|conn| {
        diesel::update(xs::table.find(1)).set(xs::n.eq(1)).execute(conn)?;
        diesel::update(ys::table.find(1)).set(ys::n.eq(1)).execute(conn)?;
        Ok(())
    })
}

pub fn b(conn: &mut PgConnection) -> QueryResult<()> {
    conn.transaction(|conn| {
        diesel::update(ys::table.find(1)).set(ys::n.eq(1)).execute(conn)?;
        diesel::update(zs::table.find(1)).set(zs::n.eq(1)).execute(conn)?;
        Ok(())
    })
}

pub fn c(conn: &mut PgConnection) -> QueryResult<()> {
    conn.transaction(|conn| {
        let z = zs::table.find(1).for_update().first::<Z>(conn)?;
        let x = xs::table.find(1).for_update().first::<X>(conn)?;
        Ok(())
    })
}
"#;

#[test]
fn a_cycle_through_three_tables_is_one_finding() {
    let files = [("", THREE_WAY)];
    assert_eq!(
        scan(&files),
        [hit(
            "lock_order",
            0,
            4,
            "lock order cycle: `a` writes `xs` then `ys`, `b` writes `ys` then `zs` while `c` \
             locks `zs` then `xs`"
        )]
    );
    let (diags, _) = scan_full(&files);
    assert_eq!(
        labels(&files, &diags[0]),
        [
            (0, 12, "`b` takes `zs` after `ys`".to_owned()),
            (0, 20, "`c` takes `xs` after `zs`".to_owned()),
        ]
    );
    assert_eq!(
        diags[0].data["tables"],
        serde_json::json!(["xs", "ys", "zs"])
    );
}
