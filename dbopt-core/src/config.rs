//! Configuration: rule levels and project settings from `[workspace.metadata.dbopt]` and
//! `[package.metadata.dbopt]`, merged workspace -> package -> command line.
//!
//! ```toml
//! [package.metadata.dbopt]
//! backend = "postgres"                  # postgres | sqlite | mysql
//! migrations = "migrations/postgresql"  # relative to this Cargo.toml's folder
//! schema = "src/schema.rs"
//! handle_types = ["DbConn"]             # extra connection/pool type names
//! accessors = ["db_pool"]               # extra methods that yield a handle
//! max_connections = 200                 # the server's limit, for pool_misconfigured
//! wrapper_macros = ["db_run"]           # project macros whose body runs with a connection
//! transaction_macros = ["db::atomic"]   # macros or fns (of other crates) that run their body in a transaction
//! small_tables = ["countries"]          # tables small enough to load whole (unbounded_load)
//! include_tests = false                 # also check test code (`#[cfg(test)]`, `#[test]` fns, ..)
//! rules = { fk_without_index = "warn" }
//! start_after = "2024-01-10-090100"    # transition rules judge only later migrations
//! ```
//!
//! Levels are applied like rustc's: the rule's default, then the workspace, then the
//! package, then the command line's `-D`/`-W`/`-A` flags in order (a later flag wins;
//! `warnings` means every rule whose level is `warn` at that point). Every level remembers
//! where it was set ([`LevelSource`]).

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde_json::Value;

use crate::diagnostic::Level;
use crate::model::Backend;
use crate::rule::Rule;
use crate::rules::{self, RULES};

/// The keys of a `dbopt` metadata table, sorted.
pub const KEYS: [&str; 12] = [
    "accessors",
    "backend",
    "handle_types",
    "include_tests",
    "max_connections",
    "migrations",
    "rules",
    "schema",
    "small_tables",
    "start_after",
    "transaction_macros",
    "wrapper_macros",
];

/// A configuration problem: one sentence saying where and what, listing the valid choices.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ConfigError {
    pub message: String,
}

/// Where a setting came from, lowest precedence first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LevelSource {
    Default,
    Workspace,
    Package,
    CommandLine,
}

impl LevelSource {
    pub fn as_str(self) -> &'static str {
        match self {
            LevelSource::Default => "default",
            LevelSource::Workspace => "workspace",
            LevelSource::Package => "package",
            LevelSource::CommandLine => "command line",
        }
    }
}

