#![deny(warnings)]
// Diesel's association API: `belonging_to` a slice of parents, then `grouped_by`.
use dbopt_macros::db_checked;
use diesel::prelude::*;

include!("../schema.rs");

use models::{Comment, Post, User};

#[db_checked]
fn threads(conn: &mut SqliteConnection, author: &User) -> QueryResult<Vec<(Post, Vec<Comment>)>> {
    let posts = Post::belonging_to(author)
        .select(Post::as_select())
        .load(conn)?;
    let comments = Comment::belonging_to(&posts)
        .select(Comment::as_select())
        .load(conn)?;
    let grouped = comments.grouped_by(&posts);
    Ok(posts.into_iter().zip(grouped).collect())
}

fn main() {
    let mut conn = db::connect();
    let ada = schema::users::table
        .find(1)
        .select(User::as_select())
        .first(&mut conn)
        .unwrap();
    let threads = threads(&mut conn, &ada).unwrap();
    assert_eq!(threads.len(), 2);
    assert_eq!(threads[0].1.len(), 1);
}
