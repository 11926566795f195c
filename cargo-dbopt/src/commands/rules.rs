//! `cargo dbopt rules`: every rule with its group, effective level and where the level was
//! set, for the current (or `-p`) package, else for the workspace.

use std::io::Write;

use dbopt_core::config::{self, Config, LevelOverride, RuleLevels};

use super::Status;
use crate::cli::{RulesArgs, WorkspaceArgs};
use crate::error::CliError;
use crate::workspace;

pub fn run(args: &RulesArgs, overrides: &[LevelOverride]) -> Result<Status, CliError> {
    let (scope, levels) = levels(args, overrides)?;
    let mut out = anstream::stdout().lock();
    write!(out, "{}", table(&scope, &levels))?;
    Ok(Status::Clean)
}

fn levels(args: &RulesArgs, overrides: &[LevelOverride]) -> Result<(String, RuleLevels), CliError> {
    let selection = WorkspaceArgs {
        manifest_path: args.manifest_path.clone(),
        packages: args.package.iter().cloned().collect(),
        workspace: false,
        exclude: Vec::new(),
    };
    let no_project = args.manifest_path.is_none()
        && std::env::current_dir()
            .map(|cwd| !cwd.ancestors().any(|d| d.join("Cargo.toml").is_file()))
            .unwrap_or(true);
    let empty = Config::default();
    if no_project {
        let resolved = config::resolve(&empty, None, &empty, overrides);
        return Ok((
            "levels outside any Cargo project".to_owned(),
            resolved.levels,
        ));
    }
    let ws = workspace::load(&selection)?;
    let package = match ws.packages.as_slice() {
        [only] if ws.single_package_context => Some(only),
        _ => None,
    };
    let resolved = config::resolve(&ws.config, package.map(|p| &p.config), &empty, overrides);
    let scope = match package {
        Some(p) => format!("levels for package `{}`", p.name),
        None => format!("levels for the workspace at {}", ws.root.display()),
    };
    Ok((scope, resolved.levels))
}

/// A header line, then one aligned row per rule.
pub fn table(scope: &str, levels: &RuleLevels) -> String {
    let header = ["RULE", "GROUP", "LEVEL", "SOURCE", "SUMMARY"];
    let mut rows: Vec<[String; 5]> = vec![header.map(str::to_owned)];
    for (rule, level, source) in levels.iter() {
        rows.push([
            rule.name.to_owned(),
            rule.group.as_str().to_owned(),
            level.as_str().to_owned(),
            source.as_str().to_owned(),
            rule.summary.to_owned(),
        ]);
    }
    let mut widths = [0usize; 5];
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = format!("{scope}:\n");
    for row in &rows {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            if i + 1 == row.len() {
                line.push_str(cell);
            } else {
                line.push_str(&format!("{cell:<width$}  ", width = widths[i]));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use dbopt_core::config::{LevelTarget, resolve};
    use dbopt_core::diagnostic::Level;

    #[test]
    fn table_shows_level_and_source() {
        let package = Config {
            rules: vec![("joinable_without_fk", Level::Deny)],
            ..Config::default()
        };
        let flags = [LevelOverride {
            target: LevelTarget::Rule("fk_without_index"),
            level: Level::Warn,
        }];
        let r = resolve(
            &Config::default(),
            Some(&package),
            &Config::default(),
            &flags,
        );
        insta::assert_snapshot!(table("levels for package `blog`", &r.levels));
    }
}
