// A report that cleans up as it goes, through raw SQL.
use dbopt_macros::db_checked;
use diesel::dsl::sum;
use diesel::prelude::*;

include!("../../schema.rs");

use schema::payments;

#[db_checked(read_only)]
fn settled_total(conn: &mut SqliteConnection) -> QueryResult<i64> {
    diesel::sql_query("DELETE FROM payments WHERE status = 'expired'").execute(conn)?;
    let total: Option<i64> = payments::table
        .filter(payments::status.eq("settled"))
        .select(sum(payments::amount))
        .get_result(conn)?;
    Ok(total.unwrap_or(0))
}

fn main() {
    let mut conn = db::connect();
    settled_total(&mut conn).unwrap();
}
