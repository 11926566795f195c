//! `ALTER TABLE`: columns, constraints and renames (and MySQL's `MODIFY`/`CHANGE`/`DROP ..`).

use sqlparser::ast::{
    AlterColumnOperation, AlterTable, AlterTableOperation, ColumnOption, ConstraintUsingIndex,
    DataType, RenameTableNameKind, TableConstraint,
};

use crate::model::{Backend, IndexKey, IndexKind, QualName};

use super::State;
use super::create_table::Pending;
use super::expr;
use super::names::{self, fold};

impl State {
    /// Does the table have this column? Through [`State::column_names`], so that a run of
    /// `ADD COLUMN`s on one table is linear (issue 19 §3), not one scan of the columns each.
    fn has_column(&mut self, table: &QualName, column: &str) -> bool {
        let Some(t) = self.schema.tables.get(table) else {
            return false;
        };
        self.column_names
            .entry(table.clone())
            .or_insert_with(|| t.columns.iter().map(|c| c.name.clone()).collect())
            .contains(column)
    }

    pub(super) fn alter_table(&mut self, at: &AlterTable) {
        let Some(mut name) = self.qual(&at.name) else {
            return;
        };
        for op in &at.operations {
            if !self.schema.tables.contains_key(&name) {
                return; // unknown table (IF EXISTS, or created by an unparsed statement)
            }
            if !matches!(op, AlterTableOperation::AddColumn { .. }) {
                // Any other change may rename, drop or move columns and tables.
                self.column_names.clear();
            }
            match op {
                AlterTableOperation::AddColumn {
                    column_def: def, ..
                } => {
                    if self.has_column(&name, &fold(&def.name)) {
                        continue; // IF NOT EXISTS, or an error
                    }
                    let mut pending = Pending::default();
                    let (column, sequence) = self.column(def, &mut pending);
                    let column_name = column.name.clone();
                    if let Some(t) = self.schema.tables.get_mut(&name) {
                        t.columns.push(column);
                    }
                    if let Some(names) = self.column_names.get_mut(&name) {
                        names.insert(column_name.clone());
                    }
                    if sequence {
                        self.add_sequence(&name, &column_name);
                    }
                    self.apply_pending(&name, pending);
                }
                AlterTableOperation::DropColumn { column_names, .. } => {
                    for c in column_names {
                        self.drop_column(&name, &fold(c));
                    }
                }
                AlterTableOperation::AlterColumn { column_name, op } => {
                    let column = fold(column_name);
                    match op {
                        AlterColumnOperation::SetNotNull => {
                            self.change_column(&name, &column, None, Some(false))
                        }
                        AlterColumnOperation::DropNotNull => {
                            self.change_column(&name, &column, None, Some(true))
                        }
                        AlterColumnOperation::SetDataType { data_type, .. } => {
                            self.change_column(&name, &column, Some(data_type), None)
                        }
                        AlterColumnOperation::AddGenerated { .. } => {
                            // ADD GENERATED .. AS IDENTITY needs NOT NULL; adds a sequence.
                            let known = self
                                .schema
                                .tables
                                .get(&name)
                                .is_some_and(|t| t.column(&column).is_some());
                            if known && self.backend == crate::model::Backend::Postgres {
                                self.add_sequence(&name, &column);
                            }
                        }
                        _ => {}
                    }
                }
                AlterTableOperation::ChangeColumn {
                    old_name,
                    new_name,
                    data_type,
                    options,
                    ..
                } => {
                    let (old, new) = (fold(old_name), fold(new_name));
                    if old != new {
                        self.rename_column(&name, &old, &new);
                    }
                    let nullable = mysql_nullable(options);
                    self.change_column(&name, &new, Some(data_type), Some(nullable));
                }
                AlterTableOperation::ModifyColumn {
                    col_name,
                    data_type,
                    options,
                    ..
                } => {
                    let nullable = mysql_nullable(options);
                    self.change_column(&name, &fold(col_name), Some(data_type), Some(nullable));
                }
                AlterTableOperation::AddConstraint {
                    constraint:
                        TableConstraint::PrimaryKeyUsingIndex(c) | TableConstraint::UniqueUsingIndex(c),
                    ..
                } => {
                    let primary = matches!(
                        op,
                        AlterTableOperation::AddConstraint {
                            constraint: TableConstraint::PrimaryKeyUsingIndex(_),
                            ..
                        }
                    );
                    self.constraint_using_index(&name, c, primary);
                }
                AlterTableOperation::AddConstraint {
                    constraint,
                    not_valid,
                } => {
                    let mut pending = Pending::default();
                    self.table_constraint(constraint, *not_valid, &mut pending);
                    self.apply_pending(&name, pending);
                }
                AlterTableOperation::ValidateConstraint { name: c } => {
                    let c = fold(c);
                    if let Some(t) = self.schema.tables.get_mut(&name) {
                        for fk in t.foreign_keys.iter_mut().filter(|f| f.name == c) {
                            fk.validated = true;
                        }
                    }
                }
                AlterTableOperation::DropConstraint { name: c, .. }
                | AlterTableOperation::DropForeignKey { name: c, .. } => {
                    self.drop_constraint(&name, &fold(c))
                }
                AlterTableOperation::DropPrimaryKey { .. } => {
                    let pk = self.schema.tables.get(&name).and_then(|t| {
                        t.indexes
                            .iter()
                            .find(|i| i.kind == IndexKind::PrimaryKey)
                            .map(|i| i.name.clone())
                    });
                    if let Some(pk) = pk {
                        self.drop_constraint(&name, &pk);
                    }
                }
                AlterTableOperation::DropIndex { name: i } => {
                    let table = name.clone();
                    self.drop_index(&QualName::new(name.schema.clone(), fold(i)), Some(&table));
                }
                AlterTableOperation::RenameColumn {
                    old_column_name,
                    new_column_name,
                } => self.rename_column(&name, &fold(old_column_name), &fold(new_column_name)),
                AlterTableOperation::RenameConstraint { old_name, new_name } => {
                    self.rename_constraint(&name, &fold(old_name), &fold(new_name))
                }
                AlterTableOperation::RenameTable { table_name } => {
                    let (RenameTableNameKind::To(new) | RenameTableNameKind::As(new)) = table_name;
                    // PostgreSQL keeps the schema; MySQL may move the table (`db.t`).
                    let new = match names::parts(new).as_deref() {
                        Some([n]) => QualName::new(name.schema.clone(), n.clone()),
                        Some(parts) => match names::qualify(self.backend, parts) {
                            Some(q) => q,
                            None => continue,
                        },
                        None => continue,
                    };
                    if self.rename_table(&name, new.clone()) {
                        name = new;
                    }
                }
                _ => {}
            }
        }
    }

