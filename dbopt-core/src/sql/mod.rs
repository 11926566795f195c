//! Migrations: discovery (diesel.toml, folder order, metadata.toml), statement splitting and
//! parsing, and replay into a [`Schema`].

pub mod discover;
mod keyword;
mod location;
pub mod naming;
pub mod replay;
pub mod split;
pub mod suppress;
pub mod types;

use std::ops::Range;
use std::path::PathBuf;

use crate::model::{Backend, Column, Origin, QualName, Schema};
use crate::schema_rs::SchemaFile;
use crate::source::{FileId, SourceMap, Span};

/// One migration folder, as diesel sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Migration {
    /// The folder name before the first `_` with every `-` removed; diesel sorts by this.
    pub version: String,
    /// The whole folder name.
    pub name: String,
    pub dir: PathBuf,
    /// `metadata.toml`'s `run_in_transaction` (default `true`).
    pub run_in_transaction: bool,
}

/// A migration whose `up.sql` has been read into the [`SourceMap`].
#[derive(Debug, Clone)]
pub struct LoadedMigration {
    pub migration: Migration,
    pub up_sql: FileId,
}

/// One statement of a SQL file: its byte range in the file and what it is.
#[derive(Debug, Clone)]
pub struct SqlStatement {
    /// From the statement's first token to its last token (the `;` excluded).
    pub range: Range<usize>,
    pub kind: StatementKind,
}

/// What a statement is after parsing.
#[derive(Debug, Clone)]
pub enum StatementKind {
    /// Parsed by sqlparser.
    Parsed(Box<sqlparser::ast::Statement>),
    /// `DROP INDEX [CONCURRENTLY] [IF EXISTS] name [, ..] [CASCADE | RESTRICT]`, read by a
    /// keyword handler where sqlparser rejects it. Names are folded like identifiers.
    DropIndex {
        names: Vec<ObjectPath>,
        concurrently: bool,
        if_exists: bool,
    },
    /// `ALTER INDEX [IF EXISTS] name RENAME TO new_name`.
    AlterIndexRename {
        name: ObjectPath,
        new_name: String,
        if_exists: bool,
    },
    /// Rejected by the parser, but its leading keywords say it cannot change tables, columns
    /// or indexes: `DO`, `CREATE [OR REPLACE] FUNCTION | PROCEDURE | [CONSTRAINT] TRIGGER |
    /// EVENT [TRIGGER]`, `COMMENT ON`, `GRANT`, `REVOKE`, `REINDEX`, `PRAGMA`, `ALTER
    /// SEQUENCE`, `CREATE STATISTICS`. Replay passes over it without a finding. Parsed
    /// `INSERT`, `UPDATE` and `DELETE` statements are kept this way too (no rule
    /// reads their syntax tree, and seed-data migrations hold hundreds of thousands of them),
    /// and so are data statements too large to parse (see [`split::MAX_STATEMENT_TOKENS`]).
    Neutral {
        /// The leading keywords, upper case and single-spaced (`"CREATE TRIGGER"`).
        keyword: &'static str,
        /// The table an `INSERT .. VALUES (..)` fills with fixed rows: a seeded table, which
        /// `unbounded_load` may load whole.
        seeds: Option<ObjectPath>,
    },
    /// Rejected by the parser and every keyword handler.
    Unparsed {
        /// The parser's message, without its own position suffix.
        message: String,
        /// Byte offset in the file the parser pointed at, when it gave one.
        offset: Option<usize>,
    },
}

/// A possibly schema-qualified object name, each part already folded (`Public."Users"` ->
/// `["public", "Users"]`).
pub type ObjectPath = Vec<String>;

/// A statement the parser rejected, for the `unparsed_statement` rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unparsed {
    pub span: Span,
    pub message: String,
    pub migration: usize,
}

/// One applied statement, kept for rules that judge statements (not only the final schema).
#[derive(Debug, Clone)]
pub struct StatementRecord {
    /// Index into the migrations slice replay was given.
    pub migration: usize,
    pub span: Span,
    pub statement: SqlStatement,
    /// The tables the statement acts on, as the model knew them just before it ran (see
    /// [`TargetTable`]). Tables the model does not know are left out.
    pub targets: Vec<TargetTable>,
}

/// A table a statement acts on, recorded by replay before applying the statement: the
/// table of an `ALTER TABLE`, `CREATE INDEX` or `DROP INDEX`, each table of a `DROP TABLE`
/// or `RENAME TABLE`. Through renames it is the same table: `created` is where it was
/// created, so `created.migration` says whether it is new in the statement's migration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetTable {
    /// The table's name before the statement.
    pub name: QualName,
    /// The statement that created the table and its migration.
    pub created: Origin,
    /// The table's columns before the statement: every one for `DROP TABLE` and `ALTER TABLE
    /// .. RENAME TO`, the ones it names (adds, drops, renames, changes) for another `ALTER
    /// TABLE`, none for other statements.
    pub columns: Vec<Column>,
    /// `DROP INDEX` / `ALTER INDEX` only: where the index was created.
    pub index: Option<Origin>,
}

/// The result of replaying every migration in order.
#[derive(Debug, Clone, Default)]
pub struct Replay {
    pub schema: Schema,
    /// Tables the migrations fill with fixed rows (`INSERT INTO t VALUES (..)`), in the order
    /// first seen: lookup tables small enough to load whole.
    pub seeded: Vec<crate::model::QualName>,
    pub statements: Vec<StatementRecord>,
    pub unparsed: Vec<Unparsed>,
}

/// Everything a schema rule may look at for one project.
#[derive(Debug, Clone, Copy)]
pub struct SchemaContext<'a> {
    pub sources: &'a SourceMap,
    pub backend: Backend,
    pub migrations: &'a [LoadedMigration],
    pub replay: &'a Replay,
    pub schema_files: &'a [SchemaFile],
}
