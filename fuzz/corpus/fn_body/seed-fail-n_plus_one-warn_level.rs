#![deny(deprecated)]
// `warn(n_plus_one)` lowers the rule to a warning; `#![deny(deprecated)]` makes it visible here.
use dbopt_macros::db_checked;
use diesel::prelude::*;

include!("../../schema.rs");

use schema::users;

#[db_checked(warn(n_plus_one))]
fn names(conn: &mut SqliteConnection, ids: &[i32]) -> QueryResult<Vec<String>> {
    ids.iter()
        .map(|&id| users::table.find(id).select(users::name).first(conn))
        .collect()
}

fn main() {
    let mut conn = db::connect();
    names(&mut conn, &[1]).unwrap();
}
