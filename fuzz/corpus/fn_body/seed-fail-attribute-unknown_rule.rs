// An unknown rule name in allow(..) is an error spanned at the name, listing the valid rules.
use dbopt_macros::db_checked;
use diesel::prelude::*;

include!("../../schema.rs");

use schema::users;

#[db_checked(allow(n_plus_1))]
fn names(conn: &mut SqliteConnection, ids: &[i32]) -> QueryResult<Vec<String>> {
    ids.iter()
        .map(|&id| users::table.find(id).select(users::name).first(conn))
        .collect()
}

fn main() {
    let mut conn = db::connect();
    names(&mut conn, &[1]).unwrap();
}
