//! `cargo xtask bench-scan [RUNS]`: the speed and memory of `cargo dbopt check`'s source
//! scan (issue 4 §5: at least 20 MB/s of Rust on one core).
//!
//! Two corpora:
//! * *generated*: a Cargo workspace of about 200k lines of Diesel application code
//!   ([`gen_scan`]) under `target/bench/scan-workspace/`;
//! * *registry*: every crate under `~/.cargo/registry/src/*/`, each crate folder one package,
//!   every `.rs` file in it except under `tests/`, `benches/`, `target/` and hidden folders.
//!
//! Each measurement is a fresh process, the release build of this binary running
//! `bench-scan-child`, which drives `cargo_dbopt::scan` in-process and prints its counts and
//! its time per phase (summed over threads); `/usr/bin/time` gives the process's wall time,
//! CPU time (user + system: includes start-up, finding, reading and dropping everything) and
//! peak RSS. Per corpus: `RUNS` runs (default 3) on one thread (`--jobs 1`), the median by
//! CPU time reported as MB of Rust per CPU second; `RUNS` runs on every core (wall time);
//! one run without the text pre-check, whose findings must be the same (the pre-check must
//! not lose any). `RUNS` runs of syn alone (`--syn-only`: every file the scan reads, lexed
//! and parsed as the scan does, then dropped, and nothing else): the floor under any scan
//! built on syn. Last, the release `cargo-dbopt` binary end to end on the generated
//! workspace (`check --workspace --format json`, `cargo metadata` included).

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use cargo_dbopt::scan::{self, PackageInput, Settings, Stats};

use crate::gen_scan;

/// Packages of the generated workspace (about 11k lines each: 200k lines).
const PACKAGES: usize = 18;

