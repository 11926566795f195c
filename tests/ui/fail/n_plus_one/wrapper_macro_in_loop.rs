// A project macro that hides the connection (`db_run!`, as vaultwarden's does), declared
// with `wrapper_macros(db_run)`: the query it runs per id is an N+1 like any other.
use dbopt_macros::db_checked;
use diesel::prelude::*;

include!("../../schema.rs");

use schema::users;

macro_rules! db_run {
    ($conn:ident => $body:expr) => {{
        let $conn = &mut db::connect();
        $body
    }};
}

#[db_checked(wrapper_macros(db_run))]
fn names(ids: &[i32]) -> QueryResult<Vec<String>> {
    let mut names = Vec::new();
    for &id in ids {
        names.push(db_run!(conn => users::table.find(id).select(users::name).first(conn))?);
    }
    Ok(names)
}

fn main() {
    names(&[1, 2]).unwrap();
}
