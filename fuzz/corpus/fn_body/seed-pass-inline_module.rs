#![deny(warnings)]
// `#[db_checked]` on an inline module checks every fn in it; an inner attribute refines it.
use dbopt_macros::db_checked;

include!("../schema.rs");

#[db_checked(max_queries = 1)]
mod queries {
    use super::models::{Post, User};
    use super::schema::{posts, users};
    use diesel::prelude::*;

    pub fn user(conn: &mut SqliteConnection, id: i32) -> QueryResult<User> {
        users::table.find(id).select(User::as_select()).first(conn)
    }

    #[dbopt_macros::db_checked(max_queries = 2)]
    pub fn post_and_author(conn: &mut SqliteConnection, id: i32) -> QueryResult<(Post, User)> {
        let post = posts::table
            .find(id)
            .select(Post::as_select())
            .first(conn)?;
        let author = users::table
            .find(post.user_id)
            .select(User::as_select())
            .first(conn)?;
        Ok((post, author))
    }
}

fn main() {
    let mut conn = db::connect();
    assert_eq!(queries::user(&mut conn, 2).unwrap().name, "bob");
    assert_eq!(
        queries::post_and_author(&mut conn, 1).unwrap().1.name,
        "ada"
    );
}