pub fn run(args: &[String]) -> Result<(), String> {
    let runs = match args.first() {
        None => 3,
        Some(n) => n
            .parse::<usize>()
            .ok()
            .filter(|n| *n > 0)
            .ok_or("usage: cargo xtask bench-scan [RUNS]")?,
    };
    let root = workspace_root();
    let status = Command::new("cargo")
        .args([
            "build",
            "--release",
            "--quiet",
            "-p",
            "xtask",
            "-p",
            "cargo-dbopt",
        ])
        .current_dir(&root)
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err("release build of xtask and cargo-dbopt failed".into());
    }
    let xtask = root.join("target/release/xtask");
    let gen_dir = root.join("target/bench/scan-workspace");
    let (files, lines, bytes) = gen_scan::write_workspace(&gen_dir, PACKAGES)
        .map_err(|e| format!("cannot write {}: {e}", gen_dir.display()))?;
    eprintln!(
        "generated {files} files, {lines} lines, {:.1} MB in {}",
        mb(bytes as u64),
        gen_dir.display()
    );
    let gen_arg = gen_dir.to_string_lossy().into_owned();
    let corpora = [("generated", gen_arg.as_str()), ("registry", "registry")];

    let mut rows = Vec::new();
    for (name, corpus) in corpora {
        let one: Vec<Sample> = (0..runs)
            .map(|_| child(&xtask, corpus, "1", &[]))
            .collect::<Result<_, _>>()?;
        let all: Vec<Sample> = (0..runs)
            .map(|_| child(&xtask, corpus, "0", &[]))
            .collect::<Result<_, _>>()?;
        let full = child(&xtask, corpus, "0", &["--no-precheck"])?;
        // What the pull-back costs today (it can only add cross-function findings).
        let words = child(&xtask, corpus, "1", &["--no-pull-back"])?;
        // What leaving out items saves.
        let whole = child(&xtask, corpus, "1", &["--no-prune"])?;
        // The parser's own cost: the ceiling of any scan built on syn.
        let syn_alone: Vec<Sample> = (0..runs)
            .map(|_| child(&xtask, corpus, "1", &["--syn-only"]))
            .collect::<Result<_, _>>()?;
        let syn_alone = median_by(syn_alone, |s| s.syn_cpu);
        let one = median_by(one, |s| s.cpu);
        let all = median_by(all, |s| s.wall);
        if full.digest != one.digest || full.findings != one.findings {
            return Err(format!(
                "{name}: the pre-check lost findings: {} with it, {} without",
                one.findings, full.findings
            ));
        }
        eprintln!(
            "{name}: {one:?}\n{name} (all cores): {all:?}\n{name} (no pre-check): {full:?}\n\
             {name} (no pull-back): {words:?}"
        );
        rows.push((name, one, all, full, words, whole, syn_alone));
    }
    let e2e = end_to_end(&root.join("target/release/cargo-dbopt"), &gen_dir, runs)?;

    println!(
        "| corpus | files | MB | skipped by pre-check (files, MB) | pulled back | \
         fns left out (MB) | files whose left-out fns were analysed after all | parse errors | findings | MB/s, 1 core (CPU) | CPU s, 1 core | wall s, all cores | \
         peak RSS MB, 1 core / all | MB/s without pre-check, all cores (CPU) | \
         MB/s without pull-back, 1 core (CPU) | MB/s without leaving out items, 1 core (CPU) | \
         MB/s of syn alone, every file, 1 core (CPU) |"
    );
    println!(
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    );
    for (name, one, all, full, words, whole, syn_alone) in &rows {
        let s = &one.stats;
        println!(
            "| {name} | {} | {:.1} | {} ({:.1}) | {} | {:.1} | {} | {} | {} | **{:.1}** | {:.2} | {:.2} | {:.0} / {:.0} | {:.1} | {:.1} | {:.1} | {:.1} |",
            s.files,
            mb(s.bytes),
            s.skipped,
            mb(s.skipped_bytes),
            s.pulled_back,
            mb(s.pruned_bytes),
            s.unpruned,
            s.parse_errors,
            one.findings,
            mb(s.bytes) / one.cpu,
            one.cpu,
            all.wall,
            one.rss_mb,
            all.rss_mb,
            mb(full.stats.bytes) / full.cpu.max(f64::EPSILON),
            mb(words.stats.bytes) / words.cpu.max(f64::EPSILON),
            mb(whole.stats.bytes) / whole.cpu.max(f64::EPSILON),
            mb(syn_alone.stats.bytes) / syn_alone.syn_cpu.max(f64::EPSILON),
        );
    }
    println!();
    println!(
        "| corpus, 1 core | discover | read | pre-check | parse + analyse | link | whole process (CPU) |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for (name, one, ..) in &rows {
        let s = &one.stats;
        println!(
            "| {name} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} |",
            s.discover.as_secs_f64(),
            s.read.as_secs_f64(),
            s.precheck.as_secs_f64(),
            s.analyse.as_secs_f64(),
            s.link.as_secs_f64(),
            one.cpu
        );
    }
    println!();
    println!(
        "`cargo dbopt check --workspace --format json` on the generated workspace (release, \
         median of {runs}): wall {:.2} s, CPU {:.2} s, peak RSS {:.0} MB, {} findings",
        e2e.wall, e2e.cpu, e2e.rss_mb, e2e.findings
    );
    Ok(())
}

/// One measured process.
#[derive(Debug, Clone, Default)]
struct Sample {
    wall: f64,
    cpu: f64,
    rss_mb: f64,
    findings: usize,
    digest: u64,
    stats: Stats,
    /// `--syn-only`: the child's CPU time in syn alone (s).
    syn_cpu: f64,
}

fn median_by(mut v: Vec<Sample>, key: impl Fn(&Sample) -> f64) -> Sample {
    v.sort_by(|a, b| key(a).total_cmp(&key(b)));
    v.swap_remove(v.len() / 2)
}

fn mb(bytes: u64) -> f64 {
    bytes as f64 / 1e6
}

/// `/usr/bin/time` around `cmd`: (wall, user + system, peak RSS in MB, stdout).
fn timed(cmd: &mut Command) -> Result<(f64, f64, f64, String, Option<i32>), String> {
    let out = cmd
        .output()
        .map_err(|e| format!("cannot run /usr/bin/time: {e}"))?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    let last = stderr.lines().last().unwrap_or_default();
    let mut parts = last.split_whitespace();
    let mut next = || parts.next().and_then(|s| s.parse::<f64>().ok());
    let (Some(wall), Some(user), Some(sys), Some(kb)) = (next(), next(), next(), next()) else {
        return Err(format!("unexpected output of /usr/bin/time: {stderr}"));
    };
    Ok((
        wall,
        user + sys,
        kb / 1024.0,
        String::from_utf8_lossy(&out.stdout).into_owned(),
        out.status.code(),
    ))
}

