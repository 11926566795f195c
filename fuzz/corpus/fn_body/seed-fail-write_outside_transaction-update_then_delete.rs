// Deactivating a user: three writes, each its own implicit transaction. A failure half-way
// leaves the posts unpublished and the comments gone while the user is still active.
use dbopt_macros::db_checked;
use diesel::prelude::*;

include!("../../schema.rs");

use schema::{comments, posts, users};

#[db_checked]
fn deactivate(conn: &mut SqliteConnection, user_id: i32) -> QueryResult<()> {
    diesel::update(posts::table.filter(posts::user_id.eq(user_id)))
        .set(posts::published.eq(false))
        .execute(conn)?;
    diesel::delete(comments::table.filter(comments::user_id.eq(user_id))).execute(conn)?;
    diesel::update(users::table.find(user_id))
        .set(users::active.eq(false))
        .execute(conn)?;
    Ok(())
}

fn main() {
    let mut conn = db::connect();
    deactivate(&mut conn, 2).unwrap();
}
