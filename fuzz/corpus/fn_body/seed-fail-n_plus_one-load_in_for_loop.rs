// The feed page: one query for the authors, then one more per author.
use dbopt_macros::db_checked;
use diesel::prelude::*;

include!("../../schema.rs");

use models::{Post, User};
use schema::{posts, users};

#[db_checked]
fn feed(conn: &mut SqliteConnection) -> QueryResult<Vec<(User, Vec<Post>)>> {
    let authors = users::table
        .filter(users::active.eq(true))
        .select(User::as_select())
        .load(conn)?;
    let mut feed = Vec::with_capacity(authors.len());
    for author in authors {
        let posts = posts::table
            .filter(posts::user_id.eq(author.id))
            .filter(posts::published.eq(true))
            .select(Post::as_select())
            .load(conn)?;
        feed.push((author, posts));
    }
    Ok(feed)
}

fn main() {
    let mut conn = db::connect();
    feed(&mut conn).unwrap();
}
