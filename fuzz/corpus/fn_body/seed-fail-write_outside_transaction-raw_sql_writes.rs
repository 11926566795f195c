// Hand-written SQL is a write too when its literal starts with INSERT/UPDATE/DELETE.
use dbopt_macros::db_checked;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer};

include!("../../schema.rs");

#[db_checked]
fn refund(
    conn: &mut SqliteConnection,
    payment_id: i32,
    account_id: i32,
    amount: i64,
) -> QueryResult<()> {
    diesel::sql_query("UPDATE payments SET status = 'refunded' WHERE id = ?")
        .bind::<Integer, _>(payment_id)
        .execute(conn)?;
    diesel::sql_query("UPDATE accounts SET balance = balance + ? WHERE id = ?")
        .bind::<BigInt, _>(amount)
        .bind::<Integer, _>(account_id)
        .execute(conn)?;
    Ok(())
}

fn main() {
    let mut conn = db::connect();
    refund(&mut conn, 1, 1, 250).unwrap();
}