fn child(xtask: &Path, corpus: &str, jobs: &str, flags: &[&str]) -> Result<Sample, String> {
    let mut cmd = Command::new("/usr/bin/time");
    cmd.args(["-f", "%e %U %S %M"])
        .arg(xtask)
        .args(["bench-scan-child", corpus, jobs])
        .args(flags);
    let (wall, cpu, rss_mb, stdout, code) = timed(&mut cmd)?;
    if code != Some(0) {
        return Err(format!("bench-scan-child {corpus} {jobs} failed: {stdout}"));
    }
    let mut sample = Sample {
        wall,
        cpu,
        rss_mb,
        ..Sample::default()
    };
    parse_child_line(&stdout, &mut sample)?;
    Ok(sample)
}

fn end_to_end(bin: &Path, dir: &Path, runs: usize) -> Result<Sample, String> {
    let mut samples = Vec::new();
    for _ in 0..runs {
        let mut cmd = Command::new("/usr/bin/time");
        cmd.args(["-f", "%e %U %S %M"])
            .arg(bin)
            .args(["dbopt", "check", "--workspace", "--format", "json"])
            .arg("--manifest-path")
            .arg(dir.join("Cargo.toml"));
        let (wall, cpu, rss_mb, stdout, code) = timed(&mut cmd)?;
        if code != Some(1) {
            return Err(format!(
                "cargo dbopt exited with {code:?} on the generated workspace"
            ));
        }
        samples.push(Sample {
            wall,
            cpu,
            rss_mb,
            findings: stdout.matches("\"rule\":").count(),
            ..Sample::default()
        });
    }
    Ok(median_by(samples, |s| s.wall))
}

/// `bench-scan-child (DIR | registry) JOBS [--no-precheck] [--no-pull-back] [--no-prune]
/// [--list] [--syn-only]`: one scan, in
/// this process; prints one line of `key=value` counts and times.
pub fn child_main(args: &[String]) -> Result<(), String> {
    let usage = "usage: xtask bench-scan-child (DIR | registry) JOBS [--no-precheck] [--no-pull-back] \
         [--no-prune] [--syn-only]";
    let (Some(corpus), Some(jobs)) = (args.first(), args.get(1)) else {
        return Err(usage.into());
    };
    let jobs: usize = jobs.parse().map_err(|_| usage.to_owned())?;
    let precheck = !args.iter().any(|a| a == "--no-precheck");
    let pull_back = !args.iter().any(|a| a == "--no-pull-back");
    let prune = !args.iter().any(|a| a == "--no-prune");
    // Each finding on stderr, to compare two runs whose digests differ.
    let list = args.iter().any(|a| a == "--list");
    let (packages, display_root) = if corpus == "registry" {
        registry_packages()?
    } else {
        generated_packages(Path::new(corpus))?
    };
    if args.iter().any(|a| a == "--syn-only") {
        return syn_only(&packages);
    }
    let pool = scan::thread_pool(jobs).map_err(|e| e.to_string())?;
    let settings = Settings {
        precheck,
        pull_back,
        prune,
        clock: thread_cpu_time,
        ..Settings::new(display_root)
    };
    let start = Instant::now();
    let scans = pool.install(|| scan::scan(&packages, &settings));
    let wall = start.elapsed();
    let mut stats = Stats::default();
    let mut findings = 0;
    let mut hasher = DefaultHasher::new();
    for (package, s) in packages.iter().zip(&scans) {
        stats.add(&s.stats);
        findings += s.diagnostics.len();
        for d in &s.diagnostics {
            let file = s.files.get(d.primary.span.file.0 as usize);
            (
                &package.name,
                file.map(|f| &f.shown),
                d.rule,
                d.primary.span.range.start,
                &d.message,
            )
                .hash(&mut hasher);
            if list {
                eprintln!(
                    "{} {:?} {} {}",
                    package.name,
                    file.map(|f| &f.shown),
                    d.rule,
                    d.primary.span.range.start
                );
            }
        }
    }
    println!(
        "files={} bytes={} skipped={} skipped_bytes={} pulled_back={} pruned_bytes={} \
         unpruned={} parse_errors={} findings={findings} digest={} discover_ms={} read_ms={} precheck_ms={} analyse_ms={} \
         link_ms={} scan_wall_ms={}",
        stats.files,
        stats.bytes,
        stats.skipped,
        stats.skipped_bytes,
        stats.pulled_back,
        stats.pruned_bytes,
        stats.unpruned,
        stats.parse_errors,
        hasher.finish(),
        stats.discover.as_millis(),
        stats.read.as_millis(),
        stats.precheck.as_millis(),
        stats.analyse.as_millis(),
        stats.link.as_millis(),
        wall.as_millis(),
    );
    Ok(())
}

