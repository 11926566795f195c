//! `cargo dbopt check` (the default): analyse each selected package, render, decide the
//! status.

mod early;
mod paths;
mod plan;
mod since;

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};

use cargo_dbopt::scan::{self, OptionsSpec, PackageInput, PackageScan};
use dbopt_core::config::{Config, LevelOverride, Resolved, RuleLevels};
use dbopt_core::diagnostic::Level;
use dbopt_core::model::Backend;
use dbopt_core::project::{ProjectError, ProjectReport};
use dbopt_core::source::{FileId, Span};
use dbopt_core::threads;

use super::Status;
use crate::cli::{CheckArgs, Format};
use crate::error::CliError;
use crate::fix::{self, FixError, NewMigration};
use crate::render::human::Human;
use crate::render::json::Document;
use crate::render::sarif::Sarif;
use crate::render::{PackageFindings, display_path, github};
use crate::workspace::{self, SelectedPackage, Workspace};
use early::Early;
use plan::{CommandLine, Plan};

/// One analysed package.
struct Outcome {
    package: String,
    levels: RuleLevels,
    backend: Backend,
    report: ProjectReport,
}

pub fn run(args: &CheckArgs, overrides: &[LevelOverride]) -> Result<Status, CliError> {
    paths::check(args)?;
    let command_line = Config {
        migrations: args.migrations.as_deref().map(absolute),
        schema: args.schema.as_deref().map(absolute),
        include_tests: args.include_tests.then_some(true),
        ..Config::default()
    };
    let added = match &args.since {
        Some(rev) => Some(since::added_files(rev, &git_dir(args))?),
        None => None,
    };
    let cli = CommandLine {
        args,
        config: &command_line,
        overrides,
        added: added.as_deref(),
    };
    let early = start_early(cli);
    let ws = workspace::load(&args.workspace)?;
    let paths_given =
        args.migrations.is_some() || args.schema.is_some() || args.diesel_toml.is_some();
    let selected: Vec<&SelectedPackage> = ws
        .packages
        .iter()
        .filter(|p| wanted(p, paths_given))
        .collect();
    if selected.is_empty() {
        return Err(CliError::Usage(format!(
            "no selected package of the workspace at {} depends on diesel; choose one with \
             `-p SPEC` or name the migrations with `--migrations DIR`",
            ws.root.display()
        )));
    }
    let plans = plans(&ws, &selected, cli, early.as_ref());
    let analyse_all = |early: Option<&Early>| analyse_all(&plans, &selected, early);
    // The source scan runs on its own threads while this one replays the migrations.
    let scan = || scan_code(&ws, &selected, &plans, args);
    let (scans, mut outcomes) = threads::beside("dbopt-scan", scan, || analyse_all(early.as_ref()));
    let scans = scans?;
    let add_scans = |outcomes: &mut Vec<Outcome>| {
        for ((o, p), code) in outcomes.iter_mut().zip(&selected).zip(&scans) {
            add_code(&ws, p, o, code);
        }
    };
    add_scans(&mut outcomes);

    if args.fix && apply_fixes(&ws.root, &outcomes)? {
        // Report what is left, with the new migrations replayed.
        outcomes = analyse_all(None);
        add_scans(&mut outcomes);
    }

    match args.format {
        Format::Human => {
            let mut err = anstream::stderr().lock();
            err.write_all(human_text(&ws.root, &outcomes).as_bytes())?;
            err.flush()?;
        }
        // JSON has no escape sequence to strip (serde_json writes ESC as `\u001b`): the
        // document goes to stdout as it is, not through anstream's filter.
        Format::Json => {
            let mut out = std::io::stdout().lock();
            writeln!(out, "{}", json_text(&ws.root, &outcomes))?;
            out.flush()?;
        }
        Format::Sarif => {
            let mut out = std::io::stdout().lock();
            writeln!(out, "{}", sarif_text(&ws.root, &outcomes))?;
            out.flush()?;
        }
        Format::Github => {
            let mut out = anstream::stdout().lock();
            out.write_all(github_text(&ws.root, &outcomes).as_bytes())?;
            out.flush()?;
        }
    }
    Ok(status(&outcomes))
}

/// The migrations `--fix` would write for a package's `fk_without_index` findings.
fn plan_fixes(o: &Outcome) -> Result<Vec<NewMigration>, FixError> {
    if !o.report.diagnostics.iter().any(|d| d.rule == fix::RULE) {
        return Ok(Vec::new());
    }
    let Some(dir) = &o.report.migrations_dir else {
        return Ok(Vec::new());
    };
    let existing = fix::existing_entries(dir)
        .map_err(|e| FixError(format!("cannot list {}: {e}", dir.display())))?;
    fix::plan(&o.report.diagnostics, o.backend, dir, &existing)
}

