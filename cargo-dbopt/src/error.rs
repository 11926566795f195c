//! Errors that end a command with exit status 2.

/// A usage, configuration, workspace or I/O error: one sentence, printed as `error: ..`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CliError {
    /// A command line that cannot work (unknown package, unknown rule).
    #[error("{0}")]
    Usage(String),
    /// `[workspace.metadata.dbopt]` / `[package.metadata.dbopt]` problems.
    #[error("{0}")]
    Config(String),
    /// `cargo metadata` failed (missing or broken manifest).
    #[error("{0}")]
    Workspace(String),
    /// `--fix` refused or could not write a migration.
    #[error("{0}")]
    Fix(String),
    /// The scan's thread pool could not be started.
    #[error("{0}")]
    Threads(String),
    /// Writing the output failed.
    #[error("cannot write the output: {0}")]
    Io(String),
}

impl From<std::io::Error> for CliError {
    fn from(e: std::io::Error) -> Self {
        CliError::Io(e.to_string())
    }
}
