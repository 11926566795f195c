// Running an external program between two statements of a transaction.
use dbopt_macros::db_checked;
use diesel::prelude::*;
use std::process::Command;

include!("../../schema.rs");

use db::AppResult;
use schema::posts;

#[db_checked]
fn publish_rendered(conn: &mut SqliteConnection, post_id: i32) -> AppResult<()> {
    conn.transaction(|conn| -> AppResult<()> {
        let body: String = posts::table.find(post_id).select(posts::body).first(conn)?;
        let status = Command::new("pandoc").arg("--version").status()?;
        if status.success() {
            diesel::update(posts::table.find(post_id))
                .set((posts::body.eq(body), posts::published.eq(true)))
                .execute(conn)?;
        }
        Ok(())
    })
}

fn main() {
    let mut conn = db::connect();
    publish_rendered(&mut conn, 2).unwrap();
}
