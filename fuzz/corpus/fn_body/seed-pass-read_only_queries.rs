#![deny(warnings)]
// A read-only fn that only reads, with filters and limits.
use dbopt_macros::db_checked;
use diesel::prelude::*;

include!("../schema.rs");

use models::Post;
use schema::{comments, posts};

#[db_checked(read_only)]
fn front_page(conn: &mut SqliteConnection) -> QueryResult<Vec<(Post, i64)>> {
    let posts: Vec<Post> = posts::table
        .filter(posts::published.eq(true))
        .order(posts::id.desc())
        .limit(20)
        .select(Post::as_select())
        .load(conn)?;
    let ids: Vec<i32> = posts.iter().map(|p| p.id).collect();
    let counts: Vec<(i32, i64)> = comments::table
        .filter(comments::post_id.eq_any(&ids))
        .group_by(comments::post_id)
        .select((comments::post_id, diesel::dsl::count_star()))
        .load(conn)?;
    Ok(posts
        .into_iter()
        .map(|post| {
            let n = counts
                .iter()
                .find(|(id, _)| *id == post.id)
                .map_or(0, |(_, n)| *n);
            (post, n)
        })
        .collect())
}

fn main() {
    let mut conn = db::connect();
    let page = front_page(&mut conn).unwrap();
    assert_eq!(page.len(), 2);
    assert_eq!(page[0].1, 1);
}
