//! Replay of migrations into a [`Schema`]: every statement of every `up.sql`, in diesel's
//! order, applied to the model with PostgreSQL's semantics (SQLite and MySQL parse with
//! their own dialect into the same model; their differences are listed at the end).
//!
//! Applied: CREATE/ALTER/DROP TABLE, CREATE/DROP/ALTER INDEX, CREATE/DROP SCHEMA, and the
//! names taken by views and sequences. Everything else (functions, triggers, COMMENT,
//! GRANT, types, extensions, transactions, data changes) leaves the model alone.
//!
//! Decisions where PostgreSQL's behaviour is subtle:
//! * `search_path` is not modelled: an unqualified name is in the backend's default schema
//!   (`public`, `main`, none for MySQL). Of a longer name the last two parts are used.
//! * Identifiers: unquoted ones are folded to lower case (on every backend, so the model
//!   compares like schema.rs does), quoted ones are kept verbatim.
//! * Generated names follow `ChooseRelationName` / `ChooseConstraintName`: index, table,
//!   sequence and view names share one namespace per schema; PK and UNIQUE index names must
//!   also be free as constraint names, FK names only as constraint names (schema-wide, named
//!   CHECKs included). `serial` and identity columns take `<table>_<column>_seq` first.
//! * `CREATE TABLE` builds the PK's index first, then UNIQUE indexes in written order
//!   (column constraints before table constraints: sqlparser keeps them apart), then FKs.
//!   A UNIQUE identical to the PK or to an earlier one of the same statement creates no
//!   index (its name goes to the earlier one if that had none), as
//!   `transformIndexConstraints` does; each ALTER TABLE subcommand is on its own.
//! * Index keys: `(col)`, `col COLLATE x` and a cast of a column to its own type are the
//!   plain column, as in `pg_index`; other expressions are kept as sqlparser prints them,
//!   unquoted words folded, outer parentheses dropped. Renaming or dropping a column follows
//!   the references inside expressions and predicates at token level.
//! * Types are kept as written, lower case (`varchar(30)`, `serial`), not as `format_type`
//!   spells them. `serial` types and identity columns are NOT NULL; so are PK columns.
//! * Errors are not modelled. Dropping a table, a column or a PK/UNIQUE constraint also
//!   drops the FKs that depend on it, with or without `CASCADE` (without it PostgreSQL would
//!   have failed the migration). A statement on a table the model does not know is skipped;
//!   one that names an unknown column of a known table (`CREATE INDEX`, an FK to a table
//!   made by an unparsed statement) is applied, since the migration did run. `DROP INDEX` of
//!   an index backing a constraint is skipped, as PostgreSQL refuses it. TEMP tables are
//!   left out.
//! * Not modelled: `ALTER TABLE .. SET SCHEMA` and `CREATE INDEX .. ON ONLY` (sqlparser
//!   0.64 rejects them: they come back as unparsed statements), EXCLUDE constraints,
//!   `CREATE TABLE .. (LIKE ..)`, the indexes of a `PARTITION OF` table (it gets its
//!   parent's columns), CHECK expressions.
//! * Origins: a table, index or FK keeps the span of the statement that created it (an FK
//!   its own clause when sqlparser's locations check out); a column's origin moves to the
//!   statement that last changed its type or nullability.
//!
//! Other backends:
//! * MySQL (checked against MariaDB): PK index `PRIMARY`; unnamed UNIQUE/KEY indexes and FK
//!   indexes take the first column's name (`_2`, `_3` on repeats); of repeated keys only a
//!   UNIQUE identical to the PK is merged (also `SERIAL`'s implicit UNIQUE); unnamed FKs are
//!   `<table>_ibfk_<n>`; InnoDB adds an index (kind
//!   `ForeignKey`) for each FK whose columns no index starts with, named after the
//!   constraint, else the column. Index names are per table.
//! * SQLite (checked against sqlite3): `INTEGER PRIMARY KEY` is the rowid (nullable unless
//!   declared NOT NULL, as pragma_table_info and diesel print-schema say; modelled as a PK
//!   index named `rowid`); other PK and UNIQUE constraints get
//!   `sqlite_autoindex_<table>_<n>` in written order (identical ones merged, but not into
//!   the rowid) and do not make their columns NOT NULL, except in a `WITHOUT ROWID` table
//!   (whose PK index is numbered last); no index for FKs, whose names follow PostgreSQL's
//!   rule. `DROP TABLE` keeps the FKs that reference the table (the create-copy-drop-rename
//!   rebuild re-targets them) and `RENAME TO` renames its `sqlite_autoindex_*` indexes.

mod alter_table;
mod create_table;
mod drop;
mod expr;
mod index;
mod names;
mod span;
mod targets;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, HashMap, HashSet};

use sqlparser::ast::{SchemaName, Statement};

use crate::model::{Backend, Origin, QualName, Schema};
use crate::source::{FileId, SourceMap, Span};
use crate::sql::{
    LoadedMigration, Replay, SqlStatement, StatementKind, StatementRecord, Unparsed, split,
};

/// Applies every migration's `up.sql` in the given (diesel) order.
pub(crate) use names::parts as name_parts;

