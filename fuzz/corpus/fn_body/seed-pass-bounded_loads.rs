#![deny(warnings)]
// `filter`, `find`, `limit` and pagination bound a load: no unbounded_load warning (the
// crate denies warnings, so one would fail the build).
use dbopt_macros::db_checked;
use diesel::prelude::*;

include!("../schema.rs");

use models::{Payment, Post, User};
use schema::{payments, posts, users};

#[db_checked]
fn dashboard(
    conn: &mut SqliteConnection,
    user_id: i32,
    after: i32,
) -> QueryResult<(Vec<User>, Vec<Post>, Vec<Payment>, Vec<String>)> {
    let active = users::table
        .filter(users::active.eq(true))
        .select(User::as_select())
        .load(conn)?;
    let recent = posts::table
        .order(posts::id.desc())
        .limit(10)
        .select(Post::as_select())
        .load(conn)?;
    let next_page = payments::table
        .filter(payments::id.gt(after))
        .order(payments::id)
        .limit(50)
        .select(Payment::as_select())
        .get_results(conn)?;
    let mine = posts::table
        .filter(posts::user_id.eq(user_id))
        .select(posts::title)
        .load(conn)?;
    Ok((active, recent, next_page, mine))
}

fn main() {
    let mut conn = db::connect();
    let (active, recent, page, mine) = dashboard(&mut conn, 1, 0).unwrap();
    assert_eq!(
        (active.len(), recent.len(), page.len(), mine.len()),
        (2, 3, 2, 2)
    );
}
