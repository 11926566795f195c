// A helper that receives the connection is a round trip too.
use dbopt_macros::db_checked;
use diesel::prelude::*;

include!("../../schema.rs");

use models::User;
use schema::{posts, users};

fn post_count(conn: &mut SqliteConnection, user_id: i32) -> QueryResult<i64> {
    posts::table
        .filter(posts::user_id.eq(user_id))
        .count()
        .get_result(conn)
}

#[db_checked(max_queries = 1)]
fn author_card(conn: &mut SqliteConnection, user_id: i32) -> QueryResult<(User, i64)> {
    let user = users::table
        .find(user_id)
        .select(User::as_select())
        .first(conn)?;
    let posts = post_count(conn, user_id)?;
    Ok((user, posts))
}

fn main() {
    let mut conn = db::connect();
    author_card(&mut conn, 1).unwrap();
}
