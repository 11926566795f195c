//! The workspace as `cargo metadata --no-deps` describes it, and cargo's package selection.

use std::path::{Path, PathBuf};

use cargo_metadata::{Metadata, MetadataCommand, Package};
use dbopt_core::config::Config;
use dbopt_core::model::Backend;

use crate::cli::WorkspaceArgs;
use crate::error::CliError;

pub mod guess;
pub mod metadata;

/// The loaded workspace and the packages the command line selected.
#[derive(Debug)]
pub struct Workspace {
    pub root: PathBuf,
    /// `[workspace.metadata.dbopt]`.
    pub config: Config,
    pub packages: Vec<SelectedPackage>,
    /// Whether the selection is the package of the current manifest or `-p` (not the
    /// workspace's default members or `--workspace`).
    pub single_package_context: bool,
    /// The workspace is one package whose manifest is the root manifest.
    pub single_package: bool,
}

#[derive(Debug)]
pub struct SelectedPackage {
    pub name: String,
    pub dir: PathBuf,
    /// `[package.metadata.dbopt]`.
    pub config: Config,
    /// Whether the manifest has a `[package.metadata.dbopt]` table, even an empty one: the
    /// package opted in to dbopt.
    pub opted_in: bool,
    /// From the features of the package's `diesel` / `diesel-async` dependency.
    pub diesel_backend: Option<Backend>,
    /// Whether the package depends on `diesel` or `diesel-async` (dev-dependencies aside).
    pub uses_diesel: bool,
    /// Named by `-p` or the current package (as opposed to swept in by `--workspace` or the
    /// default members).
    pub explicit: bool,
    /// The crate root files of the lib, bin and proc-macro targets (not tests, benches,
    /// examples or build scripts), sorted: the source scan reads the folders they are in.
    pub crate_roots: Vec<PathBuf>,
    /// Test support: named so (`*test-utils*`, `*test_utils*`, `integration-tests`), or a
    /// member that other members depend on only as a dev-dependency. Its code is not scanned
    /// unless `include_tests` is set.
    pub test_support: bool,
}

/// Runs `cargo metadata --no-deps` and selects packages the way cargo does.
pub fn load(args: &WorkspaceArgs) -> Result<Workspace, CliError> {
    let metadata = metadata(args)?;
    let root = metadata.workspace_root.clone().into_std_path_buf();
    let config = Config::from_metadata(
        &metadata.workspace_metadata,
        &root,
        &format!(
            "`[workspace.metadata.dbopt]` in {}",
            root.join("Cargo.toml").display()
        ),
    )
    .map_err(|e| CliError::Config(e.message))?;

    let members = metadata.workspace_packages();
    let (chosen, explicit): (Vec<&Package>, bool) = if args.workspace {
        let excluded = if args.exclude.is_empty() {
            Vec::new()
        } else {
            select_specs(&members, &args.exclude)?
        };
        let chosen = members
            .iter()
            .copied()
            .filter(|p| !excluded.iter().any(|e| e.id == p.id))
            .collect();
        (chosen, false)
    } else if !args.packages.is_empty() {
        (select_specs(&members, &args.packages)?, true)
    } else {
        default_selection(&metadata, &members, args.manifest_path.as_deref())?
    };

    let packages = chosen
        .into_iter()
        .map(|p| {
            let mut s = selected(p, explicit)?;
            s.test_support = is_test_support(p, &members);
            Ok(s)
        })
        .collect::<Result<Vec<_>, CliError>>()?;
    Ok(Workspace {
        root,
        config,
        packages,
        single_package_context: explicit,
        single_package: members.len() == 1 && metadata.root_package().is_some(),
    })
}

