#![deny(deprecated)]
// A warn-level finding in a method of an `impl` block under `#[db_checked]`.
use dbopt_macros::db_checked;
use diesel::prelude::*;

include!("../../schema.rs");

use models::Comment;
use schema::comments;

struct Moderation {
    max_len: usize,
}

#[db_checked]
impl Moderation {
    fn too_long(&self, conn: &mut SqliteConnection) -> QueryResult<Vec<Comment>> {
        let all: Vec<Comment> = comments::table.select(Comment::as_select()).load(conn)?;
        Ok(all
            .into_iter()
            .filter(|c| c.body.len() > self.max_len)
            .collect())
    }
}

fn main() {
    let mut conn = db::connect();
    Moderation { max_len: 3 }.too_long(&mut conn).unwrap();
}