impl fmt::Display for LevelSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One `dbopt` metadata table (or the command line's equivalent settings). Every field is
/// optional: `None` (or no entry in `rules`) defers to the level below.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Config {
    pub backend: Option<Backend>,
    /// Absolute, or relative to the process's working directory.
    pub migrations: Option<PathBuf>,
    pub schema: Option<PathBuf>,
    pub handle_types: Option<Vec<String>>,
    pub accessors: Option<Vec<String>>,
    /// The database server's `max_connections`, for `pool_misconfigured`.
    pub max_connections: Option<u64>,
    /// Project macros whose body runs with a connection, as paths (`db_run`,
    /// `my_crate::with_conn`).
    pub wrapper_macros: Option<Vec<String>>,
    /// Macros or fns that run their body in a transaction and that the scan cannot read
    /// (from other crates), as paths.
    pub transaction_macros: Option<Vec<String>>,
    /// Tables small enough to load whole: `unbounded_load` passes them over.
    pub small_tables: Option<Vec<String>>,
    /// Also check test code (`#[cfg(test)]` items, test fns, test-support packages).
    pub include_tests: Option<bool>,
    /// Rule levels in the order they were written.
    pub rules: Vec<(&'static str, Level)>,
    /// `start_after`: the migration version after which the transition rules judge
    /// migrations, normalised ([`crate::project::baseline::normalize_version`]).
    pub start_after: Option<String>,
}

impl Config {
    /// Reads the `dbopt` entry of a cargo `metadata` value (a package's `metadata` or the
    /// workspace's `workspace_metadata` from `cargo metadata`). A missing or null value is an
    /// empty configuration. Relative paths are resolved against `base` (the folder of the
    /// Cargo.toml that holds the table); `origin` names the table in messages, e.g.
    /// "`[package.metadata.dbopt]` in blog/Cargo.toml".
    pub fn from_metadata(metadata: &Value, base: &Path, origin: &str) -> Result<Self, ConfigError> {
        match metadata.get("dbopt") {
            None | Some(Value::Null) => Ok(Config::default()),
            Some(table) => Config::from_table(table, base, origin),
        }
    }

    /// Reads a `dbopt` table itself; see [`Config::from_metadata`].
    pub fn from_table(table: &Value, base: &Path, origin: &str) -> Result<Self, ConfigError> {
        let err = |message: String| ConfigError {
            message: one_line(&format!("{origin}: {message}")),
        };
        let Value::Object(map) = table else {
            return Err(err(format!("expected a table, found {}", kind(table))));
        };
        let mut config = Config::default();
        for (key, value) in map {
            match key.as_str() {
                "backend" => {
                    let s = expect_str(value, key).map_err(err)?;
                    config.backend = Some(Backend::from_str(s).map_err(err)?);
                }
                "migrations" => {
                    config.migrations = Some(base.join(expect_str(value, key).map_err(err)?));
                }
                "schema" => {
                    config.schema = Some(base.join(expect_str(value, key).map_err(err)?));
                }
                "handle_types" => {
                    config.handle_types = Some(expect_str_list(value, key).map_err(err)?);
                }
                "accessors" => {
                    config.accessors = Some(expect_str_list(value, key).map_err(err)?);
                }
                "max_connections" => {
                    config.max_connections = Some(expect_positive(value, key).map_err(err)?);
                }
                "wrapper_macros" => {
                    config.wrapper_macros = Some(macro_paths(value, key).map_err(err)?);
                }
                "transaction_macros" => {
                    config.transaction_macros = Some(macro_paths(value, key).map_err(err)?);
                }
                "small_tables" => {
                    config.small_tables = Some(expect_str_list(value, key).map_err(err)?);
                }
                "include_tests" => {
                    config.include_tests = Some(value.as_bool().ok_or_else(|| {
                        err(format!("`{key}` must be a boolean, found {}", kind(value)))
                    })?);
                }
                "rules" => config.rules = parse_rules(value).map_err(err)?,
                "start_after" => {
                    config.start_after = Some(start_after(value).map_err(err)?);
                }
                other => {
                    return Err(err(format!(
                        "unknown key `{other}`; expected one of: {}",
                        KEYS.join(", ")
                    )));
                }
            }
        }
        Ok(config)
    }
}

/// `message` with control characters escaped (`\n`, `\u{1b}`): keys and values quoted in it
/// come from the user, and a message is one line that cannot drive the terminal.
fn one_line(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    for c in message.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "nothing",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "a table",
    }
}

fn expect_str<'v>(value: &'v Value, key: &str) -> Result<&'v str, String> {
    value
        .as_str()
        .ok_or_else(|| format!("`{key}` must be a string, found {}", kind(value)))
}

fn expect_str_list(value: &Value, key: &str) -> Result<Vec<String>, String> {
    let wrong = || format!("`{key}` must be an array of strings, found {}", kind(value));
    let Value::Array(items) = value else {
        return Err(wrong());
    };
    items
        .iter()
        .map(|v| v.as_str().map(str::to_owned).ok_or_else(wrong))
        .collect()
}

fn expect_positive(value: &Value, key: &str) -> Result<u64, String> {
    value
        .as_u64()
        .filter(|n| *n > 0)
        .ok_or_else(|| match value {
            Value::Number(n) => format!("`{key}` must be a positive integer, found {n}"),
            other => format!("`{key}` must be a positive integer, found {}", kind(other)),
        })
}

/// A macro path as written in `wrapper_macros` (`db_run`, `my_crate::with_conn`, also with a
/// trailing `!`), checked and normalised to `a::b`.
/// A list of macro or fn paths (`wrapper_macros`, `transaction_macros`).
fn macro_paths(value: &Value, key: &str) -> Result<Vec<String>, String> {
    expect_str_list(value, key)?
        .iter()
        .map(|n| macro_path(n, key))
        .collect()
}