    /// `ADD [CONSTRAINT name] PRIMARY KEY | UNIQUE USING INDEX index`: the index now backs
    /// the constraint and takes its name.
    fn constraint_using_index(
        &mut self,
        table: &QualName,
        c: &ConstraintUsingIndex,
        primary: bool,
    ) {
        let index_name = fold(&c.index_name);
        let new_name = c.name.as_ref().map(fold);
        let origin = self.origin.clone();
        let Some(t) = self.schema.tables.get_mut(table) else {
            return;
        };
        if primary && !t.primary_key.is_empty() {
            return;
        }
        let Some(index) = t
            .indexes
            .iter_mut()
            .find(|i| i.name == index_name && i.kind == IndexKind::Explicit && i.unique)
        else {
            return;
        };
        if let Some(n) = new_name {
            index.name = n;
        }
        if primary {
            index.kind = IndexKind::PrimaryKey;
            let columns: Vec<String> = index.leading_columns().map(str::to_owned).collect();
            for col in t
                .columns
                .iter_mut()
                .filter(|col| columns.contains(&col.name))
            {
                col.nullable = false;
                col.origin = origin.clone();
            }
            t.primary_key = columns;
        } else {
            index.kind = IndexKind::UniqueConstraint;
        }
        self.note_table(table);
    }

