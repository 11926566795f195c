//! `cargo xtask bench-macro [RUNS]`: what `#[db_checked]` costs a build.
//!
//! 1. Generates two copies of a Diesel crate ([`gen_fns`]) under `target/bench/`, 500
//!    repository fns and one 200-line fn, with and without `#[db_checked]` on every fn, sharing
//!    one target directory and the workspace's `Cargo.lock`.
//! 2. Builds both once (dependencies, the proc macro included, are then prebuilt), then
//!    `RUNS` times (default 3), alternating: `cargo clean -p <crate>` and a timed debug
//!    `cargo build` of the crate alone. Prints the medians and their ratio.
//! 3. Times the expansion of the 200-line fn (`check_attribute` and the whole `expand`) in
//!    this process and in the other profile: `time-expansion` in a dev build is what users
//!    get, because cargo builds proc macros and their dependencies without optimisation
//!    unless `[profile.dev.build-override]` says otherwise.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use proc_macro2::TokenStream;

use crate::gen_fns;

const FNS: usize = 500;

pub fn run(runs: usize) -> Result<(), String> {
    let root = workspace_root();
    let bench = root.join("target/bench");
    let target = bench.join("macro-target");
    let macros = root.join("dbopt-macros");
    let variants = [("bench_plain", false), ("bench_checked", true)];
    let mut dirs = Vec::new();
    for (name, checked) in variants {
        let dir = bench.join(name);
        gen_fns::write_package(&dir, name, checked, FNS, &macros)
            .map_err(|e| format!("cannot write {}: {e}", dir.display()))?;
        if !dir.join("Cargo.lock").exists() {
            std::fs::copy(root.join("Cargo.lock"), dir.join("Cargo.lock"))
                .map_err(|e| format!("cannot copy Cargo.lock: {e}"))?;
        }
        dirs.push((name, dir));
    }
    for (name, dir) in &dirs {
        let (_, stderr) = build(dir, &target)?;
        let warnings = stderr.matches("warning:").count();
        eprintln!("{name}: built; {warnings} warnings");
    }
    let mut times: Vec<Vec<Duration>> = vec![Vec::new(); dirs.len()];
    for run in 0..runs {
        for (v, (name, dir)) in dirs.iter().enumerate() {
            clean(dir, &target, name)?;
            let (took, _) = build(dir, &target)?;
            eprintln!("run {}: {name} {:.2} s", run + 1, took.as_secs_f64());
            times[v].push(took);
        }
    }
    let plain = median(&mut times[0]);
    let checked = median(&mut times[1]);
    let lines = gen_fns::report_fn().lines().count();
    println!("| build (debug, crate only, median of {runs}) | seconds |");
    println!("|---|---:|");
    println!("| without `#[db_checked]` | {:.2} |", plain.as_secs_f64());
    println!(
        "| with `#[db_checked]` on {} fns | {:.2} |",
        FNS + 1,
        checked.as_secs_f64()
    );
    println!(
        "| ratio | **{:.3}** |",
        checked.as_secs_f64() / plain.as_secs_f64()
    );
    println!();
    println!("Expansion of the {lines}-line fn:");
    println!();
    for release in [false, true] {
        let mut cmd = Command::new("cargo");
        cmd.args(["run", "--quiet", "-p", "xtask"]);
        if release {
            cmd.arg("--release");
        }
        let out = cmd
            .args(["--", "time-expansion"])
            .current_dir(&root)
            .output()
            .map_err(|e| format!("cannot run cargo: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "time-expansion failed: {}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        print!("{}", String::from_utf8_lossy(&out.stdout));
    }
    Ok(())
}

/// `cargo xtask time-expansion`: the expansion of the 200-line fn in this build's profile.
pub fn time_expansion() -> Result<(), String> {
    let src = gen_fns::report_fn();
    let item: TokenStream = src
        .parse()
        .map_err(|e| format!("report fn does not lex: {e}"))?;
    let profile = if cfg!(debug_assertions) {
        "unoptimised (dev profile: what users get)"
    } else {
        "optimised (release, or `[profile.dev.build-override] opt-level = 3`)"
    };
    let iters = if cfg!(debug_assertions) { 15 } else { 200 };
    let parse = time(iters, || {
        let _ = syn::parse2::<syn::Item>(item.clone());
    });
    let check = time(iters, || {
        let _ = dbopt_core::rust::check_attribute(TokenStream::new(), item.clone());
    });
    let expand = time(iters, || {
        let _ = dbopt_core::rust::emit::expand(TokenStream::new(), item.clone());
    });
    let exp = dbopt_core::rust::check_attribute(TokenStream::new(), item.clone());
    if !exp.errors.is_empty() || !exp.diagnostics.is_empty() {
        return Err(format!(
            "the report fn has findings: {:?}",
            exp.diagnostics.iter().map(|d| d.rule).collect::<Vec<_>>()
        ));
    }
    let lines = src.lines().count();
    println!(
        "| {profile}, {lines}-line fn | parse {:.2} ms | `check_attribute` {:.2} ms | `expand` {:.2} ms |",
        ms(parse),
        ms(check),
        ms(expand)
    );
    Ok(())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Median of `iters` runs of `f`.
fn time(iters: usize, mut f: impl FnMut()) -> Duration {
    f();
    let mut v: Vec<Duration> = (0..iters)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    median(&mut v)
}

fn median(v: &mut [Duration]) -> Duration {
    v.sort();
    v.get(v.len() / 2).copied().unwrap_or_default()
}

fn build(dir: &Path, target: &Path) -> Result<(Duration, String), String> {
    let start = Instant::now();
    let out = Command::new("cargo")
        .args(["build", "--offline", "--manifest-path"])
        .arg(dir.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(target)
        .output()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    let took = start.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    if !out.status.success() {
        return Err(format!("build of {} failed:\n{stderr}", dir.display()));
    }
    Ok((took, stderr))
}

fn clean(dir: &Path, target: &Path, name: &str) -> Result<(), String> {
    let status = Command::new("cargo")
        .args([
            "clean",
            "--offline",
            "--quiet",
            "-p",
            name,
            "--manifest-path",
        ])
        .arg(dir.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(target)
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err(format!("cargo clean -p {name} failed"));
    }
    Ok(())
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}
