#![deny(warnings)]
// `AtomicUsize::load(Ordering)` in a loop is not a Diesel `load`: no handle, no round trip.
use dbopt_macros::db_checked;
use diesel::prelude::*;
use std::sync::atomic::{AtomicUsize, Ordering};

include!("../schema.rs");

use models::Post;
use schema::posts;

static SEEN: AtomicUsize = AtomicUsize::new(0);

#[db_checked]
fn titles(conn: &mut SqliteConnection, limit: i64) -> QueryResult<Vec<String>> {
    let posts: Vec<Post> = posts::table
        .order(posts::id)
        .limit(limit)
        .select(Post::as_select())
        .load(conn)?;
    let mut titles = Vec::new();
    for post in &posts {
        if SEEN.load(Ordering::Relaxed) < 2 {
            SEEN.fetch_add(1, Ordering::Relaxed);
            titles.push(post.title.clone());
        }
    }
    Ok(titles)
}

fn main() {
    let mut conn = db::connect();
    assert_eq!(titles(&mut conn, 10).unwrap(), ["hello", "again"]);
}
