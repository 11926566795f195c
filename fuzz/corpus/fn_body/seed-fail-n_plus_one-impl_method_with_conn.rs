// A repository whose methods take `&self` and the connection; the attribute covers the whole
// impl block and the per-id method call in the loop is the round trip.
use dbopt_macros::db_checked;
use diesel::prelude::*;

include!("../../schema.rs");

use schema::posts;

struct PostRepo {
    published_only: bool,
}

#[db_checked]
impl PostRepo {
    fn title_of(&self, conn: &mut SqliteConnection, id: i32) -> QueryResult<String> {
        let mut query = posts::table.find(id).select(posts::title).into_boxed();
        if self.published_only {
            query = query.filter(posts::published.eq(true));
        }
        query.first(conn)
    }

    fn titles(&self, conn: &mut SqliteConnection, ids: &[i32]) -> QueryResult<Vec<String>> {
        let mut titles = Vec::with_capacity(ids.len());
        for &id in ids {
            titles.push(self.title_of(conn, id)?);
        }
        Ok(titles)
    }
}

fn main() {
    let mut conn = db::connect();
    let repo = PostRepo {
        published_only: true,
    };
    repo.titles(&mut conn, &[1, 3]).unwrap();
}
