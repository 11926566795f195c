//! diesel's `schema.rs` (`table!`, `joinable!`, `allow_tables_to_appear_in_same_query!`) read
//! with syn into the schema model.
//!
//! * [`table`] is the grammar of one `table!` invocation (diesel_table_macro_syntax's, for
//!   one or several tables).
//! * [`walk`] visits the file's items, nested `pub mod <schema> { .. }` included, and
//!   resolves Rust table names to SQL names.
//! * [`position`] turns proc-macro2 line/column locations into byte offsets.

pub mod position;
pub mod table;
pub mod walk;

use std::path::{Path, PathBuf};

use crate::model::{Backend, QualName, Schema};
use crate::source::{FileId, Span};
use crate::sql::discover::PrintSchema;

pub use walk::parse_schema_rs;

/// One parsed schema.rs file.
#[derive(Debug, Clone)]
pub struct SchemaFile {
    pub file: FileId,
    /// Tables keyed by SQL name (`#[sql_name]` applied, schema from `schema.table`, else the
    /// print_schema `schema` option, else the backend's default). Each column's `sql_type`
    /// is the Rust SQL type without the outer `Nullable<>` and without path prefixes
    /// (`Text`, `Array<Nullable<Int4>>`, `MyEnum`); `nullable` says whether it was there.
    /// Spans: a table's origin is its name in `table!`, a column's its name.
    pub schema: Schema,
    pub joinables: Vec<Joinable>,
    /// Each `allow_tables_to_appear_in_same_query!` group.
    pub same_query_groups: Vec<Vec<QualName>>,
    /// The diesel.toml `[print_schema]` section this file is the `file` of, when known.
    pub print_schema: Option<PrintSchema>,
    /// Custom SQL types declared in the file (`pub mod sql_types { .. }`), so a column type
    /// such as `Mood` can be matched with the database type `mood`.
    pub sql_types: Vec<CustomSqlType>,
    /// The print_schema `patch_file` (a unified diff diesel applies to its output), loaded
    /// into the source map by the project driver; `None` when there is none.
    pub patch: Option<FileId>,
}

/// `#[derive(SqlType)] #[diesel(postgres_type(name = "mood", schema = "app"))] pub struct Mood;`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomSqlType {
    /// The struct's name, as columns refer to it (`Mood`).
    pub rust_name: String,
    /// `postgres_type`, `mysql_type` or `sqlite_type`.
    pub kind: String,
    /// The `name = ".."` argument (the database type's name), when given.
    pub db_name: Option<String>,
    /// The `schema = ".."` argument (PostgreSQL), when given.
    pub db_schema: Option<String>,
    /// The struct's name in the file.
    pub span: Span,
}

/// `joinable!(child -> parent (fk_column));`, names resolved to SQL names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Joinable {
    pub child: QualName,
    pub parent: QualName,
    /// The SQL name of the child's column (its `#[sql_name]` when it has one).
    pub column: String,
    /// The whole `joinable!(..)` invocation.
    pub span: Span,
}

/// A schema.rs that syn (or the `table!` grammar) rejects.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot parse `{}` at line {line}, column {column}: {message}", path.display())]
pub struct SchemaRsError {
    pub path: PathBuf,
    pub line: usize,
    /// 1-based, counted in characters.
    pub column: usize,
    pub message: String,
}

/// What [`parse_schema_rs`] needs besides the text.
#[derive(Debug, Clone, Copy)]
pub struct SchemaRsInput<'a> {
    pub file: FileId,
    /// Named in errors.
    pub path: &'a Path,
    pub text: &'a str,
    /// The print_schema `schema` option, used for tables written without `schema.`.
    pub default_schema: Option<&'a str>,
    pub backend: Backend,
}

#[cfg(test)]
mod tests;
