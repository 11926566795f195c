//! Migration folders, listed and ordered exactly as diesel_migrations 2.3 does
//! (`migrations_internals::{migrations_directories, valid_sql_migration_directory,
//! version_from_string}` and `MigrationHarness::pending_migrations`):
//!
//! * every entry of the folder whose name does not start with `.` and that is not a regular
//!   file (checked without following symlinks, so a symlink to a folder counts);
//! * it is a migration when listing it (symlinks followed) shows an entry named `up.sql`;
//!   anything else makes diesel stop with "unknown migration format", which is reported
//!   here as a [`DiscoverProblem`] and the entry skipped. Where names are compared exactly
//!   (Linux and the other Unixes but macOS) the entry is asked for by name, without
//!   listing the folder: the same answer, except for a folder that may be searched but not
//!   listed (mode `--x`), which diesel cannot read and which is read here;
//! * the version is the name before the first `_` with every `-` removed, and migrations
//!   run sorted by that string (so `2017-08-31-230457_x` -> `20170831230457` sorts among
//!   `20170102131034_y`, which a sort by folder name gets wrong);
//! * `00000000000000_diesel_initial_setup` is an ordinary migration that sorts first;
//! * `metadata.toml`: missing or unreadable -> `run_in_transaction = true`; present and
//!   valid -> its `run_in_transaction`, which **defaults to `false`** when the key is
//!   absent (diesel's `#[serde(default)] run_in_transaction: bool`). Where the folder is
//!   listed for `up.sql` anyway, it is only opened when the listing holds a name it may be.
//!
//! Only the folder's direct entries are read, never recursively, so symlink loops cannot
//! make discovery loop; a looping symlink entry is simply unreadable.

use std::ffi::OsStr;
use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use super::{DiscoverError, DiscoverProblem};
use crate::sql::Migration;

/// The migrations of a folder in diesel's order, and what was skipped on the way.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Discovered {
    pub migrations: Vec<Migration>,
    pub problems: Vec<DiscoverProblem>,
}

/// Lists the migrations of `dir` in the order diesel applies them.
pub fn discover_migrations(dir: &Path) -> Result<Discovered, DiscoverError> {
    discover_migrations_on(dir, &|_| 1)
}

/// [`discover_migrations`], with the migration folders looked into on up to `threads(n)`
/// threads, `n` being the number of entries of `dir`. The result is the same for any number.
pub fn discover_migrations_on(
    dir: &Path,
    threads: &dyn Fn(usize) -> usize,
) -> Result<Discovered, DiscoverError> {
    let entries = fs::read_dir(dir).map_err(|e| match e.kind() {
        ErrorKind::NotFound => DiscoverError::MigrationsDirNotFound {
            path: dir.to_path_buf(),
        },
        ErrorKind::NotADirectory => DiscoverError::MigrationsDirNotADirectory {
            path: dir.to_path_buf(),
        },
        _ => DiscoverError::Read {
            path: dir.to_path_buf(),
            message: e.to_string(),
        },
    })?;
    // The entries that may be migrations, in listing order, and the problems met listing.
    let mut candidates: Vec<Result<PathBuf, DiscoverProblem>> = Vec::new();
    for entry in entries {
        let entry = match entry {
            Ok(entry) => entry,
            Err(e) => {
                candidates.push(Err(DiscoverProblem::Unreadable {
                    path: dir.to_path_buf(),
                    message: e.to_string(),
                }));
                continue;
            }
        };
        if entry.file_name().as_encoded_bytes().starts_with(b".") {
            continue;
        }
        let path = entry.path();
        // The entry's own type, as listed (a stat only where the file system does not say).
        match entry.file_type() {
            Ok(kind) if kind.is_file() => continue,
            Ok(_) => candidates.push(Ok(path)),
            Err(e) => candidates.push(Err(DiscoverProblem::Unreadable {
                path,
                message: e.to_string(),
            })),
        }
    }
    let mut out = Discovered::default();
    crate::threads::map_in_order(
        &candidates,
        threads(candidates.len()),
        |candidate| match candidate {
            Ok(path) => look_into(path),
            Err(problem) => (None, vec![problem.clone()]),
        },
        |(migration, problems)| {
            out.migrations.extend(migration);
            out.problems.extend(problems);
        },
    );
    // diesel sorts by version alone (unstable, after a HashMap); the name breaks ties here
    // so the order is deterministic.
    out.migrations
        .sort_by(|a, b| a.version.cmp(&b.version).then_with(|| a.name.cmp(&b.name)));
    for pair in out.migrations.windows(2) {
        if pair[0].version == pair[1].version {
            out.problems.push(DiscoverProblem::DuplicateVersion {
                path: pair[1].dir.clone(),
                other: pair[0].dir.clone(),
                version: pair[1].version.clone(),
            });
        }
    }
    Ok(out)
}

/// diesel's `version_from_string`: the name before the first `_`, without `-`.
pub fn version_of(name: &str) -> String {
    name.split('_').next().unwrap_or(name).replace('-', "")
}

