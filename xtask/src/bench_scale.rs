//! `cargo xtask bench-scale [--runs N] [--only ROW,..] [--squawk PATH] [--no-docs]`: the
//! whole `cargo dbopt check` on generated workspaces (see [`crate::gen_workspace`]) of
//! growing size, against squawk, the most used PostgreSQL migration linter, over the same
//! `up.sql` files in the same run.
//!
//! Each row's workspace is generated in a temporary directory (removed afterwards), with a
//! twin holding the same migrations and schema.rs but no Rust code. Three commands are
//! timed: dbopt on the workspace (the whole check), dbopt on the twin (the schema side
//! alone, what squawk's work compares with) and squawk on the `up.sql` files. Each runs
//! once to warm the page cache, then `N` times, the order reversed every other run so that
//! a burst of load on the shared machine hits all three. Wall and CPU time (user + system,
//! children included: `cargo metadata` for dbopt) come from bash's `time` in milliseconds,
//! peak RSS from `/usr/bin/time -f %M`. Medians are reported, with the ratio dbopt / squawk,
//! and the growth between rows of a series as an exponent (`t ~ n^k`: 1 is
//! linear); a `k` above [`SUPERLINEAR`] is flagged.
//!
//! The full run rewrites the block between [`START`] and [`END`] in docs/benchmarks.md.

mod report;
mod run;

use std::path::PathBuf;

use crate::gen_workspace::Spec;

/// Growth exponents above this are reported as superlinear.
pub const SUPERLINEAR: f64 = 1.15;

/// A first run slower than this many seconds cuts the row to [`SLOW_ROW_RUNS`] runs.
const SLOW_ROW_SECONDS: f64 = 60.0;
const SLOW_ROW_RUNS: usize = 3;

/// One generated size.
#[derive(Debug, Clone, Copy)]
pub struct Row {
    pub name: &'static str,
    /// Rows of one series are compared for growth.
    pub series: Series,
    pub spec: Spec,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Series {
    Migrations,
    Fns,
}

const fn row(name: &'static str, series: Series, packages: usize, m: usize, f: usize) -> Row {
    Row {
        name,
        series,
        spec: Spec {
            packages,
            migrations: m,
            fns: f,
            seed: 1,
        },
    }
}

/// Migrations series: 4 packages (so a package holds a quarter of the history) and a modest
/// 1,000 fns. Fns series: 20 packages and a modest 1,000 migrations.
pub const ROWS: &[Row] = &[
    row("m1k", Series::Migrations, 4, 1_000, 1_000),
    row("m10k", Series::Migrations, 4, 10_000, 1_000),
    row("m50k", Series::Migrations, 4, 50_000, 1_000),
    row("f10k", Series::Fns, 20, 1_000, 10_000),
    row("f100k", Series::Fns, 20, 1_000, 100_000),
];

/// The medians of one command on one row.
#[derive(Debug, Clone, Default)]
pub struct Measured {
    pub wall: f64,
    pub cpu: f64,
    /// The largest peak RSS of the runs, in KiB.
    pub peak_kib: u64,
    /// Findings of the last run: `(schema, code)` for dbopt, `(all, 0)` for squawk.
    pub findings: (usize, usize),
}

#[derive(Debug, Clone)]
pub struct RowResult {
    pub row: Row,
    pub runs: usize,
    /// The whole check of the workspace.
    pub dbopt: Measured,
    /// The same workspace without its Rust code (the same migrations and schema.rs): the
    /// schema side alone, the work squawk's is compared with.
    pub migrations_only: Measured,
    pub squawk: Measured,
}

struct Options {
    runs: usize,
    only: Option<Vec<String>>,
    squawk: Option<PathBuf>,
    docs: bool,
}

fn parse(args: &[String]) -> Result<Options, String> {
    let usage = "usage: cargo xtask bench-scale [--runs N] [--only ROW,..] [--squawk PATH] \
                 [--no-docs]";
    let mut o = Options {
        runs: 5,
        only: None,
        squawk: None,
        docs: true,
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = || {
            it.next()
                .ok_or_else(|| format!("{a} needs a value\n{usage}"))
        };
        match a.as_str() {
            "--runs" => {
                o.runs = value()?
                    .parse()
                    .ok()
                    .filter(|&n| n > 0)
                    .ok_or(format!("--runs takes a positive number\n{usage}"))?;
            }
            "--only" => o.only = Some(value()?.split(',').map(str::to_owned).collect()),
            "--squawk" => o.squawk = Some(PathBuf::from(value()?)),
            "--no-docs" => o.docs = false,
            _ => return Err(format!("unknown argument {a}\n{usage}")),
        }
    }
    if let Some(only) = &o.only
        && let Some(bad) = only.iter().find(|n| !ROWS.iter().any(|r| r.name == *n))
    {
        let names: Vec<&str> = ROWS.iter().map(|r| r.name).collect();
        return Err(format!("no row {bad}; rows: {}", names.join(", ")));
    }
    Ok(o)
}

pub fn run(args: &[String]) -> Result<(), String> {
    let opts = parse(args)?;
    let (root, dbopt) = crate::bench::release_dbopt()?;
    let squawk = run::find_squawk(opts.squawk.as_deref())?;
    let squawk_version = run::version(&squawk)?;
    let env = report::Environment::capture(&squawk_version);
    eprintln!("squawk: {} ({squawk_version})", squawk.display());

    let rows: Vec<Row> = ROWS
        .iter()
        .filter(|r| {
            opts.only
                .as_ref()
                .is_none_or(|o| o.iter().any(|n| n == r.name))
        })
        .copied()
        .collect();
    let tmp = TempDir::new()?;
    let mut results = Vec::new();
    for row in rows {
        let dir = tmp.0.join(row.name);
        let twin = tmp.0.join(format!("{}-migrations-only", row.name));
        eprintln!(
            "{}: generating {:?} and its twin without fns",
            row.name, row.spec
        );
        crate::gen_workspace::write_workspace(&dir, &row.spec)?;
        crate::gen_workspace::write_workspace(&twin, &Spec { fns: 0, ..row.spec })?;
        let result = run::measure_row(row, &dbopt, &squawk, &dir, &twin, opts.runs)?;
        for d in [&dir, &twin] {
            std::fs::remove_dir_all(d)
                .map_err(|e| format!("cannot remove {}: {e}", d.display()))?;
        }
        for table in [report::migrations_table, report::whole_table] {
            let table = table(std::slice::from_ref(&result));
            eprintln!("{}", table.lines().last().unwrap_or(""));
        }
        results.push(result);
    }
    let block = report::block(&env.finish(), &results, opts.runs);
    println!("{block}");
    if opts.docs && opts.only.is_none() {
        report::write_docs(&root.join("docs/benchmarks.md"), &block)?;
        println!("updated docs/benchmarks.md");
    }
    Ok(())
}

/// A directory under the system's temp dir, removed on drop (also after an error).
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Result<TempDir, String> {
        let dir = std::env::temp_dir().join(format!("dbopt-bench-scale-{}", std::process::id()));
        std::fs::create_dir_all(&dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        Ok(TempDir(dir))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
