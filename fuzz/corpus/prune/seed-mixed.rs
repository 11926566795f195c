use diesel::prelude::*;

diesel::table! { users (id) { id -> Int4, name -> Text, } }

const LIMIT: i64 = 10;

pub struct Repo { pool: DbPool }

impl Repo {
    pub fn new(pool: DbPool) -> Self { Repo { pool } }
    pub fn find(&self, id: i32) -> User {
        let mut conn = self.pool.get().unwrap();
        users::table.find(id).first(&mut conn).unwrap()
    }
}

pub struct Service { repo: Repo }

impl Service {
    pub fn names(&self, ids: &[i32]) -> Vec<String> {
        ids.iter().map(|id| self.repo.find(*id).name).collect()
    }
    fn plain(&self) -> u8 { 1 }
}

impl<S: Stream> Connection<S> {
    fn poll_read(&mut self) { loop { self.poll_response(); } }
}

fn list(conn: &mut PgConnection, ids: &[i32]) {
    for id in ids {
        users::table.find(id).first::<User>(conn).unwrap();
    }
}

fn g() -> Arr<{ N }> { Arr }
