// Inside a transaction, so no write_outside_transaction: the loop is the only problem.
use dbopt_macros::db_checked;
use diesel::prelude::*;

include!("../../schema.rs");

use models::NewPost;
use schema::posts;

#[db_checked]
fn import_drafts(
    conn: &mut SqliteConnection,
    user_id: i32,
    drafts: &[(String, String)],
) -> QueryResult<usize> {
    conn.transaction(|conn| {
        let mut inserted = 0;
        for (title, body) in drafts {
            inserted += diesel::insert_into(posts::table)
                .values(NewPost {
                    user_id,
                    title: title.clone(),
                    body: body.clone(),
                })
                .execute(conn)?;
        }
        Ok(inserted)
    })
}

fn main() {
    let mut conn = db::connect();
    import_drafts(&mut conn, 1, &[("t".into(), "b".into())]).unwrap();
}
