// `save_changes` is a write: renaming a user and posting the announcement are two writes.
use dbopt_macros::db_checked;
use diesel::prelude::*;

include!("../../schema.rs");

use models::{NewPost, User};
use schema::posts;

#[db_checked]
fn rename(conn: &mut SqliteConnection, mut user: User, name: &str) -> QueryResult<User> {
    let announcement = NewPost {
        user_id: user.id,
        title: format!("{} is now {}", user.name, name),
        body: String::new(),
    };
    user.name = name.to_owned();
    let user = user.save_changes::<User>(conn)?;
    diesel::insert_into(posts::table)
        .values(&announcement)
        .execute(conn)?;
    Ok(user)
}

fn main() {
    let mut conn = db::connect();
    let user = schema::users::table
        .find(1)
        .select(User::as_select())
        .first(&mut conn)
        .unwrap();
    rename(&mut conn, user, "ada l.").unwrap();
}
