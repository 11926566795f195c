//! `CREATE TABLE`, column definitions and the constraints shared with `ALTER TABLE .. ADD`:
//! PRIMARY KEY and UNIQUE (each with its index), FOREIGN KEY, named CHECK.

use sqlparser::ast::{
    ColumnDef, ColumnOption, CreateTable, GeneratedAs, Ident, IndexColumn, IndexType, Spanned,
    SqliteTableOption, TableConstraint,
};

use crate::model::{Backend, Column, ForeignKey, Index, IndexKey, IndexKind, QualName, Table};
use crate::sql::naming;

use super::State;
use super::expr;
use super::names::{self, fold};

/// An index a constraint asks for.
#[derive(Debug, Clone)]
pub(super) struct IndexSpec {
    pub name: Option<String>,
    pub kind: IndexKind,
    pub keys: Vec<IndexKey>,
    /// Each key's contribution to a generated name (`lower`, `expr`, the column).
    pub key_names: Vec<String>,
    pub include: Vec<String>,
    pub method: String,
}

#[derive(Debug, Clone)]
pub(super) struct FkSpec {
    pub name: Option<String>,
    /// MySQL's `FOREIGN KEY index_name (..)`.
    pub index_name: Option<String>,
    pub columns: Vec<String>,
    pub table: QualName,
    pub referenced: Vec<String>,
    pub validated: bool,
    /// The FK's clause in the file, when sqlparser's locations check out.
    pub range: Option<std::ops::Range<usize>>,
}

/// What one statement adds besides columns, applied in PostgreSQL's order.
#[derive(Debug, Default)]
pub(super) struct Pending {
    pub indexes: Vec<IndexSpec>,
    pub fks: Vec<FkSpec>,
    pub checks: Vec<String>,
    /// SQLite `WITHOUT ROWID`: no rowid alias, the PK's index is numbered last.
    pub without_rowid: bool,
}

const SERIAL_TYPES: &[&str] = &[
    "serial",
    "bigserial",
    "smallserial",
    "serial2",
    "serial4",
    "serial8",
];

pub(super) fn method(using: Option<&IndexType>) -> String {
    using.map_or_else(|| "btree".to_owned(), |m| m.to_string().to_lowercase())
}

fn idents(list: &[Ident]) -> Vec<String> {
    list.iter().map(fold).collect()
}

impl State {
    pub(super) fn create_table(&mut self, ct: &CreateTable) {
        let Some(name) = self.qual(&ct.name) else {
            return;
        };
        if self.schema.tables.contains_key(&name) || self.relation_taken(&name.schema, &name.name) {
            return; // IF NOT EXISTS, or an error in the database
        }
        let mut table = Table {
            name: name.clone(),
            columns: Vec::new(),
            primary_key: Vec::new(),
            foreign_keys: Vec::new(),
            indexes: Vec::new(),
            origin: self.origin.clone(),
        };
        // A partition has its parent's columns.
        if let Some(parent) = ct.partition_of.as_ref().and_then(|p| self.qual(p))
            && let Some(parent) = self.schema.tables.get(&parent)
        {
            table.columns = parent.columns.clone();
            for c in &mut table.columns {
                c.origin = self.origin.clone();
            }
        }
        let mut pending = Pending {
            without_rowid: ct
                .sqlite_table_options
                .options
                .contains(&SqliteTableOption::WithoutRowid),
            ..Pending::default()
        };
        let mut sequences = Vec::new();
        for def in &ct.columns {
            if table.column(&fold(&def.name)).is_some() {
                continue;
            }
            let (column, sequence) = self.column(def, &mut pending);
            if sequence {
                sequences.push(column.name.clone());
            }
            table.columns.push(column);
        }
        for c in &ct.constraints {
            self.table_constraint(c, false, &mut pending);
        }
        // Sequences are created before the table, so their names are chosen first.
        for column in sequences {
            self.add_sequence(&name, &column);
        }
        self.schema.tables.insert(name.clone(), table);
        self.note_table(&name);
        self.apply_pending(&name, pending);
    }

    /// `<table>_<column>_seq`, owned by the column.
    pub(super) fn add_sequence(&mut self, table: &QualName, column: &str) {
        let seq = self.choose_relation_name(&table.schema, &table.name, Some(column), "seq", false);
        self.add_other(
            QualName::new(table.schema.clone(), seq),
            Some((table.clone(), column.to_owned())),
        );
    }

