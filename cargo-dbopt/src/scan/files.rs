//! Which files the scan reads: every `.rs` file under the source roots of a package's lib,
//! bin and proc-macro targets, and each file's module path inside its crate.
//!
//! * A *source root* is the folder of a target's crate root file (`src/` for `src/lib.rs`,
//!   `src/bin/tool/` for `src/bin/tool/main.rs`). Test, bench, example and build-script
//!   targets are not read.
//! * Below a root, folders named `tests`, `benches` or `target`, hidden folders (`.git`) and
//!   folders holding a `Cargo.toml` (another package) are passed over.
//! * Symlinks are followed, but every folder is entered once (by its identity: device and
//!   inode on Unix, so no path is canonicalized, which cost a deep tree the cube of its
//!   depth), so a symlink loop ends; a file reached twice is read once.
//! * The order is sorted by path: the output does not depend on the file system.
//! * The module path comes from the path below the deepest source root holding the file:
//!   `repo/users.rs` and `repo/users/mod.rs` are `["repo", "users"]`, a crate root file
//!   (`lib.rs`, `main.rs`, or a target's own file such as `src/bin/tool.rs`) is `[]`.
//!   `#[path = ".."]` attributes are not followed: a file lives where its path says, and a
//!   file no `mod` declares is still read (rustc does not build it, dbopt still checks it).

use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// Folder names never entered below a source root.
pub const SKIPPED_DIRS: [&str; 3] = ["benches", "target", "tests"];

/// A Rust file to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RustFile {
    /// The path as walked from its source root (symlinks not resolved).
    pub path: PathBuf,
    /// The module path inside its crate; `[]` for a crate root.
    pub module_path: Vec<String>,
}

/// The outcome of [`discover`].
#[derive(Debug, Default)]
pub struct Discovered {
    /// Sorted by path, each file once.
    pub files: Vec<RustFile>,
    /// Folders or entries that could not be read: the path and the I/O error.
    pub errors: Vec<(PathBuf, std::io::Error)>,
}

/// Every `.rs` file of the crates whose root files are `crate_roots` (absolute paths).
pub fn discover(crate_roots: &[PathBuf]) -> Discovered {
    let mut roots: Vec<PathBuf> = crate_roots
        .iter()
        .filter_map(|f| f.parent().map(Path::to_path_buf))
        .collect();
    roots.sort();
    roots.dedup();
    let root_files: HashSet<FileKey> = crate_roots.iter().filter_map(|f| key(f)).collect();

    let mut walk = Walk::default();
    // A missing crate root file is the error, not its missing folder; a crate root that is a
    // folder is one too (rustc cannot build it; its folder is still walked).
    for file in crate_roots {
        if let Err(e) = file.symlink_metadata() {
            walk.errors.push((file.clone(), e));
        } else if std::fs::metadata(file).is_ok_and(|m| m.is_dir()) {
            walk.errors
                .push((file.clone(), dbopt_core::files::folder_not_file()));
        }
    }
    for root in roots.iter().filter(|r| r.is_dir()) {
        walk.dir(root, true);
    }
    let mut files: Vec<RustFile> = walk
        .files
        .into_iter()
        .map(|path| {
            let module_path = if key(&path).is_some_and(|k| root_files.contains(&k)) {
                Vec::new()
            } else {
                // The deepest root above the file: `src/bin/tool/` before `src/`.
                let root = roots
                    .iter()
                    .filter(|r| path.starts_with(r))
                    .max_by_key(|r| r.components().count());
                root.map_or_else(Vec::new, |r| module_path(&path, r))
            };
            RustFile { path, module_path }
        })
        .collect();
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Discovered {
        files,
        errors: walk.errors,
    }
}

