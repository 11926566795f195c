//! `cargo dbopt check` (the default): analyse each selected package, render, decide the
//! status.

use std::io::Write;
use std::path::{Path, PathBuf};

use dbopt_core::config::{self, Config, LevelOverride, RuleLevels};
use dbopt_core::diagnostic::Level;
use dbopt_core::project::{self, ProjectInput, ProjectReport};

use super::Status;
use crate::cli::{CheckArgs, Format};
use crate::error::CliError;
use crate::render::PackageFindings;
use crate::render::human::Human;
use crate::render::json::Document;
use crate::workspace::{self, SelectedPackage, Workspace};

/// One analysed package.
struct Outcome {
    package: String,
    levels: RuleLevels,
    report: ProjectReport,
}

pub fn run(args: &CheckArgs, overrides: &[LevelOverride]) -> Result<Status, CliError> {
    let ws = workspace::load(&args.workspace)?;
    let command_line = Config {
        migrations: args.migrations.as_deref().map(absolute),
        schema: args.schema.as_deref().map(absolute),
        ..Config::default()
    };
    let paths_given =
        args.migrations.is_some() || args.schema.is_some() || args.diesel_toml.is_some();
    let mut outcomes = Vec::new();
    for package in &ws.packages {
        if !wanted(package, paths_given) {
            continue;
        }
        outcomes.push(analyse(&ws, package, &command_line, args, overrides));
    }
    if outcomes.is_empty() {
        return Err(CliError::Usage(format!(
            "no selected package of the workspace at {} depends on diesel; choose one with \
             `-p SPEC` or name the migrations with `--migrations DIR`",
            ws.root.display()
        )));
    }

    let analysed_any = outcomes.iter().any(|o| o.report.analysed);
    match args.format {
        Format::Human => write_human(&ws.root, &outcomes, analysed_any)?,
        Format::Json => write_json(&ws.root, &outcomes)?,
    }
    Ok(if !analysed_any {
        Status::Failed
    } else if outcomes
        .iter()
        .flat_map(|o| &o.report.diagnostics)
        .any(|d| d.level == Level::Deny)
    {
        Status::Denied
    } else {
        Status::Clean
    })
}

/// Packages named on the command line (or the current one) are always analysed; packages
/// swept in by `--workspace` or the default members only when they use diesel or dbopt.
fn wanted(package: &SelectedPackage, paths_given: bool) -> bool {
    package.explicit || package.uses_diesel || package.config != Config::default() || paths_given
}

fn analyse(
    ws: &Workspace,
    package: &SelectedPackage,
    command_line: &Config,
    args: &CheckArgs,
    overrides: &[LevelOverride],
) -> Outcome {
    let resolved = config::resolve(&ws.config, Some(&package.config), command_line, overrides);
    let input = ProjectInput {
        package_dir: package.dir.clone(),
        display_root: ws.root.clone(),
        package: package.name.clone(),
        diesel_toml: args.diesel_toml.as_deref().map(absolute),
        migrations: resolved.migrations.clone(),
        schema: resolved.schema.clone(),
        backend: resolved.backend.or(package.diesel_backend),
    };
    let levels = resolved.levels;
    let report = project::analyze(&input, &|rule| levels.level(rule));
    Outcome {
        package: package.name.clone(),
        levels,
        report,
    }
}

fn write_human(root: &Path, outcomes: &[Outcome], analysed_any: bool) -> Result<(), CliError> {
    let human = Human::new(true, root);
    let mut text = String::new();
    for o in outcomes {
        // Errors of a package that was partly analysed, or that sits beside analysed ones,
        // are warnings; they are errors when nothing at all could be analysed.
        let error_level = if o.report.analysed || analysed_any {
            Level::Warn
        } else {
            Level::Deny
        };
        text.push_str(&human.package(&findings(o), &o.report.errors, error_level));
        if !o.report.analysed && o.report.errors.is_empty() {
            let msg = format!(
                "nothing to analyse in package `{}`: no diesel.toml, migrations or schema.rs found",
                o.package
            );
            text.push_str(&human.message(error_level, &msg));
            text.push('\n');
        }
    }
    if !analysed_any {
        let names: Vec<&str> = outcomes.iter().map(|o| o.package.as_str()).collect();
        let msg = format!(
            "could not analyse any selected package ({})",
            names.join(", ")
        );
        text.push_str(&human.message(Level::Deny, &msg));
        text.push('\n');
    }
    let mut err = anstream::stderr().lock();
    err.write_all(text.as_bytes())?;
    err.flush()?;
    Ok(())
}

fn write_json(root: &Path, outcomes: &[Outcome]) -> Result<(), CliError> {
    let mut doc = Document::new();
    for o in outcomes {
        doc.add_package(&findings(o), root);
        for e in &o.report.errors {
            doc.add_error(e, root);
        }
    }
    let mut out = anstream::stdout().lock();
    writeln!(out, "{}", doc.to_json())?;
    out.flush()?;
    Ok(())
}

fn findings(o: &Outcome) -> PackageFindings<'_> {
    PackageFindings {
        package: &o.package,
        sources: &o.report.sources,
        diagnostics: &o.report.diagnostics,
        levels: &o.levels,
    }
}

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}