    /// A column and the constraints written on it; `true` when it owns a sequence.
    pub(super) fn column(&self, def: &ColumnDef, pending: &mut Pending) -> (Column, bool) {
        let name = fold(&def.name);
        let sql_type = expr::normalize_type(&def.data_type);
        let serial = self.backend == Backend::Postgres && SERIAL_TYPES.contains(&sql_type.as_str());
        let mut sequence = serial;
        let mut nullable = !serial;
        if self.backend == Backend::Mysql && sql_type == "serial" {
            // BIGINT UNSIGNED NOT NULL AUTO_INCREMENT UNIQUE
            nullable = false;
            pending.indexes.push(IndexSpec {
                name: None,
                kind: IndexKind::UniqueConstraint,
                keys: vec![IndexKey::Column(name.clone())],
                key_names: vec![name.clone()],
                include: Vec::new(),
                method: method(None),
            });
        }
        for opt in &def.options {
            let given = opt.name.as_ref().map(fold);
            match &opt.option {
                ColumnOption::Null => nullable = true,
                ColumnOption::NotNull => nullable = false,
                ColumnOption::PrimaryKey(pk) => pending.indexes.push(IndexSpec {
                    name: given.or_else(|| pk.name.as_ref().map(fold)),
                    kind: IndexKind::PrimaryKey,
                    keys: vec![IndexKey::Column(name.clone())],
                    key_names: vec![name.clone()],
                    include: idents(&pk.include),
                    method: method(pk.index_type.as_ref()),
                }),
                ColumnOption::Unique(u) => pending.indexes.push(IndexSpec {
                    name: given.or_else(|| u.name.as_ref().map(fold)),
                    kind: IndexKind::UniqueConstraint,
                    keys: vec![IndexKey::Column(name.clone())],
                    key_names: vec![name.clone()],
                    include: idents(&u.include),
                    method: method(u.index_type.as_ref()),
                }),
                ColumnOption::ForeignKey(fk) => {
                    if let Some(target) = self.qual(&fk.foreign_table) {
                        pending.fks.push(FkSpec {
                            name: given.or_else(|| fk.name.as_ref().map(fold)),
                            index_name: fk.index_name.as_ref().map(fold),
                            columns: vec![name.clone()],
                            table: target,
                            referenced: idents(&fk.referred_columns),
                            validated: true,
                            range: self.clause_range(
                                &def.name,
                                None,
                                fk.span().end,
                                !fk.referred_columns.is_empty(),
                            ),
                        });
                    }
                }
                ColumnOption::Check(c) => {
                    if let Some(n) = given.or_else(|| c.name.as_ref().map(fold)) {
                        pending.checks.push(n);
                    }
                }
                ColumnOption::Generated {
                    generated_as: GeneratedAs::Always | GeneratedAs::ByDefault,
                    generation_expr: None,
                    ..
                } if self.backend == Backend::Postgres => {
                    // GENERATED .. AS IDENTITY: NOT NULL, with a sequence.
                    nullable = false;
                    sequence = true;
                }
                _ => {}
            }
        }
        let column = Column {
            name,
            sql_type,
            nullable,
            origin: self.origin.clone(),
        };
        (column, sequence)
    }

    /// A table-level constraint (also `ALTER TABLE .. ADD`); `not_valid` for FKs.
    pub(super) fn table_constraint(
        &self,
        c: &TableConstraint,
        not_valid: bool,
        pending: &mut Pending,
    ) {
        let keyed = |name: Option<&Ident>,
                     kind: IndexKind,
                     cols: &[IndexColumn],
                     include: &[Ident],
                     using: Option<&IndexType>| IndexSpec {
            name: name.map(fold),
            kind,
            keys: cols
                .iter()
                .map(|c| expr::index_key(self.backend, c, |_| None))
                .collect(),
            key_names: cols.iter().map(expr::key_name).collect(),
            include: idents(include),
            method: method(using),
        };
        match c {
            TableConstraint::PrimaryKey(pk) => pending.indexes.push(keyed(
                pk.name.as_ref(),
                IndexKind::PrimaryKey,
                &pk.columns,
                &pk.include,
                pk.index_type.as_ref(),
            )),
            TableConstraint::Unique(u) => {
                // MySQL's `UNIQUE KEY name (..)` names the index.
                let name = u.name.as_ref().or(u.index_name.as_ref());
                pending.indexes.push(keyed(
                    name,
                    IndexKind::UniqueConstraint,
                    &u.columns,
                    &u.include,
                    u.index_type.as_ref(),
                ));
            }
            TableConstraint::Index(i) => pending.indexes.push(keyed(
                i.name.as_ref(),
                IndexKind::Explicit,
                &i.columns,
                &[],
                i.index_type.as_ref(),
            )),
            TableConstraint::ForeignKey(fk) => {
                if let Some(target) = self.qual(&fk.foreign_table) {
                    pending.fks.push(FkSpec {
                        name: fk.name.as_ref().map(fold),
                        index_name: fk.index_name.as_ref().map(fold),
                        columns: idents(&fk.columns),
                        table: target,
                        referenced: idents(&fk.referred_columns),
                        validated: !not_valid,
                        range: match (&fk.name, fk.columns.first()) {
                            (Some(name), _) => self.clause_range(
                                name,
                                Some("constraint"),
                                fk.span().end,
                                !fk.referred_columns.is_empty(),
                            ),
                            (None, Some(first)) => self.clause_range(
                                first,
                                Some("foreign"),
                                fk.span().end,
                                !fk.referred_columns.is_empty(),
                            ),
                            (None, None) => None,
                        },
                    });
                }
            }
            TableConstraint::Check(ch) => {
                if let Some(n) = &ch.name {
                    pending.checks.push(fold(n));
                }
            }
            _ => {}
        }
    }

