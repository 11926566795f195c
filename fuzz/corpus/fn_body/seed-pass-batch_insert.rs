#![deny(warnings)]
// `insert_into(..).values(&vec)`: one statement for every row, outside any transaction.
use dbopt_macros::db_checked;
use diesel::prelude::*;

include!("../schema.rs");

use models::NewPost;
use schema::posts;

#[db_checked]
fn import_drafts(
    conn: &mut SqliteConnection,
    user_id: i32,
    drafts: &[(String, String)],
) -> QueryResult<usize> {
    let rows: Vec<NewPost> = drafts
        .iter()
        .map(|(title, body)| NewPost {
            user_id,
            title: title.clone(),
            body: body.clone(),
        })
        .collect();
    diesel::insert_into(posts::table)
        .values(&rows)
        .execute(conn)
}

fn main() {
    let mut conn = db::connect();
    let drafts = vec![
        ("a".to_owned(), "x".to_owned()),
        ("b".to_owned(), "y".to_owned()),
    ];
    assert_eq!(import_drafts(&mut conn, 2, &drafts).unwrap(), 2);
}
