//! `cargo xtask bench-macro [RUNS]`: what `#[db_checked]` costs a build.
//!
//! 1. Generates two copies of a Diesel crate ([`gen_fns`]) under `target/bench/`, 500
//!    repository fns and one 200-line fn, with and without `#[db_checked]` on every fn, sharing
//!    one target directory and the workspace's `Cargo.lock`.
//! 2. Builds both once (dependencies, the proc macro included, are then prebuilt), then
//!    `RUNS` times (default 3), alternating: `cargo clean -p <crate>` and a timed debug
//!    `cargo build` of the crate alone, timed by `/usr/bin/time` (wall and CPU). Prints the
//!    medians and their ratios.
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
    let mut samples: Vec<Vec<Sample>> = vec![Vec::new(); dirs.len()];
    for run in 0..runs {
        for (v, (name, dir)) in dirs.iter().enumerate() {
            clean(dir, &target, name)?;
            let (took, _) = build(dir, &target)?;
            eprintln!(
                "run {}: {name} wall {:.2} s, cpu {:.2} s",
                run + 1,
                took.wall,
                took.cpu
            );
            samples[v].push(took);
        }
    }
    let med = |v: &[Sample], f: fn(&Sample) -> f64| {
        let mut x: Vec<f64> = v.iter().map(f).collect();
        x.sort_by(f64::total_cmp);
        x.get(x.len() / 2).copied().unwrap_or_default()
    };
    let (plain, checked) = (&samples[0], &samples[1]);
    let (pw, pc) = (med(plain, |s| s.wall), med(plain, |s| s.cpu));
    let (cw, cc) = (med(checked, |s| s.wall), med(checked, |s| s.cpu));
    let lines = gen_fns::report_fn().lines().count();
    println!(
        "| debug build of the crate alone, median of {runs} | wall (s) | CPU, user + sys (s) |"
    );
    println!("|---|---:|---:|");
    println!("| without `#[db_checked]` | {pw:.2} | {pc:.2} |");
    println!(
        "| with `#[db_checked]` on all {} fns | {cw:.2} | {cc:.2} |",
        FNS + 1
    );
    println!("| ratio | {:.3} | **{:.3}** |", cw / pw, cc / pc);
    println!(
        "| added per fn (ms) | {:.1} | {:.1} |",
        (cw - pw) * 1000.0 / (FNS + 1) as f64,
        (cc - pc) * 1000.0 / (FNS + 1) as f64
    );
    println!();
    println!("Expansion of the {lines}-line fn (ms, fastest run):");
    println!();
    println!(
        "| build of the proc macro | parse | analyse | strip | `check_attribute` | `expand` |"
    );
    println!("|---|---:|---:|---:|---:|---:|");
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
    let iters = if cfg!(debug_assertions) { 100 } else { 400 };
    let parse = time(iters, || {
        let _ = syn::parse2::<syn::Item>(item.clone());
    });
    let parsed = syn::parse2::<syn::Item>(item.clone()).map_err(|e| format!("{e}"))?;
    let options = dbopt_core::rust::Options::default();
    let analyse = time(iters, || {
        let _ = dbopt_core::rust::analyse_item(&parsed, &options);
    });
    let strip = time(iters, || {
        let _ = dbopt_core::rust::strip::strip(item.clone());
    });
    let check = time(iters, || {
        let _ = dbopt_core::rust::check_attribute(TokenStream::new(), item.clone());
    });
    let expand = time(iters, || {
        let _ = dbopt_core::rust::emit::expand(TokenStream::new(), item.clone());
    });
    // Every fn of the crate, once each: what one build spends in the attribute.
    let all: Vec<TokenStream> = gen_fns::all_fns(FNS)
        .iter()
        .filter_map(|s| s.parse().ok())
        .collect();
    let total = time(if cfg!(debug_assertions) { 5 } else { 20 }, || {
        for f in &all {
            let _ = dbopt_core::rust::emit::expand(TokenStream::new(), f.clone());
        }
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
        "| {profile}, {lines}-line fn | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {:.0} |",
        ms(parse),
        ms(analyse),
        ms(strip),
        ms(check),
        ms(expand),
        ms(total)
    );
    Ok(())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Fastest of `iters` runs of `f`: on a shared machine preemption only adds time, so the
/// minimum is the best estimate of the work itself.
fn time(iters: usize, mut f: impl FnMut()) -> Duration {
    f();
    let v: Vec<Duration> = (0..iters)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    v.into_iter().min().unwrap_or_default()
}

/// Wall time and CPU time (user + system, of cargo and the rustc it waits for) of a debug
/// build, and cargo's output. CPU time is what the attribute adds; on a shared machine the
/// wall time also holds the time other processes ran.
fn build(dir: &Path, target: &Path) -> Result<(Sample, String), String> {
    let out = Command::new("/usr/bin/time")
        .args([
            "-f",
            "@@time %e %U %S",
            "cargo",
            "build",
            "--offline",
            "--manifest-path",
        ])
        .arg(dir.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(target)
        .output()
        .map_err(|e| format!("cannot run /usr/bin/time cargo: {e}"))?;
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    if !out.status.success() {
        return Err(format!("build of {} failed:\n{stderr}", dir.display()));
    }
    let nums: Vec<f64> = stderr
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix("@@time "))
        .map(|l| {
            l.split_whitespace()
                .filter_map(|n| n.parse().ok())
                .collect()
        })
        .unwrap_or_default();
    let [wall, user, sys] = nums[..] else {
        return Err(format!("unexpected output of /usr/bin/time: {stderr}"));
    };
    Ok((
        Sample {
            wall,
            cpu: user + sys,
        },
        stderr,
    ))
}

#[derive(Debug, Clone, Copy)]
struct Sample {
    wall: f64,
    cpu: f64,
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
