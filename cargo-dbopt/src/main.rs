//! `cargo dbopt`: parse the command line, run the command, map the outcome to the exit
//! status (0 clean, 1 deny-level findings, 2 usage/config/I/O error). Nothing else exits.

mod cli;
mod commands;
mod error;
mod fix;
mod render;
mod workspace;

use std::io::Write;
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};

use crate::cli::{Cargo, ColorWhen, Command};
use crate::commands::{Status, check, explain, init, rules};
use crate::error::CliError;

fn main() -> ExitCode {
    let matches = match Cargo::command().try_get_matches() {
        Ok(m) => m,
        Err(e) => return clap_exit(&e),
    };
    let Cargo::Dbopt(args) = match Cargo::from_arg_matches(&matches) {
        Ok(a) => a,
        Err(e) => return clap_exit(&e),
    };
    anstream::ColorChoice::write_global(match args.color {
        ColorWhen::Auto => anstream::ColorChoice::Auto,
        ColorWhen::Always => anstream::ColorChoice::Always,
        ColorWhen::Never => anstream::ColorChoice::Never,
    });
    let overrides = cli::level_overrides(&matches);
    let result: Result<Status, CliError> = match &args.command {
        None => check::run(&args.check, &overrides),
        Some(Command::Check(check_args)) => check::run(check_args, &overrides),
        Some(Command::Rules(rules_args)) => rules::run(rules_args, &overrides),
        Some(Command::Explain(explain_args)) => explain::run(explain_args),
        Some(Command::Init(init_args)) => init::run(init_args),
    };
    match result {
        Ok(status) => status.exit_code(),
        Err(e) => {
            let human = render::human::Human::new(true, std::path::Path::new(""));
            let text = human.message(dbopt_core::diagnostic::Level::Deny, &e.to_string());
            let mut err = anstream::stderr().lock();
            let _ = writeln!(err, "{text}");
            ExitCode::from(2)
        }
    }
}

/// `--help`/`--version` (exit 0) and usage errors (exit 2), printed by clap.
fn clap_exit(e: &clap::Error) -> ExitCode {
    let _ = e.print();
    ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2))
}
