//! `cargo xtask bench-replay`: the replay of migrations shaped like the hostile inputs of
//! issue 19, each at its full size and at half of it, so that the growth shows (`t ~ n^k`:
//! 1 is linear): 10,000 `ADD COLUMN`s on one table, 20,000 tables with a foreign key each,
//! and one 50 MB seed migration (a single `INSERT` of rows between tables).
//!
//! Each input is one package with one `up.sql`, written to `target/bench/replay/` (removed
//! afterwards) and checked once by the release `cargo-dbopt` under `/usr/bin/time`: wall
//! time and peak RSS. The rows are printed as markdown for docs/benchmarks.md ("Replay
//! scale").

use std::fmt::Write as _;
use std::path::Path;

/// One input: its name, what `n` counts, the full `n`, and the `up.sql` for an `n`.
struct Input {
    name: &'static str,
    unit: &'static str,
    full: usize,
    sql: fn(usize) -> String,
}

const INPUTS: &[Input] = &[
    Input {
        name: "`ADD COLUMN`s on one table",
        unit: "statements",
        full: 10_000,
        sql: add_columns,
    },
    Input {
        name: "tables with a foreign key",
        unit: "tables",
        full: 20_000,
        sql: fk_tables,
    },
    Input {
        name: "seed migration, one `INSERT`",
        unit: "MB",
        full: 50,
        sql: seed,
    },
];

fn add_columns(n: usize) -> String {
    let mut sql = String::from("CREATE TABLE u (id INT PRIMARY KEY);\nCREATE TABLE t (id INT);\n");
    for i in 0..n {
        let _ = writeln!(sql, "ALTER TABLE t ADD COLUMN c{i} INT;");
    }
    sql.push_str("ALTER TABLE t ADD COLUMN u_id INT REFERENCES u (id);\n");
    sql
}

fn fk_tables(n: usize) -> String {
    let mut sql = String::from("CREATE TABLE u (id INT PRIMARY KEY);\n");
    for i in 0..n {
        let _ = writeln!(
            sql,
            "CREATE TABLE t{i} (id INT PRIMARY KEY, u_id INT REFERENCES u (id));"
        );
    }
    sql
}

/// `mb` MB: a table, one `INSERT` of rows into it, and a table referencing it.
fn seed(mb: usize) -> String {
    let mut sql = String::from(
        "CREATE TABLE users (id BIGINT PRIMARY KEY, name TEXT NOT NULL);\n\
         INSERT INTO users (id, name) VALUES\n",
    );
    let mut i = 0u64;
    while sql.len() < mb * 1_000_000 {
        let _ = writeln!(
            sql,
            "({i}, 'user number {i} with a name long enough to look like seed data {:0>30}'),",
            i * 7919
        );
        i += 1;
    }
    sql.pop();
    sql.pop();
    sql.push_str(
        ";\nCREATE TABLE posts (id BIGINT PRIMARY KEY, user_id BIGINT REFERENCES users (id));\n",
    );
    sql
}

pub fn run(args: &[String]) -> Result<(), String> {
    if !args.is_empty() {
        return Err("usage: cargo xtask bench-replay".to_owned());
    }
    let (root, bin) = crate::bench::release_dbopt()?;
    let dir = root.join("target/bench/replay");
    println!(
        "| input | n | `up.sql` (MB) | wall (s) | peak RSS (MB) | findings | growth of time, n/2 to n |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for input in INPUTS {
        let half = measure(&bin, &dir, &(input.sql)(input.full / 2))?;
        let full = measure(&bin, &dir, &(input.sql)(input.full))?;
        let k = (full.wall / half.wall).log2();
        for (n, m, growth) in [
            (input.full / 2, &half, String::new()),
            (input.full, &full, format!("n^{k:.2}")),
        ] {
            println!(
                "| {} | {n} {} | {:.1} | {:.2} | {:.0} | {} | {growth} |",
                input.name, input.unit, m.mb, m.wall, m.rss_mb, m.findings
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

struct Measured {
    mb: f64,
    wall: f64,
    rss_mb: f64,
    findings: usize,
}

/// Writes `sql` as the one migration of a package in `dir` and checks it once.
fn measure(bin: &Path, dir: &Path, sql: &str) -> Result<Measured, String> {
    let _ = std::fs::remove_dir_all(dir);
    let write = |path: &str, text: &str| {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().expect("a parent"))
            .and_then(|()| std::fs::write(&path, text))
            .map_err(|e| format!("cannot write {}: {e}", path.display()))
    };
    write(
        "Cargo.toml",
        "[package]\nname = \"replay\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n\
         [package.metadata.dbopt]\nbackend = \"postgres\"\n\n[workspace]\n",
    )?;
    write("src/lib.rs", "")?;
    write(
        "diesel.toml",
        "[migrations_directory]\ndir = \"migrations\"\n",
    )?;
    write("migrations/2024-01-01-000000_seed/up.sql", sql)?;
    let (wall, _, kb, findings) = crate::bench::measure(bin, dir)?;
    Ok(Measured {
        mb: sql.len() as f64 / 1e6,
        wall,
        rss_mb: kb as f64 / 1024.0,
        findings,
    })
}
