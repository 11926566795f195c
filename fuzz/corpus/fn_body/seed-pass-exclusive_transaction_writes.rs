#![deny(warnings)]
// SQLite's `exclusive_transaction` is a transaction scope too: the delete/insert pair inside
// it commits together, and the read after it is on its own.
use dbopt_macros::db_checked;
use diesel::prelude::*;

include!("../schema.rs");

use models::{Comment, Post};
use schema::{comments, posts};

#[db_checked]
fn replace_comment(
    conn: &mut SqliteConnection,
    post: &Post,
    author: i32,
    body: &str,
) -> QueryResult<Vec<Comment>> {
    conn.exclusive_transaction(|conn| {
        diesel::delete(
            comments::table
                .filter(comments::post_id.eq(post.id))
                .filter(comments::user_id.eq(author)),
        )
        .execute(conn)?;
        diesel::insert_into(comments::table)
            .values((
                comments::post_id.eq(post.id),
                comments::user_id.eq(author),
                comments::body.eq(body),
            ))
            .execute(conn)
    })?;
    Comment::belonging_to(post)
        .select(Comment::as_select())
        .load(conn)
}

fn main() {
    let mut conn = db::connect();
    let post = posts::table
        .find(1)
        .select(Post::as_select())
        .first(&mut conn)
        .unwrap();
    let comments = replace_comment(&mut conn, &post, 2, "even nicer").unwrap();
    assert_eq!(comments.len(), 1);
    assert_eq!(comments[0].body, "even nicer");
}
