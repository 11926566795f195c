//! The `start_after` that `cargo dbopt init` writes: the newest migration of the packages,
//! so that the migration rules judge only the migrations written from now on.

use std::path::PathBuf;

use dbopt_core::sql::discover::{discover_migrations, find_migrations_directory, read_diesel_toml};

use crate::workspace::Workspace;

/// The newest version among the migrations of `ws`'s packages, as its folder name writes it
/// (`2024-01-10-090100`); `None` when no package has a migration. Each package's folder is
/// found as `cargo dbopt check` finds it: the config's `migrations`, else diesel.toml's
/// `[migrations_directory] dir`, else diesel_cli's default. Folders that cannot be read
/// are passed over: `init` only writes a starting point, `check` reports the problems.
pub fn newest_version(ws: &Workspace) -> Option<String> {
    let mut newest: Option<(String, String)> = None;
    for package in &ws.packages {
        let Some(dir) = migrations_dir(ws, package) else {
            continue;
        };
        let Ok(found) = discover_migrations(&dir) else {
            continue;
        };
        for m in found.migrations {
            if newest
                .as_ref()
                .is_none_or(|(version, _)| m.version > *version)
            {
                let written = m.name.split('_').next().unwrap_or(&m.name).to_owned();
                newest = Some((m.version, written));
            }
        }
    }
    newest.map(|(_, written)| written)
}

fn migrations_dir(ws: &Workspace, package: &crate::workspace::SelectedPackage) -> Option<PathBuf> {
    if let Some(dir) = package
        .config
        .migrations
        .clone()
        .or(ws.config.migrations.clone())
    {
        return Some(dir);
    }
    let diesel_toml = package.dir.join("diesel.toml");
    let config = diesel_toml
        .is_file()
        .then(|| read_diesel_toml(&diesel_toml).ok())
        .flatten();
    if let Some(dir) = config.as_ref().and_then(|c| c.migrations_directory.clone()) {
        return Some(dir);
    }
    find_migrations_directory(&package.dir, &ws.root)
}
