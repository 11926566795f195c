#![deny(warnings)]
// The fix for n_plus_one: one query per table with `eq_any`, then a loop in memory.
use dbopt_macros::db_checked;
use diesel::prelude::*;
use std::collections::HashMap;

include!("../schema.rs");

use models::{Post, User};
use schema::{posts, users};

#[db_checked]
fn feed(conn: &mut SqliteConnection) -> QueryResult<Vec<(User, Vec<Post>)>> {
    let authors: Vec<User> = users::table
        .filter(users::active.eq(true))
        .select(User::as_select())
        .load(conn)?;
    let ids: Vec<i32> = authors.iter().map(|a| a.id).collect();
    let mut by_author: HashMap<i32, Vec<Post>> = HashMap::new();
    for post in posts::table
        .filter(posts::user_id.eq_any(&ids))
        .filter(posts::published.eq(true))
        .select(Post::as_select())
        .load(conn)?
    {
        by_author.entry(post.user_id).or_default().push(post);
    }
    Ok(authors
        .into_iter()
        .map(|author| {
            let posts = by_author.remove(&author.id).unwrap_or_default();
            (author, posts)
        })
        .collect())
}

fn main() {
    let mut conn = db::connect();
    let feed = feed(&mut conn).unwrap();
    assert_eq!(feed.len(), 2);
    assert_eq!(feed[0].1.len(), 1);
}
