//! Replay of migrations into a [`Schema`]: every statement of every `up.sql`, in diesel's
//! order, applied to the model with PostgreSQL's semantics.
//!
//! Decisions where PostgreSQL's behaviour is subtle:
//! * `search_path` is not modelled: an unqualified name is in the backend's default schema
//!   (`public`, `main`, none for MySQL). Of a longer name the last two parts are used.
//! * Identifiers: unquoted ones are folded to lower case (on every backend, so the model
//!   compares like schema.rs does), quoted ones are kept verbatim.
//! * Generated names follow `ChooseRelationName` / `ChooseConstraintName`: index, table,
//!   sequence and view names share one namespace per schema; PK and UNIQUE index names must
//!   also be free as constraint names, FK names only as constraint names (schema-wide, CHECK
//!   names included). `serial` and identity columns take `<table>_<column>_seq` first.
//! * `CREATE TABLE` creates the PK index first, then UNIQUE indexes in written order (columns
//!   before table constraints: sqlparser keeps them apart), then FKs. A UNIQUE constraint
//!   identical to the PK or to an earlier one of the same statement creates no index (its
//!   name goes to the earlier one if that had none), as `transformIndexConstraints` does.
//! * `serial` types and identity columns are NOT NULL; so are PK columns (on SQLite only an
//!   `INTEGER PRIMARY KEY`, the rowid, which is modelled as a PK index named `rowid`).
//! * Errors are not modelled: a statement PostgreSQL would reject is applied as far as it
//!   makes sense (dropping a table or column also drops the FKs that point at it, with or
//!   without `CASCADE`), or skipped when it names an object the model does not know.
//!   `DROP INDEX` of an index that backs a constraint is skipped, as PostgreSQL refuses it.
//! * `ALTER TABLE .. SET SCHEMA` and `CREATE INDEX .. ON ONLY` are not read by sqlparser
//!   0.64; they come back as unparsed statements.
//! * Origins: a table, index or FK keeps the span of the statement that created it; a
//!   column's origin moves to the statement that last changed its type or nullability.
//! * MySQL (checked against MariaDB): PK index `PRIMARY`, unnamed UNIQUE/KEY indexes and FK
//!   indexes take the first column's name (`_2`, `_3` on repeats), unnamed FKs are
//!   `<table>_ibfk_<n>`, and InnoDB adds an index (kind `ForeignKey`) for each FK whose
//!   columns no index starts with. SQLite: `sqlite_autoindex_<table>_<n>` for PK and
//!   UNIQUE, no index for FKs.

mod alter_table;
mod create_table;
mod drop;
mod expr;
mod index;
mod names;
mod span;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use sqlparser::ast::{SchemaName, Statement};

use crate::model::{Backend, Origin, QualName, Schema};
use crate::source::{SourceMap, Span};
use crate::sql::{LoadedMigration, Replay, StatementKind, StatementRecord, Unparsed, split};

/// Applies every migration's `up.sql` in the given (diesel) order.
pub fn replay(backend: Backend, sources: &SourceMap, migrations: &[LoadedMigration]) -> Replay {
    let mut state = State::new(backend);
    let mut statements = Vec::new();
    let mut unparsed = Vec::new();
    for (i, m) in migrations.iter().enumerate() {
        let text = sources.text(m.up_sql);
        text.clone_into(&mut state.text);
        for statement in split::split(text, backend) {
            let span = Span::new(m.up_sql, statement.range.clone());
            state.origin = Origin {
                span: span.clone(),
                migration: Some(i),
            };
            if let StatementKind::Unparsed { message, .. } = &statement.kind {
                unparsed.push(Unparsed {
                    span: span.clone(),
                    message: message.clone(),
                    migration: i,
                });
            }
            state.apply_statement(&statement.kind);
            statements.push(StatementRecord {
                migration: i,
                span,
                statement,
            });
        }
    }
    Replay {
        schema: state.schema,
        statements,
        unparsed,
    }
}

/// A relation outside the model that still takes a name: a sequence (owned by a column for
/// `serial` and identity columns) or a view.
#[derive(Debug, Clone)]
struct OtherRelation {
    name: QualName,
    owner: Option<(QualName, String)>,
}

/// The model being built plus what PostgreSQL's naming needs beyond it.
#[derive(Debug)]
struct State {
    backend: Backend,
    schema: Schema,
    others: Vec<OtherRelation>,
    /// Named CHECK constraints per table (they take constraint names).
    checks: BTreeMap<QualName, Vec<String>>,
    /// The statement being applied.
    origin: Origin,
    /// The text of the file the statement is in.
    text: String,
}

impl State {
    fn new(backend: Backend) -> Self {
        State {
            backend,
            schema: Schema::default(),
            others: Vec::new(),
            checks: BTreeMap::new(),
            origin: Origin {
                span: Span::new(crate::source::FileId(0), 0..0),
                migration: None,
            },
            text: String::new(),
        }
    }

    /// Applies one statement to the model (an unparsed one changes nothing).
    fn apply_statement(&mut self, kind: &StatementKind) {
        match kind {
            StatementKind::Parsed(s) => self.apply(s),
            StatementKind::DropIndex { names, .. } => {
                for path in names {
                    if let Some(name) = names::qualify(self.backend, path) {
                        self.drop_index(&name, None);
                    }
                }
            }
            StatementKind::AlterIndexRename { name, new_name, .. } => {
                if let Some(name) = names::qualify(self.backend, name) {
                    self.rename_index(&name, new_name);
                }
            }
            StatementKind::Unparsed { .. } => {}
        }
    }

    fn qual(&self, name: &sqlparser::ast::ObjectName) -> Option<QualName> {
        names::qual(self.backend, name)
    }

    fn apply(&mut self, statement: &Statement) {
        match statement {
            Statement::CreateTable(ct) => self.create_table(ct),
            Statement::AlterTable(at) => self.alter_table(at),
            Statement::CreateIndex(ci) => self.create_index(ci),
            Statement::AlterIndex { name, operation } => {
                let sqlparser::ast::AlterIndexOperation::RenameIndex { index_name } = operation;
                if let (Some(name), Some(new)) = (self.qual(name), names::last(index_name)) {
                    self.rename_index(&name, &new);
                }
            }
            Statement::Drop {
                object_type,
                names,
                cascade,
                table,
                ..
            } => self.drop(*object_type, names, *cascade, table.as_ref()),
            Statement::CreateSchema { schema_name, .. } => {
                let name = match schema_name {
                    SchemaName::Simple(n) | SchemaName::NamedAuthorization(n, _) => names::last(n),
                    SchemaName::UnnamedAuthorization(i) => Some(names::fold(i)),
                };
                if let Some(name) = name
                    && !self.schema.schemas.contains(&name)
                {
                    self.schema.schemas.push(name);
                }
            }
            Statement::CreateView(v) => {
                if let Some(name) = self.qual(&v.name) {
                    self.add_other(name, None);
                }
            }
            Statement::CreateSequence { name, .. } => {
                if let Some(name) = self.qual(name) {
                    self.add_other(name, None);
                }
            }
            Statement::RenameTable(renames) => {
                for r in renames {
                    if let (Some(old), Some(new)) = (self.qual(&r.old_name), self.qual(&r.new_name))
                    {
                        self.rename_table(&old, new);
                    }
                }
            }
            _ => {}
        }
    }

    fn add_other(&mut self, name: QualName, owner: Option<(QualName, String)>) {
        if !self.relation_taken(&name.schema, &name.name) {
            self.others.push(OtherRelation { name, owner });
        }
    }
}
