//! The workspace as its manifests describe it, read directly while `cargo metadata` runs
//! (about 10 ms, a quarter of checking 1,000 migrations). It only decides which analyses
//! may start early: every early result is used only when cargo's answer gives the package
//! the same inputs (`commands::check::early`). A guess may therefore be incomplete, but
//! where it is unsure it guesses nothing rather than something plausible.
//!
//! What is read the way cargo reads it: the root (the manifest itself when it has a
//! `[workspace]` table, else the nearest ancestor manifest that has one, else the manifest as
//! a single package); `members` and `default-members` expanded with the `glob` crate as
//! cargo expands them (folders only, a pattern that matches nothing kept as a path);
//! `exclude`; cargo's default selection (the current package, else the default members,
//! else the root package, else every member) and `--workspace`; each package's name,
//! `[package.metadata.dbopt]` and the features of its `diesel` dependency, inherited
//! `workspace = true` entries included. Not guessed: `-p` (cargo's spec matching),
//! `--exclude`, `package.workspace`, and members that only path dependencies make.

use std::path::{Path, PathBuf};

use dbopt_core::config::Config;
use dbopt_core::files::normalize;
use dbopt_core::model::Backend;
use serde_json::Value;

use super::backend_from_features;
use crate::cli::WorkspaceArgs;

/// The guessed workspace: its root, `[workspace.metadata.dbopt]`, and the packages cargo
/// would most likely select.
#[derive(Debug)]
pub struct Guess {
    pub root: PathBuf,
    pub config: Config,
    pub packages: Vec<GuessedPackage>,
}

/// What a package's schema side depends on, as its manifest says.
#[derive(Debug, Clone, PartialEq)]
pub struct GuessedPackage {
    pub name: String,
    pub dir: PathBuf,
    pub config: Config,
    pub diesel_backend: Option<Backend>,
}

/// Guesses the workspace and the packages `args` select; `None` where the manifests leave
/// it unsure or cannot be read (cargo then says why).
pub fn guess(args: &WorkspaceArgs) -> Option<Guess> {
    if !args.packages.is_empty() || !args.exclude.is_empty() {
        return None;
    }
    let manifest = match &args.manifest_path {
        Some(path) => normalize(&std::path::absolute(path).ok()?),
        None => {
            let cwd = std::env::current_dir().ok()?;
            cwd.ancestors()
                .map(|d| d.join("Cargo.toml"))
                .find(|m| m.is_file())?
        }
    };
    let doc = read(&manifest)?;
    if doc
        .get("package")
        .and_then(|p| p.get("workspace"))
        .is_some()
    {
        return None;
    }
    let (root_manifest, root_doc) = if doc.contains_key("workspace") {
        (manifest.clone(), doc.clone())
    } else {
        match enclosing_root(&manifest) {
            Some(found) => found,
            None => (manifest.clone(), doc.clone()),
        }
    };
    let root = root_manifest.parent()?.to_path_buf();
    let workspace = root_doc.get("workspace").and_then(toml::Value::as_table);
    let members = members(&root, &root_doc)?;
    let chosen: Vec<PathBuf> = if manifest != root_manifest {
        // Inside a member's folder: that package, when the root lists it.
        let dir = manifest.parent()?.to_path_buf();
        if !members.contains(&dir) {
            return None;
        }
        vec![dir]
    } else if args.workspace {
        members
    } else if let Some(defaults) = workspace.and_then(|w| w.get("default-members")) {
        let defaults = expand(&root, defaults)?;
        members
            .into_iter()
            .filter(|m| defaults.contains(m))
            .collect()
    } else if root_doc.contains_key("package") {
        vec![root.clone()]
    } else {
        members
    };
    let workspace_deps = workspace
        .and_then(|w| w.get("dependencies"))
        .and_then(toml::Value::as_table);
    let packages = chosen
        .into_iter()
        .map(|dir| {
            let doc = if dir == root {
                root_doc.clone()
            } else {
                read(&dir.join("Cargo.toml"))?
            };
            package(dir, &doc, workspace_deps)
        })
        .collect::<Option<Vec<_>>>()?;
    let config = Config::from_metadata(
        &metadata_json(workspace.and_then(|w| w.get("metadata")))?,
        &root,
        "`[workspace.metadata.dbopt]`",
    )
    .ok()?;
    Some(Guess {
        root,
        config,
        packages,
    })
}

