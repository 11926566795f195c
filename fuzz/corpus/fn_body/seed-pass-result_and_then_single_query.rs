#![deny(warnings)]
// `Result::and_then` / `Result::map` on a query's result run their closure once: not a loop,
// even though `and_then` is also the name of a stream adapter.
use dbopt_macros::db_checked;
use diesel::prelude::*;

include!("../schema.rs");

use models::{Post, User};
use schema::users;

fn user_by_email(conn: &mut SqliteConnection, email: &str) -> QueryResult<User> {
    users::table
        .filter(users::email.eq(email))
        .select(User::as_select())
        .first(conn)
}

#[db_checked(max_queries = 2)]
fn posts_of(conn: &mut SqliteConnection, email: &str) -> QueryResult<Vec<Post>> {
    user_by_email(conn, email).and_then(|user| {
        Post::belonging_to(&user)
            .select(Post::as_select())
            .load(conn)
    })
}

#[db_checked]
fn post_count_of(conn: &mut SqliteConnection, email: &str) -> QueryResult<usize> {
    posts_of(conn, email).map(|posts| posts.len())
}

fn main() {
    let mut conn = db::connect();
    assert_eq!(posts_of(&mut conn, "ada@example.com").unwrap().len(), 2);
    assert_eq!(post_count_of(&mut conn, "bob@example.com").unwrap(), 1);
}
