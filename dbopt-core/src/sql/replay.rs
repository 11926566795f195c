//! Replay of migrations into a [`Schema`]. PLACEHOLDER: replaced by the real replay.

use crate::model::Backend;
use crate::source::SourceMap;
use crate::sql::{LoadedMigration, Replay};

/// Applies every migration's `up.sql` in the given (diesel) order.
pub fn replay(backend: Backend, sources: &SourceMap, migrations: &[LoadedMigration]) -> Replay {
    let _ = (backend, sources, migrations);
    Replay::default()
}
