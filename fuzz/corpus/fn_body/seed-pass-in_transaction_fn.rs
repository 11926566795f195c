#![deny(warnings)]
// `in_transaction` declares that callers always run the fn inside a transaction, so its
// writes are not "outside" one.
use dbopt_macros::db_checked;
use diesel::prelude::*;

include!("../schema.rs");

use schema::{comments, posts};

#[db_checked(in_transaction)]
fn delete_post(conn: &mut SqliteConnection, post_id: i32) -> QueryResult<()> {
    diesel::delete(comments::table.filter(comments::post_id.eq(post_id))).execute(conn)?;
    diesel::delete(posts::table.find(post_id)).execute(conn)?;
    Ok(())
}

fn main() {
    let mut conn = db::connect();
    conn.transaction(|conn| delete_post(conn, 1)).unwrap();
    let left: i64 = comments::table.count().get_result(&mut conn).unwrap();
    assert_eq!(left, 1);
}
