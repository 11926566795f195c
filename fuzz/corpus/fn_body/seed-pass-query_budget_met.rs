#![deny(warnings)]
// Exactly the budget: two round trips for `max_queries = 2`.
use dbopt_macros::db_checked;
use diesel::prelude::*;

include!("../schema.rs");

use models::{Post, User};
use schema::{posts, users};

#[db_checked(max_queries = 2)]
fn post_with_author(conn: &mut SqliteConnection, post_id: i32) -> QueryResult<(Post, User)> {
    let post = posts::table
        .find(post_id)
        .select(Post::as_select())
        .first(conn)?;
    let author = users::table
        .find(post.user_id)
        .select(User::as_select())
        .first(conn)?;
    Ok((post, author))
}

fn main() {
    let mut conn = db::connect();
    let (post, author) = post_with_author(&mut conn, 3).unwrap();
    assert_eq!((post.title.as_str(), author.name.as_str()), ("hi", "bob"));
}
