#![deny(warnings)]
// `allow(n_plus_one)` on the fn: a deliberate per-row query in a small admin tool.
use dbopt_macros::db_checked;
use diesel::prelude::*;

include!("../schema.rs");

use models::Account;
use schema::accounts;

#[db_checked(allow(n_plus_one))]
fn balances(conn: &mut SqliteConnection, ids: &[i32]) -> QueryResult<Vec<Account>> {
    ids.iter()
        .map(|&id| {
            accounts::table
                .find(id)
                .select(Account::as_select())
                .first(conn)
        })
        .collect()
}

fn main() {
    let mut conn = db::connect();
    assert_eq!(balances(&mut conn, &[2, 1]).unwrap()[0].balance, 50);
}
