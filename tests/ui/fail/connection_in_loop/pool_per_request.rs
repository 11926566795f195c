// A handler that builds a whole r2d2 pool per request: `build` opens `max_size` connections
// before it returns, then all but one are thrown away. `Query` stands in for the web
// framework's extractor.
use dbopt_macros::db_checked;
use diesel::prelude::*;
use diesel::r2d2::{ConnectionManager, Pool};

include!("../../schema.rs");

use db::AppResult;
use models::Post;
use schema::posts;

pub struct Query<T>(pub T);

pub struct Page {
    pub size: i64,
}

#[db_checked]
fn latest_posts(Query(page): Query<Page>) -> AppResult<Vec<Post>> {
    let pool = Pool::builder()
        .max_size(4)
        .build(ConnectionManager::<SqliteConnection>::new(":memory:"))?;
    let conn = &mut pool.get()?;
    let posts = posts::table
        .order(posts::id.desc())
        .limit(page.size)
        .select(Post::as_select())
        .load(conn)?;
    Ok(posts)
}

fn main() {
    let _ = latest_posts(Query(Page { size: 2 }));
}
