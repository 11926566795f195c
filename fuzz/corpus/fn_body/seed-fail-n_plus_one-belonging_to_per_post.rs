// `belonging_to` is the batch API, but called once per parent it is still one query per row.
use dbopt_macros::db_checked;
use diesel::prelude::*;

include!("../../schema.rs");

use models::{Comment, Post, User};

#[db_checked]
fn comment_counts(conn: &mut SqliteConnection, author: &User) -> QueryResult<Vec<(Post, i64)>> {
    let posts = Post::belonging_to(author)
        .select(Post::as_select())
        .load(conn)?;
    posts
        .into_iter()
        .map(|post| {
            let comments = Comment::belonging_to(&post).count().get_result(conn)?;
            Ok((post, comments))
        })
        .collect()
}

fn main() {
    let mut conn = db::connect();
    let author = models::User {
        id: 1,
        name: "ada".into(),
        email: "ada@example.com".into(),
        active: true,
    };
    comment_counts(&mut conn, &author).unwrap();
}