/// `--fix`: plans every package first (refusing before anything is written), then writes,
/// printing each new folder on stderr. Returns whether anything was written.
fn apply_fixes(root: &Path, outcomes: &[Outcome]) -> Result<bool, CliError> {
    let mut planned: Vec<NewMigration> = Vec::new();
    for o in outcomes {
        for m in plan_fixes(o).map_err(|e| CliError::Fix(e.0))? {
            // Packages sharing one migrations folder plan the same folders once.
            match planned.iter().find(|p| p.dir == m.dir) {
                Some(p) if p.files == m.files => {}
                Some(_) => {
                    return Err(CliError::Fix(format!(
                        "two packages want to write {} with different contents",
                        m.dir.display()
                    )));
                }
                None => planned.push(m),
            }
        }
    }
    // A diesel.toml may name migrations anywhere; --fix writes only inside the workspace.
    for m in &planned {
        let folder = m.dir.parent().unwrap_or(&m.dir);
        if !inside(root, folder) {
            return Err(CliError::Fix(format!(
                "--fix writes only inside the workspace, and the migrations folder {} lies \
                 outside {}; nothing was written (each finding's help shows the index to add)",
                folder.display(),
                root.display()
            )));
        }
    }
    // The migration folders the analyses replayed: any other was written meanwhile.
    let replayed: HashSet<String> = outcomes
        .iter()
        .flat_map(|o| o.report.sources.iter())
        .filter(|(_, f)| f.path.file_name().is_some_and(|n| n == "up.sql"))
        .filter_map(|(_, f)| Some(f.path.parent()?.file_name()?.to_string_lossy().into_owned()))
        .collect();
    let written =
        fix::write(&planned, &|name| replayed.contains(name)).map_err(|e| CliError::Fix(e.0))?;
    let mut err = anstream::stderr().lock();
    for m in &written.created {
        let files: Vec<&str> = m.files.iter().map(|f| f.name).collect();
        writeln!(
            err,
            "{}",
            status_line(
                "Created",
                &format!("{} ({})", display_path(&m.dir, root), files.join(", "))
            )
        )?;
    }
    for (m, other) in &written.skipped {
        writeln!(
            err,
            "{}",
            status_line(
                "Skipped",
                &format!(
                    "{}: {other}, written meanwhile, already has its up.sql",
                    display_path(&m.dir, root)
                )
            )
        )?;
    }
    err.flush()?;
    // Written or found written meanwhile: the report is made again from the folder as it is.
    Ok(!written.created.is_empty() || !written.skipped.is_empty())
}

/// Whether `path` lies in `root`, symlinks resolved (lexically when it cannot be).
fn inside(root: &Path, path: &Path) -> bool {
    match (root.canonicalize(), path.canonicalize()) {
        (Ok(root), Ok(path)) => path.starts_with(root),
        _ => absolute(path).starts_with(absolute(root)),
    }
}

/// cargo's status line: a bold green verb right-aligned in 12 columns.
fn status_line(verb: &str, text: &str) -> String {
    let style = anstyle::AnsiColor::Green.on_default().bold();
    format!("{style}{verb:>12}{style:#} {text}")
}

/// 2 when nothing could be analysed in any package, else 1 when a finding is denied.
fn status(outcomes: &[Outcome]) -> Status {
    if !outcomes.iter().any(|o| o.report.analysed) {
        Status::Failed
    } else if outcomes
        .iter()
        .flat_map(|o| &o.report.diagnostics)
        .any(|d| d.level == Level::Deny)
    {
        Status::Denied
    } else {
        Status::Clean
    }
}

/// Packages named on the command line (or the current one) are always analysed; packages
/// swept in by `--workspace` or the default members only when they use diesel or have a
/// `[package.metadata.dbopt]` table.
fn wanted(package: &SelectedPackage, paths_given: bool) -> bool {
    package.explicit || package.uses_diesel || package.opted_in || paths_given
}

/// The source scan of every selected package, on a pool of `--jobs` threads. Done once: with
/// `--fix` only the schema side is analysed again.
fn scan_code(
    ws: &Workspace,
    selected: &[&SelectedPackage],
    plans: &[Plan],
    args: &CheckArgs,
) -> Result<Vec<PackageScan>, CliError> {
    let inputs: Vec<PackageInput> = selected
        .iter()
        .zip(plans)
        .map(|(p, plan)| scan_input(p, &plan.resolved))
        .collect();
    let pool = scan::thread_pool(threads::count(jobs(args)))
        .map_err(|e| CliError::Threads(format!("cannot start the scan's threads: {e}")))?;
    let settings = scan::Settings::new(ws.root.clone());
    Ok(pool.install(|| scan::scan(&inputs, &settings)))
}

