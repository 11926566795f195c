//! Running and timing the two commands.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use dbopt_core::rule::Check;
use dbopt_core::rules::RULES;

use super::{Measured, Row, RowResult, SLOW_ROW_RUNS, SLOW_ROW_SECONDS};
use crate::gen_workspace::up_sql_pattern;

/// dbopt's arguments after the binary, as cargo passes them to a subcommand.
pub fn dbopt_args(manifest: &str) -> Vec<String> {
    [
        "dbopt",
        "check",
        "--manifest-path",
        manifest,
        "--format",
        "json",
    ]
    .map(str::to_owned)
    .to_vec()
}

/// squawk's arguments: JSON output like dbopt's, every `up.sql` through one glob that squawk
/// expands itself (50,000 paths would not fit in an argument list), and
/// `--assume-in-transaction` because Diesel runs each migration in a transaction.
pub fn squawk_args(pattern: &str) -> Vec<String> {
    ["--reporter", "json", "--assume-in-transaction", pattern]
        .map(str::to_owned)
        .to_vec()
}

/// `--squawk PATH`, `$SQUAWK`, or `squawk` on the PATH. A pyenv shim (a shell script that
/// starts pyenv, ~50 ms) is resolved to the binary it runs.
pub fn find_squawk(given: Option<&Path>) -> Result<PathBuf, String> {
    let hint = "squawk not found: install it with `pip install squawk-cli`, or pass --squawk PATH";
    let path = match given {
        Some(p) => p.to_path_buf(),
        None => match std::env::var_os("SQUAWK") {
            Some(p) => PathBuf::from(p),
            None => std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
                .map(|d| d.join("squawk"))
                .find(|p| p.is_file())
                .ok_or(hint)?,
        },
    };
    let mut magic = [0u8; 4];
    let is_elf = std::fs::File::open(&path)
        .and_then(|mut f| f.read_exact(&mut magic))
        .is_ok()
        && magic == *b"\x7fELF";
    if is_elf {
        return Ok(path);
    }
    let resolved = Command::new("pyenv")
        .args(["which", "squawk"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
    Ok(resolved.filter(|p| p.is_file()).unwrap_or(path))
}

/// The cargo binary itself, as `cargo dbopt` gives it to dbopt in `$CARGO` (so that its
/// `cargo metadata` does not go through rustup's proxy, ~20 ms, just as squawk runs without
/// pyenv's shim): `$CARGO` when set (`cargo xtask` sets it), else what `rustup which cargo`
/// names, else `cargo`.
pub fn find_cargo() -> PathBuf {
    if let Some(cargo) = std::env::var_os("CARGO") {
        return PathBuf::from(cargo);
    }
    Command::new("rustup")
        .args(["which", "cargo"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()))
        .filter(|p| p.is_file())
        .unwrap_or_else(|| PathBuf::from("cargo"))
}

/// `squawk --version`, e.g. `squawk 2.70.0`.
pub fn version(bin: &Path) -> Result<String, String> {
    let out = Command::new(bin)
        .arg("--version")
        .output()
        .map_err(|e| format!("cannot run {}: {e}", bin.display()))?;
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// One timed run.
struct Sample {
    wall: f64,
    cpu: f64,
    peak_kib: u64,
    findings: (usize, usize),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Tool {
    Dbopt,
    Squawk,
}

/// Times one run: bash's `time` (getrusage of its children, in milliseconds) around
/// `/usr/bin/time -f %M` (the peak RSS of the command and its children, in KiB).
const TIMER: &str = r#"TIMEFORMAT="%3R %3U %3S"; time /usr/bin/time -f %M "$@""#;

fn once(tool: Tool, bin: &Path, args: &[String], cargo: &Path) -> Result<Sample, String> {
    let out = Command::new("bash")
        .args(["-c", TIMER, "bash"])
        .arg(bin)
        .args(args)
        .env("CARGO", cargo)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run bash: {e}"))?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    // 0: clean, 1: findings; both timers pass the command's status on.
    if !matches!(out.status.code(), Some(0 | 1)) {
        return Err(format!(
            "{} {} failed ({}):\n{stderr}",
            bin.display(),
            args.join(" "),
            out.status
        ));
    }
    let mut lines = stderr.lines().rev();
    let times: Vec<f64> = lines
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|s| s.parse().ok())
        .collect();
    let kib = lines.next().and_then(|l| l.trim().parse::<u64>().ok());
    let (&[wall, user, sys], Some(kib)) = (&times[..], kib) else {
        return Err(format!("unexpected timer output: {stderr}"));
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    let findings = match tool {
        Tool::Dbopt => dbopt_findings(&stdout),
        Tool::Squawk => (stdout.matches("\"rule_name\":").count(), 0),
    };
    Ok(Sample {
        wall,
        cpu: user + sys,
        peak_kib: kib,
        findings,
    })
}

/// `(schema, code)` findings in dbopt's JSON output, by the kind of rule that made them.
fn dbopt_findings(json: &str) -> (usize, usize) {
    let mut counts = (0, 0);
    for part in json.split("\"rule\":").skip(1) {
        let name = part.trim_start().trim_start_matches('"');
        let name = &name[..name.find('"').unwrap_or(0)];
        match RULES.iter().find(|r| r.name == name).map(|r| &r.check) {
            Some(Check::Code(_)) => counts.1 += 1,
            _ => counts.0 += 1,
        }
    }
    counts
}

pub fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    match n {
        0 => 0.0,
        _ if n % 2 == 1 => values[n / 2],
        _ => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

fn summarise(samples: &[Sample]) -> Measured {
    let mut wall: Vec<f64> = samples.iter().map(|s| s.wall).collect();
    let mut cpu: Vec<f64> = samples.iter().map(|s| s.cpu).collect();
    Measured {
        wall: median(&mut wall),
        cpu: median(&mut cpu),
        peak_kib: samples.iter().map(|s| s.peak_kib).max().unwrap_or(0),
        findings: samples.last().map_or((0, 0), |s| s.findings),
    }
}

/// A warm-up run of each command, then `runs` runs of each, the order reversed every other
/// run (fewer runs when the whole check's warm-up is slower than [`SLOW_ROW_SECONDS`]).
/// `ws` is the row's workspace, `twin` the same without its Rust code.
pub fn measure_row(
    row: Row,
    dbopt: &Path,
    squawk: &Path,
    ws: &Path,
    twin: &Path,
    runs: usize,
) -> Result<RowResult, String> {
    let cargo = find_cargo();
    let once = |tool, bin, args: &[String]| once(tool, bin, args, &cargo);
    let whole = dbopt_args(&ws.join("Cargo.toml").display().to_string());
    let schema_side = dbopt_args(&twin.join("Cargo.toml").display().to_string());
    let theirs = squawk_args(&up_sql_pattern(ws));
    let commands = [
        (Tool::Dbopt, dbopt, &whole),
        (Tool::Dbopt, dbopt, &schema_side),
        (Tool::Squawk, squawk, &theirs),
    ];
    let warm = once(Tool::Dbopt, dbopt, &whole)?;
    once(Tool::Dbopt, dbopt, &schema_side)?;
    once(Tool::Squawk, squawk, &theirs)?;
    let runs = if warm.wall > SLOW_ROW_SECONDS {
        runs.min(SLOW_ROW_RUNS)
    } else {
        runs
    };
    let mut samples: [Vec<Sample>; 3] = Default::default();
    for r in 0..runs {
        let mut order = [0, 1, 2];
        if r % 2 == 1 {
            order.reverse();
        }
        for k in order {
            let (tool, bin, args) = commands[k];
            samples[k].push(once(tool, bin, args)?);
        }
        eprintln!(
            "  {} run {}: dbopt {:.3} s, dbopt on the migrations {:.3} s, squawk {:.3} s",
            row.name,
            r + 1,
            samples[0][r].wall,
            samples[1][r].wall,
            samples[2][r].wall
        );
    }
    let [whole, schema_side, squawk] = samples;
    Ok(RowResult {
        row,
        runs,
        dbopt: summarise(&whole),
        migrations_only: summarise(&schema_side),
        squawk: summarise(&squawk),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians() {
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&mut [4.0, 1.0, 2.0, 3.0]), 2.5);
        assert_eq!(median(&mut []), 0.0);
    }

    #[test]
    fn findings_are_split_by_the_kind_of_rule() {
        let json = r#"{"version": 1, "findings": [
            {"rule": "fk_without_index", "level": "deny"},
            {"rule":"n_plus_one", "level": "deny"},
            {"rule": "unbounded_load", "level": "warn"},
            {"rule": "schema_drift", "level": "deny"}]}"#;
        assert_eq!(dbopt_findings(json), (2, 2));
        assert_eq!(dbopt_findings("{\"findings\": []}"), (0, 0));
    }
}
