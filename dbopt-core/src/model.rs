//! The schema model both front ends produce: replayed migrations and schema.rs.
//!
//! Names are stored the way the database stores them: unquoted identifiers folded to lower
//! case (PostgreSQL), quoted ones verbatim. Every object remembers where it came from.

use std::collections::BTreeMap;
use std::fmt;

use crate::source::Span;

/// The database a project targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Backend {
    Postgres,
    Sqlite,
    Mysql,
}

impl Backend {
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Postgres => "postgres",
            Backend::Sqlite => "sqlite",
            Backend::Mysql => "mysql",
        }
    }

    /// The schema an unqualified name lives in.
    pub fn default_schema(self) -> &'static str {
        match self {
            Backend::Postgres => "public",
            Backend::Sqlite => "main",
            Backend::Mysql => "",
        }
    }
}

impl std::str::FromStr for Backend {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "postgres" | "postgresql" | "pg" => Ok(Backend::Postgres),
            "sqlite" => Ok(Backend::Sqlite),
            "mysql" | "mariadb" => Ok(Backend::Mysql),
            other => Err(format!(
                "unknown backend `{other}`; expected one of: postgres, sqlite, mysql"
            )),
        }
    }
}

/// A schema-qualified relation name. `schema` is always filled in (the backend's default
/// schema for unqualified names), so `users` and `public.users` compare equal.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct QualName {
    pub schema: String,
    pub name: String,
}

impl QualName {
    pub fn new(schema: impl Into<String>, name: impl Into<String>) -> Self {
        QualName {
            schema: schema.into(),
            name: name.into(),
        }
    }

    /// `true` for the default schema of any backend (`public`, `main`, none).
    pub fn in_default_schema(&self) -> bool {
        matches!(self.schema.as_str(), "public" | "main" | "")
    }
}

/// `users` for the default schema, `audit.events` otherwise (the JSON and message form).
impl fmt::Display for QualName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.in_default_schema() {
            f.write_str(&self.name)
        } else {
            write!(f, "{}.{}", self.schema, self.name)
        }
    }
}

/// Where an object was created or last changed: the statement's span, and the index of the
/// migration in the applied order (`None` for schema.rs objects).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Origin {
    pub span: Span,
    pub migration: Option<usize>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    /// The type as written, normalised to lower case with single spaces (`character varying(20)`).
    /// For schema.rs columns: diesel's SQL type without the outer `Nullable<>` and without
    /// path prefixes (`Text`, `Array<Nullable<Int4>>`, a custom `Mood`).
    pub sql_type: String,
    pub nullable: bool,
    pub origin: Origin,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForeignKey {
    /// The constraint name, as PostgreSQL would generate it when none is given.
    pub name: String,
    pub columns: Vec<String>,
    pub referenced_table: QualName,
    /// Empty in the SQL means the referenced table's primary key; filled in at replay.
    pub referenced_columns: Vec<String>,
    /// `false` after `NOT VALID` until `VALIDATE CONSTRAINT`.
    pub validated: bool,
    pub origin: Origin,
}

/// One key of an index: a plain column or an expression (as written, normalised).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum IndexKey {
    Column(String),
    Expression(String),
}

/// Why an index exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IndexKind {
    /// `CREATE INDEX`.
    Explicit,
    /// Backs a PRIMARY KEY constraint.
    PrimaryKey,
    /// Backs a UNIQUE constraint (the constraint has the index's name).
    UniqueConstraint,
    /// Created by the database for a foreign key (MySQL/InnoDB).
    ForeignKey,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Index {
    pub name: String,
    pub unique: bool,
    /// Access method, lower case: `btree`, `gin`, `gist`, `hash`, `brin`, ...
    pub method: String,
    pub keys: Vec<IndexKey>,
    /// `INCLUDE (..)` columns; they never count for covering.
    pub include: Vec<String>,
    /// The `WHERE` predicate of a partial index, normalised.
    pub predicate: Option<String>,
    pub kind: IndexKind,
    /// `false` for an index PostgreSQL would leave invalid (not produced by replay today,
    /// kept for symmetry with pg_index.indisvalid).
    pub valid: bool,
    pub origin: Origin,
}

impl Index {
    /// The leading plain-column keys, up to the first expression.
    pub fn leading_columns(&self) -> impl Iterator<Item = &str> {
        self.keys.iter().map_while(|k| match k {
            IndexKey::Column(c) => Some(c.as_str()),
            IndexKey::Expression(_) => None,
        })
    }

    /// DESIGN.md §2: valid, not partial, and its first n key columns (n = FK columns) are
    /// plain columns whose set equals the FK's columns.
    pub fn covers(&self, columns: &[String]) -> bool {
        if !self.valid || self.predicate.is_some() || self.keys.len() < columns.len() {
            return false;
        }
        let mut lead: Vec<&str> = Vec::with_capacity(columns.len());
        for key in &self.keys[..columns.len()] {
            match key {
                IndexKey::Column(c) => lead.push(c),
                IndexKey::Expression(_) => return false,
            }
        }
        let mut want: Vec<&str> = columns.iter().map(String::as_str).collect();
        lead.sort_unstable();
        want.sort_unstable();
        lead == want
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub name: QualName,
    pub columns: Vec<Column>,
    /// Primary key columns in key order; empty when there is none.
    pub primary_key: Vec<String>,
    pub foreign_keys: Vec<ForeignKey>,
    pub indexes: Vec<Index>,
    pub origin: Origin,
}

impl Table {
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// `true` when some index on this table covers the columns (see [`Index::covers`]).
    pub fn is_covered(&self, columns: &[String]) -> bool {
        self.indexes.iter().any(|i| i.covers(columns))
    }
}

/// The whole schema after replay (or as schema.rs describes it).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Schema {
    pub tables: BTreeMap<QualName, Table>,
    /// Schemas created with `CREATE SCHEMA` (the default one is implicit).
    pub schemas: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::FileId;

    fn index(keys: &[&str], predicate: Option<&str>) -> Index {
        Index {
            name: "i".into(),
            unique: false,
            method: "btree".into(),
            keys: keys
                .iter()
                .map(|k| {
                    if k.contains('(') {
                        IndexKey::Expression((*k).into())
                    } else {
                        IndexKey::Column((*k).into())
                    }
                })
                .collect(),
            include: vec![],
            predicate: predicate.map(Into::into),
            kind: IndexKind::Explicit,
            valid: true,
            origin: Origin {
                span: Span::new(FileId(0), 0..0),
                migration: None,
            },
        }
    }

    fn cols(c: &[&str]) -> Vec<String> {
        c.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn covering_follows_design() {
        assert!(index(&["a"], None).covers(&cols(&["a"])));
        assert!(index(&["a", "b"], None).covers(&cols(&["a"])));
        assert!(index(&["b", "a"], None).covers(&cols(&["a", "b"])));
        assert!(!index(&["b", "a"], None).covers(&cols(&["a"])));
        assert!(!index(&["a"], Some("a > 0")).covers(&cols(&["a"])));
        assert!(!index(&["lower(a)"], None).covers(&cols(&["a"])));
        assert!(!index(&["a"], None).covers(&cols(&["a", "b"])));
    }

    #[test]
    fn default_schema_is_not_written() {
        assert_eq!(QualName::new("public", "users").to_string(), "users");
        assert_eq!(QualName::new("audit", "events").to_string(), "audit.events");
    }
}