fn metadata(args: &WorkspaceArgs) -> Result<Metadata, CliError> {
    let manifest_path = args.manifest_path.as_deref();
    // cargo would wait forever on a manifest that is a FIFO: refuse it first.
    if let Some(manifest) = guess::irregular_manifests(args).first() {
        return Err(CliError::Workspace(format!(
            "cannot read `{}`: not a regular file (a FIFO, socket or device); not read",
            manifest.display()
        )));
    }
    let mut cmd = MetadataCommand::new();
    cmd.no_deps();
    if let Some(path) = manifest_path {
        cmd.manifest_path(path);
    }
    let ran = metadata::timeout().and_then(|limit| metadata::exec(&cmd, limit));
    ran.map_err(|e| {
        let shown = manifest_path.map_or_else(
            || "the current directory".to_owned(),
            |p| p.display().to_string(),
        );
        let e = match e {
            metadata::Failure::Cargo(e) => e,
            metadata::Failure::TimedOut(limit) => {
                return CliError::Workspace(format!(
                    "`cargo metadata` did not answer within {} s for the workspace of {shown} \
                     and was stopped (a manifest that is a FIFO, or a file system that hangs, \
                     keeps it waiting); set {} to a number of seconds to wait longer",
                    limit.as_secs(),
                    metadata::TIMEOUT_VAR
                ));
            }
            metadata::Failure::BadLimit(value) => {
                return CliError::Usage(format!(
                    "{} must be a positive number of seconds, not `{value}`",
                    metadata::TIMEOUT_VAR
                ));
            }
        };
        match e {
            cargo_metadata::Error::CargoMetadata { stderr } => {
                let cwd = std::env::current_dir().unwrap_or_default();
                CliError::Workspace(cargo_sentence(&stderr, manifest_path, &shown, &cwd))
            }
            other => CliError::Workspace(format!(
                "cannot read the workspace of {shown} with `cargo metadata`: {other}"
            )),
        }
    })
}

/// cargo's own first error line, as one sentence naming the manifest: with the location
/// cargo points at (` --> m/Cargo.toml:3:11`, relative to `cwd`, where cargo ran), or with
/// the innermost `Caused by:` line. The location names the manifest at fault, which may be
/// a member's rather than the one given: that one is shown as given, any other in full.
fn cargo_sentence(stderr: &str, manifest_path: Option<&Path>, shown: &str, cwd: &Path) -> String {
    let lines: Vec<&str> = stderr
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let first = lines
        .iter()
        .find_map(|l| l.strip_prefix("error: "))
        .unwrap_or("`cargo metadata` failed");
    let location = lines.iter().find_map(|l| {
        let mut parts = l.strip_prefix("--> ")?.rsplitn(3, ':');
        let column = parts.next()?.parse::<usize>().ok()?;
        let line = parts.next()?.parse::<usize>().ok()?;
        Some((parts.next()?, line, column))
    });
    if let Some((path, line, column)) = location {
        let at_fault = dbopt_core::files::normalize(&cwd.join(path));
        let path = match manifest_path {
            Some(given) if dbopt_core::files::normalize(&cwd.join(given)) == at_fault => {
                given.display().to_string()
            }
            _ => at_fault.display().to_string(),
        };
        return format!("invalid manifest {path}: {first} (line {line}, column {column})");
    }
    let cause = stderr
        .rsplit_once("Caused by:")
        .and_then(|(_, c)| c.lines().map(str::trim).find(|l| !l.is_empty()));
    let mut sentence = first.to_owned();
    if manifest_path.is_some() && !sentence.contains(shown) {
        sentence = format!("{shown}: {sentence}");
    }
    if let Some(cause) = cause {
        sentence = format!("{sentence}: {cause}");
    }
    sentence
}

/// Package names that say they are test support.
fn test_support_name(name: &str) -> bool {
    let n = name.to_ascii_lowercase().replace('_', "-");
    n.contains("test-utils") || n.contains("test-util") || n == "integration-tests"
}

/// Is `package` test support: named so, or depended on by other members, every one of
/// them only through `[dev-dependencies]`?
fn is_test_support(package: &Package, members: &[&Package]) -> bool {
    if test_support_name(&package.name) {
        return true;
    }
    let mut dependents = members
        .iter()
        .flat_map(|m| m.dependencies.iter().map(move |d| (m, d)))
        .filter(|(m, d)| m.id != package.id && d.name == package.name.as_str() && d.path.is_some())
        .peekable();
    dependents.peek().is_some()
        && dependents.all(|(_, d)| d.kind == cargo_metadata::DependencyKind::Development)
}