/// The migration an entry of the migrations folder that is not a regular file is, if it is
/// one, and the problems found on the way.
fn look_into(path: &Path) -> (Option<Migration>, Vec<DiscoverProblem>) {
    let path = path.to_path_buf();
    let file_name = path.file_name().unwrap_or_default();
    let lossy = file_name.to_string_lossy().into_owned();
    let may_have_metadata = match list_folder(&path) {
        Ok(Listing {
            up_sql: true,
            metadata,
        }) => metadata,
        Ok(Listing { up_sql: false, .. }) => {
            return (None, vec![DiscoverProblem::NoUpSql { path }]);
        }
        Err(e) if e.kind() == ErrorKind::NotADirectory => {
            return (None, vec![DiscoverProblem::NotAFolder { path }]);
        }
        Err(e) => {
            let message = e.to_string();
            return (None, vec![DiscoverProblem::Unreadable { path, message }]);
        }
    };
    let mut problems = Vec::new();
    if file_name.to_str().is_none() {
        problems.push(DiscoverProblem::NonUtf8Name {
            path: path.clone(),
            lossy: lossy.clone(),
        });
    }
    let (run_in_transaction, problem) = if may_have_metadata {
        read_metadata(&path.join("metadata.toml"))
    } else {
        (true, None)
    };
    problems.extend(problem);
    let migration = Migration {
        version: version_of(&lossy),
        name: lossy,
        dir: path,
        run_in_transaction,
    };
    (Some(migration), problems)
}

/// What [`list_folder`] saw in a migration folder.
struct Listing {
    /// diesel's `valid_sql_migration_directory`: an entry named `up.sql`.
    up_sql: bool,
    /// An entry that may be `metadata.toml` (ASCII case ignored, for case-insensitive file
    /// systems). Without one, reading it would find nothing: the lookup is skipped.
    metadata: bool,
}

/// Whether the file system may match `up.sql` to an entry named `UP.SQL`: the default on
/// macOS and Windows. There the folder is listed, as diesel lists it, to compare names
/// exactly; elsewhere asking for `up.sql` itself is exact and three system calls cheaper.
const NAMES_MAY_IGNORE_CASE: bool = cfg!(any(target_os = "macos", target_os = "ios", windows));

fn list_folder(path: &Path) -> std::io::Result<Listing> {
    if !NAMES_MAY_IGNORE_CASE {
        // The entry itself, not what a symlink named `up.sql` points to, as a listing sees it.
        return match fs::symlink_metadata(path.join("up.sql")) {
            Ok(_) => Ok(Listing {
                up_sql: true,
                metadata: true,
            }),
            // No `up.sql` in a folder that exists; or no folder at all (a dangling
            // symlink), which listing it says.
            Err(e) if e.kind() == ErrorKind::NotFound => fs::metadata(path).map(|_| Listing {
                up_sql: false,
                metadata: false,
            }),
            Err(e) => Err(e),
        };
    }
    let mut listing = Listing {
        up_sql: false,
        metadata: false,
    };
    for entry in fs::read_dir(path)? {
        let name = entry?.file_name();
        if name == OsStr::new("up.sql") {
            listing.up_sql = true;
        }
        if name.eq_ignore_ascii_case("metadata.toml") {
            listing.metadata = true;
        }
    }
    Ok(listing)
}

/// diesel's `TomlMetadata`: unknown keys ignored, `run_in_transaction` defaulting to `false`
/// inside a file that exists.
#[derive(serde::Deserialize)]
struct MetadataToml {
    #[serde(default)]
    run_in_transaction: bool,
}

/// `run_in_transaction` for one migration, and a problem when diesel would silently ignore
/// a broken metadata.toml.
fn read_metadata(path: &Path) -> (bool, Option<DiscoverProblem>) {
    let bad = |message: String| {
        Some(DiscoverProblem::BadMetadata {
            path: path.to_path_buf(),
            message,
        })
    };
    let bytes = match crate::files::read_regular(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == ErrorKind::NotFound => return (true, None),
        Err(e) => return (true, bad(e.to_string())),
    };
    let Ok(text) = String::from_utf8(bytes) else {
        return (true, bad("not valid UTF-8".to_owned()));
    };
    match parse_metadata_toml(&text) {
        Ok(run_in_transaction) => (run_in_transaction, None),
        Err(message) => (true, bad(message)),
    }
}

/// `run_in_transaction` of a `metadata.toml` that exists (`false` when the key is absent,
/// as in diesel), or toml's message on one line.
pub fn parse_metadata_toml(text: &str) -> Result<bool, String> {
    toml::from_str::<MetadataToml>(text)
        .map(|meta| meta.run_in_transaction)
        .map_err(|e| e.message().trim_end().replace('\n', "; "))
}

/// diesel_cli's default when neither the command line nor diesel.toml names a folder: the
/// first `migrations` folder found in `start` or one of its parents (diesel's
/// `search_for_migrations_directory`, started at the project root). The search stops at
/// `stop` (the workspace root) when `start` lies inside it, so an unrelated folder above
/// the workspace is never picked up; otherwise only `start` is looked at.
pub fn find_migrations_directory(start: &Path, stop: &Path) -> Option<PathBuf> {
    let bounded = start.starts_with(stop);
    let mut dir = start;
    loop {
        let candidate = dir.join("migrations");
        if candidate.is_dir() {
            return Some(candidate);
        }
        if !bounded || dir == stop {
            return None;
        }
        dir = dir.parent()?;
    }
}
