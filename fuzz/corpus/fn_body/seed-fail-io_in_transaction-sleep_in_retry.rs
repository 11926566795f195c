// Backing off inside the transaction keeps its locks (SQLite: the whole database) while the
// thread sleeps.
use dbopt_macros::db_checked;
use diesel::prelude::*;
use std::time::Duration;

include!("../../schema.rs");

use models::Payment;
use schema::payments;

#[db_checked]
fn settle_pending(conn: &mut SqliteConnection) -> QueryResult<usize> {
    conn.transaction(|conn| {
        let pending: Vec<Payment> = payments::table
            .filter(payments::status.eq("pending"))
            .limit(100)
            .select(Payment::as_select())
            .load(conn)?;
        if pending.is_empty() {
            std::thread::sleep(Duration::from_millis(200));
        }
        diesel::update(payments::table.filter(payments::status.eq("pending")))
            .set(payments::status.eq("settled"))
            .execute(conn)
    })
}

fn main() {
    let mut conn = db::connect();
    settle_pending(&mut conn).unwrap();
}
