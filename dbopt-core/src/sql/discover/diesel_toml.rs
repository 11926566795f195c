//! `diesel.toml`, read the way diesel_cli 2.x reads it.
//!
//! ```toml
//! [print_schema]                 # one unnamed section ...
//! file = "src/schema.rs"
//! schema = "auth"
//! filter = { only_tables = ["^users$", "^posts$"] }   # or except_tables; regexes
//! patch_file = "src/schema.patch"
//! column_sorting = "ordinal_position"                # or "name"
//!
//! [print_schema.audit]           # ... and/or several named ones
//! file = "src/audit_schema.rs"
//! schema = "audit"
//!
//! [migrations_directory]
//! dir = "migrations"
//! ```
//!
//! Paths are relative to the folder holding diesel.toml (diesel_cli's
//! `set_relative_path_base`). The other print_schema keys diesel knows (`with_docs`,
//! `import_types`, `custom_type_derives`, `generate_missing_sql_type_definitions`,
//! `sqlite_integer_primary_key_is_bigint`, `except_custom_type_definitions`, ...) are read
//! and kept; keys this version does not know are tolerated and listed in
//! [`DieselToml::unknown_keys`], since diesel adds keys with most releases.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde::de::{self, MapAccess, Visitor};

use super::DiscoverError;
use crate::source::SourceFile;

/// A parsed diesel.toml; every path is already joined to diesel.toml's folder.
#[derive(Debug, Clone, PartialEq)]
pub struct DieselToml {
    /// The diesel.toml file itself.
    pub path: PathBuf,
    /// `[print_schema]` (name `None`) first, then the `[print_schema.<name>]` sections sorted
    /// by name (the toml crate's table order).
    pub print_schema: Vec<PrintSchema>,
    /// `[migrations_directory] dir`.
    pub migrations_directory: Option<PathBuf>,
    /// Keys this reader does not know, dotted (`print_schema.new_option`); tolerated.
    pub unknown_keys: Vec<String>,
}

/// One print_schema section.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PrintSchema {
    /// `None` for `[print_schema]`, `Some("audit")` for `[print_schema.audit]`.
    pub name: Option<String>,
    pub file: Option<PathBuf>,
    pub schema: Option<String>,
    pub filter: Filter,
    pub patch_file: Option<PathBuf>,
    pub column_sorting: ColumnSorting,
    /// `with_docs`: `true`/`false` or one of diesel's doc modes, kept as written.
    pub with_docs: Option<String>,
    pub import_types: Option<Vec<String>>,
    pub custom_type_derives: Option<Vec<String>>,
    pub generate_missing_sql_type_definitions: Option<bool>,
    pub sqlite_integer_primary_key_is_bigint: Option<bool>,
    pub except_custom_type_definitions: Vec<String>,
    pub pg_domains_as_custom_types: Vec<String>,
    pub allow_tables_to_appear_in_same_query_config: Option<String>,
}

/// `filter = { only_tables = [..] }` / `{ except_tables = [..] }`.
///
/// diesel matches each regex against the table's SQL name with `Regex::is_match`, i.e.
/// unanchored: `"users"` also matches `users_archive` (write `"^users$"` for one table).
#[derive(Debug, Clone, Default)]
pub enum Filter {
    #[default]
    All,
    OnlyTables(Vec<regex::Regex>),
    ExceptTables(Vec<regex::Regex>),
}

impl Filter {
    /// `true` when diesel's print-schema would print this table.
    pub fn includes(&self, table: &str) -> bool {
        match self {
            Filter::All => true,
            Filter::OnlyTables(res) => res.iter().any(|r| r.is_match(table)),
            Filter::ExceptTables(res) => !res.iter().any(|r| r.is_match(table)),
        }
    }
}

impl PartialEq for Filter {
    fn eq(&self, other: &Self) -> bool {
        fn same(a: &[regex::Regex], b: &[regex::Regex]) -> bool {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.as_str() == y.as_str())
        }
        match (self, other) {
            (Filter::All, Filter::All) => true,
            (Filter::OnlyTables(a), Filter::OnlyTables(b)) => same(a, b),
            (Filter::ExceptTables(a), Filter::ExceptTables(b)) => same(a, b),
            _ => false,
        }
    }
}

