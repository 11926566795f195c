//! Tests that need a real PostgreSQL server.
//!
//! The server comes from `DBOPT_TEST_DATABASE_URL` (e.g.
//! `postgres://postgres@127.0.0.1:5432/postgres`). Without it a test is skipped, except under
//! `CI`, where a missing URL is an error: a green CI must not hide a test that never ran.
//! Each test works in its own database, created from `template0` with a unique name and
//! dropped by [`TestDatabase`]'s `Drop`, also when the test panics.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// The environment variable holding the server URL.
pub const URL_VAR: &str = "DBOPT_TEST_DATABASE_URL";

/// The server URL, or `None` when the test should be skipped (it says so on stderr).
///
/// # Panics
/// When `CI` is set and the URL is missing: under CI the test must run.
#[allow(
    clippy::print_stderr,
    reason = "tells the person running the tests why one was skipped"
)]
pub fn server_url(test: &str) -> Option<String> {
    match std::env::var(URL_VAR) {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ if std::env::var_os("CI").is_some() => panic!(
            "{URL_VAR} is not set, but CI is: `{test}` needs PostgreSQL. Set it to a server \
             URL such as postgres://postgres@127.0.0.1:5432/postgres"
        ),
        _ => {
            eprintln!("skipping `{test}`: set {URL_VAR} to run it against PostgreSQL");
            None
        }
    }
}

/// `url` with its database replaced by `database`. Handles URLs
/// (`postgres://user@host:port/db?opts`) and key/value connection strings (`host=.. dbname=..`).
pub fn with_database(url: &str, database: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return format!("{url} dbname={database}");
    };
    let rest_at = scheme_end + 3;
    let rest = &url[rest_at..];
    let query_at = rest.find('?').map_or(url.len(), |i| rest_at + i);
    let path_at = rest[..query_at - rest_at]
        .find('/')
        .map_or(query_at, |i| rest_at + i);
    format!("{}/{database}{}", &url[..path_at], &url[query_at..])
}

/// A database that exists for the lifetime of this value.
#[derive(Debug)]
pub struct TestDatabase {
    /// The URL of the server's maintenance database (used to create and drop).
    server_url: String,
    name: String,
    /// The URL of the test database itself.
    pub url: String,
}

impl TestDatabase {
    /// Creates `dbopt_<prefix>_<pid>_<n>_<time>` (UTF8, from `template0`, so nothing an
    /// administrator added to `template1` shows up in the catalog).
    pub fn create(server_url: &str, prefix: &str) -> Result<Self, postgres::Error> {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let name = format!(
            "dbopt_{prefix}_{}_{}_{nanos}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let mut admin = postgres::Client::connect(server_url, postgres::NoTls)?;
        admin.batch_execute(&format!(
            "CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8'"
        ))?;
        Ok(TestDatabase {
            server_url: server_url.to_owned(),
            url: with_database(server_url, &name),
            name,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// A new client connected to this database.
    pub fn connect(&self) -> Result<postgres::Client, postgres::Error> {
        postgres::Client::connect(&self.url, postgres::NoTls)
    }
}

impl Drop for TestDatabase {
    #[allow(
        clippy::print_stderr,
        reason = "Drop cannot fail; a leftover database is reported"
    )]
    fn drop(&mut self) {
        let dropped =
            postgres::Client::connect(&self.server_url, postgres::NoTls).and_then(|mut admin| {
                admin.batch_execute(&format!(
                    "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
                    self.name
                ))
            });
        if let Err(e) = dropped {
            eprintln!("could not drop test database `{}`: {e}", self.name);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn replaces_the_database_of_a_url() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/postgres", "t1"),
            "postgres://postgres@127.0.0.1:5432/t1"
        );
        assert_eq!(
            with_database("postgresql://u:p@h/db?sslmode=disable", "t1"),
            "postgresql://u:p@h/t1?sslmode=disable"
        );
        assert_eq!(
            with_database("postgres://h:5432", "t1"),
            "postgres://h:5432/t1"
        );
        assert_eq!(
            with_database("postgres://h?connect_timeout=5", "t1"),
            "postgres://h/t1?connect_timeout=5"
        );
        assert_eq!(
            with_database("host=127.0.0.1 user=postgres", "t1"),
            "host=127.0.0.1 user=postgres dbname=t1"
        );
    }
}
