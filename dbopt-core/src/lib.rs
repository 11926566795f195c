//! dbopt-core: every analysis of dbopt as a plain library.
//!
//! * [`sql`] discovers diesel.toml and migrations, splits and parses SQL and replays it into
//!   a [`model::Schema`].
//! * [`schema_rs`] reads diesel's `schema.rs` (`table!`, `joinable!`) into the same model.
//! * [`rust`] reads fn bodies (syn) into a small model of handles, round trips, loops and
//!   transactions (the `#[db_checked]` rules).
//! * [`rules`] holds one file per rule and the one sorted registry [`rules::RULES`].
//!
//! The crate never prints and never exits; it returns [`diagnostic::Diagnostic`]s that the
//! edges (the proc macro, the CLI) render.

pub mod config;
pub mod diagnostic;
pub mod files;
pub mod model;
pub mod project;
pub mod rule;
pub mod rules;
pub mod rust;
pub mod schema_rs;
pub mod source;
pub mod sql;
pub mod threads;