fn selected(package: &Package, explicit: bool) -> Result<SelectedPackage, CliError> {
    let manifest = package.manifest_path.clone().into_std_path_buf();
    let dir = manifest
        .parent()
        .map_or_else(|| manifest.clone(), Path::to_path_buf);
    let config = Config::from_metadata(
        &package.metadata,
        &dir,
        &format!("`[package.metadata.dbopt]` in {}", manifest.display()),
    )
    .map_err(|e| CliError::Config(e.message))?;
    // A dev-dependency on diesel (test support) neither makes a package a Diesel project nor
    // picks its backend when a normal dependency exists.
    let diesel = |dev: bool| {
        package.dependencies.iter().filter(move |d| {
            (d.name == "diesel" || d.name == "diesel-async")
                && (d.kind == cargo_metadata::DependencyKind::Development) == dev
        })
    };
    let diesel_backend = backend_from_features(diesel(false).flat_map(|d| &d.features))
        .or_else(|| backend_from_features(diesel(true).flat_map(|d| &d.features)));
    Ok(SelectedPackage {
        name: package.name.to_string(),
        dir,
        config,
        opted_in: package.metadata.get("dbopt").is_some_and(|v| !v.is_null()),
        diesel_backend,
        uses_diesel: diesel(false).next().is_some(),
        explicit,
        crate_roots: crate_roots(package),
        test_support: false,
    })
}

/// The `src_path` of every target that is built into the package's own code.
fn crate_roots(package: &Package) -> Vec<PathBuf> {
    use cargo_metadata::TargetKind as K;
    let mut roots: Vec<PathBuf> = package
        .targets
        .iter()
        .filter(|t| {
            t.kind.iter().any(|k| {
                matches!(
                    k,
                    K::Lib | K::RLib | K::DyLib | K::CDyLib | K::StaticLib | K::ProcMacro | K::Bin
                )
            })
        })
        .map(|t| t.src_path.clone().into_std_path_buf())
        .collect();
    roots.sort();
    roots.dedup();
    roots
}

/// The backend a diesel dependency's features enable; PostgreSQL first when several are on.
fn backend_from_features<'a>(
    features: impl Iterator<Item = &'a String> + Clone,
) -> Option<Backend> {
    [
        (Backend::Postgres, ["postgres", "postgres_backend"]),
        (Backend::Mysql, ["mysql", "mysql_backend"]),
        (Backend::Sqlite, ["sqlite", "sqlite"]),
    ]
    .into_iter()
    .find(|(_, names)| features.clone().any(|f| names.contains(&f.as_str())))
    .map(|(backend, _)| backend)
}

/// `-p SPEC`: `name`, `name@version`, `name:version`, or a glob over names (`*`, `?`).
fn select_specs<'m>(
    members: &[&'m Package],
    specs: &[String],
) -> Result<Vec<&'m Package>, CliError> {
    let mut chosen: Vec<&Package> = Vec::new();
    for spec in specs {
        let (name, version) = spec
            .split_once('@')
            .or_else(|| spec.split_once(':'))
            .map_or((spec.as_str(), None), |(n, v)| (n, Some(v)));
        let matching: Vec<&Package> = members
            .iter()
            .copied()
            .filter(|p| {
                glob_match(name, &p.name)
                    && version.is_none_or(|v| p.version.to_string().starts_with(v))
            })
            .collect();
        if matching.is_empty() {
            let mut names: Vec<&str> = members.iter().map(|p| p.name.as_str()).collect();
            names.sort_unstable();
            return Err(CliError::Usage(format!(
                "package `{spec}` is not a member of the workspace; expected one of: {}",
                names.join(", ")
            )));
        }
        for p in matching {
            if !chosen.iter().any(|c| c.id == p.id) {
                chosen.push(p);
            }
        }
    }
    Ok(chosen)
}

fn glob_match(pattern: &str, name: &str) -> bool {
    fn go(p: &[char], n: &[char], depth: usize) -> bool {
        if depth > 256 {
            return false;
        }
        match p.split_first() {
            None => n.is_empty(),
            Some(('*', rest)) => (0..=n.len()).any(|i| go(rest, &n[i..], depth + 1)),
            Some(('?', rest)) => !n.is_empty() && go(rest, &n[1..], depth + 1),
            Some((c, rest)) => n.first() == Some(c) && go(rest, &n[1..], depth + 1),
        }
    }
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    go(&p, &n, 0)
}

