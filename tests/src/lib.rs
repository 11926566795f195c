//! Shared helpers of dbopt's integration tests.
//!
//! * [`pg`]: the test database contract (`DBOPT_TEST_DATABASE_URL`, skip or fail under `CI`)
//!   and a uniquely named PostgreSQL database that is dropped when its guard goes away.

pub mod pg;
