// A transfer on a pooled connection: debit the account, record the payment. Without a
// transaction a crash between the two loses the money.
use dbopt_macros::db_checked;
use diesel::prelude::*;

include!("../../schema.rs");

use db::{AppResult, DbPool};
use models::NewPayment;
use schema::{accounts, payments};

#[db_checked]
fn pay(pool: &DbPool, account_id: i32, amount: i64) -> AppResult<()> {
    let mut conn = pool.get()?;
    diesel::update(accounts::table.find(account_id))
        .set(accounts::balance.eq(accounts::balance - amount))
        .execute(&mut conn)?;
    diesel::insert_into(payments::table)
        .values(NewPayment {
            account_id,
            amount,
            status: "settled",
        })
        .execute(&mut conn)?;
    Ok(())
}

fn main() {
    let pool = db::pool();
    pay(&pool, 1, 10).unwrap();
}