    /// Creates the indexes (PK first, redundant UNIQUE ones merged), then the FKs.
    pub(super) fn apply_pending(&mut self, table: &QualName, pending: Pending) {
        if !pending.checks.is_empty() {
            self.checks
                .entry(table.clone())
                .or_default()
                .extend(pending.checks);
            self.note_table(table);
        }
        let mut specs: Vec<IndexSpec> = Vec::new();
        let mut ordered = pending.indexes;
        if pending.without_rowid {
            ordered.sort_by_key(|s| s.kind == IndexKind::PrimaryKey);
        } else if self.backend != Backend::Sqlite {
            // PostgreSQL builds the PK's index first (MySQL's order only matters among the
            // other keys); SQLite numbers its autoindexes in written order.
            ordered.sort_by_key(|s| s.kind != IndexKind::PrimaryKey);
        }
        let table_now = self.schema.tables.get(table);
        let without_rowid = pending.without_rowid;
        let rowid =
            |s: &IndexSpec| !without_rowid && table_now.is_some_and(|t| self.is_rowid(t, s));
        for spec in ordered {
            // A constraint identical to an earlier one of the statement makes no index:
            // PostgreSQL and SQLite merge any two (SQLite's rowid key has no index to merge
            // with), MySQL only a UNIQUE into the PK.
            let same = specs.iter_mut().find(|p| {
                let mergeable = match self.backend {
                    Backend::Postgres => true,
                    Backend::Sqlite => !rowid(p),
                    Backend::Mysql => p.kind == IndexKind::PrimaryKey,
                };
                mergeable
                    && spec.kind != IndexKind::Explicit
                    && p.kind != IndexKind::Explicit
                    && p.keys == spec.keys
                    && p.include == spec.include
                    && p.method == spec.method
            });
            match same {
                Some(prior) => {
                    if prior.name.is_none() {
                        prior.name = spec.name;
                    }
                }
                None => specs.push(spec),
            }
        }
        for spec in specs {
            self.add_constraint_index(table, spec, without_rowid);
        }
        self.drop_replaced_fk_indexes(table);
        for fk in pending.fks {
            self.add_foreign_key(table, fk);
        }
    }

    /// SQLite's `INTEGER PRIMARY KEY`: the rowid, with no index of its own.
    fn is_rowid(&self, table: &Table, spec: &IndexSpec) -> bool {
        self.backend == Backend::Sqlite
            && spec.kind == IndexKind::PrimaryKey
            && matches!(spec.keys.as_slice(), [IndexKey::Column(c)]
                if table.column(c).is_some_and(|c| c.sql_type == "integer"))
    }