/// The manifests `cargo metadata` would read for `args` that exist but are not regular files
/// (a FIFO, a socket, a device), on which cargo would wait forever: the given or nearest
/// manifest, else the members of its workspace root. Best effort: what cannot be read or
/// expanded is left to cargo.
pub fn irregular_manifests(args: &WorkspaceArgs) -> Vec<PathBuf> {
    let irregular =
        |m: &Path| std::fs::metadata(m).is_ok_and(|meta| !meta.is_file() && !meta.is_dir());
    let manifest = match &args.manifest_path {
        Some(path) => std::path::absolute(path).ok().map(|p| normalize(&p)),
        // cargo takes the nearest `Cargo.toml` that exists, whatever it is.
        None => std::env::current_dir().ok().and_then(|cwd| {
            cwd.ancestors()
                .map(|d| d.join("Cargo.toml"))
                .find(|m| m.exists())
        }),
    };
    let Some(manifest) = manifest else {
        return Vec::new();
    };
    if irregular(&manifest) {
        return vec![manifest];
    }
    let Some(doc) = read(&manifest) else {
        return Vec::new();
    };
    let root = if doc.contains_key("workspace") {
        Some((manifest, doc))
    } else {
        enclosing_root(&manifest)
    };
    let Some((root, root_doc)) = root.and_then(|(m, doc)| Some((m.parent()?.to_path_buf(), doc)))
    else {
        return Vec::new();
    };
    members(&root, &root_doc)
        .unwrap_or_default()
        .into_iter()
        .map(|dir| dir.join("Cargo.toml"))
        .filter(|m| irregular(m))
        .collect()
}

/// A manifest's table; only a regular file is read (a FIFO would never end).
fn read(manifest: &Path) -> Option<toml::Table> {
    let bytes = dbopt_core::files::read_regular(manifest).ok()?;
    toml::from_str(std::str::from_utf8(&bytes).ok()?).ok()
}

/// The nearest manifest above `manifest` with a `[workspace]` table, as cargo looks for it.
fn enclosing_root(manifest: &Path) -> Option<(PathBuf, toml::Table)> {
    manifest.parent()?.ancestors().skip(1).find_map(|dir| {
        let candidate = dir.join("Cargo.toml");
        if !candidate.is_file() {
            return None;
        }
        read(&candidate)
            .filter(|doc| doc.contains_key("workspace"))
            .map(|doc| (candidate, doc))
    })
}

/// The members' folders: the root package, then `members` expanded, less `exclude`.
fn members(root: &Path, root_doc: &toml::Table) -> Option<Vec<PathBuf>> {
    let workspace = root_doc.get("workspace").and_then(toml::Value::as_table);
    let mut members = Vec::new();
    if root_doc.contains_key("package") {
        members.push(root.to_path_buf());
    }
    let Some(workspace) = workspace else {
        return Some(members);
    };
    let listed = match workspace.get("members") {
        Some(patterns) => expand(root, patterns)?,
        None => Vec::new(),
    };
    let excluded: Vec<PathBuf> = match workspace.get("exclude") {
        Some(toml::Value::Array(paths)) => paths
            .iter()
            .map(|p| p.as_str().map(|p| normalize(&root.join(p))))
            .collect::<Option<_>>()?,
        Some(_) => return None,
        None => Vec::new(),
    };
    // A member listed outright stays a member inside an excluded folder.
    let named: Vec<PathBuf> = workspace
        .get("members")
        .and_then(toml::Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|p| p.as_str().map(|p| normalize(&root.join(p))))
        .collect();
    for dir in listed {
        if !named.contains(&dir) && excluded.iter().any(|e| dir.starts_with(e)) {
            continue;
        }
        if !members.contains(&dir) {
            members.push(dir);
        }
    }
    Some(members)
}