/// What the scan of `package` starts from: the code settings of the config and the command
/// line (levels, handle types, `max_connections`, wrapper macros), and the configured names as
/// words of the text pre-check.
fn scan_input(package: &SelectedPackage, resolved: &Resolved) -> PackageInput {
    let mut extra_words = resolved.handle_types.clone();
    extra_words.extend(resolved.accessors.iter().cloned());
    // `db_run!(..)`: the macro's own name, without its path.
    extra_words.extend(
        resolved
            .wrapper_macros
            .iter()
            .filter_map(|m| m.rsplit("::").next().map(str::to_owned)),
    );
    // A test-support package (`*test-utils*`, one only dev-dependencies use) is test code.
    let crate_roots = if package.test_support && !resolved.include_tests {
        Vec::new()
    } else {
        package.crate_roots.clone()
    };
    PackageInput {
        name: package.name.clone(),
        crate_roots,
        options: OptionsSpec::from(&resolved.code_options()),
        extra_words,
        small_tables: resolved.small_tables.clone(),
    }
}

/// Adds a package's code findings and scan errors to its report, findings sorted as the
/// schema side sorts them (file, position, rule).
fn merge(report: &mut ProjectReport, code: &PackageScan) {
    let mut ids: HashMap<FileId, FileId> = HashMap::new();
    for d in &code.diagnostics {
        // A table the migrations seed with fixed rows is a lookup table: loading it whole is
        // what it is for (issue 15 §7).
        if d.rule == "unbounded_load"
            && d.data["table"]
                .as_str()
                .is_some_and(|t| report.seeded_tables.iter().any(|s| s == t))
        {
            continue;
        }
        let sources = &mut report.sources;
        let d = d.clone().map_span(|s| {
            let id = *ids.entry(s.file).or_insert_with(|| {
                let file = code.files.get(s.file.0 as usize);
                sources.add(
                    file.map(|f| f.shown.clone()).unwrap_or_default(),
                    file.and_then(|f| f.text.clone()).unwrap_or_default(),
                )
            });
            Span::new(id, s.range)
        });
        report.diagnostics.push(d);
    }
    // A file both sides read (a schema.rs that does not parse) gets one message.
    let schema_errors: Vec<PathBuf> = report.errors.iter().map(|e| e.path.clone()).collect();
    report.errors.extend(
        code.errors
            .iter()
            .filter(|e| !schema_errors.contains(&e.path))
            .cloned(),
    );
    report.analysed |= code.analysed;
    let sources = &report.sources;
    report.diagnostics.sort_by(|a, b| {
        let key = |d: &dbopt_core::diagnostic::Diagnostic| {
            (
                sources.path(d.primary.span.file),
                d.primary.span.range.start,
                d.rule,
            )
        };
        key(a).cmp(&key(b))
    });
}

/// The analyses of the packages cargo's guess let start before it answered
/// (see [`early`]); `None` where the manifests leave the workspace unsure.
fn start_early(cli: CommandLine<'_>) -> Option<Early> {
    let guess = workspace::guess::guess(&cli.args.workspace)?;
    let plans = guess
        .packages
        .iter()
        .map(|p| Plan::new(&guess.root, &guess.config, plan::Package::from(p), cli))
        .collect();
    Some(Early::start(plans, threads::count(jobs(cli.args))))
}

/// Each selected package's plan, its configuration resolved once for both sides. With
/// several packages and threads, packages are analysed side by side, each small one on one
/// thread; those with many migrations take turns, each spread over the threads, and the turn
/// is the early analyses' own (see `ProjectInput::side_by_side`).
fn plans(
    ws: &Workspace,
    selected: &[&SelectedPackage],
    cli: CommandLine<'_>,
    early: Option<&Early>,
) -> Vec<Plan> {
    let side_by_side = (threads::count(jobs(cli.args)) > 1 && selected.len() > 1)
        .then(|| early.and_then(Early::turn).cloned().unwrap_or_default());
    selected
        .iter()
        .map(|p| {
            let mut plan = Plan::new(&ws.root, &ws.config, plan::Package::from(*p), cli);
            plan.input.side_by_side.clone_from(&side_by_side);
            plan
        })
        .collect()
}