/// No `-p`/`--workspace`: the package whose manifest is the current one (the nearest
/// Cargo.toml, or `--manifest-path`); at the workspace root, its default members.
fn default_selection<'m>(
    metadata: &'m Metadata,
    members: &[&'m Package],
    manifest_path: Option<&Path>,
) -> Result<(Vec<&'m Package>, bool), CliError> {
    let current = match manifest_path {
        Some(p) => Some(absolute(p)),
        None => std::env::current_dir().ok().and_then(|cwd| {
            cwd.ancestors()
                .map(|d| d.join("Cargo.toml"))
                .find(|m| m.is_file())
        }),
    };
    let root_manifest = metadata
        .workspace_root
        .join("Cargo.toml")
        .into_std_path_buf();
    if let Some(current) = current.as_deref().map(canonical)
        && current != canonical(&root_manifest)
        && let Some(p) = members
            .iter()
            .find(|p| canonical(p.manifest_path.as_std_path()) == current)
    {
        return Ok((vec![*p], true));
    }
    if metadata.workspace_default_members.is_available() {
        let defaults: Vec<&Package> = members
            .iter()
            .copied()
            .filter(|p| metadata.workspace_default_members.contains(&p.id))
            .collect();
        let single = defaults.len() == 1 && metadata.root_package().is_some();
        return Ok((defaults, single));
    }
    Ok(match metadata.root_package() {
        Some(root) => (vec![root], true),
        None => (members.to_vec(), false),
    })
}

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

fn canonical(path: &Path) -> PathBuf {
    path.canonicalize().unwrap_or_else(|_| path.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_match("blog", "blog"));
        assert!(glob_match("b*", "blog"));
        assert!(glob_match("*-core", "dbopt-core"));
        assert!(glob_match("bl?g", "blog"));
        assert!(!glob_match("blo", "blog"));
        assert!(!glob_match("*x*", "blog"));
    }

    #[test]
    fn backend_follows_diesel_features() {
        let f = |names: &[&str]| -> Vec<String> { names.iter().map(|s| s.to_string()).collect() };
        let sqlite = f(&["sqlite", "returning_clauses_for_sqlite_3_35"]);
        assert_eq!(backend_from_features(sqlite.iter()), Some(Backend::Sqlite));
        let both = f(&["sqlite", "postgres"]);
        assert_eq!(backend_from_features(both.iter()), Some(Backend::Postgres));
        let mysql = f(&["mysql_backend"]);
        assert_eq!(backend_from_features(mysql.iter()), Some(Backend::Mysql));
        assert_eq!(backend_from_features(f(&["chrono"]).iter()), None);
    }

    #[test]
    fn cargo_errors_with_a_location_become_one_sentence() {
        let stderr = "error: invalid type: integer `1`, expected SemVer version\n \
                      --> ../x/Cargo.toml:3:11\n  |\n3 | version = 1\n  |           ^\n";
        let cwd = Path::new("/w");
        assert_eq!(
            cargo_sentence(
                stderr,
                Some(Path::new("/x/Cargo.toml")),
                "/x/Cargo.toml",
                cwd
            ),
            "invalid manifest /x/Cargo.toml: invalid type: integer `1`, expected SemVer \
             version (line 3, column 11)"
        );
        assert_eq!(
            cargo_sentence(stderr, None, "the current directory", cwd),
            "invalid manifest /x/Cargo.toml: invalid type: integer `1`, expected SemVer \
             version (line 3, column 11)"
        );
    }

    /// cargo points at a member's manifest when that one is broken: the sentence names it,
    /// not the workspace root manifest given (issue 19 §8).
    #[test]
    fn a_members_error_names_the_members_manifest() {
        let stderr = "error: invalid type: integer `1`, expected SemVer version\n \
                      --> m/Cargo.toml:3:11\n  |\n3 | version = 1\n  |           ^\n";
        assert_eq!(
            cargo_sentence(
                stderr,
                Some(Path::new("Cargo.toml")),
                "Cargo.toml",
                Path::new("/w")
            ),
            "invalid manifest /w/m/Cargo.toml: invalid type: integer `1`, expected SemVer \
             version (line 3, column 11)"
        );
        assert_eq!(
            cargo_sentence(
                stderr,
                Some(Path::new("./m/Cargo.toml")),
                "./m/Cargo.toml",
                Path::new("/w")
            ),
            "invalid manifest ./m/Cargo.toml: invalid type: integer `1`, expected SemVer \
             version (line 3, column 11)"
        );
    }

    #[test]
    fn cargo_errors_become_one_sentence() {
        let stderr = "error: failed to parse manifest at `/tmp/x/Cargo.toml`\n\nCaused by:\n  \
                      TOML parse error at line 1, column 5\n    |\n  1 | [package\n";
        assert_eq!(
            cargo_sentence(
                stderr,
                Some(Path::new("/tmp/x/Cargo.toml")),
                "/tmp/x/Cargo.toml",
                Path::new("/w")
            ),
            "failed to parse manifest at `/tmp/x/Cargo.toml`: TOML parse error at line 1, column 5"
        );
    }
}
