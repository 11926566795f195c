// A schema rule is not a code rule: `#[db_checked]` cannot check it.
use dbopt_macros::db_checked;
use diesel::prelude::*;

include!("../../schema.rs");

use schema::users;

#[db_checked(deny(fk_without_index))]
fn names(conn: &mut SqliteConnection) -> QueryResult<Vec<String>> {
    users::table.select(users::name).limit(10).load(conn)
}

fn main() {
    let mut conn = db::connect();
    names(&mut conn).unwrap();
}
