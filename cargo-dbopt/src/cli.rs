//! The command line, as cargo invokes it: `cargo-dbopt dbopt [COMMAND] [OPTIONS]`.

use std::num::NonZeroUsize;
use std::path::PathBuf;

use clap::{ArgMatches, Args, Parser, Subcommand, ValueEnum};
use dbopt_core::config::{LevelOverride, LevelTarget};
use dbopt_core::diagnostic::Level;

// cargo's entry: `cargo dbopt` runs the binary `cargo-dbopt` with `dbopt` as first argument.
/// dbopt as a cargo subcommand: run it as `cargo dbopt` (see `cargo dbopt --help`)
#[derive(Debug, Parser)]
#[command(name = "cargo", bin_name = "cargo", styles = clap_cargo_styles())]
pub enum Cargo {
    Dbopt(Dbopt),
}

const CHECK_LONG_ABOUT: &str = "\
Check every fn of each selected package with the code rules (the engine of #[db_checked], \
annotated or not), replay its Diesel migrations, cross-check them with schema.rs, and report \
database performance and safety bugs.

Code: every .rs file under the folders of the package's lib, bin and proc-macro targets, \
except folders named tests, benches or target; files that mention no database word (and call \
no database fn of the package) are not parsed, nor are such fns in the other files. --jobs \
sets the number of threads.

Packages: in a package's directory that package, at a virtual workspace root its default \
members; -p and --workspace choose others. Settings come from [workspace.metadata.dbopt] and \
[package.metadata.dbopt]; the command line wins over the package, the package over the \
workspace. A path given by --migrations, --schema or --diesel-toml that cannot be read is an \
error (exit 2).

Environment:
  DBOPT_METADATA_TIMEOUT  seconds `cargo metadata` may take before it is stopped (default 60)

History: the migration rules (index_not_concurrent, locking_column_change, \
fk_not_valid_missing, destructive_change, concurrently_in_transaction) judge only the \
migrations after `start_after = \"<version>\"` of the configuration, or, with --since REV, \
those whose up.sql was added since the merge base of REV and HEAD (committed, staged or \
untracked); without either, every migration. The other rules judge the final schema.

Exit status:
  0  no deny-level finding
  1  deny-level findings
  2  usage, configuration or I/O error, or nothing could be analysed";

/// Find database performance and safety bugs in Diesel projects
#[derive(Debug, Args)]
#[command(
    version,
    long_about = None,
    args_conflicts_with_subcommands = true,
    after_help = "Without a command, `cargo dbopt` runs `check`; see `cargo dbopt check --help`.\n\
                  Exit status: 0 clean, 1 deny-level findings, 2 usage, config or I/O error."
)]
pub struct Dbopt {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub check: CheckArgs,
    /// Coloring: `auto` (default), `always` or `never`
    #[arg(
        long,
        value_enum,
        value_name = "WHEN",
        default_value_t = ColorWhen::Auto,
        global = true,
        hide_possible_values = true,
        hide_default_value = true
    )]
    pub color: ColorWhen,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check the code, migrations and schema.rs of the selected packages (the default)
    #[command(long_about = CHECK_LONG_ABOUT)]
    Check(CheckArgs),
    /// List every rule with its group, effective level and where that level was set
    Rules(RulesArgs),
    /// Print the documentation of a rule
    Explain(ExplainArgs),
    /// Add the dbopt configuration and the dbopt-macros dependency to Cargo.toml
    #[command(long_about = INIT_LONG_ABOUT)]
    Init(InitArgs),
}

const INIT_LONG_ABOUT: &str = "\
Add the dbopt configuration and the dbopt-macros dependency to Cargo.toml.

The configuration lists every rule at its default level, each with a one-line comment: in \
[package.metadata.dbopt] in a single-package project, else in [workspace.metadata.dbopt] of \
the workspace's root manifest. dbopt-macros is added to [dependencies] as `cargo add` adds it: \
to the selected package, or at a workspace root to every member that depends on diesel. \
Everything else in the files stays as it was, and running it again changes nothing.";