/// The module path of `file` below the source root `root`.
pub fn module_path(file: &Path, root: &Path) -> Vec<String> {
    let Ok(rel) = file.strip_prefix(root) else {
        return Vec::new();
    };
    let mut parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    let Some(last) = parts.pop() else {
        return Vec::new();
    };
    let stem = last.strip_suffix(".rs").unwrap_or(&last).to_owned();
    let is_crate_root = parts.is_empty() && (stem == "lib" || stem == "main");
    if stem != "mod" && !is_crate_root {
        parts.push(stem);
    }
    parts
}

/// What makes a file or folder itself, whatever path leads to it.
#[cfg(unix)]
type FileKey = (u64, u64);
#[cfg(not(unix))]
type FileKey = PathBuf;

/// The identity of what `path` leads to (symlinks followed): one `stat`.
fn key(path: &Path) -> Option<FileKey> {
    key_or_error(path).ok()
}

#[derive(Default)]
struct Walk {
    /// The folders entered.
    seen_dirs: HashSet<FileKey>,
    /// The files found.
    seen_files: HashSet<FileKey>,
    files: Vec<PathBuf>,
    errors: Vec<(PathBuf, std::io::Error)>,
}

impl Walk {
    fn dir(&mut self, dir: &Path, is_root: bool) {
        let identity = match key_or_error(dir) {
            Ok(k) => k,
            Err(e) => return self.errors.push((dir.to_path_buf(), e)),
        };
        if !self.seen_dirs.insert(identity) {
            return;
        }
        if !is_root && dir.join("Cargo.toml").is_file() {
            return;
        }
        let entries = match std::fs::read_dir(dir) {
            Ok(e) => e,
            Err(e) => return self.errors.push((dir.to_path_buf(), e)),
        };
        let mut children: Vec<(PathBuf, std::fs::FileType)> = Vec::new();
        for entry in entries {
            match entry.and_then(|e| Ok((e.path(), e.file_type()?))) {
                Ok(child) => children.push(child),
                Err(e) => self.errors.push((dir.to_path_buf(), e)),
            }
        }
        children.sort_by(|a, b| a.0.cmp(&b.0));
        for (path, file_type) in children {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            // Follow a symlink to see what it is; a dangling one or a loop is an error only
            // when it looks like a Rust file (anything else would not have been read).
            let is_dir = if file_type.is_symlink() {
                match std::fs::metadata(&path) {
                    Ok(m) => m.is_dir(),
                    Err(e) => {
                        if name.ends_with(".rs") {
                            self.errors.push((path, e));
                        }
                        continue;
                    }
                }
            } else {
                file_type.is_dir()
            };
            if is_dir {
                if !name.starts_with('.') && !SKIPPED_DIRS.contains(&name.as_str()) {
                    self.dir(&path, false);
                }
            } else if name.ends_with(".rs")
                && !name.starts_with('.')
                && key(&path).is_none_or(|k| self.seen_files.insert(k))
            {
                self.files.push(path);
            }
        }
    }
}

#[cfg(unix)]
fn key_or_error(path: &Path) -> std::io::Result<FileKey> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).map(|m| (m.dev(), m.ino()))
}

