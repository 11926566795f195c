//! `--since REV`: the files a change added, as git itself says, for a check on a pull
//! request. Added means: added between the merge base of `REV` and `HEAD` and the working
//! tree (so committed on the branch, staged or not), or untracked and not ignored. The merge
//! base, not `REV` itself, so that migrations merged into the target branch after the
//! branch started are not counted as the branch's own (what `git diff REV...` shows).
//! Renames count as additions: a migration moved to a new version is new to production.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::error::CliError;

/// Absolute paths (symlinks resolved where the file exists) of the files added since `rev`
/// in the git repository holding `dir`.
pub fn added_files(rev: &str, dir: &Path) -> Result<Vec<PathBuf>, CliError> {
    if rev.is_empty() || rev.starts_with('-') {
        return Err(CliError::Usage(format!(
            "`--since` takes a git revision (a branch, tag or commit), found `{rev}`"
        )));
    }
    let top = git(dir, &["rev-parse", "--show-toplevel"]).map_err(|e| match e {
        Git::Failed(message) if message.contains("not a git repository") => {
            CliError::Usage(format!(
                "`--since` asks git which migrations are new, and `{}` is not inside a git \
             repository",
                dir.display()
            ))
        }
        other => other.into_error(),
    })?;
    let top = PathBuf::from(top.trim_end_matches(['\n', '\r']));
    let commit = format!("{rev}^{{commit}}");
    git(&top, &["rev-parse", "--verify", "--quiet", &commit]).map_err(|e| match e {
        Git::Failed(_) => CliError::Usage(format!(
            "`--since {rev}`: no such revision in the git repository at `{}`",
            top.display()
        )),
        other => other.into_error(),
    })?;
    let base = git(&top, &["merge-base", rev, "HEAD"]).map_err(|e| match e {
        Git::Failed(_) => CliError::Usage(format!(
            "`--since {rev}`: `{rev}` and HEAD have no common ancestor in the git repository \
             at `{}`",
            top.display()
        )),
        other => other.into_error(),
    })?;
    let base = base.trim();
    let committed = git(
        &top,
        &[
            "diff",
            "--name-only",
            "--no-renames",
            "--diff-filter=A",
            "-z",
            base,
            "--",
        ],
    )
    .map_err(Git::into_error)?;
    let untracked = git(&top, &["ls-files", "--others", "--exclude-standard", "-z"])
        .map_err(Git::into_error)?;
    let mut files: Vec<PathBuf> = committed
        .split('\0')
        .chain(untracked.split('\0'))
        .filter(|p| !p.is_empty())
        .map(|p| {
            let path = top.join(p);
            path.canonicalize()
                .unwrap_or_else(|_| dbopt_core::files::normalize(&path))
        })
        .collect();
    files.sort();
    files.dedup();
    Ok(files)
}

/// Why a git command gave no answer.
enum Git {
    /// git could not be started.
    Missing(String),
    /// git ran and failed (its first line of stderr).
    Failed(String),
}

impl Git {
    fn into_error(self) -> CliError {
        match self {
            Git::Missing(e) => CliError::Usage(format!(
                "`--since` asks git which migrations are new, and git could not be started: {e}"
            )),
            Git::Failed(message) => CliError::Usage(format!("`--since`: git failed: {message}")),
        }
    }
}

/// `git -C dir ARGS`'s stdout, in the C locale.
fn git(dir: &Path, args: &[&str]) -> Result<String, Git> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("LC_ALL", "C")
        .output()
        .map_err(|e| Git::Missing(e.to_string()))?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        return Err(Git::Failed(
            stderr.lines().next().unwrap_or("").trim().to_owned(),
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}
