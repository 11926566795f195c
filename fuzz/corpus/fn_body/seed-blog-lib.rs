//! A small Diesel blog on SQLite: dbopt's example and dogfood.
//!
//! The binary (`cargo run -p blog`) seeds a database and prints a summary; this library holds
//! the schema, the rows and every query. The queries in [`repo`] are checked by
//! `#[db_checked]`, so a query in a loop is a compile error there.

pub mod models;
pub mod repo;
pub mod schema;
