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
        }
    }

    /// Drops an index by name (in `name.schema`, or on `table` for MySQL's `DROP INDEX i ON
    /// t`). An index that backs a PK or UNIQUE constraint stays: the database refuses.
    pub(super) fn drop_index(&mut self, name: &QualName, table: Option<&QualName>) {
        for t in self.schema.tables.values_mut() {
            let here = match table {
                Some(table) => t.name == *table,
                None => t.name.schema == name.schema,
            };
            if !here {
                continue;
            }
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
        for t in self.schema.tables.values_mut() {
            if t.name.schema != name.schema {
                continue;
            }
            if let Some(i) = t.indexes.iter_mut().find(|i| i.name == name.name) {
                i.name = new_name.to_owned();
                return;
            }
        }
        // ALTER INDEX also renames other relations (a sequence, a view): keep the namespace.
        for o in &mut self.others {
            if o.name == *name {
                o.name.name = new_name.to_owned();
                return;
            }
        }
    }
}
