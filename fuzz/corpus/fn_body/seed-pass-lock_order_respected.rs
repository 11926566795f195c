#![deny(warnings)]
// Locks taken in the declared order: the account row, then the payment. PostgreSQL only
// (`for_update`), so `main` runs it when DBOPT_TEST_DATABASE_URL is set (it must be on CI),
// in a test transaction on temporary tables.
use dbopt_macros::db_checked;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;

include!("../schema.rs");

use models::{Account, Payment};
use schema::{accounts, payments};

#[db_checked(lock_order(accounts, payments))]
fn refund(conn: &mut PgConnection, account_id: i32, payment_id: i32) -> QueryResult<()> {
    conn.transaction(|conn| {
        let account = accounts::table
            .find(account_id)
            .for_update()
            .select(Account::as_select())
            .first(conn)?;
        let payment = payments::table
            .find(payment_id)
            .filter(payments::account_id.eq(account.id))
            .for_update()
            .select(Payment::as_select())
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
    let Ok(url) = std::env::var("DBOPT_TEST_DATABASE_URL") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "DBOPT_TEST_DATABASE_URL must be set on CI"
        );
        return;
    };
    let mut conn = PgConnection::establish(&url).unwrap();
    conn.test_transaction::<_, diesel::result::Error, _>(|conn| {
        conn.batch_execute(
            "CREATE TEMPORARY TABLE accounts (id INT PRIMARY KEY, owner_id INT NOT NULL,
                 balance BIGINT NOT NULL);
             CREATE TEMPORARY TABLE payments (id INT PRIMARY KEY, account_id INT NOT NULL,
                 amount BIGINT NOT NULL, status TEXT NOT NULL);
             INSERT INTO accounts VALUES (1, 1, 100);
             INSERT INTO payments VALUES (7, 1, 25, 'settled');",
        )?;
        refund(conn, 1, 7)?;
        let balance: i64 = accounts::table
            .find(1)
            .select(accounts::balance)
            .first(conn)?;
        assert_eq!(balance, 125);
        Ok(())
    });
}
