//! What a statement acts on, recorded before it is applied ([`TargetTable`]), for the rules
//! that judge statements: whether a table existed before the migration follows the table
//! itself through renames, not its name.

use sqlparser::ast::{ObjectName, ObjectType, Statement};

use crate::model::{QualName, Table};
use crate::sql::{StatementKind, TargetTable};

use super::State;
use super::names;

impl State {
    /// The known tables `kind` acts on, as the model is before `kind` is applied.
    pub(super) fn targets(&self, kind: &StatementKind) -> Vec<TargetTable> {
        match kind {
            StatementKind::Parsed(s) => match &**s {
                Statement::AlterTable(at) => self
                    .qual(&at.name)
                    .and_then(|n| self.table(&n))
                    .map_or_else(Vec::new, |t| {
                        vec![TargetTable {
                            columns: t.columns.clone(),
                            ..target(t)
                        }]
                    }),
                Statement::CreateIndex(ci) => {
                    self.tables_named(std::slice::from_ref(&ci.table_name))
                }
                Statement::Drop {
                    object_type: ObjectType::Table,
                    names,
                    ..
                } => names
                    .iter()
                    .filter_map(|n| self.qual(n))
                    .filter_map(|n| self.table(&n))
                    .map(|t| TargetTable {
                        columns: t.columns.clone(),
                        ..target(t)
                    })
                    .collect(),
                Statement::Drop {
                    object_type: ObjectType::Index,
                    names,
                    table,
                    ..
                } => {
                    let table = table.as_ref().and_then(|t| self.qual(t));
                    names
                        .iter()
                        .filter_map(|n| self.qual(n))
                        .filter_map(|n| match &table {
                            Some(t) => {
                                self.index_target(&QualName::new(t.schema.clone(), n.name), Some(t))
                            }
                            None => self.index_target(&n, None),
                        })
                        .collect()
                }
                Statement::AlterIndex { name, .. } => self
                    .qual(name)
                    .and_then(|n| self.index_target(&n, None))
                    .into_iter()
                    .collect(),
                Statement::RenameTable(renames) => {
                    let old: Vec<ObjectName> = renames.iter().map(|r| r.old_name.clone()).collect();
                    self.tables_named(&old)
                }
                _ => Vec::new(),
            },
            StatementKind::DropIndex { names, .. } => names
                .iter()
                .filter_map(|p| names::qualify(self.backend, p))
                .filter_map(|n| self.index_target(&n, None))
                .collect(),
            StatementKind::AlterIndexRename { name, .. } => names::qualify(self.backend, name)
                .and_then(|n| self.index_target(&n, None))
                .into_iter()
                .collect(),
            StatementKind::Neutral { .. } | StatementKind::Unparsed { .. } => Vec::new(),
        }
    }

    fn table(&self, name: &QualName) -> Option<&Table> {
        self.schema.tables.get(name)
    }

    fn tables_named(&self, names: &[ObjectName]) -> Vec<TargetTable> {
        names
            .iter()
            .filter_map(|n| self.qual(n))
            .filter_map(|n| self.table(&n))
            .map(target)
            .collect()
    }

    /// The table holding the index `name` (looked up as `drop_index` does).
    fn index_target(&self, name: &QualName, table: Option<&QualName>) -> Option<TargetTable> {
        self.schema
            .tables
            .values()
            .filter(|t| match table {
                Some(table) => t.name == *table,
                None => t.name.schema == name.schema,
            })
            .find_map(|t| {
                let index = t.indexes.iter().find(|i| i.name == name.name)?;
                Some(TargetTable {
                    index: Some(index.origin.clone()),
                    ..target(t)
                })
            })
    }
}

fn target(t: &Table) -> TargetTable {
    TargetTable {
        name: t.name.clone(),
        created: t.origin.clone(),
        columns: Vec::new(),
        index: None,
    }
}