/// `members`-style patterns, expanded as cargo expands them: each pattern joined to the root
/// and globbed; of the matches only folders are kept, and a pattern without a match stays
/// as the path it names.
fn expand(root: &Path, patterns: &toml::Value) -> Option<Vec<PathBuf>> {
    let mut out = Vec::new();
    for pattern in patterns.as_array()? {
        let joined = root.join(pattern.as_str()?);
        let matches: Vec<PathBuf> = glob::glob(joined.to_str()?)
            .ok()?
            .collect::<Result<_, _>>()
            .ok()?;
        if matches.is_empty() {
            out.push(normalize(&joined));
        }
        out.extend(
            matches
                .into_iter()
                .filter(|m| m.is_dir())
                .map(|m| normalize(&m)),
        );
    }
    Some(out)
}

/// A package's name, `[package.metadata.dbopt]` and diesel backend, from its manifest.
fn package(
    dir: PathBuf,
    doc: &toml::Table,
    workspace_deps: Option<&toml::Table>,
) -> Option<GuessedPackage> {
    let package = doc.get("package")?.as_table()?;
    let name = package.get("name")?.as_str()?.to_owned();
    let config = Config::from_metadata(
        &metadata_json(package.get("metadata"))?,
        &dir,
        "`[package.metadata.dbopt]`",
    )
    .ok()?;
    let normal = diesel_features(doc, workspace_deps, false)?;
    let dev = diesel_features(doc, workspace_deps, true)?;
    let diesel_backend =
        backend_from_features(normal.iter()).or_else(|| backend_from_features(dev.iter()));
    Some(GuessedPackage {
        name,
        dir,
        config,
        diesel_backend,
    })
}

/// A `metadata` table as `cargo metadata` writes it (JSON; none is `null`).
fn metadata_json(metadata: Option<&toml::Value>) -> Option<Value> {
    match metadata {
        None => Some(Value::Null),
        Some(value) => serde_json::to_value(value).ok(),
    }
}

/// The features every `diesel` / `diesel-async` dependency turns on, of the normal and build
/// dependencies or (`dev`) of the dev-dependencies, target-specific tables included.
fn diesel_features(
    doc: &toml::Table,
    workspace_deps: Option<&toml::Table>,
    dev: bool,
) -> Option<Vec<String>> {
    let kinds: &[&str] = if dev {
        &["dev-dependencies", "dev_dependencies"]
    } else {
        &["dependencies", "build-dependencies", "build_dependencies"]
    };
    let mut tables: Vec<&toml::Table> = kinds
        .iter()
        .filter_map(|k| doc.get(*k).and_then(toml::Value::as_table))
        .collect();
    if let Some(targets) = doc.get("target").and_then(toml::Value::as_table) {
        for target in targets.values() {
            tables.extend(
                kinds
                    .iter()
                    .filter_map(|k| target.get(*k).and_then(toml::Value::as_table)),
            );
        }
    }
    let mut features = Vec::new();
    for table in tables {
        for (key, entry) in table {
            let inherited = entry.get("workspace").and_then(toml::Value::as_bool) == Some(true);
            let base = if inherited {
                Some(workspace_deps?.get(key)?)
            } else {
                None
            };
            let package = entry
                .get("package")
                .or_else(|| base.and_then(|b| b.get("package")))
                .map_or(Some(key.as_str()), toml::Value::as_str)?;
            if package != "diesel" && package != "diesel-async" {
                continue;
            }
            for source in base.into_iter().chain([entry]) {
                if let Some(list) = source.get("features") {
                    for f in list.as_array()? {
                        features.push(f.as_str()?.to_owned());
                    }
                }
            }
        }
    }
    Some(features)
}

#[cfg(test)]
mod tests;
