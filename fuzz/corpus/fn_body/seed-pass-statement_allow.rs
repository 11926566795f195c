#![deny(warnings)]
// Statement-level suppression on stable: an inert `#[dbopt::allow(..)]` on a `for`, a `let`
// and an expression statement. `#[db_checked]` honours and strips it (there is no `dbopt`
// crate, so a leftover attribute would not compile).
use dbopt_macros::db_checked;
use diesel::prelude::*;

include!("../schema.rs");

use schema::{comments, posts, users};

#[db_checked]
fn names(conn: &mut SqliteConnection, ids: &[i32]) -> QueryResult<Vec<String>> {
    let mut names = Vec::new();
    // at most three ids, by construction of the caller
    #[dbopt::allow(n_plus_one)]
    for &id in ids {
        names.push(users::table.find(id).select(users::name).first(conn)?);
    }
    #[dbopt::allow(n_plus_one)]
    let titles: Vec<String> = ids
        .iter()
        .map(|&id| posts::table.find(id).select(posts::title).first(conn))
        .collect::<QueryResult<_>>()?;
    let mut comment_count = 0;
    #[dbopt::allow(n_plus_one)]
    ids.iter().try_for_each(|&id| {
        comments::table
            .filter(comments::post_id.eq(id))
            .count()
            .get_result::<i64>(conn)
            .map(|n| comment_count += n)
    })?;
    names.extend(titles);
    names.push(comment_count.to_string());
    Ok(names)
}

fn main() {
    let mut conn = db::connect();
    let names = names(&mut conn, &[1, 2]).unwrap();
    assert_eq!(names, ["ada", "bob", "hello", "again", "1"]);
}
