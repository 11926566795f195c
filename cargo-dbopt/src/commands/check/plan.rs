//! What one package is analysed with: the [`ProjectInput`] of its schema side and the
//! settings (levels, code options) the configuration layers and the command line give it.

use std::path::{Path, PathBuf};

use dbopt_core::config::{self, Config, LevelOverride, Resolved};
use dbopt_core::model::Backend;
use dbopt_core::project::baseline::Baseline;
use dbopt_core::project::{self, ProjectInput, ProjectReport};
use dbopt_core::rule::Check;
use dbopt_core::rules::RULES;

use crate::cli::CheckArgs;
use crate::workspace::SelectedPackage;
use crate::workspace::guess::GuessedPackage;

/// One package's analysis, ready to run.
#[derive(Debug, Clone)]
pub struct Plan {
    pub input: ProjectInput,
    /// The configuration resolved for the package; the source scan starts from it too.
    pub resolved: Resolved,
}

/// The package facts a plan is made of; cargo's and the guessed workspace both have them.
#[derive(Debug, Clone, Copy)]
pub struct Package<'a> {
    pub name: &'a str,
    pub dir: &'a Path,
    pub config: &'a Config,
    pub diesel_backend: Option<Backend>,
}

impl<'a> From<&'a SelectedPackage> for Package<'a> {
    fn from(p: &'a SelectedPackage) -> Self {
        Package {
            name: &p.name,
            dir: &p.dir,
            config: &p.config,
            diesel_backend: p.diesel_backend,
        }
    }
}

impl<'a> From<&'a GuessedPackage> for Package<'a> {
    fn from(p: &'a GuessedPackage) -> Self {
        Package {
            name: &p.name,
            dir: &p.dir,
            config: &p.config,
            diesel_backend: p.diesel_backend,
        }
    }
}

/// The command line's part of every plan.
#[derive(Debug, Clone, Copy)]
pub struct CommandLine<'a> {
    pub args: &'a CheckArgs,
    pub config: &'a Config,
    pub overrides: &'a [LevelOverride],
    /// `--since`: the files added since the revision (absolute, symlinks resolved).
    pub added: Option<&'a [PathBuf]>,
}

impl Plan {
    /// The plan for `package` of the workspace at `root` with `[workspace.metadata.dbopt]`
    /// `workspace`.
    pub fn new(
        root: &Path,
        workspace: &Config,
        package: Package<'_>,
        command_line: CommandLine<'_>,
    ) -> Plan {
        let resolved = config::resolve(
            workspace,
            Some(package.config),
            command_line.config,
            command_line.overrides,
        );
        let args = command_line.args;
        // `--since` wins over `start_after`, as the command line wins over the config.
        let baseline = match (command_line.added, &resolved.start_after) {
            (Some(files), _) => Baseline::Added(files.to_vec()),
            (None, Some(version)) => Baseline::StartAfter(version.clone()),
            (None, None) => Baseline::None,
        };
        let input = ProjectInput {
            package_dir: package.dir.to_path_buf(),
            display_root: root.to_path_buf(),
            package: package.name.to_owned(),
            diesel_toml: args.diesel_toml.as_deref().map(super::absolute),
            migrations: resolved.migrations.clone(),
            schema: resolved.schema.clone(),
            backend: resolved.backend.or(package.diesel_backend),
            threads: super::jobs(args),
            side_by_side: None,
            baseline,
        };
        Plan { input, resolved }
    }

    pub fn run(&self) -> ProjectReport {
        project::analyze(&self.input, &|rule| self.resolved.levels.level(rule))
    }

    /// The backend findings and `--fix` are written for.
    pub fn backend(&self) -> Backend {
        self.input.backend.unwrap_or(Backend::Postgres)
    }

    /// Whether both plans give the same report: the same files and settings read, the same
    /// levels for the schema rules. The threads, and the packages analysed beside, change
    /// nothing in a report.
    pub fn same_report(&self, other: &Plan) -> bool {
        // Every field named, so that one added to `ProjectInput` is decided on here.
        let ProjectInput {
            package_dir,
            display_root,
            package,
            diesel_toml,
            migrations,
            schema,
            backend,
            threads: _,
            side_by_side: _,
            baseline,
        } = &self.input;
        let b = &other.input;
        let schema_levels = |plan: &Plan| -> Vec<_> {
            RULES
                .iter()
                .filter(|r| matches!(r.check, Check::Schema(_)))
                .map(|r| plan.resolved.levels.level(r))
                .collect()
        };
        *package_dir == b.package_dir
            && *display_root == b.display_root
            && *package == b.package
            && *diesel_toml == b.diesel_toml
            && *migrations == b.migrations
            && *schema == b.schema
            && *backend == b.backend
            && *baseline == b.baseline
            && schema_levels(self) == schema_levels(other)
    }
}