#[derive(Debug, Clone, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub workspace: WorkspaceArgs,
    /// Migrations directory, instead of diesel.toml's or the config's
    #[arg(long, value_name = "DIR")]
    pub migrations: Option<PathBuf>,
    /// schema.rs file, instead of diesel.toml's or the config's
    #[arg(long, value_name = "FILE")]
    pub schema: Option<PathBuf>,
    /// diesel.toml to read, instead of the package's own
    #[arg(long, value_name = "FILE")]
    pub diesel_toml: Option<PathBuf>,
    /// Output: `human` (on stderr, default), or on stdout `json`, `sarif` (SARIF 2.1.0) or
    /// `github` (GitHub Actions annotations)
    #[arg(
        long,
        value_enum,
        value_name = "FORMAT",
        default_value_t = Format::Human,
        hide_possible_values = true,
        hide_default_value = true
    )]
    pub format: Format,
    /// Write a new migration folder creating the missing index for every fk_without_index
    /// finding (never changes an existing file)
    #[arg(long)]
    pub fix: bool,
    /// Also check test code: `#[cfg(test)]` items, `#[test]` fns, `tests.rs`, test-support
    /// packages (`include_tests = true` in the config)
    #[arg(long)]
    pub include_tests: bool,
    /// Migration rules judge only the migrations added since this git revision (for CI on a
    /// pull request)
    #[arg(long, value_name = "REV")]
    pub since: Option<String>,
    /// Threads for the source scan, the packages and their migrations (default: one per core)
    #[arg(short = 'j', long, value_name = "N")]
    pub jobs: Option<NonZeroUsize>,
    #[command(flatten)]
    pub levels: LevelArgs,
}

/// Package selection, as cargo's own commands take it.
#[derive(Debug, Clone, Default, Args)]
pub struct WorkspaceArgs {
    /// Path to Cargo.toml
    #[arg(long, value_name = "PATH")]
    pub manifest_path: Option<PathBuf>,
    /// Package to check (repeatable; `name`, `name@version`, globs)
    #[arg(short = 'p', long = "package", value_name = "SPEC")]
    pub packages: Vec<String>,
    /// Check every package in the workspace
    #[arg(long)]
    pub workspace: bool,
    /// With --workspace: leave this package out (repeatable; globs)
    #[arg(long, value_name = "SPEC", requires = "workspace")]
    pub exclude: Vec<String>,
}

/// rustc-style level flags. The order between them matters (a later flag wins), which the
/// derive loses: [`level_overrides`] restores it from the argument indices.
#[derive(Debug, Clone, Default, Args)]
pub struct LevelArgs {
    /// Deny RULE or `warnings` (all warn-level rules); later flags win
    #[arg(short = 'D', long = "deny", value_name = "RULE", value_parser = parse_target)]
    pub deny: Vec<LevelTarget>,
    /// Warn on RULE, or `warnings`; repeatable
    #[arg(short = 'W', long = "warn", value_name = "RULE", value_parser = parse_target)]
    pub warn: Vec<LevelTarget>,
    /// Allow RULE, or `warnings`; repeatable
    #[arg(short = 'A', long = "allow", value_name = "RULE", value_parser = parse_target)]
    pub allow: Vec<LevelTarget>,
}

#[derive(Debug, Clone, Args)]
pub struct RulesArgs {
    /// Path to Cargo.toml
    #[arg(long, value_name = "PATH")]
    pub manifest_path: Option<PathBuf>,
    /// Show the levels of this package instead of the current one
    #[arg(short = 'p', long = "package", value_name = "SPEC")]
    pub package: Option<String>,
    #[command(flatten)]
    pub levels: LevelArgs,
}

#[derive(Debug, Clone, Args)]
pub struct InitArgs {
    /// Path to Cargo.toml
    #[arg(long, value_name = "PATH")]
    pub manifest_path: Option<PathBuf>,
    /// Package to add dbopt-macros to (repeatable)
    #[arg(short = 'p', long = "package", value_name = "SPEC")]
    pub packages: Vec<String>,
}

