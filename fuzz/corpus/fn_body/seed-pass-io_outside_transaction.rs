#![deny(warnings)]
// The file is read and the pause taken before the transaction opens, so no lock is held.
use dbopt_macros::db_checked;
use diesel::prelude::*;
use std::time::Duration;

include!("../schema.rs");

use db::AppResult;
use schema::posts;

#[db_checked]
fn publish_from_file(
    conn: &mut SqliteConnection,
    post_id: i32,
    path: &std::path::Path,
) -> AppResult<()> {
    let body = std::fs::read_to_string(path)?;
    std::thread::sleep(Duration::from_millis(1));
    conn.transaction(|conn| -> AppResult<()> {
        diesel::update(posts::table.find(post_id))
            .set((posts::body.eq(&body), posts::published.eq(true)))
            .execute(conn)?;
        Ok(())
    })?;
    Ok(())
}

fn main() {
    let mut conn = db::connect();
    let path = std::env::temp_dir().join(format!("dbopt-ui-{}.md", std::process::id()));
    std::fs::write(&path, "from disk").unwrap();
    publish_from_file(&mut conn, 2, &path).unwrap();
    std::fs::remove_file(&path).unwrap();
    let body: String = posts::table
        .find(2)
        .select(posts::body)
        .first(&mut conn)
        .unwrap();
    assert_eq!(body, "from disk");
}