/// `column_sorting`: the order print-schema writes columns in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ColumnSorting {
    #[default]
    OrdinalPosition,
    Name,
}

/// Reads and parses a diesel.toml.
pub fn read_diesel_toml(path: &Path) -> Result<DieselToml, DiscoverError> {
    let bytes = crate::files::read_regular(path).map_err(|e| DiscoverError::Read {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    let text = String::from_utf8(bytes).map_err(|_| DiscoverError::NotUtf8 {
        path: path.to_path_buf(),
    })?;
    parse_diesel_toml(path, &text)
}

/// Parses diesel.toml text; `path` names the file in errors and anchors relative paths.
pub fn parse_diesel_toml(path: &Path, text: &str) -> Result<DieselToml, DiscoverError> {
    let raw: RawConfig = toml::from_str(text).map_err(|e| {
        let (line, column) = match e.span() {
            Some(span) => {
                let lc = SourceFile::new(path.to_path_buf(), text.to_owned()).line_col(span.start);
                (lc.line, lc.column)
            }
            None => (1, 1),
        };
        let message = e.message().trim_end().replace('\n', "; ");
        DiscoverError::InvalidToml {
            path: path.to_path_buf(),
            line,
            column,
            message,
        }
    })?;
    let base = path.parent().unwrap_or(Path::new(""));
    let join = |p: PathBuf| base.join(p);
    let mut unknown_keys: Vec<String> = raw.unknown;
    let mut print_schema = Vec::new();
    if let Some(root) = raw.print_schema {
        unknown_keys.extend(
            root.default
                .unknown
                .iter()
                .map(|k| format!("print_schema.{k}")),
        );
        if root.default.has_keys || root.named.is_empty() {
            print_schema.push(root.default.finish(None, path, &join)?);
        }
        for (name, section) in root.named {
            unknown_keys.extend(
                section
                    .unknown
                    .iter()
                    .map(|k| format!("print_schema.{name}.{k}")),
            );
            print_schema.push(section.finish(Some(name), path, &join)?);
        }
    }
    let migrations_directory = match raw.migrations_directory {
        Some(m) => {
            unknown_keys.extend(
                m.unknown
                    .iter()
                    .map(|k| format!("migrations_directory.{k}")),
            );
            m.dir.map(join)
        }
        None => None,
    };
    Ok(DieselToml {
        path: path.to_path_buf(),
        print_schema,
        migrations_directory,
        unknown_keys,
    })
}

// ---- serde side: typed per key so toml's errors keep their position ----

#[derive(Default)]
struct RawConfig {
    print_schema: Option<RawRoot>,
    migrations_directory: Option<RawMigrationsDirectory>,
    unknown: Vec<String>,
}

impl<'de> Deserialize<'de> for RawConfig {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawConfig;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a diesel.toml document")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawConfig, A::Error> {
                let mut out = RawConfig::default();
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "print_schema" => out.print_schema = Some(map.next_value()?),
                        "migrations_directory" => {
                            out.migrations_directory = Some(map.next_value()?);
                        }
                        _ => {
                            map.next_value::<de::IgnoredAny>()?;
                            out.unknown.push(key);
                        }
                    }
                }
                Ok(out)
            }
        }
        d.deserialize_map(V)
    }
}

#[derive(Default)]
struct RawMigrationsDirectory {
    dir: Option<PathBuf>,
    unknown: Vec<String>,
}

impl<'de> Deserialize<'de> for RawMigrationsDirectory {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawMigrationsDirectory;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a table with `dir`")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = RawMigrationsDirectory::default();
                while let Some(key) = map.next_key::<String>()? {
                    if key == "dir" {
                        out.dir = Some(map.next_value()?);
                    } else {
                        map.next_value::<de::IgnoredAny>()?;
                        out.unknown.push(key);
                    }
                }
                Ok(out)
            }
        }
        d.deserialize_map(V)
    }
}

/// `[print_schema]`: its own keys plus named sub-sections.
struct RawRoot {
    default: RawSection,
    named: Vec<(String, RawSection)>,
}