#[derive(Debug, Clone, Args)]
pub struct ExplainArgs {
    /// The rule, e.g. fk_without_index
    #[arg(value_name = "RULE")]
    pub rule: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Human,
    Json,
    Sarif,
    Github,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorWhen {
    Auto,
    Always,
    Never,
}

fn parse_target(s: &str) -> Result<LevelTarget, String> {
    s.parse::<LevelTarget>().map_err(|e| e.message)
}

/// The `-D`/`-W`/`-A` flags of the command that runs, in command-line order.
pub fn level_overrides(matches: &ArgMatches) -> Vec<LevelOverride> {
    let mut matches = matches;
    while let Some((_, sub)) = matches.subcommand() {
        matches = sub;
    }
    let mut flags: Vec<(usize, LevelOverride)> = Vec::new();
    for (id, level) in [
        ("deny", Level::Deny),
        ("warn", Level::Warn),
        ("allow", Level::Allow),
    ] {
        // Commands without level flags (`explain`) do not know the ids; asking would panic.
        if !matches.ids().any(|known| known.as_str() == id) {
            continue;
        }
        let (Ok(Some(values)), Some(indices)) = (
            matches.try_get_many::<LevelTarget>(id),
            matches.indices_of(id),
        ) else {
            continue;
        };
        for (target, index) in values.zip(indices) {
            let target = *target;
            flags.push((index, LevelOverride { target, level }));
        }
    }
    flags.sort_by_key(|(index, _)| *index);
    flags.into_iter().map(|(_, flag)| flag).collect()
}

/// cargo's help colours, so `cargo dbopt --help` looks like `cargo check --help`.
const fn clap_cargo_styles() -> clap::builder::Styles {
    use anstyle::{AnsiColor, Effects};
    let header = AnsiColor::BrightGreen.on_default().effects(Effects::BOLD);
    let literal = AnsiColor::BrightCyan.on_default().effects(Effects::BOLD);
    clap::builder::Styles::styled()
        .header(header)
        .usage(header)
        .literal(literal)
        .placeholder(AnsiColor::Cyan.on_default())
        .error(AnsiColor::BrightRed.on_default().effects(Effects::BOLD))
        .valid(literal)
        .invalid(AnsiColor::Yellow.on_default().effects(Effects::BOLD))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;
    use clap::FromArgMatches;

    fn help(args: &[&str]) -> String {
        let err = Cargo::command()
            .term_width(100)
            .try_get_matches_from(args)
            .expect_err("--help exits through an error");
        assert_eq!(err.kind(), clap::error::ErrorKind::DisplayHelp);
        err.render().to_string()
    }

    #[test]
    fn command_is_consistent() {
        Cargo::command().debug_assert();
    }

    #[test]
    fn help_top() {
        insta::assert_snapshot!(help(&["cargo", "dbopt", "--help"]));
    }

    #[test]
    fn help_of_the_binary_itself() {
        insta::assert_snapshot!(help(&["cargo-dbopt", "--help"]));
    }

    #[test]
    fn help_check() {
        insta::assert_snapshot!(help(&["cargo", "dbopt", "check", "--help"]));
    }

    #[test]
    fn help_rules() {
        insta::assert_snapshot!(help(&["cargo", "dbopt", "rules", "--help"]));
    }

    #[test]
    fn help_init() {
        insta::assert_snapshot!(help(&["cargo", "dbopt", "init", "--help"]));
    }

    #[test]
    fn help_explain() {
        insta::assert_snapshot!(help(&["cargo", "dbopt", "explain", "--help"]));
    }

    fn overrides(args: &[&str]) -> Vec<(String, Level)> {
        let matches = Cargo::command().try_get_matches_from(args).unwrap();
        level_overrides(&matches)
            .into_iter()
            .map(|f| {
                let name = match f.target {
                    LevelTarget::Rule(name) => name.to_owned(),
                    LevelTarget::Warnings => "warnings".to_owned(),
                };
                (name, f.level)
            })
            .collect()
    }

    #[test]
    fn level_flags_keep_their_order_with_or_without_check() {
        let expected = vec![
            ("warnings".to_owned(), Level::Deny),
            ("fk_without_index".to_owned(), Level::Allow),
            ("joinable_without_fk".to_owned(), Level::Warn),
            ("fk_without_index".to_owned(), Level::Deny),
        ];
        let flags = [
            "-D",
            "warnings",
            "-A",
            "fk_without_index",
            "--warn",
            "joinable_without_fk",
            "-Dfk_without_index",
        ];
        let top: Vec<&str> = ["cargo", "dbopt"].into_iter().chain(flags).collect();
        let check: Vec<&str> = ["cargo", "dbopt", "check"]
            .into_iter()
            .chain(flags)
            .collect();
        assert_eq!(overrides(&top), expected);
        assert_eq!(overrides(&check), expected);
    }

    #[test]
    fn commands_without_level_flags_have_no_overrides() {
        assert!(overrides(&["cargo", "dbopt", "explain", "fk_without_index"]).is_empty());
        assert!(overrides(&["cargo", "dbopt", "rules"]).is_empty());
    }

    #[test]
    fn check_is_the_default_command() {
        let matches = Cargo::command()
            .try_get_matches_from(["cargo", "dbopt", "--format", "json", "-p", "blog"])
            .unwrap();
        let Cargo::Dbopt(dbopt) = Cargo::from_arg_matches(&matches).unwrap();
        assert!(dbopt.command.is_none());
        assert_eq!(dbopt.check.format, Format::Json);
        assert_eq!(dbopt.check.workspace.packages, vec!["blog".to_owned()]);
    }

    #[test]
    fn unknown_rule_is_a_usage_error_listing_the_rules() {
        let err = Cargo::command()
            .try_get_matches_from(["cargo", "dbopt", "-D", "fk_no_index"])
            .unwrap_err();
        assert_eq!(err.exit_code(), 2);
        let text = err.render().to_string();
        assert!(
            text.contains(&dbopt_core::config::unknown_rule_message("fk_no_index")),
            "{text}"
        );
    }
}
