// The app locks accounts before payments; this transfer writes the payment first, so two
// transfers running against each other can deadlock.
use dbopt_macros::db_checked;
use diesel::prelude::*;

include!("../../schema.rs");

use models::NewPayment;
use schema::{accounts, payments};

#[db_checked(lock_order(accounts, payments))]
fn transfer(conn: &mut SqliteConnection, account_id: i32, amount: i64) -> QueryResult<()> {
    conn.transaction(|conn| {
        diesel::insert_into(payments::table)
            .values(NewPayment {
                account_id,
                amount,
                status: "settled",
            })
            .execute(conn)?;
        diesel::update(accounts::table.find(account_id))
            .set(accounts::balance.eq(accounts::balance - amount))
            .execute(conn)?;
        Ok(())
    })
}

fn main() {
    let mut conn = db::connect();
    transfer(&mut conn, 1, 10).unwrap();
}
