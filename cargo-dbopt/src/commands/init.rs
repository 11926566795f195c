//! `cargo dbopt init`: adds the dbopt configuration (every rule at its default level, each
//! with its summary as a comment) and the `dbopt-macros` dependency. It edits manifests with
//! toml_edit so everything else stays byte for byte, and running it again changes nothing.
//!
//! * The configuration goes to `[package.metadata.dbopt]` in a single-package project, else
//!   to `[workspace.metadata.dbopt]` in the workspace's root manifest.
//! * `dbopt-macros` goes to the `[dependencies]` of the selected package (`-p`, or the one
//!   whose directory this is), or at a workspace root to every member that depends on diesel;
//!   as `{ workspace = true }` when `[workspace.dependencies]` has it, like `cargo add`.

mod form;
mod manifest;
mod start_after;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use toml_edit::DocumentMut;

use self::manifest::{DependencyForm, MACROS, Scope};
use super::Status;
use crate::cli::{InitArgs, WorkspaceArgs};
use crate::error::CliError;
use crate::render::display_path;
use crate::workspace;

/// A manifest being edited.
struct Edit {
    original: String,
    doc: DocumentMut,
}

pub fn run(args: &InitArgs) -> Result<Status, CliError> {
    let mut selection = WorkspaceArgs {
        manifest_path: args.manifest_path.clone(),
        packages: args.packages.clone(),
        workspace: false,
        exclude: Vec::new(),
    };
    let mut ws = workspace::load(&selection)?;
    if !ws.single_package_context && args.packages.is_empty() {
        // At a workspace root: every member is a candidate, not only the default members.
        selection.workspace = true;
        ws = workspace::load(&selection)?;
    }
    let root_manifest = ws.root.join("Cargo.toml");
    let mut edits: BTreeMap<PathBuf, Edit> = BTreeMap::new();
    let mut log: Vec<String> = Vec::new();

    let (scope, config_manifest) = match ws.packages.as_slice() {
        [only] if ws.single_package => (Scope::Package, only.dir.join("Cargo.toml")),
        _ => (Scope::Workspace, root_manifest.clone()),
    };
    let shown = display_path(&config_manifest, &ws.root);
    let newest = start_after::newest_version(&ws);
    let edit = open(&mut edits, &config_manifest)?;
    if manifest::add_config(&mut edit.doc, scope, newest.as_deref())
        .map_err(|e| invalid(&config_manifest, &e))?
    {
        log.push(status("Adding", &format!("{} to {shown}", scope.header())));
        if let Some(version) = &newest {
            log.push(format!(
                "note: the migration rules judge only the migrations after {version} \
                 (`start_after`, the newest migration)"
            ));
        }
    } else {
        log.push(format!(
            "note: {shown} already has {}; left as it is",
            scope.header()
        ));
    }

    let form = dependency_form(open(&mut edits, &root_manifest)?);
    let targets: Vec<_> = ws
        .packages
        .iter()
        .filter(|p| p.explicit || p.uses_diesel)
        .collect();
    if targets.is_empty() {
        log.push(format!(
            "note: no selected package depends on diesel; add {MACROS} with `cargo dbopt init -p NAME`"
        ));
    }
    for package in targets {
        let path = package.dir.join("Cargo.toml");
        let edit = open(&mut edits, &path)?;
        let added =
            manifest::add_dependency(&mut edit.doc, &form).map_err(|e| invalid(&path, &e))?;
        let what = match &form {
            DependencyForm::Version(v) => format!("{MACROS} v{v}"),
            DependencyForm::Workspace => format!("{MACROS} (workspace)"),
        };
        if added {
            log.push(status(
                "Adding",
                &format!("{what} to dependencies of {}", package.name),
            ));
        } else {
            log.push(format!(
                "note: {} already depends on {MACROS}; left as it is",
                package.name
            ));
        }
    }

    for (path, edit) in &edits {
        let text = form::in_original_form(&edit.original, &edit.doc.to_string());
        if text != edit.original {
            std::fs::write(path, text)
                .map_err(|e| CliError::Io(format!("cannot write {}: {e}", path.display())))?;
        }
    }
    let mut err = anstream::stderr().lock();
    for line in log {
        writeln!(err, "{line}")?;
    }
    err.flush()?;
    Ok(Status::Clean)
}

/// `{ workspace = true }` when the root manifest's `[workspace.dependencies]` has the crate.
fn dependency_form(root: &Edit) -> DependencyForm {
    let in_workspace = root
        .doc
        .get("workspace")
        .and_then(|w| w.get("dependencies"))
        .and_then(|d| d.as_table_like())
        .is_some_and(|d| d.contains_key(MACROS));
    if in_workspace {
        DependencyForm::Workspace
    } else {
        DependencyForm::Version(env!("CARGO_PKG_VERSION").to_owned())
    }
}

fn open<'e>(edits: &'e mut BTreeMap<PathBuf, Edit>, path: &Path) -> Result<&'e mut Edit, CliError> {
    if !edits.contains_key(path) {
        let bytes = dbopt_core::files::read_regular(path)
            .map_err(|e| CliError::Io(format!("cannot read {}: {e}", path.display())))?;
        let original = String::from_utf8(bytes)
            .map_err(|_| CliError::Io(format!("cannot read {}: not UTF-8", path.display())))?;
        let doc = original
            .strip_prefix('\u{feff}')
            .unwrap_or(&original)
            .parse::<DocumentMut>()
            .map_err(|e| invalid(path, &e.to_string()))?;
        edits.insert(path.to_path_buf(), Edit { original, doc });
    }
    edits
        .get_mut(path)
        .ok_or_else(|| CliError::Io(format!("cannot read {}", path.display())))
}

fn invalid(path: &Path, message: &str) -> CliError {
    CliError::Config(format!(
        "cannot edit {}: {}",
        path.display(),
        message.trim()
    ))
}

/// cargo's status line: a bold green verb right-aligned in 12 columns.
fn status(verb: &str, text: &str) -> String {
    let style = anstyle::AnsiColor::Green.on_default().bold();
    format!("{style}{verb:>12}{style:#} {text}")
}

#[cfg(test)]
mod tests;
