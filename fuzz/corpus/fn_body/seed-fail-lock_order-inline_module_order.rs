// `lock_order` on an inline module; the owner's row is locked after the account's.
use dbopt_macros::db_checked;

include!("../../schema.rs");

#[db_checked(lock_order(users, accounts))]
mod closing {
    use super::schema::{accounts, users};
    use diesel::prelude::*;

    pub fn close(conn: &mut SqliteConnection, owner_id: i32) -> QueryResult<()> {
        conn.transaction(|conn| {
            diesel::delete(accounts::table.filter(accounts::owner_id.eq(owner_id)))
                .execute(conn)?;
            diesel::update(users::table.find(owner_id))
                .set(users::active.eq(false))
                .execute(conn)?;
            Ok(())
        })
    }
}

fn main() {
    let mut conn = db::connect();
    closing::close(&mut conn, 2).unwrap();
}
