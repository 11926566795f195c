//! One file per subcommand. Each returns a [`Status`] or a [`crate::error::CliError`];
//! `main` alone turns them into the exit code.

pub mod check;
pub mod explain;
pub mod init;
pub mod rules;

use std::process::ExitCode;

/// How a command ended, before it becomes an exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// No deny-level finding.
    Clean,
    /// Deny-level findings.
    Denied,
    /// Nothing could be analysed (the reasons were printed).
    Failed,
}

impl Status {
    pub fn exit_code(self) -> ExitCode {
        match self {
            Status::Clean => ExitCode::SUCCESS,
            Status::Denied => ExitCode::from(1),
            Status::Failed => ExitCode::from(2),
        }
    }
}