    fn change_column(
        &mut self,
        table: &QualName,
        column: &str,
        data_type: Option<&DataType>,
        nullable: Option<bool>,
    ) {
        let origin = self.origin.clone();
        let Some(t) = self.schema.tables.get_mut(table) else {
            return;
        };
        let in_pk = t.primary_key.iter().any(|c| c == column);
        let Some(c) = t.columns.iter_mut().find(|c| c.name == column) else {
            return;
        };
        if let Some(ty) = data_type {
            c.sql_type = expr::normalize_type(ty);
        }
        if let Some(nullable) = nullable {
            // DROP NOT NULL on a primary key column is an error in PostgreSQL.
            c.nullable = nullable && !in_pk;
        }
        c.origin = origin;
    }

    /// Drops the column, the indexes and constraints that use it, its sequence, and the FKs
    /// elsewhere that reference it.
    pub(super) fn drop_column(&mut self, table: &QualName, column: &str) {
        let backend = self.backend;
        let Some(t) = self.schema.tables.get_mut(table) else {
            return;
        };
        if t.column(column).is_none() {
            return;
        }
        t.columns.retain(|c| c.name != column);
        t.indexes.retain(|i| {
            let uses = i.keys.iter().any(|k| match k {
                IndexKey::Column(c) => c == column,
                IndexKey::Expression(e) => expr::mentions(backend, e, column),
            }) || i.include.iter().any(|c| c == column)
                || i.predicate
                    .as_deref()
                    .is_some_and(|p| expr::mentions(backend, p, column));
            !uses
        });
        if t.primary_key.iter().any(|c| c == column) {
            t.primary_key.clear();
        }
        t.foreign_keys
            .retain(|f| !f.columns.iter().any(|c| c == column));
        for other in self.owned_by(table) {
            if matches!(self.others.get(&other), Some(Some((t, c))) if t == table && c == column) {
                self.others.remove(&other);
            }
        }
        for q in self.referencing(table) {
            let Some(other) = self.schema.tables.get_mut(&q) else {
                continue;
            };
            other.foreign_keys.retain(|f| {
                !(f.referenced_table == *table && f.referenced_columns.iter().any(|c| c == column))
            });
        }
    }

    fn drop_constraint(&mut self, table: &QualName, constraint: &str) {
        let Some(t) = self.schema.tables.get_mut(table) else {
            return;
        };
        t.foreign_keys.retain(|f| f.name != constraint);
        let backing = t.indexes.iter().position(|i| {
            i.name == constraint
                && matches!(i.kind, IndexKind::PrimaryKey | IndexKind::UniqueConstraint)
        });
        if let Some(pos) = backing {
            let index = t.indexes.remove(pos);
            if index.kind == IndexKind::PrimaryKey {
                t.primary_key.clear();
            }
            // FKs that reference the key depend on its index (PostgreSQL needs CASCADE).
            let mut key: Vec<&str> = index.leading_columns().collect();
            key.sort_unstable();
            for q in self.referencing(table) {
                let Some(other) = self.schema.tables.get_mut(&q) else {
                    continue;
                };
                other.foreign_keys.retain(|f| {
                    let mut referenced: Vec<&str> =
                        f.referenced_columns.iter().map(String::as_str).collect();
                    referenced.sort_unstable();
                    f.referenced_table != *table || referenced != key
                });
            }
        }
        if let Some(checks) = self.checks.get_mut(table) {
            checks.retain(|c| c != constraint);
        }
    }

