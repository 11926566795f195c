#![deny(warnings)]
// An inner join through a pooled connection: only the posts that have an author, bounded by
// the other side (issue 15 §7), is not an `unbounded_load`.
use dbopt_macros::db_checked;
use diesel::prelude::*;

include!("../schema.rs");

use db::{AppResult, DbPool};
use models::{Post, User};
use schema::{posts, users};

#[db_checked]
fn posts_with_authors(pool: &DbPool) -> AppResult<Vec<(Post, User)>> {
    let mut conn = pool.get()?;
    let rows = posts::table
        .inner_join(users::table)
        .select((Post::as_select(), User::as_select()))
        .load(&mut conn)?;
    Ok(rows)
}

fn main() {
    let pool = db::pool();
    posts_with_authors(&pool).unwrap();
}
