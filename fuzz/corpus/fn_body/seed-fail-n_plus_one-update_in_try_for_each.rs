// One UPDATE per id through `try_for_each`; `update(..).filter(id.eq_any(ids))` is one query.
use dbopt_macros::db_checked;
use diesel::prelude::*;

include!("../../schema.rs");

use schema::posts;

#[db_checked]
fn publish(conn: &mut SqliteConnection, ids: &[i32]) -> QueryResult<()> {
    conn.transaction(|conn| {
        ids.iter().try_for_each(|&id| {
            diesel::update(posts::table.find(id))
                .set(posts::published.eq(true))
                .execute(conn)
                .map(drop)
        })
    })
}

fn main() {
    let mut conn = db::connect();
    publish(&mut conn, &[2]).unwrap();
}
