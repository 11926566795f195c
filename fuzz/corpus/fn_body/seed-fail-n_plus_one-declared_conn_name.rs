// The parameter's type is an app alias that names no connection type; `conn(db)` declares it
// a handle.
use dbopt_macros::db_checked;
use diesel::prelude::*;

include!("../../schema.rs");

use schema::posts;

type Db = SqliteConnection;

#[db_checked(conn(db))]
fn unpublish_each(db: &mut Db, ids: &[i32]) -> QueryResult<usize> {
    db.transaction(|tx| {
        let mut changed = 0;
        for &id in ids {
            changed += diesel::update(posts::table.find(id))
                .set(posts::published.eq(false))
                .execute(tx)?;
        }
        Ok(changed)
    })
}

fn main() {
    let mut conn = db::connect();
    unpublish_each(&mut conn, &[1]).unwrap();
}