/// The schema side of every selected package: migrations replayed, schema.rs, schema rules,
/// reported in the workspace's order. A package keeps its early analysis where one was
/// started with the same plan; the others are analysed on `--jobs` threads, and a kept
/// analysis no thread has started yet runs here.
fn analyse_all(
    plans: &[Plan],
    selected: &[&SelectedPackage],
    early: Option<&Early>,
) -> Vec<Outcome> {
    let kept = early.map_or_else(|| vec![None; plans.len()], |e| e.keep(plans));
    let pending: Vec<usize> = (0..plans.len()).filter(|&k| kept[k].is_none()).collect();
    let threads = plans.first().map_or(1, |p| threads::count(p.input.threads));
    let mut fresh = Vec::with_capacity(pending.len());
    threads::map_large_in_order(&pending, threads, |&k| plans[k].run(), |r| fresh.push(r));
    let mut fresh = fresh.into_iter();
    plans
        .iter()
        .zip(kept)
        .zip(selected)
        .map(|((plan, kept), p)| {
            let report = match kept {
                Some(k) => early.and_then(|e| e.take(k)),
                None => fresh.next(),
            }
            .unwrap_or_else(|| plan.run());
            Outcome {
                package: p.name.clone(),
                backend: plan.backend(),
                levels: plan.resolved.levels.clone(),
                report,
            }
        })
        .collect()
}

/// Adds the package's code findings to its outcome; a package where neither side found
/// anything to read gets an error saying so.
fn add_code(ws: &Workspace, package: &SelectedPackage, outcome: &mut Outcome, code: &PackageScan) {
    let report = &mut outcome.report;
    merge(report, code);
    if !report.analysed && report.errors.is_empty() {
        let diesel_toml = package.dir.join("diesel.toml");
        let shown = diesel_toml.strip_prefix(&ws.root).unwrap_or(&diesel_toml);
        report.errors.push(ProjectError {
            path: shown.to_path_buf(),
            message: format!(
                "nothing to analyse in package `{}`: no Rust file under its targets' folders, \
                 `{}` does not exist and no migrations or schema are named in \
                 `[package.metadata.dbopt]` or on the command line",
                package.name,
                shown.display()
            ),
        });
    }
}

fn human_text(root: &Path, outcomes: &[Outcome]) -> String {
    let analysed_any = outcomes.iter().any(|o| o.report.analysed);
    let human = Human::new(true, root);
    let mut text = String::new();
    for o in outcomes {
        let error_level = error_level(o, analysed_any);
        text.push_str(&human.package(&findings(o), &o.report.errors, error_level));
        if let Some(note) = human.history(&o.report.history) {
            text.push_str(&note);
            text.push('\n');
        }
    }
    if let Some(msg) = nothing_analysed(outcomes) {
        text.push_str(&human.message(Level::Deny, &msg));
        text.push('\n');
    }
    text
}

/// Errors of a package that was partly analysed, or that sits beside analysed ones, are
/// warnings; they are errors when nothing at all could be analysed.
fn error_level(o: &Outcome, analysed_any: bool) -> Level {
    if o.report.analysed || analysed_any {
        Level::Warn
    } else {
        Level::Deny
    }
}

fn nothing_analysed(outcomes: &[Outcome]) -> Option<String> {
    (!outcomes.iter().any(|o| o.report.analysed)).then(|| {
        let names: Vec<&str> = outcomes.iter().map(|o| o.package.as_str()).collect();
        format!(
            "could not analyse any selected package ({})",
            names.join(", ")
        )
    })
}

fn sarif_text(root: &Path, outcomes: &[Outcome]) -> String {
    let analysed_any = outcomes.iter().any(|o| o.report.analysed);
    let mut sarif = Sarif::new(root);
    for o in outcomes {
        // Without the fix data (an unreadable folder) the finding is still reported.
        let plans = plan_fixes(o).unwrap_or_default();
        sarif.add_package(&findings(o), &plans);
        let level = error_level(o, analysed_any);
        for e in &o.report.errors {
            sarif.add_error(e, level);
        }
    }
    if let Some(msg) = nothing_analysed(outcomes) {
        sarif.add_message(&msg, Level::Deny);
    }
    sarif.into_json(analysed_any)
}

fn github_text(root: &Path, outcomes: &[Outcome]) -> String {
    let analysed_any = outcomes.iter().any(|o| o.report.analysed);
    let mut text = String::new();
    for o in outcomes {
        text.push_str(&github::package(&findings(o), root));
        let level = error_level(o, analysed_any);
        for e in &o.report.errors {
            text.push_str(&github::error(e, level, root));
        }
    }
    if let Some(msg) = nothing_analysed(outcomes) {
        text.push_str(&github::message(&msg, Level::Deny));
    }
    text
}

