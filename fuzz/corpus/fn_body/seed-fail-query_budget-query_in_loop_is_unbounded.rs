// n_plus_one is allowed here, but a query in a loop still has no upper bound.
use dbopt_macros::db_checked;
use diesel::prelude::*;

include!("../../schema.rs");

use schema::accounts;

#[db_checked(allow(n_plus_one), max_queries = 10)]
fn balances(conn: &mut SqliteConnection, ids: &[i32]) -> QueryResult<i64> {
    let mut total = 0;
    for &id in ids {
        total += accounts::table
            .find(id)
            .select(accounts::balance)
            .first::<i64>(conn)?;
    }
    Ok(total)
}

fn main() {
    let mut conn = db::connect();
    balances(&mut conn, &[1, 2]).unwrap();
}
