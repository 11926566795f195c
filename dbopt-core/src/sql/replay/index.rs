//! `CREATE [UNIQUE] INDEX`, `DROP INDEX` and `ALTER INDEX .. RENAME TO`.

use sqlparser::ast::CreateIndex;

use crate::model::{Index, IndexKind, QualName};
use crate::sql::naming;

use super::State;
use super::create_table::method;
use super::expr;
use super::names::{self, fold};

impl State {
    pub(super) fn create_index(&mut self, ci: &CreateIndex) {
        let Some(table) = self.qual(&ci.table_name) else {
            return;
        };
        let Some(t) = self.schema.tables.get(&table) else {
            return; // a view, or a table the model does not know
        };
        let name = match ci.name.as_ref().and_then(names::last) {
            Some(name) => {
                let taken = match self.backend {
                    // MySQL index names are per table.
                    crate::model::Backend::Mysql => t.indexes.iter().any(|i| i.name == name),
                    _ => self.relation_taken(&table.schema, &name),
                };
                if taken {
                    return; // IF NOT EXISTS, or an error
                }
                name
            }
            None => {
                let cols: Vec<String> = ci
                    .columns
                    .iter()
                    .map(expr::key_name)
                    .chain(ci.include.iter().map(fold))
                    .collect();
                let addition = naming::column_addition(&names::index_column_names(&cols));
                self.choose_relation_name(&table.schema, &table.name, Some(&addition), "idx", false)
            }
        };
        let column_type = |c: &str| t.column(c).map(|c| c.sql_type.clone());
        let keys = ci
            .columns
            .iter()
            .map(|c| expr::index_key(self.backend, c, column_type))
            .collect();
        let index = Index {
            name,
            unique: ci.unique,
            method: method(ci.using.as_ref()),
            keys,
            include: ci.include.iter().map(fold).collect(),
            predicate: ci
                .predicate
                .as_ref()
                .map(|p| expr::normalize(self.backend, p)),
            kind: IndexKind::Explicit,
            valid: true,
            origin: self.origin.clone(),
        };
        if let Some(t) = self.schema.tables.get_mut(&table) {
            t.indexes.push(index);
            self.note_table(&table);
        }
        self.drop_replaced_fk_indexes(&table);
    }

    /// MySQL: InnoDB drops the index it made for a foreign key once another index starts
    /// with the key's columns in order (checked against MariaDB 10.11).
    pub(super) fn drop_replaced_fk_indexes(&mut self, table: &QualName) {
        if self.backend != crate::model::Backend::Mysql {
            return;
        }
        let Some(t) = self.schema.tables.get_mut(table) else {
            return;
        };
        let others: Vec<Vec<String>> = t
            .indexes
            .iter()
            .filter(|i| i.kind != IndexKind::ForeignKey)
            .map(|i| i.leading_columns().map(str::to_owned).collect())
            .collect();
        t.indexes.retain(|i| {
            let keys: Vec<String> = i.leading_columns().map(str::to_owned).collect();
            i.kind != IndexKind::ForeignKey
                || !others
                    .iter()
                    .any(|o| o.len() >= keys.len() && o[..keys.len()] == keys[..])
        });
    }

    /// Drops an index by name (in `name.schema`, or on `table` for MySQL's `DROP INDEX i ON
    /// t`). An index that backs a PK or UNIQUE constraint stays: the database refuses.
    pub(super) fn drop_index(&mut self, name: &QualName, table: Option<&QualName>) {
        let mut tables = match table {
            Some(table) => vec![table.clone()],
            None => self.holders_of(&name.schema, &name.name),
        };
        tables.sort();
        for table in tables {
            let Some(t) = self.schema.tables.get_mut(&table) else {
                continue;
            };
            if let Some(pos) = t.indexes.iter().position(|i| i.name == name.name) {
                if matches!(
                    t.indexes[pos].kind,
                    IndexKind::Explicit | IndexKind::ForeignKey
                ) {
                    t.indexes.remove(pos);
                }
                return;
            }
        }
    }

    /// Renames an index; a PK or UNIQUE constraint it backs is renamed with it.
    pub(super) fn rename_index(&mut self, name: &QualName, new_name: &str) {
        if self.relation_taken(&name.schema, new_name) {
            return;
        }
        let mut tables = self.holders_of(&name.schema, &name.name);
        tables.sort();
        for table in tables {
            let Some(t) = self.schema.tables.get_mut(&table) else {
                continue;
            };
            if let Some(i) = t.indexes.iter_mut().find(|i| i.name == name.name) {
                i.name = new_name.to_owned();
                self.note_table(&table);
                return;
            }
        }
        // ALTER INDEX also renames other relations (a sequence, a view): keep the namespace.
        if let Some(owner) = self.others.remove(name) {
            let renamed = QualName::new(name.schema.clone(), new_name.to_owned());
            self.note_other(&renamed, owner.as_ref().map(|(t, _)| t));
            self.others.insert(renamed, owner);
        }
    }
}
