#![deny(deprecated)]
// The admin list reads every user into memory; fine with ten rows, not with ten million.
use dbopt_macros::db_checked;
use diesel::prelude::*;

include!("../../schema.rs");

use models::User;
use schema::users;

#[db_checked]
fn all_users(conn: &mut SqliteConnection) -> QueryResult<Vec<User>> {
    users::table.load::<User>(conn)
}

fn main() {
    let mut conn = db::connect();
    all_users(&mut conn).unwrap();
}
