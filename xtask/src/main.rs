//! `cargo xtask <chore>`: repository chores that are code, not shell.
//!
//! * `gen-migrations N DIR` writes a synthetic Diesel package with N migrations
//!   (N/4 tables, about two foreign keys per table, every other one indexed).
//! * `gen-scan PACKAGES DIR` writes the generated workspace of `bench-scan` (about 11k lines
//!   of Diesel application code per package).
//! * `docs [--check]` writes `docs/rules/` from the rule registry, or checks it is current
//!   (see [`docs`]).
//! * `bench-migrations [N..]` generates packages (default 2000 and 10000 migrations) under
//!   `target/bench/`, runs the release `cargo-dbopt` on each five times through
//!   `/usr/bin/time`, and prints a Markdown table (median wall time, peak RSS).
//! * `gen-workspace --out DIR --packages P --migrations M --fns F [--seed S]` writes a
//!   synthetic Diesel workspace: migrations, a matching schema.rs, and Diesel code (see
//!   [`gen_workspace`]).
//! * `bench-scale [--runs N] [--only ROW,..] [--squawk PATH] [--no-docs]` times the whole
//!   `cargo dbopt check` against squawk on generated workspaces of 1k-50k migrations and
//!   10k-100k fns and rewrites its table in docs/benchmarks.md (see [`bench_scale`]).
//! * `bench-macro [RUNS]` measures the debug build time of a generated Diesel crate with and
//!   without `#[db_checked]` on its 501 fns, and the expansion time of its 200-line fn.
//! * `bench-replay` times the replay of one migration shaped like issue 19's hostile inputs
//!   (10,000 `ADD COLUMN`s, 20,000 tables with FKs, a 50 MB seed) at full and half size (see
//!   [`bench_replay`]).
//! * `bench-scan [RUNS]` measures `cargo dbopt check`'s source scan on a generated 200k-line
//!   workspace and on every crate in `~/.cargo/registry/src/` (release build; see
//!   [`bench_scan`]).
//! * `scan-registry [--all | PREFIX..]` runs the `#[db_checked]` analysis over every fn of the
//!   crates in `~/.cargo/registry/src/` and counts fns, panics and findings (run in release).
#![allow(clippy::print_stdout, clippy::print_stderr)] // a command-line chore tool prints

mod bench;
mod bench_macro;
mod bench_replay;
mod bench_scale;
mod bench_scan;
mod docs;
mod gen_fns;
mod gen_migrations;
mod gen_scan;
mod gen_workspace;
mod scan_registry;

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("gen-migrations") => match (args.get(1).and_then(|n| n.parse().ok()), args.get(2)) {
            (Some(n), Some(dir)) => gen_migrations::write_package(&PathBuf::from(dir), n)
                .map_err(|e| format!("cannot write {dir}: {e}")),
            _ => Err("usage: cargo xtask gen-migrations N DIR".to_owned()),
        },
        Some("gen-workspace") => gen_workspace::run(&args[1..]),
        Some("gen-scan") => match (args.get(1).and_then(|n| n.parse().ok()), args.get(2)) {
            (Some(n), Some(dir)) => gen_scan::write_workspace(&PathBuf::from(dir), n)
                .map(|(files, lines, bytes)| {
                    println!("{files} files, {lines} lines, {bytes} bytes");
                })
                .map_err(|e| format!("cannot write {dir}: {e}")),
            _ => Err("usage: cargo xtask gen-scan PACKAGES DIR".to_owned()),
        },
        Some("docs") => docs::run(&args[1..]),
        Some("bench-migrations") => {
            let sizes: Result<Vec<usize>, _> = args[1..].iter().map(|s| s.parse()).collect();
            match sizes {
                Ok(s) if s.is_empty() => bench::run(&[2_000, 10_000]),
                Ok(s) => bench::run(&s),
                Err(e) => Err(format!("sizes must be numbers: {e}")),
            }
        }
        Some("bench-scale") => bench_scale::run(&args[1..]),
        Some("bench-replay") => bench_replay::run(&args[1..]),
        Some("bench-macro") => match args.get(1).map(|n| n.parse::<usize>()) {
            None => bench_macro::run(3),
            Some(Ok(n)) if n > 0 => bench_macro::run(n),
            _ => Err("usage: cargo xtask bench-macro [RUNS]".to_owned()),
        },
        Some("time-expansion") => bench_macro::time_expansion(),
        Some("scan-registry") => scan_registry::run(&args[1..]),
        Some("bench-scan") => bench_scan::run(&args[1..]),
        Some("bench-scan-child") => bench_scan::child_main(&args[1..]),
        _ => Err("usage: cargo xtask (docs [--check] | gen-migrations N DIR | gen-scan PACKAGES DIR | bench-migrations [N..] | gen-workspace --out DIR --packages P --migrations M --fns F [--seed S] | bench-scale [--runs N] [--only ROW,..] [--squawk PATH] [--no-docs] | bench-macro [RUNS] | bench-replay | bench-scan [RUNS] | scan-registry [--all | PREFIX..])".to_owned()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}
