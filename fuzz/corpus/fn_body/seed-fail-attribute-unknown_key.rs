// A misspelt key is an error spanned at the key, listing the valid ones.
use dbopt_macros::db_checked;
use diesel::prelude::*;

include!("../../schema.rs");

use schema::users;

#[db_checked(max_query = 3)]
fn names(conn: &mut SqliteConnection) -> QueryResult<Vec<String>> {
    users::table.select(users::name).limit(10).load(conn)
}

fn main() {
    let mut conn = db::connect();
    names(&mut conn).unwrap();
}
