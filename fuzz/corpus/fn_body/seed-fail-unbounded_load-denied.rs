// `deny(unbounded_load)` turns the warning into an error.
use dbopt_macros::db_checked;
use diesel::prelude::*;

include!("../../schema.rs");

use models::Payment;
use schema::payments;

#[db_checked(deny(unbounded_load))]
fn export(conn: &mut SqliteConnection) -> QueryResult<Vec<Payment>> {
    payments::table.select(Payment::as_select()).load(conn)
}

fn main() {
    let mut conn = db::connect();
    export(&mut conn).unwrap();
}
