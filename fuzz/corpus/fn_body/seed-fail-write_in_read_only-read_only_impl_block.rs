// `read_only` on an impl block applies to every method in it.
use dbopt_macros::db_checked;
use diesel::prelude::*;

include!("../../schema.rs");

use models::Post;
use schema::posts;

struct Drafts {
    author: i32,
}

#[db_checked(read_only)]
impl Drafts {
    fn list(&self, conn: &mut SqliteConnection) -> QueryResult<Vec<Post>> {
        posts::table
            .filter(posts::user_id.eq(self.author))
            .filter(posts::published.eq(false))
            .limit(50)
            .select(Post::as_select())
            .load(conn)
    }

    fn discard(&self, conn: &mut SqliteConnection, post_id: i32) -> QueryResult<usize> {
        diesel::delete(
            posts::table
                .find(post_id)
                .filter(posts::user_id.eq(self.author)),
        )
        .execute(conn)
    }
}

fn main() {
    let mut conn = db::connect();
    let drafts = Drafts { author: 1 };
    drafts.list(&mut conn).unwrap();
    drafts.discard(&mut conn, 2).unwrap();
}
