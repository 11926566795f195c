// The statement-level `#[dbopt::allow(..)]` checks its rule names too.
use dbopt_macros::db_checked;
use diesel::prelude::*;

include!("../../schema.rs");

use schema::users;

#[db_checked]
fn names(conn: &mut SqliteConnection, ids: &[i32]) -> QueryResult<Vec<String>> {
    let mut names = Vec::new();
    #[dbopt::allow(n_plus_ones)]
    for &id in ids {
        names.push(users::table.find(id).select(users::name).first(conn)?);
    }
    Ok(names)
}

fn main() {
    let mut conn = db::connect();
    names(&mut conn, &[1]).unwrap();
}