/// The floor under the scan's cost: every file the scan reads, lexed and parsed by syn (as
/// the scan does: proc-macro2 with span locations) and dropped, on this thread, and nothing
/// else. Prints `bytes=` and `syn_ms=` (this thread's CPU time).
fn syn_only(packages: &[PackageInput]) -> Result<(), String> {
    let mut texts = Vec::new();
    for package in packages {
        for file in scan::files::discover(&package.crate_roots).files {
            if let Ok(text) = std::fs::read_to_string(&file.path) {
                texts.push(text);
            }
        }
    }
    let start = thread_cpu_time();
    let mut parsed = 0;
    for text in &texts {
        parsed += usize::from(syn::parse_file(text).is_ok());
        proc_macro2::extra::invalidate_current_thread_spans();
    }
    let cpu = thread_cpu_time().saturating_sub(start);
    let bytes: usize = texts.iter().map(String::len).sum();
    println!(
        "files={} bytes={bytes} parsed={parsed} syn_ms={}",
        texts.len(),
        cpu.as_millis()
    );
    Ok(())
}

/// The CPU time of the calling thread (a busy machine does not inflate it).
fn thread_cpu_time() -> std::time::Duration {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    std::time::Duration::new(
        u64::try_from(t.tv_sec).unwrap_or(0),
        u32::try_from(t.tv_nsec).unwrap_or(0),
    )
}

fn parse_child_line(line: &str, s: &mut Sample) -> Result<(), String> {
    let line = line.lines().last().unwrap_or_default();
    for pair in line.split_whitespace() {
        let (k, v) = pair
            .split_once('=')
            .ok_or_else(|| format!("unexpected child output: {line}"))?;
        let n: u64 = v
            .parse()
            .map_err(|_| format!("unexpected value in child output: {pair}"))?;
        let ms = std::time::Duration::from_millis(n);
        let count = usize::try_from(n).unwrap_or(usize::MAX);
        match k {
            "files" => s.stats.files = count,
            "bytes" => s.stats.bytes = n,
            "skipped" => s.stats.skipped = count,
            "skipped_bytes" => s.stats.skipped_bytes = n,
            "pulled_back" => s.stats.pulled_back = count,
            "pruned_bytes" => s.stats.pruned_bytes = n,
            "unpruned" => s.stats.unpruned = count,
            "parse_errors" => s.stats.parse_errors = count,
            "findings" => s.findings = count,
            "digest" => s.digest = n,
            "discover_ms" => s.stats.discover = ms,
            "read_ms" => s.stats.read = ms,
            "precheck_ms" => s.stats.precheck = ms,
            "analyse_ms" => s.stats.analyse = ms,
            "link_ms" => s.stats.link = ms,
            "syn_ms" => s.syn_cpu = ms.as_secs_f64(),
            _ => {}
        }
    }
    Ok(())
}

/// The packages `svc*` of the generated workspace.
fn generated_packages(dir: &Path) -> Result<(Vec<PackageInput>, PathBuf), String> {
    let mut packages = Vec::new();
    for p in sorted_dirs(dir)? {
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if name.starts_with("svc") {
            packages.push(PackageInput {
                name,
                crate_roots: vec![p.join("src/lib.rs")],
                ..PackageInput::default()
            });
        }
    }
    Ok((packages, dir.to_path_buf()))
}

/// Every crate folder of `~/.cargo/registry/src/*/` as one package whose source root is the
/// crate folder itself.
fn registry_packages() -> Result<(Vec<PackageInput>, PathBuf), String> {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .ok_or("neither CARGO_HOME nor HOME is set")?;
    let src = home.join("registry/src");
    let mut packages = Vec::new();
    for index in sorted_dirs(&src)? {
        for krate in sorted_dirs(&index)? {
            // The walk starts in the folder of a crate root; `Cargo.toml` stands for it.
            packages.push(PackageInput {
                name: krate
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                crate_roots: vec![krate.join("Cargo.toml")],
                ..PackageInput::default()
            });
        }
    }
    Ok((packages, src))
}

fn sorted_dirs(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("cannot list {}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    out.sort();
    Ok(out)
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}
