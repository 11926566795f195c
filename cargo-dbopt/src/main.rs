//! `cargo dbopt`: parse the command line, run the command, map the outcome to the exit
//! status (0 clean, 1 deny-level findings, 2 usage/config/I/O error). Nothing else exits.

/// jemalloc instead of the system allocator: a scan builds and frees a syntax tree per file
/// on every thread, and glibc's malloc took a third of its CPU time (docs/benchmarks.md,
/// "Allocator"). ruff makes the same choice. MSVC keeps the system allocator.
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// jemalloc's options, read when it starts: one arena for every thread. Migrations are
/// parsed on worker threads and their syntax trees freed on the replaying thread; with an
/// arena per thread, memory went back to the system and was faulted in again (twice the
/// page faults and 40% more system time on 50,000 migrations). The scan is as fast either
/// way: thread caches serve its small allocations. A thin pointer to a C string.
///
/// The workspace's only `unsafe`: exporting the symbol jemalloc looks up (`malloc_conf`,
/// `_rjem_` prefixed by tikv-jemalloc-sys). No other library defines it.
#[cfg(not(target_env = "msvc"))]
#[allow(unsafe_code, non_upper_case_globals)]
#[unsafe(export_name = "_rjem_malloc_conf")]
pub static malloc_conf: &[u8; 10] = b"narenas:1\0";

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
