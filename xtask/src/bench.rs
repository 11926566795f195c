//! `cargo xtask bench-migrations`: whole-process time and peak memory of `cargo dbopt` on
//! generated packages. Uses `/usr/bin/time -f '%e %U %S %M'` for wall time, CPU time (user +
//! system, including `cargo metadata`, which the check runs as a child) and peak RSS. On a
//! busy machine wall time mostly measures the neighbours; CPU time is the steadier figure.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::gen_migrations;

const RUNS: usize = 5;

pub fn run(sizes: &[usize]) -> Result<(), String> {
    let (root, bin) = release_dbopt()?;
    println!(
        "| migrations | tables | foreign keys | findings | median wall (s) | median CPU (s) | peak RSS (MB) |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|");
    for &n in sizes {
        let dir = root.join(format!("target/bench/migrations-{n}"));
        gen_migrations::write_package(&dir, n).map_err(|e| format!("generate {n}: {e}"))?;
        let mut walls = Vec::new();
        let mut cpus = Vec::new();
        let mut peak_kb = 0u64;
        let mut findings = 0;
        for _ in 0..RUNS {
            let (wall, cpu, kb, count) = measure(&bin, &dir)?;
            walls.push(wall);
            cpus.push(cpu);
            peak_kb = peak_kb.max(kb);
            findings = count;
        }
        walls.sort_by(f64::total_cmp);
        cpus.sort_by(f64::total_cmp);
        let tables = (n / 4).max(2);
        println!(
            "| {n} | {tables} | {} | {findings} | {:.3} | {:.3} | {:.1} |",
            2 * (tables - 1),
            walls[RUNS / 2],
            cpus[RUNS / 2],
            peak_kb as f64 / 1024.0
        );
    }
    Ok(())
}

/// One `cargo dbopt check --format json` on the package in `dir` under `/usr/bin/time`: wall
/// time (s), CPU time (user + system, s), peak RSS (KB) and the number of findings.
pub fn measure(bin: &Path, dir: &Path) -> Result<(f64, f64, u64, usize), String> {
    let out = Command::new("/usr/bin/time")
        .args(["-f", "%e %U %S %M"])
        .arg(bin)
        .args(["dbopt", "check", "--format", "json", "--manifest-path"])
        .arg(dir.join("Cargo.toml"))
        .output()
        .map_err(|e| format!("cannot run /usr/bin/time: {e}"))?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    let last = stderr.lines().last().unwrap_or_default();
    let mut parts = last.split_whitespace();
    let mut next = || parts.next().and_then(|s| s.parse::<f64>().ok());
    let (Some(wall), Some(user), Some(sys), Some(kb)) = (next(), next(), next(), next()) else {
        return Err(format!("unexpected output of /usr/bin/time: {stderr}"));
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    let findings = stdout.matches("\"rule\":").count();
    Ok((wall, user + sys, kb as u64, findings))
}

/// Builds `cargo-dbopt` in release mode: the repository root and the binary, for the
/// benchmarks that run it as a user would.
pub fn release_dbopt() -> Result<(PathBuf, PathBuf), String> {
    let root = crate::docs::repo_root();
    let status = Command::new("cargo")
        .args(["build", "--release", "--quiet", "-p", "cargo-dbopt"])
        .current_dir(&root)
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err("release build of cargo-dbopt failed".into());
    }
    let bin = root.join("target/release/cargo-dbopt");
    Ok((root, bin))
}
