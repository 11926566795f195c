#![deny(deprecated)]
// `select` and `order` shape the rows but do not bound them.
use dbopt_macros::db_checked;
use diesel::prelude::*;

include!("../../schema.rs");

use models::Post;
use schema::posts;

#[db_checked]
fn archive(conn: &mut SqliteConnection) -> QueryResult<Vec<Post>> {
    posts::table
        .select(Post::as_select())
        .order(posts::id.desc())
        .get_results(conn)
}

fn main() {
    let mut conn = db::connect();
    archive(&mut conn).unwrap();
}
