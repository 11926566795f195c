#![deny(warnings)]
// One checkout, then a transaction on it: the usual shape of a pooled handler.
use dbopt_macros::db_checked;
use diesel::prelude::*;

include!("../schema.rs");

use db::{AppResult, DbPool};
use models::NewPayment;
use schema::{accounts, payments};

#[db_checked]
fn charge(pool: &DbPool, account_id: i32, amount: i64) -> AppResult<()> {
    let mut conn = pool.get()?;
    conn.transaction(|conn| -> AppResult<()> {
        diesel::update(accounts::table.find(account_id))
            .set(accounts::balance.eq(accounts::balance - amount))
            .execute(conn)?;
        diesel::insert_into(payments::table)
            .values(NewPayment {
                account_id,
                amount,
                status: "charged",
            })
            .execute(conn)?;
        Ok(())
    })
}

fn main() {
    let pool = db::pool();
    charge(&pool, 1, 5).unwrap();
}
