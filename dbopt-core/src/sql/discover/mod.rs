//! Discovery: diesel.toml and the migrations folder, read the way diesel reads them.
//!
//! * [`diesel_toml`] parses diesel_cli's configuration file.
//! * [`migrations`] lists migration folders and orders them like diesel_migrations 2.3.
//!
//! Errors that stop discovery are [`DiscoverError`]s; problems with one entry (a folder
//! without `up.sql`, a broken `metadata.toml`) are [`DiscoverProblem`]s and discovery goes
//! on. Both name the path they are about.

pub mod diesel_toml;
pub mod migrations;

use std::path::{Path, PathBuf};

pub use diesel_toml::{
    ColumnSorting, DieselToml, Filter, PrintSchema, parse_diesel_toml, read_diesel_toml,
};
pub use migrations::{
    Discovered, discover_migrations, discover_migrations_on, find_migrations_directory,
    parse_metadata_toml,
};

/// An error that stops discovery of a diesel.toml or a migrations folder.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DiscoverError {
    #[error("cannot read `{}`: {message}", path.display())]
    Read { path: PathBuf, message: String },
    #[error("`{}` is not valid UTF-8", path.display())]
    NotUtf8 { path: PathBuf },
    #[error("invalid `{}` at line {line}, column {column}: {message}", path.display())]
    InvalidToml {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("invalid regex `{pattern}` in `{key}` of `{}`: {message}", path.display())]
    BadRegex {
        path: PathBuf,
        key: String,
        pattern: String,
        message: String,
    },
    #[error("migrations directory `{}` does not exist", path.display())]
    MigrationsDirNotFound { path: PathBuf },
    #[error("migrations directory `{}` is not a directory", path.display())]
    MigrationsDirNotADirectory { path: PathBuf },
}

impl DiscoverError {
    /// The file or folder the error is about.
    pub fn path(&self) -> &Path {
        match self {
            DiscoverError::Read { path, .. }
            | DiscoverError::NotUtf8 { path }
            | DiscoverError::InvalidToml { path, .. }
            | DiscoverError::BadRegex { path, .. }
            | DiscoverError::MigrationsDirNotFound { path }
            | DiscoverError::MigrationsDirNotADirectory { path } => path,
        }
    }

    /// The same error about `f(path)` (e.g. the path made relative for display).
    pub fn map_path(mut self, f: impl FnOnce(&Path) -> PathBuf) -> Self {
        let new = f(self.path());
        match &mut self {
            DiscoverError::Read { path, .. }
            | DiscoverError::NotUtf8 { path }
            | DiscoverError::InvalidToml { path, .. }
            | DiscoverError::BadRegex { path, .. }
            | DiscoverError::MigrationsDirNotFound { path }
            | DiscoverError::MigrationsDirNotADirectory { path } => *path = new,
        }
        self
    }
}

/// A problem with one entry of a migrations folder; discovery goes on without it (or, for
/// `BadMetadata`, with diesel's fallback).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DiscoverProblem {
    #[error(
        "`{}` holds no up.sql, so it is not a migration (diesel stops with \"unknown migration format\" on it)",
        path.display()
    )]
    NoUpSql { path: PathBuf },
    #[error(
        "`{}` is not a folder, so it is not a migration (diesel stops with \"unknown migration format\" on it)",
        path.display()
    )]
    NotAFolder { path: PathBuf },
    #[error("cannot read `{}`: {message}", path.display())]
    Unreadable { path: PathBuf, message: String },
    #[error(
        "`{}` is not valid: {message}; diesel ignores it and runs the migration in a transaction",
        path.display()
    )]
    BadMetadata { path: PathBuf, message: String },
    #[error("the name of `{}` is not valid UTF-8; diesel reads it as `{lossy}`", path.display())]
    NonUtf8Name { path: PathBuf, lossy: String },
    #[error(
        "`{}` has the same version `{version}` as `{}`; diesel runs only one of them",
        path.display(),
        other.display()
    )]
    DuplicateVersion {
        path: PathBuf,
        other: PathBuf,
        version: String,
    },
}

impl DiscoverProblem {
    /// The entry the problem is about.
    pub fn path(&self) -> &Path {
        match self {
            DiscoverProblem::NoUpSql { path }
            | DiscoverProblem::NotAFolder { path }
            | DiscoverProblem::Unreadable { path, .. }
            | DiscoverProblem::BadMetadata { path, .. }
            | DiscoverProblem::NonUtf8Name { path, .. }
            | DiscoverProblem::DuplicateVersion { path, .. } => path,
        }
    }

    /// The same problem with every path passed through `f`.
    pub fn map_paths(mut self, f: impl Fn(&Path) -> PathBuf) -> Self {
        match &mut self {
            DiscoverProblem::NoUpSql { path }
            | DiscoverProblem::NotAFolder { path }
            | DiscoverProblem::Unreadable { path, .. }
            | DiscoverProblem::BadMetadata { path, .. }
            | DiscoverProblem::NonUtf8Name { path, .. } => *path = f(path),
            DiscoverProblem::DuplicateVersion { path, other, .. } => {
                *path = f(path);
                *other = f(other);
            }
        }
        self
    }
}

#[cfg(test)]
mod tests;
