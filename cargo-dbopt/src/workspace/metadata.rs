//! `cargo metadata`, run with a time limit. cargo reads every member's manifest; one that is
//! a FIFO, or on a file system that hangs, would keep it (and dbopt) waiting forever.
//! [`TIMEOUT_VAR`] sets the limit in seconds, [`DEFAULT_TIMEOUT`] otherwise.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use cargo_metadata::{Metadata, MetadataCommand};

/// The environment variable that sets the limit, in whole seconds.
pub const TIMEOUT_VAR: &str = "DBOPT_METADATA_TIMEOUT";

/// `cargo metadata --no-deps` takes well under a second; a minute leaves room for a cold
/// disk or a network file system.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// Why `cargo metadata` gave no metadata.
#[derive(Debug)]
pub enum Failure {
    /// cargo ran and failed (or printed no JSON): its stderr or the error.
    Cargo(cargo_metadata::Error),
    /// It still ran after the limit, and was stopped.
    TimedOut(Duration),
    /// [`TIMEOUT_VAR`] is not a positive number of seconds.
    BadLimit(String),
}

/// The limit from [`TIMEOUT_VAR`], or [`DEFAULT_TIMEOUT`].
pub fn timeout() -> Result<Duration, Failure> {
    match std::env::var_os(TIMEOUT_VAR) {
        None => Ok(DEFAULT_TIMEOUT),
        Some(value) => {
            let text = value.to_string_lossy();
            match text.trim().parse::<u64>() {
                Ok(seconds) if seconds > 0 => Ok(Duration::from_secs(seconds)),
                _ => Err(Failure::BadLimit(text.into_owned())),
            }
        }
    }
}

/// Runs `command` as `MetadataCommand::exec` does, but stops cargo after `limit`.
pub fn exec(command: &MetadataCommand, limit: Duration) -> Result<Metadata, Failure> {
    let mut cargo = command.cargo_command();
    let (status, stdout, stderr) = output_within(&mut cargo, limit)?;
    if !status.success() {
        return Err(Failure::Cargo(cargo_metadata::Error::CargoMetadata {
            stderr: String::from_utf8_lossy(&stderr).into_owned(),
        }));
    }
    let stdout =
        std::str::from_utf8(&stdout).map_err(|e| Failure::Cargo(cargo_metadata::Error::Utf8(e)))?;
    let json = stdout
        .lines()
        .find(|line| line.starts_with('{'))
        .ok_or(Failure::Cargo(cargo_metadata::Error::NoJson))?;
    MetadataCommand::parse(json).map_err(Failure::Cargo)
}

type Output = (std::process::ExitStatus, Vec<u8>, Vec<u8>);

/// Runs `command` to its end, or kills it once it has run for `limit`. Its output is read
/// on two threads, so a full pipe never stalls it.
fn output_within(command: &mut Command, limit: Duration) -> Result<Output, Failure> {
    let spawned = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = spawned.map_err(|e| Failure::Cargo(cargo_metadata::Error::Io(e)))?;
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut bytes);
            }
            bytes
        })
    };
    let stdout = drain(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let stderr = drain(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let start = Instant::now();
    let mut pause = Duration::from_millis(1);
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if start.elapsed() >= limit => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(Failure::TimedOut(limit));
            }
            Ok(None) => {
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(50));
            }
            Err(e) => return Err(Failure::Cargo(cargo_metadata::Error::Io(e))),
        }
    };
    let joined = |t: std::thread::JoinHandle<Vec<u8>>| t.join().unwrap_or_default();
    Ok((status, joined(stdout), joined(stderr)))
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn a_command_past_its_limit_is_stopped() {
        // Killed, not waited for: the ten minutes never run.
        let mut sleeper = Command::new("sleep");
        sleeper.arg("600");
        assert!(matches!(
            output_within(&mut sleeper, Duration::from_millis(100)),
            Err(Failure::TimedOut(_))
        ));
        let mut echo = Command::new("sh");
        echo.args(["-c", "echo out; echo err >&2; exit 3"]);
        let (status, stdout, stderr) =
            output_within(&mut echo, Duration::from_secs(600)).expect("it ends");
        assert_eq!(status.code(), Some(3));
        assert_eq!(
            (stdout.as_slice(), stderr.as_slice()),
            (&b"out\n"[..], &b"err\n"[..])
        );
    }
}