    fn rename_column(&mut self, table: &QualName, old: &str, new: &str) {
        let backend = self.backend;
        let Some(t) = self.schema.tables.get_mut(table) else {
            return;
        };
        if t.column(old).is_none() || t.column(new).is_some() {
            return;
        }
        let rename = |c: &mut String| {
            if c == old {
                *c = new.to_owned();
            }
        };
        for c in &mut t.columns {
            rename(&mut c.name);
        }
        t.primary_key.iter_mut().for_each(rename);
        for i in &mut t.indexes {
            for k in &mut i.keys {
                match k {
                    IndexKey::Column(c) => rename(c),
                    IndexKey::Expression(e) => *e = expr::rename_column(backend, e, old, new),
                }
            }
            i.include.iter_mut().for_each(rename);
            if let Some(p) = &mut i.predicate {
                *p = expr::rename_column(backend, p, old, new);
            }
        }
        for f in &mut t.foreign_keys {
            f.columns.iter_mut().for_each(rename);
        }
        for q in self.referencing(table) {
            let Some(other) = self.schema.tables.get_mut(&q) else {
                continue;
            };
            for f in &mut other.foreign_keys {
                if f.referenced_table == *table {
                    f.referenced_columns.iter_mut().for_each(rename);
                }
            }
        }
        for other in self.owned_by(table) {
            if let Some(Some((owner, column))) = self.others.get_mut(&other)
                && owner == table
                && column == old
            {
                *column = new.to_owned();
            }
        }
    }

    fn rename_constraint(&mut self, table: &QualName, old: &str, new: &str) {
        let Some(t) = self.schema.tables.get_mut(table) else {
            return;
        };
        for f in t.foreign_keys.iter_mut().filter(|f| f.name == old) {
            f.name = new.to_owned();
        }
        for i in t.indexes.iter_mut().filter(|i| {
            i.name == old && matches!(i.kind, IndexKind::PrimaryKey | IndexKind::UniqueConstraint)
        }) {
            i.name = new.to_owned();
        }
        if let Some(checks) = self.checks.get_mut(table) {
            for c in checks.iter_mut().filter(|c| *c == old) {
                *c = new.to_owned();
            }
        }
        self.note_table(table);
    }

    /// Moves the table to its new name; FKs pointing at it follow. `false` when the old
    /// name is unknown or the new one taken.
    pub(super) fn rename_table(&mut self, old: &QualName, new: QualName) -> bool {
        if self.relation_taken(&new.schema, &new.name) {
            return false;
        }
        let Some(mut t) = self.schema.tables.remove(old) else {
            return false;
        };
        t.name = new.clone();
        if self.backend == Backend::Sqlite {
            // SQLite renames the table's autoindexes with it.
            let prefix = format!("sqlite_autoindex_{}_", old.name);
            for i in &mut t.indexes {
                if let Some(n) = i.name.strip_prefix(&prefix) {
                    i.name = format!("sqlite_autoindex_{}_{n}", new.name);
                }
            }
        }
        self.schema.tables.insert(new.clone(), t);
        for q in self.referencing(old) {
            let Some(other) = self.schema.tables.get_mut(&q) else {
                continue;
            };
            for f in &mut other.foreign_keys {
                if f.referenced_table == *old {
                    f.referenced_table = new.clone();
                }
            }
            self.note_table(&q);
        }
        for other in self.owned_by(old) {
            if let Some(Some((owner, _))) = self.others.get_mut(&other)
                && owner == old
            {
                *owner = new.clone();
                self.note_other(&other, Some(&new));
            }
        }
        if let Some(checks) = self.checks.remove(old) {
            self.checks.insert(new.clone(), checks);
        }
        self.note_table(&new);
        true
    }
}

/// MySQL's `MODIFY`/`CHANGE` restate the whole column: nullable unless NOT NULL or PK.
fn mysql_nullable(options: &[ColumnOption]) -> bool {
    !options
        .iter()
        .any(|o| matches!(o, ColumnOption::NotNull | ColumnOption::PrimaryKey(_)))
}