    fn add_constraint_index(&mut self, table: &QualName, spec: IndexSpec, without_rowid: bool) {
        let Some(t) = self.schema.tables.get(table) else {
            return;
        };
        if spec.kind == IndexKind::PrimaryKey && !t.primary_key.is_empty() {
            return; // "multiple primary keys are not allowed"
        }
        let columns: Vec<String> = spec
            .keys
            .iter()
            .filter_map(|k| match k {
                IndexKey::Column(c) => Some(c.clone()),
                IndexKey::Expression(_) => None,
            })
            .collect();
        let rowid = !without_rowid && self.is_rowid(t, &spec);
        let name = match self.backend {
            Backend::Postgres => match (&spec.name, &spec.kind) {
                (Some(n), _) => n.clone(),
                (None, IndexKind::PrimaryKey) => {
                    self.choose_relation_name(&table.schema, &table.name, None, "pkey", true)
                }
                (None, _) => {
                    let cols = names::index_column_names(
                        &[spec.key_names.clone(), spec.include.clone()].concat(),
                    );
                    let addition = naming::column_addition(&cols);
                    let label = if spec.kind == IndexKind::Explicit {
                        "idx"
                    } else {
                        "key"
                    };
                    self.choose_relation_name(
                        &table.schema,
                        &table.name,
                        Some(&addition),
                        label,
                        spec.kind != IndexKind::Explicit,
                    )
                }
            },
            Backend::Mysql => match (&spec.name, &spec.kind) {
                (_, IndexKind::PrimaryKey) => "PRIMARY".to_owned(),
                (Some(n), _) => n.clone(),
                (None, _) => {
                    let first = spec.key_names.first().cloned().unwrap_or_default();
                    mysql_index_name(t, &first)
                }
            },
            Backend::Sqlite if rowid => "rowid".to_owned(),
            Backend::Sqlite => {
                let prefix = format!("sqlite_autoindex_{}_", table.name);
                let n = t
                    .indexes
                    .iter()
                    .filter(|i| i.name.starts_with(&prefix))
                    .count();
                match (&spec.name, &spec.kind) {
                    (Some(n), IndexKind::Explicit) => n.clone(),
                    _ => format!("{prefix}{}", n + 1),
                }
            }
        };
        // SQLite marks key columns NOT NULL only in WITHOUT ROWID tables: the rowid alias
        // holds no NULL, but pragma_table_info (and so diesel print-schema) says nullable.
        let pk_not_null = self.backend != Backend::Sqlite || without_rowid;
        let origin = self.origin.clone();
        self.note_name(table, &name, None);
        let Some(t) = self.schema.tables.get_mut(table) else {
            return;
        };
        if spec.kind == IndexKind::PrimaryKey {
            t.primary_key = columns.clone();
            if pk_not_null {
                for c in &mut t.columns {
                    if columns.contains(&c.name) {
                        c.nullable = false;
                    }
                }
            }
        }
        t.indexes.push(Index {
            name,
            unique: spec.kind != IndexKind::Explicit,
            method: spec.method,
            keys: spec.keys,
            include: spec.include,
            predicate: None,
            kind: spec.kind,
            valid: true,
            origin,
        });
    }

    fn add_foreign_key(&mut self, table: &QualName, fk: FkSpec) {
        let Some(t) = self.schema.tables.get(table) else {
            return;
        };
        let referenced = if fk.referenced.is_empty() {
            self.schema
                .tables
                .get(&fk.table)
                .map(|r| r.primary_key.clone())
                .unwrap_or_default()
        } else {
            fk.referenced.clone()
        };
        let name = match self.backend {
            Backend::Mysql => match fk.name.clone().or_else(|| fk.index_name.clone()) {
                Some(n) => n,
                None => {
                    let prefix = format!("{}_ibfk_", table.name);
                    let max = t
                        .foreign_keys
                        .iter()
                        .filter_map(|f| f.name.strip_prefix(&prefix)?.parse::<usize>().ok())
                        .max()
                        .unwrap_or(0);
                    format!("{prefix}{}", max + 1)
                }
            },
            _ => match &fk.name {
                Some(n) => n.clone(),
                None => {
                    let addition = naming::column_addition(&fk.columns);
                    self.choose_constraint_name(&table.schema, &table.name, Some(&addition), "fkey")
                }
            },
        };
        let auto_index = (self.backend == Backend::Mysql
            && !t.indexes.iter().any(|i| {
                let lead: Vec<&str> = i.leading_columns().collect();
                lead.len() >= fk.columns.len()
                    && lead[..fk.columns.len()]
                        .iter()
                        .zip(&fk.columns)
                        .all(|(a, b)| *a == b)
            }))
        .then(|| {
            fk.index_name
                .clone()
                .or_else(|| fk.name.clone())
                .unwrap_or_else(|| {
                    mysql_index_name(t, fk.columns.first().map_or("", String::as_str))
                })
        });
        let mut origin = self.origin.clone();
        if let Some(range) = fk.range {
            origin.span.range = range;
        }
        self.note_name(table, &name, Some(&fk.table));
        if let Some(index) = &auto_index {
            self.note_name(table, index, None);
        }
        let Some(t) = self.schema.tables.get_mut(table) else {
            return;
        };
        if let Some(index) = auto_index {
            t.indexes.push(Index {
                name: index,
                unique: false,
                method: "btree".to_owned(),
                keys: fk.columns.iter().cloned().map(IndexKey::Column).collect(),
                include: Vec::new(),
                predicate: None,
                kind: IndexKind::ForeignKey,
                valid: true,
                origin: origin.clone(),
            });
        }
        t.foreign_keys.push(ForeignKey {
            name,
            columns: fk.columns,
            referenced_table: fk.table,
            referenced_columns: referenced,
            validated: fk.validated,
            origin,
        });
    }
}

/// MySQL names an unnamed index after its first column, `_2`, `_3` on repeats.
fn mysql_index_name(table: &Table, first: &str) -> String {
    let taken = |n: &str| table.indexes.iter().any(|i| i.name == n);
    if !taken(first) {
        return first.to_owned();
    }
    (2..)
        .map(|i| format!("{first}_{i}"))
        .find(|n| !taken(n))
        .unwrap_or_default()
}
