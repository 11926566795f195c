#![deny(warnings)]
// One UPDATE for every id (`eq_any`) and a loop that only works in memory: a single write
// needs no transaction, and helpers that take no connection are no round trips.
use dbopt_macros::db_checked;
use diesel::prelude::*;

include!("../schema.rs");

use models::Post;
use schema::posts;

fn headline(post: &Post) -> String {
    format!("{} ({} chars)", post.title, post.body.len())
}

#[db_checked(max_queries = 2)]
fn publish(conn: &mut SqliteConnection, ids: &[i32]) -> QueryResult<Vec<String>> {
    let posts: Vec<Post> = diesel::update(posts::table.filter(posts::id.eq_any(ids)))
        .set(posts::published.eq(true))
        .returning(Post::as_returning())
        .get_results(conn)?;
    let mut headlines = Vec::with_capacity(posts.len());
    for post in &posts {
        headlines.push(headline(post));
    }
    Ok(headlines)
}

fn main() {
    let mut conn = db::connect();
    assert_eq!(publish(&mut conn, &[2]).unwrap(), ["again (11 chars)"]);
}
