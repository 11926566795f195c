// A job runner that connects anew for every job. The query on the fresh connection is an
// N+1 as well: both findings are reported.
use dbopt_macros::db_checked;
use diesel::prelude::*;

include!("../../schema.rs");

use db::AppResult;
use schema::posts;

fn publish(conn: &mut SqliteConnection, post_id: i32) -> QueryResult<usize> {
    diesel::update(posts::table.find(post_id))
        .set(posts::published.eq(true))
        .execute(conn)
}

#[db_checked]
fn run_jobs(database_url: &str, post_ids: &[i32]) -> AppResult<usize> {
    let mut done = 0;
    for &post_id in post_ids {
        let conn = &mut SqliteConnection::establish(database_url)?;
        done += publish(conn, post_id)?;
    }
    Ok(done)
}

fn main() {
    run_jobs(":memory:", &[]).unwrap();
}
