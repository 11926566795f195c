// The handler's budget is two queries; the third, for the comment count, is one too many.
use dbopt_macros::db_checked;
use diesel::prelude::*;

include!("../../schema.rs");

use models::{Post, User};
use schema::{comments, posts, users};

#[db_checked(max_queries = 2)]
fn post_page(conn: &mut SqliteConnection, post_id: i32) -> QueryResult<(Post, User, i64)> {
    let post = posts::table
        .find(post_id)
        .select(Post::as_select())
        .first(conn)?;
    let author = users::table
        .find(post.user_id)
        .select(User::as_select())
        .first(conn)?;
    let comments = comments::table
        .filter(comments::post_id.eq(post_id))
        .count()
        .get_result(conn)?;
    Ok((post, author, comments))
}

fn main() {
    let mut conn = db::connect();
    post_page(&mut conn, 1).unwrap();
}
