// Walking a work queue with `while let`: one query per popped id.
use dbopt_macros::db_checked;
use diesel::prelude::*;
use std::collections::VecDeque;

include!("../../schema.rs");

use schema::posts;

#[db_checked]
fn titles(conn: &mut SqliteConnection, user_ids: Vec<i32>) -> QueryResult<Vec<String>> {
    let mut queue = VecDeque::from(user_ids);
    let mut titles = Vec::new();
    while let Some(user_id) = queue.pop_front() {
        let mine: Vec<String> = posts::table
            .filter(posts::user_id.eq(user_id))
            .select(posts::title)
            .load(conn)?;
        titles.extend(mine);
    }
    Ok(titles)
}

fn main() {
    let mut conn = db::connect();
    titles(&mut conn, vec![1, 2]).unwrap();
}