#[derive(Default)]
struct RawSection {
    has_keys: bool,
    file: Option<PathBuf>,
    schema: Option<String>,
    filter: Option<RawFilter>,
    patch_file: Option<PathBuf>,
    column_sorting: Option<ColumnSorting>,
    with_docs: Option<WithDocs>,
    import_types: Option<Vec<String>>,
    custom_type_derives: Option<Vec<String>>,
    generate_missing_sql_type_definitions: Option<bool>,
    sqlite_integer_primary_key_is_bigint: Option<bool>,
    except_custom_type_definitions: Option<Vec<String>>,
    pg_domains_as_custom_types: Option<Vec<String>>,
    allow_tables_to_appear_in_same_query_config: Option<String>,
    unknown: Vec<String>,
}

impl RawSection {
    /// Reads one known key; `Ok(false)` when `key` is not a print_schema key.
    fn read_key<'de, A: MapAccess<'de>>(
        &mut self,
        key: &str,
        map: &mut A,
    ) -> Result<bool, A::Error> {
        match key {
            "file" => self.file = Some(map.next_value()?),
            "schema" => self.schema = Some(map.next_value()?),
            "filter" => self.filter = Some(map.next_value()?),
            "patch_file" => self.patch_file = Some(map.next_value()?),
            "column_sorting" => self.column_sorting = Some(map.next_value()?),
            "with_docs" => self.with_docs = Some(map.next_value()?),
            "import_types" => self.import_types = Some(map.next_value()?),
            "custom_type_derives" => self.custom_type_derives = Some(map.next_value()?),
            "generate_missing_sql_type_definitions" => {
                self.generate_missing_sql_type_definitions = Some(map.next_value()?);
            }
            "sqlite_integer_primary_key_is_bigint" => {
                self.sqlite_integer_primary_key_is_bigint = Some(map.next_value()?);
            }
            "except_custom_type_definitions" => {
                self.except_custom_type_definitions = Some(map.next_value()?);
            }
            "pg_domains_as_custom_types" => {
                self.pg_domains_as_custom_types = Some(map.next_value()?);
            }
            "allow_tables_to_appear_in_same_query_config" => {
                self.allow_tables_to_appear_in_same_query_config = Some(map.next_value()?);
            }
            _ => return Ok(false),
        }
        self.has_keys = true;
        Ok(true)
    }

    fn finish(
        self,
        name: Option<String>,
        path: &Path,
        join: &dyn Fn(PathBuf) -> PathBuf,
    ) -> Result<PrintSchema, DiscoverError> {
        let section = match &name {
            Some(n) => format!("print_schema.{n}"),
            None => "print_schema".to_owned(),
        };
        let regexes = |key: &str, list: Vec<String>| -> Result<Vec<regex::Regex>, DiscoverError> {
            list.into_iter()
                .map(|pattern| {
                    regex::Regex::new(&pattern).map_err(|e| DiscoverError::BadRegex {
                        path: path.to_path_buf(),
                        key: format!("{section}.{key}"),
                        pattern: pattern.clone(),
                        message: e.to_string().lines().last().unwrap_or("").trim().to_owned(),
                    })
                })
                .collect()
        };
        let filter = match self.filter {
            None | Some(RawFilter::All) => Filter::All,
            Some(RawFilter::Only(l)) => Filter::OnlyTables(regexes("filter.only_tables", l)?),
            Some(RawFilter::Except(l)) => Filter::ExceptTables(regexes("filter.except_tables", l)?),
        };
        // Checked like diesel does, although dbopt does not use these lists.
        let except_custom_type_definitions =
            self.except_custom_type_definitions.unwrap_or_default();
        regexes(
            "except_custom_type_definitions",
            except_custom_type_definitions.clone(),
        )?;
        let pg_domains_as_custom_types = self.pg_domains_as_custom_types.unwrap_or_default();
        regexes(
            "pg_domains_as_custom_types",
            pg_domains_as_custom_types.clone(),
        )?;
        Ok(PrintSchema {
            name,
            file: self.file.map(join),
            schema: self.schema,
            filter,
            patch_file: self.patch_file.map(join),
            column_sorting: self.column_sorting.unwrap_or_default(),
            with_docs: self.with_docs.map(|w| w.0),
            import_types: self.import_types,
            custom_type_derives: self.custom_type_derives,
            generate_missing_sql_type_definitions: self.generate_missing_sql_type_definitions,
            sqlite_integer_primary_key_is_bigint: self.sqlite_integer_primary_key_is_bigint,
            except_custom_type_definitions,
            pg_domains_as_custom_types,
            allow_tables_to_appear_in_same_query_config: self
                .allow_tables_to_appear_in_same_query_config,
        })
    }
}

