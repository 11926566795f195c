#![deny(warnings)]
// A project macro that hides the connection (`db_run!`), declared with
// `wrapper_macros(db_run)`: one call per request is fine.
use dbopt_macros::db_checked;
use diesel::prelude::*;

include!("../schema.rs");

use schema::users;

macro_rules! db_run {
    ($conn:ident => $body:expr) => {{
        let $conn = &mut db::connect();
        $body
    }};
}

#[db_checked(wrapper_macros(db_run))]
fn user_names() -> QueryResult<Vec<String>> {
    db_run!(conn => users::table.order(users::id).select(users::name).limit(10).load(conn))
}

fn main() {
    assert_eq!(user_names().unwrap(), ["ada", "bob"]);
}