pub fn replay(backend: Backend, sources: &SourceMap, migrations: &[LoadedMigration]) -> Replay {
    let mut replayer = Replayer::new(backend);
    for m in migrations {
        let statements = split::split(sources.text(m.up_sql), backend);
        replayer.migration(sources, m.up_sql, statements);
    }
    replayer.finish()
}

/// A replay fed one migration at a time, so that reading and parsing the next files can
/// run on another thread while this one applies the statements (see
/// [`crate::project::analyze`]). Feeding every migration in order gives what [`replay`]
/// gives.
#[derive(Debug)]
pub struct Replayer {
    state: State,
    /// The statements and unparsed ones so far (the schema is `state`'s until the end).
    done: Replay,
    /// How many migrations were applied: the next one's index.
    next: usize,
}

impl Replayer {
    pub fn new(backend: Backend) -> Self {
        Replayer {
            state: State::new(backend),
            done: Replay::default(),
            next: 0,
        }
    }

    /// Applies the next migration: `up_sql` is its file in `sources`, `statements` what
    /// [`split::split`] made of that file's text with this replay's backend.
    pub fn migration(
        &mut self,
        sources: &SourceMap,
        up_sql: FileId,
        statements: Vec<SqlStatement>,
    ) {
        let i = self.next;
        self.next += 1;
        let state = &mut self.state;
        state.set_text(sources.text(up_sql));
        for statement in statements {
            let span = Span::new(up_sql, statement.range.clone());
            state.origin = Origin {
                span: span.clone(),
                migration: Some(i),
            };
            if let StatementKind::Unparsed { message, offset } = &statement.kind {
                // The span is the whole statement; where the parser stopped inside it goes
                // into the message.
                let message = match offset {
                    Some(at) if *at > statement.range.start && *at < statement.range.end => {
                        let at = sources.line_col(up_sql, *at);
                        format!("{message} (line {}, column {})", at.line, at.column)
                    }
                    _ => message.clone(),
                };
                self.done.unparsed.push(Unparsed {
                    span: span.clone(),
                    message,
                    migration: i,
                });
            }
            let targets = state.targets(&statement.kind);
            state.apply_statement(&statement.kind);
            #[cfg(test)]
            state.assert_names_indexed();
            self.done.statements.push(StatementRecord {
                migration: i,
                span,
                statement,
                targets,
            });
        }
    }

    pub fn finish(self) -> Replay {
        Replay {
            schema: self.state.schema,
            seeded: self.state.seeded,
            ..self.done
        }
    }
}

/// The model being built plus what PostgreSQL's naming needs beyond it.
#[derive(Debug)]
struct State {
    backend: Backend,
    schema: Schema,
    /// Tables `INSERT .. VALUES` filled with fixed rows.
    seeded: Vec<QualName>,
    /// Column names per table, built on the first `ADD COLUMN` and kept while only columns
    /// are added; every other statement clears it.
    column_names: HashMap<QualName, HashSet<String>>,
    /// Relations outside the model that still take a name: sequences (owned by a column for
    /// `serial` and identity columns) and views, with their owning column.
    others: BTreeMap<QualName, Option<(QualName, String)>>,
    /// Named CHECK constraints per table (they take constraint names).
    checks: BTreeMap<QualName, Vec<String>>,
    /// The statement being applied.
    origin: Origin,
    /// The text of the file the statement is in.
    text: String,
    /// The lines of `text` after its byte-order mark, where sqlparser's locations count from.
    lines: crate::sql::location::Lines,
    /// Where each name of the namespaces above lives.
    names: names::NameIndex,
}

impl State {
    fn new(backend: Backend) -> Self {
        State {
            backend,
            schema: Schema::default(),
            seeded: Vec::new(),
            column_names: HashMap::new(),
            others: BTreeMap::new(),
            checks: BTreeMap::new(),
            origin: Origin {
                span: Span::new(crate::source::FileId(0), 0..0),
                migration: None,
            },
            text: String::new(),
            lines: crate::sql::location::Lines::default(),
            names: names::NameIndex::default(),
        }
    }

    /// Makes `text` the file whose statements are applied next.
    fn set_text(&mut self, text: &str) {
        text.clone_into(&mut self.text);
        self.lines =
            crate::sql::location::Lines::new(self.text.get(span::bom(text)..).unwrap_or_default());
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
            StatementKind::Neutral {
                seeds: Some(path), ..
            } => {
                if let Some(name) = names::qualify(self.backend, path)
                    && !self.seeded.contains(&name)
                {
                    self.seeded.push(name);
                }
            }
            StatementKind::Neutral { .. } | StatementKind::Unparsed { .. } => {}
        }
    }

    fn qual(&self, name: &sqlparser::ast::ObjectName) -> Option<QualName> {
        names::qual(self.backend, name)
    }

    fn apply(&mut self, statement: &Statement) {
        if !matches!(statement, Statement::AlterTable(_)) && !self.column_names.is_empty() {
            self.column_names.clear();
        }
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
                table,
                ..
            } => self.drop(*object_type, names, table.as_ref()),
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
            self.note_other(&name, owner.as_ref().map(|(t, _)| t));
            self.others.insert(name, owner);
        }
    }
}