impl<'de> Deserialize<'de> for RawRoot {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawRoot;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a [print_schema] table")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawRoot, A::Error> {
                let mut default = RawSection::default();
                let mut named = Vec::new();
                while let Some(key) = map.next_key::<String>()? {
                    if default.read_key(&key, &mut map)? {
                        continue;
                    }
                    match map.next_value::<NamedOrOther>()? {
                        NamedOrOther::Named(section) => named.push((key, *section)),
                        NamedOrOther::Other => default.unknown.push(key),
                    }
                }
                Ok(RawRoot { default, named })
            }
        }
        d.deserialize_map(V)
    }
}

/// A table under `[print_schema]` is a named section; any other unknown value is tolerated.
enum NamedOrOther {
    Named(Box<RawSection>),
    Other,
}

impl<'de> Deserialize<'de> for NamedOrOther {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = NamedOrOther;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a [print_schema.<name>] table or a value")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<NamedOrOther, A::Error> {
                let mut section = RawSection::default();
                while let Some(key) = map.next_key::<String>()? {
                    if !section.read_key(&key, &mut map)? {
                        map.next_value::<de::IgnoredAny>()?;
                        section.unknown.push(key);
                    }
                }
                Ok(NamedOrOther::Named(Box::new(section)))
            }
            fn visit_bool<E>(self, _: bool) -> Result<NamedOrOther, E> {
                Ok(NamedOrOther::Other)
            }
            fn visit_i64<E>(self, _: i64) -> Result<NamedOrOther, E> {
                Ok(NamedOrOther::Other)
            }
            fn visit_u64<E>(self, _: u64) -> Result<NamedOrOther, E> {
                Ok(NamedOrOther::Other)
            }
            fn visit_f64<E>(self, _: f64) -> Result<NamedOrOther, E> {
                Ok(NamedOrOther::Other)
            }
            fn visit_str<E>(self, _: &str) -> Result<NamedOrOther, E> {
                Ok(NamedOrOther::Other)
            }
            fn visit_seq<A: de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<NamedOrOther, A::Error> {
                while seq.next_element::<de::IgnoredAny>()?.is_some() {}
                Ok(NamedOrOther::Other)
            }
        }
        d.deserialize_any(V)
    }
}

/// diesel's `Filtering`: exactly one of `only_tables` / `except_tables`, or neither.
enum RawFilter {
    All,
    Only(Vec<String>),
    Except(Vec<String>),
}

impl<'de> Deserialize<'de> for RawFilter {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawFilter;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a table with `only_tables` or `except_tables`")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawFilter, A::Error> {
                let mut only: Option<Vec<String>> = None;
                let mut except: Option<Vec<String>> = None;
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "only_tables" => only = Some(map.next_value()?),
                        "except_tables" => except = Some(map.next_value()?),
                        other => {
                            return Err(de::Error::unknown_field(
                                other,
                                &["only_tables", "except_tables"],
                            ));
                        }
                    }
                }
                match (only, except) {
                    (None, None) => Ok(RawFilter::All),
                    (Some(o), None) => Ok(RawFilter::Only(o)),
                    (None, Some(e)) => Ok(RawFilter::Except(e)),
                    (Some(_), Some(_)) => Err(de::Error::custom(
                        "`only_tables` and `except_tables` cannot both be set",
                    )),
                }
            }
        }
        d.deserialize_map(V)
    }
}

/// `with_docs = true` or `with_docs = "only-database-comments"`, kept as text.
struct WithDocs(String);

impl<'de> Deserialize<'de> for WithDocs {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = WithDocs;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a boolean or a doc mode string")
            }
            fn visit_bool<E>(self, v: bool) -> Result<WithDocs, E> {
                Ok(WithDocs(v.to_string()))
            }
            fn visit_str<E>(self, v: &str) -> Result<WithDocs, E> {
                Ok(WithDocs(v.to_owned()))
            }
        }
        d.deserialize_any(V)
    }
}
