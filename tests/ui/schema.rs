// Shared by every UI case: `include!("../schema.rs")` from ui/pass/,
// `include!("../../schema.rs")` from ui/fail/<rule>/. The include path is resolved against
// the case file itself, which trybuild compiles in place.
//
// Everything here is plain Diesel 2.3: the schema as `diesel print-schema` writes it, the
// models a blog/payments app derives from it, and an in-memory SQLite database (bundled
// libsqlite3) that the pass cases really run against.

#[allow(dead_code)]
mod schema {
    diesel::table! {
        users (id) {
            id -> Integer,
            name -> Text,
            email -> Text,
            active -> Bool,
        }
    }

    diesel::table! {
        posts (id) {
            id -> Integer,
            user_id -> Integer,
            title -> Text,
            body -> Text,
            published -> Bool,
        }
    }

    diesel::table! {
        comments (id) {
            id -> Integer,
            post_id -> Integer,
            user_id -> Integer,
            body -> Text,
        }
    }

    diesel::table! {
        accounts (id) {
            id -> Integer,
            owner_id -> Integer,
            balance -> BigInt,
        }
    }

    diesel::table! {
        payments (id) {
            id -> Integer,
            account_id -> Integer,
            amount -> BigInt,
            status -> Text,
        }
    }

    diesel::joinable!(posts -> users (user_id));
    diesel::joinable!(comments -> posts (post_id));
    diesel::joinable!(accounts -> users (owner_id));
    diesel::joinable!(payments -> accounts (account_id));

    diesel::allow_tables_to_appear_in_same_query!(users, posts, comments, accounts, payments);
}

#[allow(dead_code)]
mod models {
    use super::schema::{accounts, comments, payments, posts, users};
    use diesel::prelude::*;

    #[derive(Debug, Clone, PartialEq, Queryable, Selectable, Identifiable, AsChangeset)]
    #[diesel(table_name = users)]
    pub struct User {
        pub id: i32,
        pub name: String,
        pub email: String,
        pub active: bool,
    }

    #[derive(Debug, Insertable)]
    #[diesel(table_name = users)]
    pub struct NewUser<'a> {
        pub name: &'a str,
        pub email: &'a str,
    }

    #[derive(Debug, Clone, PartialEq, Queryable, Selectable, Identifiable, Associations)]
    #[diesel(belongs_to(User), table_name = posts)]
    pub struct Post {
        pub id: i32,
        pub user_id: i32,
        pub title: String,
        pub body: String,
        pub published: bool,
    }

    #[derive(Debug, Clone, Insertable)]
    #[diesel(table_name = posts)]
    pub struct NewPost {
        pub user_id: i32,
        pub title: String,
        pub body: String,
    }

    #[derive(Debug, Clone, PartialEq, Queryable, Selectable, Identifiable, Associations)]
    #[diesel(belongs_to(Post), table_name = comments)]
    pub struct Comment {
        pub id: i32,
        pub post_id: i32,
        pub user_id: i32,
        pub body: String,
    }

    #[derive(Debug, Clone, PartialEq, Queryable, Selectable, Identifiable)]
    #[diesel(table_name = accounts)]
    pub struct Account {
        pub id: i32,
        pub owner_id: i32,
        pub balance: i64,
    }

    #[derive(Debug, Clone, PartialEq, Queryable, Selectable, Identifiable, Associations)]
    #[diesel(belongs_to(Account), table_name = payments)]
    pub struct Payment {
        pub id: i32,
        pub account_id: i32,
        pub amount: i64,
        pub status: String,
    }

    #[derive(Debug, Clone, Insertable)]
    #[diesel(table_name = payments)]
    pub struct NewPayment<'a> {
        pub account_id: i32,
        pub amount: i64,
        pub status: &'a str,
    }
}

#[allow(dead_code)]
mod db {
    use diesel::connection::SimpleConnection;
    use diesel::prelude::*;
    use diesel::r2d2::{ConnectionManager, CustomizeConnection, Pool};

    /// The error type of the app: Diesel's and r2d2's errors both convert into it.
    pub type AppResult<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

    pub type DbPool = Pool<ConnectionManager<SqliteConnection>>;

    const SETUP: &str = "
        CREATE TABLE users (id INTEGER PRIMARY KEY NOT NULL, name TEXT NOT NULL,
            email TEXT NOT NULL, active BOOLEAN NOT NULL DEFAULT 1);
        CREATE TABLE posts (id INTEGER PRIMARY KEY NOT NULL,
            user_id INTEGER NOT NULL REFERENCES users (id), title TEXT NOT NULL,
            body TEXT NOT NULL, published BOOLEAN NOT NULL DEFAULT 0);
        CREATE TABLE comments (id INTEGER PRIMARY KEY NOT NULL,
            post_id INTEGER NOT NULL REFERENCES posts (id),
            user_id INTEGER NOT NULL REFERENCES users (id), body TEXT NOT NULL);
        CREATE TABLE accounts (id INTEGER PRIMARY KEY NOT NULL,
            owner_id INTEGER NOT NULL REFERENCES users (id), balance BIGINT NOT NULL);
        CREATE TABLE payments (id INTEGER PRIMARY KEY NOT NULL,
            account_id INTEGER NOT NULL REFERENCES accounts (id), amount BIGINT NOT NULL,
            status TEXT NOT NULL);
        INSERT INTO users (id, name, email) VALUES
            (1, 'ada', 'ada@example.com'), (2, 'bob', 'bob@example.com');
        INSERT INTO posts (id, user_id, title, body, published) VALUES
            (1, 1, 'hello', 'first post', 1), (2, 1, 'again', 'second post', 0),
            (3, 2, 'hi', 'bob writes', 1);
        INSERT INTO comments (id, post_id, user_id, body) VALUES
            (1, 1, 2, 'nice'), (2, 3, 1, 'welcome');
        INSERT INTO accounts (id, owner_id, balance) VALUES (1, 1, 1000), (2, 2, 50);
        INSERT INTO payments (id, account_id, amount, status) VALUES
            (1, 1, 250, 'settled'), (2, 2, 10, 'pending');
    ";

    /// A fresh in-memory database with the schema and a few rows.
    pub fn connect() -> SqliteConnection {
        let mut conn = SqliteConnection::establish(":memory:").expect("open in-memory sqlite");
        conn.batch_execute(SETUP).expect("create the schema");
        conn
    }

    #[derive(Debug)]
    struct Setup;

    impl CustomizeConnection<SqliteConnection, diesel::r2d2::Error> for Setup {
        fn on_acquire(&self, conn: &mut SqliteConnection) -> Result<(), diesel::r2d2::Error> {
            conn.batch_execute(SETUP)
                .map_err(diesel::r2d2::Error::QueryError)
        }
    }

    /// An r2d2 pool of in-memory databases (each connection has its own copy of the rows).
    pub fn pool() -> DbPool {
        Pool::builder()
            .max_size(2)
            .connection_customizer(Box::new(Setup))
            .build(ConnectionManager::new(":memory:"))
            .expect("build the pool")
    }
}
