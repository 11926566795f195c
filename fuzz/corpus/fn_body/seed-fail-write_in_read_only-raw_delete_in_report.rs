// A report that cleans up as it goes, through raw SQL.
use dbopt_macros::db_checked;
use diesel::prelude::*;

include!("../../schema.rs");

use schema::payments;

#[db_checked(read_only)]
fn settled_count(conn: &mut SqliteConnection) -> QueryResult<i64> {
    diesel::sql_query("DELETE FROM payments WHERE status = 'expired'").execute(conn)?;
    payments::table
        .filter(payments::status.eq("settled"))
        .count()
        .get_result(conn)
}

fn main() {
    let mut conn = db::connect();
    settled_count(&mut conn).unwrap();
}
