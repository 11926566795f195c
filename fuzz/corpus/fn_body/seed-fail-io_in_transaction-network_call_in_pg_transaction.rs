// Notifying another service over TCP inside a PostgreSQL transaction built with
// `build_transaction()`: the row locks live as long as the network round trip.
use dbopt_macros::db_checked;
use diesel::prelude::*;
use std::io::Write;
use std::net::TcpStream;

include!("../../schema.rs");

use db::AppResult;
use schema::payments;

#[db_checked]
fn capture(conn: &mut PgConnection, payment_id: i32) -> AppResult<()> {
    conn.build_transaction()
        .read_write()
        .run(|conn| -> AppResult<()> {
            diesel::update(payments::table.find(payment_id))
                .set(payments::status.eq("captured"))
                .execute(conn)?;
            let mut ledger = TcpStream::connect("127.0.0.1:7000")?;
            writeln!(ledger, "captured {payment_id}")?;
            Ok(())
        })
}

fn main() {
    if let Ok(url) = std::env::var("DBOPT_TEST_DATABASE_URL") {
        let mut conn = PgConnection::establish(&url).unwrap();
        capture(&mut conn, 1).unwrap();
    }
}
