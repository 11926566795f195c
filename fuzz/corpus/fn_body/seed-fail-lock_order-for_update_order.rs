// Row locks with `for_update()` (PostgreSQL) taken payments-first.
use dbopt_macros::db_checked;
use diesel::prelude::*;

include!("../../schema.rs");

use models::{Account, Payment};
use schema::{accounts, payments};

#[db_checked(lock_order(accounts, payments))]
fn refund(conn: &mut PgConnection, payment_id: i32) -> QueryResult<()> {
    conn.transaction(|conn| {
        let payment = payments::table
            .find(payment_id)
            .for_update()
            .select(Payment::as_select())
            .first(conn)?;
        let account = accounts::table
            .find(payment.account_id)
            .for_update()
            .select(Account::as_select())
            .first(conn)?;
        diesel::update(accounts::table.find(account.id))
            .set(accounts::balance.eq(account.balance + payment.amount))
            .execute(conn)?;
        diesel::update(payments::table.find(payment.id))
            .set(payments::status.eq("refunded"))
            .execute(conn)?;
        Ok(())
    })
}

fn main() {
    if let Ok(url) = std::env::var("DBOPT_TEST_DATABASE_URL") {
        let mut conn = PgConnection::establish(&url).unwrap();
        refund(&mut conn, 1).unwrap();
    }
}
