//! `DROP TABLE`, `DROP INDEX` (sqlparser's form), `DROP SCHEMA`, and the relations outside
//! the model (`DROP VIEW`, `DROP SEQUENCE`).

use sqlparser::ast::{ObjectName, ObjectType};

use crate::model::QualName;

use super::State;
use super::names;

impl State {
    pub(super) fn drop(
        &mut self,
        object_type: ObjectType,
        objects: &[ObjectName],
        table: Option<&ObjectName>,
    ) {
        // CASCADE is implied: errors are not modelled (see the module docs).
        for object in objects {
            match object_type {
                ObjectType::Schema => {
                    if let Some(schema) = names::last(object) {
                        self.drop_schema(&schema);
                    }
                }
                _ => {
                    let Some(name) = self.qual(object) else {
                        continue;
                    };
                    match object_type {
                        ObjectType::Table => self.drop_table(&name),
                        ObjectType::Index => {
                            let table = table.and_then(|t| self.qual(t));
                            let name = match &table {
                                // MySQL: `DROP INDEX i ON t`, the index is in t's schema.
                                Some(t) => QualName::new(t.schema.clone(), name.name),
                                None => name,
                            };
                            self.drop_index(&name, table.as_ref());
                        }
                        ObjectType::View | ObjectType::MaterializedView | ObjectType::Sequence => {
                            self.others.remove(&name);
                        }
                        _ => {}
                    }
                }
            }
        }
    }

    /// Drops the table with its indexes, sequences and CHECK names. On PostgreSQL every FK
    /// that references it goes too (CASCADE); SQLite keeps them (they name the table, and
    /// point at the next table of that name: the create-copy-drop-rename rebuild), and so
    /// does MySQL (the drop only runs with `foreign_key_checks = 0`).
    pub(super) fn drop_table(&mut self, name: &QualName) {
        if self.schema.tables.remove(name).is_none() {
            return;
        }
        self.checks.remove(name);
        for other in self.owned_by(name) {
            if matches!(self.others.get(&other), Some(Some((t, _))) if t == name) {
                self.others.remove(&other);
            }
        }
        if self.backend == crate::model::Backend::Postgres {
            for q in self.referencing(name) {
                if let Some(t) = self.schema.tables.get_mut(&q) {
                    t.foreign_keys.retain(|f| f.referenced_table != *name);
                }
            }
        }
    }

    fn drop_schema(&mut self, schema: &str) {
        let tables: Vec<QualName> = self
            .schema
            .tables
            .keys()
            .filter(|q| q.schema == schema)
            .cloned()
            .collect();
        for t in &tables {
            self.drop_table(t);
        }
        self.others.retain(|name, _| name.schema != schema);
        self.schema.schemas.retain(|s| s != schema);
    }
}