fn macro_path(name: &str, key: &str) -> Result<String, String> {
    let bare = name.trim().trim_end_matches('!');
    let segments: Vec<&str> = bare.split("::").map(str::trim).collect();
    let ok = segments.iter().all(|s| {
        let mut chars = s.chars();
        chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
            && chars.all(|c| c.is_alphanumeric() || c == '_')
    });
    if ok {
        Ok(segments.join("::"))
    } else {
        Err(format!(
            "`{key}` entries must be macro paths like \"db_run\" or \"my_crate::with_conn\", \
             found \"{name}\""
        ))
    }
}

/// A `start_after` version, normalised as diesel reads folder names.
fn start_after(value: &Value) -> Result<String, String> {
    let written = expect_str(value, "start_after")?;
    crate::project::baseline::normalize_version(written).ok_or_else(|| {
        format!(
            "`start_after` must be a migration version like \"2024-01-10-090100\" or \
             \"20240110090100\", found \"{written}\""
        )
    })
}

fn parse_rules(value: &Value) -> Result<Vec<(&'static str, Level)>, String> {
    let Value::Object(map) = value else {
        return Err(format!(
            "`rules` must be a table like {{ fk_without_index = \"warn\" }}, found {}",
            kind(value)
        ));
    };
    let mut out = Vec::with_capacity(map.len());
    for (name, level) in map {
        let rule = rules::find(name).ok_or_else(|| unknown_rule_message(name))?;
        let level = level
            .as_str()
            .ok_or_else(|| format!("`rules.{name}` must be \"allow\", \"warn\" or \"deny\""))?;
        let level = Level::from_str(level).map_err(|e| format!("`rules.{name}`: {e}"))?;
        out.push((rule.name, level));
    }
    Ok(out)
}

/// "unknown rule `x`; expected one of: a, b, c" (every registered rule).
pub fn unknown_rule_message(name: &str) -> String {
    let names: Vec<&str> = RULES.iter().map(|r| r.name).collect();
    format!(
        "unknown rule `{name}`; expected one of: {}",
        names.join(", ")
    )
}

/// What a command-line level flag names: one rule, or `warnings`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LevelTarget {
    /// A registered rule's name.
    Rule(&'static str),
    /// Every rule whose level is `warn` when the flag is applied.
    Warnings,
}

impl FromStr for LevelTarget {
    type Err = ConfigError;
    fn from_str(s: &str) -> Result<Self, ConfigError> {
        if s == "warnings" {
            return Ok(LevelTarget::Warnings);
        }
        rules::find(s)
            .map(|r| LevelTarget::Rule(r.name))
            .ok_or_else(|| ConfigError {
                message: format!("{} or `warnings`", unknown_rule_message(s)),
            })
    }
}

/// One `-D`/`-W`/`-A` flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LevelOverride {
    pub target: LevelTarget,
    pub level: Level,
}

/// The effective level of every rule and where it was set.
#[derive(Debug, Clone)]
pub struct RuleLevels {
    /// In [`RULES`] order.
    entries: Vec<(&'static Rule, Level, LevelSource)>,
}

impl Default for RuleLevels {
    fn default() -> Self {
        RuleLevels {
            entries: RULES
                .iter()
                .map(|&r| (r, r.default_level, LevelSource::Default))
                .collect(),
        }
    }
}

impl RuleLevels {
    fn set(&mut self, rule: &str, level: Level, source: LevelSource) {
        if let Some(entry) = self.entries.iter_mut().find(|e| e.0.name == rule) {
            entry.1 = level;
            entry.2 = source;
        }
    }

    fn apply_config(&mut self, config: &Config, source: LevelSource) {
        for &(rule, level) in &config.rules {
            self.set(rule, level, source);
        }
    }

    fn apply_override(&mut self, flag: &LevelOverride) {
        match flag.target {
            LevelTarget::Rule(rule) => self.set(rule, flag.level, LevelSource::CommandLine),
            LevelTarget::Warnings => {
                for entry in &mut self.entries {
                    if entry.1 == Level::Warn {
                        entry.1 = flag.level;
                        entry.2 = LevelSource::CommandLine;
                    }
                }
            }
        }
    }

    /// The effective level; a rule not in the registry keeps its own default.
    pub fn level(&self, rule: &Rule) -> Level {
        self.entry(rule.name).map_or(rule.default_level, |e| e.1)
    }

