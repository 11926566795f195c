#![deny(warnings)]
// Several writes, all in one transaction: nothing to report.
use dbopt_macros::db_checked;
use diesel::prelude::*;

include!("../schema.rs");

use models::NewPayment;
use schema::{accounts, payments};

#[db_checked]
fn transfer(conn: &mut SqliteConnection, from: i32, to: i32, amount: i64) -> QueryResult<()> {
    conn.transaction(|conn| {
        diesel::update(accounts::table.find(from))
            .set(accounts::balance.eq(accounts::balance - amount))
            .execute(conn)?;
        diesel::update(accounts::table.find(to))
            .set(accounts::balance.eq(accounts::balance + amount))
            .execute(conn)?;
        diesel::insert_into(payments::table)
            .values(NewPayment {
                account_id: from,
                amount,
                status: "settled",
            })
            .execute(conn)?;
        Ok(())
    })
}

fn main() {
    let mut conn = db::connect();
    transfer(&mut conn, 1, 2, 100).unwrap();
    let balance: i64 = accounts::table
        .find(2)
        .select(accounts::balance)
        .first(&mut conn)
        .unwrap();
    assert_eq!(balance, 150);
}
