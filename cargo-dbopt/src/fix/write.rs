//! Writing the planned folders, safe against a concurrent `--fix` (or `diesel migration
//! generate`) on the same migrations folder.
//!
//! The plan is made from an analysis that may be stale by the time it is written: another
//! run may have added the same index in between. So each folder is written under an
//! exclusive lock on the migrations folder (`flock`, released when the process ends, so a
//! crash leaves nothing behind), taken with `create_dir` (which fails when the name exists:
//! the next free version is tried), and once taken, the other migrations the analysis did
//! not replay are checked for the same `up.sql`: when one has it, only the empty folder just
//! created is removed again and the fix is reported as skipped.

use std::collections::HashMap;
use std::io::{ErrorKind, Write as _};
use std::path::{Path, PathBuf};

use super::version::{Timestamp, version_of};
use super::{FixError, NewMigration, existing_entries};

/// What [`write`] did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Written {
    /// The folders created, under the names finally taken.
    pub created: Vec<NewMigration>,
    /// The fixes left out because another migration, written meanwhile, already has the
    /// same `up.sql`: the fix and that migration's folder name.
    pub skipped: Vec<(NewMigration, String)>,
}

/// How many taken names are stepped over before giving up.
const ATTEMPTS: usize = 100;

/// Creates the folders and files of `migrations`; never opens an existing file.
/// `replayed(name)` says whether the analysis the plan came from replayed the migration
/// folder `name`: the others were written meanwhile and are checked for the same index.
pub fn write(
    migrations: &[NewMigration],
    replayed: &dyn Fn(&str) -> bool,
) -> Result<Written, FixError> {
    let mut written = Written::default();
    // The version of the last folder taken in each migrations folder: the next one follows.
    let mut last: HashMap<PathBuf, String> = HashMap::new();
    for planned in migrations {
        let parent = planned.dir.parent().unwrap_or(Path::new(".")).to_path_buf();
        let failed = |e: std::io::Error, path: &Path, written: &Written| {
            let mut msg = format!("cannot create {}: {e}", path.display());
            if !written.created.is_empty() {
                let created: Vec<String> = written
                    .created
                    .iter()
                    .map(|m| m.dir.display().to_string())
                    .collect();
                msg.push_str(&format!(" (already created: {})", created.join(", ")));
            }
            FixError(msg)
        };
        let _lock = lock(&parent).map_err(|e| failed(e, &parent, &written))?;
        let mut m = planned.clone();
        if let Some(previous) = last.get(&parent)
            && version_of(&m.name) <= *previous
        {
            m = renamed(&m, previous)?;
        }
        let mut attempts = 0;
        loop {
            match std::fs::create_dir(&m.dir) {
                Ok(()) => break,
                Err(e) if e.kind() == ErrorKind::AlreadyExists && attempts < ATTEMPTS => {
                    attempts += 1;
                    let newest =
                        newest_version(&parent).map_err(|e| failed(e, &parent, &written))?;
                    m = renamed(&m, &newest)?;
                }
                Err(e) => return Err(failed(e, &m.dir, &written)),
            }
        }
        if let Some(other) = same_up_sql(&parent, &m, replayed) {
            // Only the folder just created, still empty, is removed.
            let _ = std::fs::remove_dir(&m.dir);
            written.skipped.push((m, other));
            continue;
        }
        for f in &m.files {
            let path = m.dir.join(f.name);
            std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
                .and_then(|mut file| file.write_all(f.text.as_bytes()))
                .map_err(|e| failed(e, &path, &written))?;
        }
        last.insert(parent, version_of(&m.name));
        written.created.push(m);
    }
    Ok(written)
}

/// An exclusive lock on the folder `dir`, held until the file is dropped.
fn lock(dir: &Path) -> std::io::Result<std::fs::File> {
    let file = std::fs::File::open(dir)?;
    file.lock()?;
    Ok(file)
}

/// The newest diesel version among the entries of `dir`.
fn newest_version(dir: &Path) -> std::io::Result<String> {
    Ok(existing_entries(dir)?
        .iter()
        .filter(|name| !name.starts_with('.'))
        .map(|name| version_of(name))
        .max()
        .unwrap_or_default())
}

/// `m` under the first version after `version`, its name's description kept.
fn renamed(m: &NewMigration, version: &str) -> Result<NewMigration, FixError> {
    let stamp = Timestamp::after_version(version).ok_or_else(|| {
        FixError(format!(
            "cannot number a new migration after version `{version}` in {}",
            m.dir.parent().unwrap_or(&m.dir).display()
        ))
    })?;
    let description = m.name.split_once('_').map_or("", |(_, d)| d);
    let name = format!("{stamp}_{description}");
    Ok(NewMigration {
        dir: m.dir.with_file_name(&name),
        name,
        ..m.clone()
    })
}

/// The name of a migration in `dir` other than `m`, not replayed by the analysis, whose
/// `up.sql` is the one `m` would write.
fn same_up_sql(dir: &Path, m: &NewMigration, replayed: &dyn Fn(&str) -> bool) -> Option<String> {
    let up = m.files.iter().find(|f| f.name == "up.sql")?.text.trim();
    existing_entries(dir).ok()?.into_iter().find(|name| {
        *name != m.name
            && !name.starts_with('.')
            && !replayed(name)
            && dbopt_core::files::read_regular(&dir.join(name).join("up.sql"))
                .is_ok_and(|bytes| String::from_utf8_lossy(&bytes).trim() == up)
    })
}
