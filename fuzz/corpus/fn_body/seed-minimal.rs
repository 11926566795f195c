#[db_checked]
fn f(conn: &mut PgConnection, ids: &[i32]) {
    for id in ids {
        users::table.find(id).first::<User>(conn);
    }
}