fn json_text(root: &Path, outcomes: &[Outcome]) -> String {
    let mut doc = Document::new();
    for o in outcomes {
        doc.add_package(&findings(o), root);
        doc.add_history(&o.report.history);
        for e in &o.report.errors {
            doc.add_error(e, root);
        }
    }
    doc.to_json()
}

fn findings(o: &Outcome) -> PackageFindings<'_> {
    PackageFindings {
        package: &o.package,
        sources: &o.report.sources,
        diagnostics: &o.report.diagnostics,
        levels: &o.levels,
    }
}

/// Where `--since` asks git: the folder of `--manifest-path`, else the current one.
fn git_dir(args: &CheckArgs) -> PathBuf {
    let manifest = args.workspace.manifest_path.as_deref().map(absolute);
    match manifest.as_deref().and_then(Path::parent) {
        Some(dir) => dir.to_path_buf(),
        None => absolute(Path::new(".")),
    }
}

/// `--jobs`, 0 when not given (one thread per core).
fn jobs(args: &CheckArgs) -> usize {
    args.jobs.map_or(0, std::num::NonZeroUsize::get)
}

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::fixture;
    use dbopt_core::project::ProjectError;

    fn outcome(
        package: &str,
        analysed: bool,
        diagnostics: Vec<dbopt_core::diagnostic::Diagnostic>,
    ) -> Outcome {
        let errors = if analysed && diagnostics.is_empty() {
            vec![ProjectError {
                path: format!("/ws/{package}/diesel.toml").into(),
                message: format!("{package}/diesel.toml: `[print_schema] file` is not a string"),
            }]
        } else if !analysed {
            vec![ProjectError {
                path: format!("/ws/{package}").into(),
                message: format!("no diesel.toml in /ws/{package}"),
            }]
        } else {
            Vec::new()
        };
        Outcome {
            package: package.to_owned(),
            levels: fixture::levels(),
            backend: Backend::Postgres,
            report: ProjectReport {
                sources: fixture::sources(),
                diagnostics,
                errors,
                analysed,
                migrations_dir: None,
                history: Default::default(),
                seeded_tables: Vec::new(),
            },
        }
    }

    fn plain(text: String) -> String {
        anstream::adapter::strip_str(&text).to_string()
    }

    #[test]
    fn status_follows_deny_findings_and_analysis() {
        let all = fixture::diagnostics();
        let warn_only: Vec<_> = all
            .iter()
            .filter(|d| d.level == Level::Warn)
            .cloned()
            .collect();
        assert_eq!(
            status(&[outcome("blog", true, all.clone())]),
            Status::Denied
        );
        assert_eq!(status(&[outcome("blog", true, warn_only)]), Status::Clean);
        assert_eq!(status(&[outcome("blog", true, Vec::new())]), Status::Clean);
        assert_eq!(
            status(&[outcome("blog", false, Vec::new())]),
            Status::Failed
        );
        assert_eq!(
            status(&[
                outcome("api", false, Vec::new()),
                outcome("blog", true, all)
            ]),
            Status::Denied
        );
    }

    #[test]
    fn errors_are_warnings_beside_analysed_packages_and_errors_otherwise() {
        let root = Path::new(fixture::ROOT);
        let mixed = [
            outcome("api", false, Vec::new()),
            outcome("blog", true, Vec::new()),
        ];
        assert_eq!(
            plain(human_text(root, &mixed)),
            "warning: no diesel.toml in /ws/api\n\
             warning: blog/diesel.toml: `[print_schema] file` is not a string\n"
        );
        let failed = [outcome("api", false, Vec::new())];
        assert_eq!(
            plain(human_text(root, &failed)),
            "error: no diesel.toml in /ws/api\n\
             error: could not analyse any selected package (api)\n"
        );
    }

    #[test]
    fn json_collects_every_package() {
        let root = Path::new(fixture::ROOT);
        let outcomes = [
            outcome("api", false, Vec::new()),
            outcome("blog", true, fixture::diagnostics()),
        ];
        let doc: serde_json::Value = serde_json::from_str(&json_text(root, &outcomes)).unwrap();
        assert_eq!(
            doc["summary"],
            serde_json::json!({"deny": 2, "warn": 1, "old_migration_findings": 0})
        );
        assert_eq!(doc["findings"][0]["package"], "blog");
        assert_eq!(
            doc["errors"],
            serde_json::json!([{"path": "api", "message": "no diesel.toml in /ws/api"}])
        );
    }
}
