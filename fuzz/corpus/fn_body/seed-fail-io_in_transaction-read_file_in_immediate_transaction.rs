// Reading a template from disk while holding SQLite's write lock.
use dbopt_macros::db_checked;
use diesel::prelude::*;

include!("../../schema.rs");

use db::AppResult;
use models::NewPost;
use schema::posts;

#[db_checked]
fn welcome_post(conn: &mut SqliteConnection, user_id: i32) -> AppResult<usize> {
    conn.immediate_transaction(|conn| -> AppResult<usize> {
        let body = std::fs::read_to_string("templates/welcome.md")?;
        let post = NewPost {
            user_id,
            title: "Welcome".into(),
            body,
        };
        Ok(diesel::insert_into(posts::table)
            .values(post)
            .execute(conn)?)
    })
}

fn main() {
    let mut conn = db::connect();
    welcome_post(&mut conn, 1).unwrap();
}