    pub fn source(&self, rule: &Rule) -> LevelSource {
        self.entry(rule.name).map_or(LevelSource::Default, |e| e.2)
    }

    fn entry(&self, name: &str) -> Option<&(&'static Rule, Level, LevelSource)> {
        self.entries.iter().find(|e| e.0.name == name)
    }

    /// Every registered rule with its level and source, in registry order.
    pub fn iter(&self) -> impl Iterator<Item = (&'static Rule, Level, LevelSource)> + '_ {
        self.entries.iter().copied()
    }
}

/// The settings one package is analysed with.
#[derive(Debug, Clone, Default)]
pub struct Resolved {
    pub backend: Option<Backend>,
    pub migrations: Option<PathBuf>,
    pub schema: Option<PathBuf>,
    pub handle_types: Vec<String>,
    pub accessors: Vec<String>,
    /// The server's `max_connections` (`None`: `pool_misconfigured` assumes PostgreSQL's
    /// default, 100).
    pub max_connections: Option<u64>,
    pub wrapper_macros: Vec<String>,
    pub transaction_macros: Vec<String>,
    pub small_tables: Vec<String>,
    pub include_tests: bool,
    pub levels: RuleLevels,
    /// `start_after`, normalised.
    pub start_after: Option<String>,
}

impl Resolved {
    /// The options the code rules run with in `cargo dbopt`'s scan: the configured levels of
    /// code rules (those not left at their default), `handle_types` as extra handle names,
    /// `max_connections` and `wrapper_macros`. `#[db_checked(..)]` attributes in the code
    /// refine them ([`crate::rust::Options::refined_by`]).
    pub fn code_options(&self) -> crate::rust::Options {
        let levels = self
            .levels
            .iter()
            .filter(|(rule, _, source)| {
                matches!(rule.check, crate::rule::Check::Code(_)) && *source != LevelSource::Default
            })
            .map(|(rule, level, _)| (rule.name, level))
            .collect();
        crate::rust::Options {
            levels,
            conn: self.handle_types.clone(),
            max_connections: self.max_connections,
            wrapper_macros: self
                .wrapper_macros
                .iter()
                .map(|w| w.split("::").map(str::to_owned).collect())
                .collect(),
            transaction_wrappers: self
                .transaction_macros
                .iter()
                .map(|w| w.split("::").map(str::to_owned).collect())
                .collect(),
            include_tests: self.include_tests,
            ..crate::rust::Options::default()
        }
    }
}

/// Merges the layers: the command line over the package over the workspace over defaults.
/// `command_line` carries the command line's settings (paths, backend); its `rules` are
/// applied before `overrides`, which are applied in order.
pub fn resolve(
    workspace: &Config,
    package: Option<&Config>,
    command_line: &Config,
    overrides: &[LevelOverride],
) -> Resolved {
    let empty = Config::default();
    let package = package.unwrap_or(&empty);
    let layers = [command_line, package, workspace];

    let mut levels = RuleLevels::default();
    levels.apply_config(workspace, LevelSource::Workspace);
    levels.apply_config(package, LevelSource::Package);
    levels.apply_config(command_line, LevelSource::CommandLine);
    for flag in overrides {
        levels.apply_override(flag);
    }
    Resolved {
        backend: layers.iter().find_map(|c| c.backend),
        migrations: layers.iter().find_map(|c| c.migrations.clone()),
        schema: layers.iter().find_map(|c| c.schema.clone()),
        handle_types: layers
            .iter()
            .find_map(|c| c.handle_types.clone())
            .unwrap_or_default(),
        accessors: layers
            .iter()
            .find_map(|c| c.accessors.clone())
            .unwrap_or_default(),
        max_connections: layers.iter().find_map(|c| c.max_connections),
        wrapper_macros: layers
            .iter()
            .find_map(|c| c.wrapper_macros.clone())
            .unwrap_or_default(),
        transaction_macros: layers
            .iter()
            .find_map(|c| c.transaction_macros.clone())
            .unwrap_or_default(),
        small_tables: layers
            .iter()
            .find_map(|c| c.small_tables.clone())
            .unwrap_or_default(),
        include_tests: layers.iter().find_map(|c| c.include_tests).unwrap_or(false),
        levels,
        start_after: layers.iter().find_map(|c| c.start_after.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rule(name: &str) -> &'static Rule {
        rules::find(name).unwrap()
    }

    fn flag(rule: &Rule, level: Level) -> LevelOverride {
        LevelOverride {
            target: LevelTarget::Rule(rule.name),
            level,
        }
    }

    fn parse(v: Value) -> Result<Config, ConfigError> {
        Config::from_metadata(&v, Path::new("/ws/blog"), "`[package.metadata.dbopt]`")
    }

    #[test]
    fn reads_every_key_and_resolves_paths() {
        let c = parse(json!({"dbopt": {
            "backend": "sqlite", "migrations": "migrations/sqlite", "schema": "/abs/schema.rs",
            "handle_types": ["DbConn"], "accessors": ["db_pool"],
            "rules": {"fk_without_index": "warn"}
        }}))
        .unwrap();
        assert_eq!(c.backend, Some(Backend::Sqlite));
        assert_eq!(
            c.migrations.as_deref(),
            Some(Path::new("/ws/blog/migrations/sqlite"))
        );
        assert_eq!(c.schema.as_deref(), Some(Path::new("/abs/schema.rs")));
        assert_eq!(c.handle_types, Some(vec!["DbConn".to_owned()]));
        assert_eq!(c.accessors, Some(vec!["db_pool".to_owned()]));
        assert_eq!(c.rules, vec![("fk_without_index", Level::Warn)]);
        assert_eq!(parse(json!(null)).unwrap(), Config::default());
        assert_eq!(parse(json!({"other": 1})).unwrap(), Config::default());
    }

    #[test]
    fn unknown_keys_rules_and_levels_are_errors_listing_the_choices() {
        let e = parse(json!({"dbopt": {"migration": "m"}})).unwrap_err();
        assert_eq!(
            e.message,
            "`[package.metadata.dbopt]`: unknown key `migration`; expected one of: \
             accessors, backend, handle_types, include_tests, max_connections, migrations, \
             rules, schema, small_tables, start_after, transaction_macros, wrapper_macros"
        );
        let e = parse(json!({"dbopt": {"rules": {"fk_no_index": "deny"}}})).unwrap_err();
        let names: Vec<&str> = RULES.iter().map(|r| r.name).collect();
        assert_eq!(
            e.message,
            format!(
                "`[package.metadata.dbopt]`: unknown rule `fk_no_index`; expected one of: {}",
                names.join(", ")
            )
        );
        let e = parse(json!({"dbopt": {"rules": {"fk_without_index": "forbid"}}})).unwrap_err();
        assert!(
            e.message.contains("unknown level `forbid`"),
            "{}",
            e.message
        );
        let e = parse(json!({"dbopt": {"backend": "oracle"}})).unwrap_err();
        assert!(
            e.message.contains("unknown backend `oracle`"),
            "{}",
            e.message
        );
        let e = parse(json!({"dbopt": {"handle_types": "DbConn"}})).unwrap_err();
        assert!(e.message.contains("array of strings, found a string"));
        let e = parse(json!({"dbopt": ["x"]})).unwrap_err();
        assert!(e.message.ends_with("expected a table, found an array"));
        assert!("nope".parse::<LevelTarget>().is_err());
        assert_eq!(
            "warnings".parse::<LevelTarget>().unwrap(),
            LevelTarget::Warnings
        );
    }

    /// Found by the `config` fuzz target (`fuzz/regressions/config/`): a key or value with a
    /// line break or an escape character was copied into the message as it was.
    #[test]
    fn messages_are_one_line_whatever_the_keys_and_values_hold() {
        let e = parse(json!({"dbopt": {"\n": ""}})).unwrap_err();
        assert_eq!(
            e.message,
            "`[package.metadata.dbopt]`: unknown key `\\n`; expected one of: \
             accessors, backend, handle_types, include_tests, max_connections, migrations, \
             rules, schema, small_tables, start_after, transaction_macros, wrapper_macros"
        );
        let e = parse(json!({"dbopt": {"backend": "pg\u{1b}[2J\r"}})).unwrap_err();
        assert_eq!(
            e.message,
            "`[package.metadata.dbopt]`: unknown backend `pg\\u{1b}[2J\\r`; expected one \
             of: postgres, sqlite, mysql"
        );
        let e = parse(json!({"dbopt": {"rules": {"n_plus_one": "de\tny"}}})).unwrap_err();
        assert!(
            e.message.contains("unknown level `de\\tny`"),
            "{}",
            e.message
        );
    }

    #[test]
    fn max_connections_and_wrapper_macros_read_resolve_and_reach_the_code_options() {
        let c = parse(json!({"dbopt": {
            "max_connections": 300, "wrapper_macros": ["db_run", "my_crate::with_conn!"],
            "handle_types": ["DbConn"], "rules": {"n_plus_one": "warn", "fk_without_index": "allow"}
        }}))
        .unwrap();
        assert_eq!(c.max_connections, Some(300));
        assert_eq!(
            c.wrapper_macros,
            Some(vec!["db_run".to_owned(), "my_crate::with_conn".to_owned()])
        );
        let workspace = Config {
            max_connections: Some(80),
            wrapper_macros: Some(vec!["ws_run".into()]),
            ..Config::default()
        };
        let r = resolve(&workspace, Some(&c), &Config::default(), &[]);
        assert_eq!(r.max_connections, Some(300));
        let o = r.code_options();
        assert_eq!(o.max_connections(), 300);
        assert_eq!(
            o.wrapper_macros,
            vec![
                vec!["db_run".to_owned()],
                vec!["my_crate".to_owned(), "with_conn".to_owned()]
            ]
        );
        assert_eq!(o.conn, vec!["DbConn".to_owned()]);
        // Code rules only, and only those configured.
        assert_eq!(o.levels, vec![("n_plus_one", Level::Warn)]);
        let r = resolve(&workspace, None, &Config::default(), &[]);
        assert_eq!(r.code_options().max_connections(), 80);
        assert!(r.code_options().is_wrapper_macro(&["ws_run".to_owned()]));
        let r = resolve(&Config::default(), None, &Config::default(), &[]);
        assert_eq!(r.code_options().max_connections(), 100);
    }

    #[test]
    fn wrong_types_for_the_pool_keys_are_errors_naming_the_table() {
        let origin = "`[package.metadata.dbopt]` in /ws/blog/Cargo.toml";
        let parse = |v: Value| Config::from_metadata(&v, Path::new("/ws/blog"), origin);
        let cases = [
            (
                json!({"max_connections": "lots"}),
                "`max_connections` must be a positive integer, found a string",
            ),
            (
                json!({"max_connections": 0}),
                "`max_connections` must be a positive integer, found 0",
            ),
            (
                json!({"max_connections": -5}),
                "`max_connections` must be a positive integer, found -5",
            ),
            (
                json!({"max_connections": 1.5}),
                "`max_connections` must be a positive integer, found 1.5",
            ),
            (
                json!({"wrapper_macros": "db_run"}),
                "`wrapper_macros` must be an array of strings, found a string",
            ),
            (
                json!({"wrapper_macros": [1]}),
                "`wrapper_macros` must be an array of strings, found an array",
            ),
            (
                json!({"wrapper_macros": ["db run"]}),
                "`wrapper_macros` entries must be macro paths like \"db_run\" or \
                 \"my_crate::with_conn\", found \"db run\"",
            ),
        ];
        for (table, message) in cases {
            let e = parse(json!({ "dbopt": table })).unwrap_err();
            assert_eq!(e.message, format!("{origin}: {message}"));
        }
    }

    #[test]
    fn start_after_is_normalised_and_the_package_wins() {
        for written in [
            "2024-01-10-090100",
            "20240110090100",
            "2024-01-10-090100_users",
        ] {
            let c = parse(json!({"dbopt": {"start_after": written}})).unwrap();
            assert_eq!(c.start_after.as_deref(), Some("20240110090100"));
        }
        for (value, found) in [
            (json!("2024 01 10"), "found \"2024 01 10\""),
            (json!(""), "found \"\""),
        ] {
            let e = parse(json!({"dbopt": {"start_after": value}})).unwrap_err();
            assert_eq!(
                e.message,
                format!(
                    "`[package.metadata.dbopt]`: `start_after` must be a migration version \
                     like \"2024-01-10-090100\" or \"20240110090100\", {found}"
                )
            );
        }
        let e = parse(json!({"dbopt": {"start_after": 20240110090100_u64}})).unwrap_err();
        assert!(
            e.message
                .ends_with("`start_after` must be a string, found a number")
        );
        let workspace = Config {
            start_after: Some("1".into()),
            ..Config::default()
        };
        let package = Config {
            start_after: Some("2".into()),
            ..Config::default()
        };
        let empty = Config::default();
        let r = resolve(&workspace, Some(&package), &empty, &[]);
        assert_eq!(r.start_after.as_deref(), Some("2"));
        let r = resolve(&workspace, None, &empty, &[]);
        assert_eq!(r.start_after.as_deref(), Some("1"));
        assert_eq!(resolve(&empty, None, &empty, &[]).start_after, None);
    }

    #[test]
    fn command_line_over_package_over_workspace_with_sources() {
        let fk = rule("fk_without_index");
        let joinable = rule("joinable_without_fk");
        let unparsed = rule("unparsed_statement");
        let workspace = Config {
            backend: Some(Backend::Mysql),
            migrations: Some("/ws/migrations".into()),
            accessors: Some(vec!["ws".into()]),
            rules: vec![(fk.name, Level::Warn), (joinable.name, Level::Deny)],
            ..Config::default()
        };
        let package = Config {
            backend: Some(Backend::Sqlite),
            accessors: Some(vec!["pkg".into()]),
            rules: vec![(joinable.name, Level::Allow)],
            ..Config::default()
        };
        let cli = Config {
            schema: Some("/cli/schema.rs".into()),
            ..Config::default()
        };
        let r = resolve(&workspace, Some(&package), &cli, &[]);
        assert_eq!(r.backend, Some(Backend::Sqlite));
        assert_eq!(r.migrations.as_deref(), Some(Path::new("/ws/migrations")));
        assert_eq!(r.schema.as_deref(), Some(Path::new("/cli/schema.rs")));
        assert_eq!(r.accessors, vec!["pkg".to_owned()]);
        assert!(r.handle_types.is_empty());
        assert_eq!(r.levels.level(fk), Level::Warn);
        assert_eq!(r.levels.source(fk), LevelSource::Workspace);
        assert_eq!(r.levels.level(joinable), Level::Allow);
        assert_eq!(r.levels.source(joinable), LevelSource::Package);
        assert_eq!(r.levels.level(unparsed), Level::Warn);
        assert_eq!(r.levels.source(unparsed), LevelSource::Default);
    }

    #[test]
    fn flags_apply_in_order_and_warnings_means_warn_level_rules() {
        let fk = rule("fk_without_index");
        let joinable = rule("joinable_without_fk");
        let unparsed = rule("unparsed_statement");
        let warnings = |level| LevelOverride {
            target: LevelTarget::Warnings,
            level,
        };
        let empty = Config::default();
        // -A unparsed_statement -D warnings: joinable (warn) becomes deny, unparsed stays allowed.
        let r = resolve(
            &empty,
            None,
            &empty,
            &[flag(unparsed, Level::Allow), warnings(Level::Deny)],
        );
        assert_eq!(r.levels.level(joinable), Level::Deny);
        assert_eq!(r.levels.source(joinable), LevelSource::CommandLine);
        assert_eq!(r.levels.level(unparsed), Level::Allow);
        assert_eq!(r.levels.level(fk), Level::Deny);
        assert_eq!(r.levels.source(fk), LevelSource::Default);
        // -D warnings -W joinable_without_fk: the later flag wins.
        let r = resolve(
            &empty,
            None,
            &empty,
            &[warnings(Level::Deny), flag(joinable, Level::Warn)],
        );
        assert_eq!(r.levels.level(joinable), Level::Warn);
        assert_eq!(r.levels.level(unparsed), Level::Deny);
        // -W fk_without_index -A warnings: fk is now warn, so warnings allows it.
        let r = resolve(
            &empty,
            None,
            &empty,
            &[flag(fk, Level::Warn), warnings(Level::Allow)],
        );
        assert_eq!(r.levels.level(fk), Level::Allow);
        assert_eq!(r.levels.iter().count(), RULES.len());
    }
}
