// The order declared on the impl block binds every method; `settle` locks payments first.
use dbopt_macros::db_checked;
use diesel::prelude::*;

include!("../../schema.rs");

use schema::{accounts, payments};

struct Ledger;

#[db_checked(lock_order(accounts, payments))]
impl Ledger {
    fn charge(&self, conn: &mut PgConnection, account_id: i32, amount: i64) -> QueryResult<()> {
        conn.transaction(|conn| {
            diesel::update(accounts::table.find(account_id))
                .set(accounts::balance.eq(accounts::balance - amount))
                .execute(conn)?;
            diesel::insert_into(payments::table)
                .values((
                    payments::account_id.eq(account_id),
                    payments::amount.eq(amount),
                    payments::status.eq("pending"),
                ))
                .execute(conn)?;
            Ok(())
        })
    }

    fn settle(
        &self,
        conn: &mut PgConnection,
        payment_id: i32,
        account_id: i32,
        amount: i64,
    ) -> QueryResult<()> {
        conn.transaction(|conn| {
            diesel::update(payments::table.find(payment_id))
                .set(payments::status.eq("settled"))
                .execute(conn)?;
            diesel::update(accounts::table.find(account_id))
                .set(accounts::balance.eq(accounts::balance + amount))
                .execute(conn)?;
            Ok(())
        })
    }
}

fn main() {
    if let Ok(url) = std::env::var("DBOPT_TEST_DATABASE_URL") {
        let mut conn = PgConnection::establish(&url).unwrap();
        Ledger.charge(&mut conn, 1, 5).unwrap();
        Ledger.settle(&mut conn, 1, 1, 5).unwrap();
    }
}
