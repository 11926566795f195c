// A helper that takes the connection, called once per element of an iterator: the N+1 that
// method-name matching misses, since `author_name` is not a Diesel method.
use dbopt_macros::db_checked;
use diesel::prelude::*;

include!("../../schema.rs");

use models::Post;
use schema::users;

fn author_name(conn: &mut SqliteConnection, user_id: i32) -> QueryResult<String> {
    users::table.find(user_id).select(users::name).first(conn)
}

#[db_checked]
fn bylines(conn: &mut SqliteConnection, posts: &[Post]) -> QueryResult<Vec<String>> {
    posts
        .iter()
        .map(|post| {
            Ok(format!(
                "{} by {}",
                post.title,
                author_name(conn, post.user_id)?
            ))
        })
        .collect()
}

fn main() {
    let mut conn = db::connect();
    bylines(&mut conn, &[]).unwrap();
}