#[cfg(not(unix))]
fn key_or_error(path: &Path) -> std::io::Result<FileKey> {
    path.canonicalize()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn touch(root: &Path, rel: &str) {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, "").unwrap();
    }

    fn rel(root: &Path, d: &Discovered) -> Vec<(String, String)> {
        d.files
            .iter()
            .map(|f| {
                (
                    f.path
                        .strip_prefix(root)
                        .unwrap()
                        .to_string_lossy()
                        .into_owned(),
                    f.module_path.join("::"),
                )
            })
            .collect()
    }

    #[test]
    fn module_paths_follow_rusts_file_layout() {
        let root = Path::new("/p/src");
        let m = |f: &str| module_path(&root.join(f), root).join("::");
        assert_eq!(m("lib.rs"), "");
        assert_eq!(m("main.rs"), "");
        assert_eq!(m("repo.rs"), "repo");
        assert_eq!(m("repo/mod.rs"), "repo");
        assert_eq!(m("repo/users.rs"), "repo::users");
        assert_eq!(m("repo/users/mod.rs"), "repo::users");
        assert_eq!(
            m("a/lib.rs"),
            "a::lib",
            "only the root's lib.rs is the crate"
        );
        assert_eq!(module_path(Path::new("/elsewhere/x.rs"), root), [""; 0]);
    }

    #[test]
    fn walks_the_source_roots_and_skips_what_is_not_the_crate() {
        let tmp = tempfile::tempdir().unwrap();
        let p = tmp.path();
        for f in [
            "src/lib.rs",
            "src/main.rs",
            "src/repo/mod.rs",
            "src/repo/users.rs",
            "src/bin/tool.rs",
            "src/bin/other/main.rs",
            "src/bin/other/helper.rs",
            "src/tests/in_tests.rs",
            "src/benches/in_benches.rs",
            "src/target/in_target.rs",
            "src/.hidden/x.rs",
            "src/nested_pkg/src/lib.rs",
            "src/notes.txt",
            "tests/it.rs",
            "build.rs",
        ] {
            touch(p, f);
        }
        touch(p, "src/nested_pkg/Cargo.toml");
        let roots: Vec<PathBuf> = [
            "src/lib.rs",
            "src/main.rs",
            "src/bin/tool.rs",
            "src/bin/other/main.rs",
        ]
        .iter()
        .map(|f| p.join(f))
        .collect();
        let d = discover(&roots);
        assert!(d.errors.is_empty(), "{:?}", d.errors);
        let pairs = |v: &[(&str, &str)]| -> Vec<(String, String)> {
            v.iter()
                .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
                .collect()
        };
        assert_eq!(
            rel(p, &d),
            pairs(&[
                ("src/bin/other/helper.rs", "helper"),
                ("src/bin/other/main.rs", ""),
                ("src/bin/tool.rs", ""),
                ("src/lib.rs", ""),
                ("src/main.rs", ""),
                ("src/repo/mod.rs", "repo"),
                ("src/repo/users.rs", "repo::users"),
            ])
        );
    }

    #[test]
    fn a_crate_root_that_is_a_folder_is_an_error() {
        let tmp = tempfile::tempdir().unwrap();
        let p = tmp.path();
        touch(p, "src/lib.rs/inner.rs");
        touch(p, "src/repo.rs");
        let d = discover(&[p.join("src/lib.rs")]);
        let errors: Vec<(PathBuf, String)> = d
            .errors
            .iter()
            .map(|(path, e)| (path.strip_prefix(p).unwrap().to_path_buf(), e.to_string()))
            .collect();
        assert_eq!(
            errors,
            [(
                PathBuf::from("src/lib.rs"),
                "it is a folder, not a file".to_owned()
            )]
        );
        let files: Vec<String> = rel(p, &d).into_iter().map(|(f, _)| f).collect();
        assert_eq!(files, ["src/lib.rs/inner.rs", "src/repo.rs"]);
    }

    #[cfg(unix)]
    #[test]
    fn symlink_loops_end_and_files_are_read_once() {
        let tmp = tempfile::tempdir().unwrap();
        let p = tmp.path();
        touch(p, "src/lib.rs");
        touch(p, "src/a/x.rs");
        std::os::unix::fs::symlink(p.join("src"), p.join("src/a/loop")).unwrap();
        std::os::unix::fs::symlink(p.join("src/a/x.rs"), p.join("src/a/y.rs")).unwrap();
        std::os::unix::fs::symlink("missing.rs", p.join("src/dangling.rs")).unwrap();
        std::os::unix::fs::symlink("missing_dir", p.join("src/dangling_dir")).unwrap();
        let d = discover(&[p.join("src/lib.rs")]);
        let files: Vec<String> = rel(p, &d).into_iter().map(|(f, _)| f).collect();
        assert_eq!(files, ["src/a/x.rs", "src/lib.rs"]);
        let errors: Vec<_> = d
            .errors
            .iter()
            .map(|(path, _)| path.strip_prefix(p).unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(errors, ["src/dangling.rs"]);
    }
}
