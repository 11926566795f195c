// A profile lookup, declared read-only (it runs on a replica), that reactivates the user.
use dbopt_macros::db_checked;
use diesel::prelude::*;

include!("../../schema.rs");

use models::User;
use schema::users;

#[db_checked(read_only)]
fn profile(conn: &mut SqliteConnection, user_id: i32) -> QueryResult<User> {
    let user = users::table
        .find(user_id)
        .select(User::as_select())
        .first(conn)?;
    if !user.active {
        diesel::update(users::table.find(user_id))
            .set(users::active.eq(true))
            .execute(conn)?;
    }
    Ok(user)
}

fn main() {
    let mut conn = db::connect();
    profile(&mut conn, 1).unwrap();
}
