//! What a statement acts on, recorded before it is applied ([`TargetTable`]), for the rules
//! that judge statements: whether a table existed before the migration follows the table
//! itself through renames, not its name.

use sqlparser::ast::{AlterTableOperation, Ident, ObjectName, ObjectType, Statement};

use crate::model::{Column, QualName, Table};
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
                            columns: named_columns(
                                t,
                                &at.operations,
                                self.column_names.get(&t.name),
                            ),
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
        let mut tables = match table {
            Some(table) => vec![table.clone()],
            None => self.holders_of(&name.schema, &name.name),
        };
        tables.sort();
        tables.iter().find_map(|q| {
            let t = self.schema.tables.get(q)?;
            let index = t.indexes.iter().find(|i| i.name == name.name)?;
            Some(TargetTable {
                index: Some(index.origin.clone()),
                ..target(t)
            })
        })
    }
}

/// The columns of `t` an `ALTER TABLE` names, as they were before it: all of them when it
/// renames the table (a rebuilt table's columns are compared with them), else those its
/// operations add, drop, rename or change. Not every column for every statement: 10,000
/// `ADD COLUMN`s on one table would keep 50 million copies of columns.
/// `known`: the table's column names when the replay has them at hand (a run of `ADD
/// COLUMN`s): a named column that is not among them is not looked for, so the run stays
/// linear (issue 19 §3).
fn named_columns(
    t: &Table,
    ops: &[AlterTableOperation],
    known: Option<&std::collections::HashSet<String>>,
) -> Vec<Column> {
    use AlterTableOperation as Op;
    if ops.iter().any(|op| matches!(op, Op::RenameTable { .. })) {
        return t.columns.clone();
    }
    let mut named: Vec<String> = Vec::new();
    let mut name = |ident: &Ident| named.push(names::fold(ident));
    for op in ops {
        match op {
            Op::AddColumn { column_def, .. } => name(&column_def.name),
            Op::DropColumn { column_names, .. } => column_names.iter().for_each(&mut name),
            Op::RenameColumn {
                old_column_name, ..
            } => name(old_column_name),
            Op::AlterColumn { column_name, .. } => name(column_name),
            Op::ChangeColumn { old_name, .. } => name(old_name),
            Op::ModifyColumn { col_name, .. } => name(col_name),
            _ => {}
        }
    }
    // Each column once, in the table's order.
    named.sort_unstable();
    named.dedup();
    if let Some(known) = known {
        named.retain(|n| known.contains(n));
    }
    if named.is_empty() {
        return Vec::new();
    }
    let mut columns: Vec<(usize, Column)> = named
        .iter()
        .filter_map(|n| t.columns.iter().position(|c| c.name == *n))
        .map(|i| (i, t.columns[i].clone()))
        .collect();
    columns.sort_unstable_by_key(|(i, _)| *i);
    columns.into_iter().map(|(_, c)| c).collect()
}

fn target(t: &Table) -> TargetTable {
    TargetTable {
        name: t.name.clone(),
        created: t.origin.clone(),
        columns: Vec::new(),
        index: None,
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use crate::model::Backend;
    use crate::source::SourceMap;
    use crate::sql::{LoadedMigration, Migration, Replay};

    fn replay(files: &[&str]) -> Replay {
        let mut sources = SourceMap::new();
        let migrations: Vec<LoadedMigration> = files
            .iter()
            .enumerate()
            .map(|(i, sql)| LoadedMigration {
                migration: Migration {
                    version: i.to_string(),
                    name: format!("{i}_m"),
                    dir: PathBuf::from(format!("{i}_m")),
                    run_in_transaction: true,
                },
                up_sql: sources.add(format!("{i}_m/up.sql"), *sql),
            })
            .collect();
        super::super::replay(Backend::Postgres, &sources, &migrations)
    }

    /// (table, migration that created it, columns before, index's migration).
    type Seen = (String, Option<usize>, Vec<String>, Option<usize>);

    fn targets(r: &Replay, statement: usize) -> Vec<Seen> {
        r.statements[statement]
            .targets
            .iter()
            .map(|t| {
                (
                    t.name.to_string(),
                    t.created.migration,
                    t.columns.iter().map(|c| c.name.clone()).collect(),
                    t.index.as_ref().and_then(|i| i.migration),
                )
            })
            .collect()
    }

    #[test]
    fn targets_are_the_tables_as_they_were_before_the_statement() {
        let r = replay(&[
            "CREATE TABLE a (x INT);\nCREATE SCHEMA s;\nCREATE TABLE s.b (y INT);",
            "CREATE INDEX a_x ON a (x);\nALTER TABLE a RENAME TO c;\nALTER TABLE c ADD COLUMN z INT;",
            "DROP INDEX a_x;\nDROP TABLE c, s.b, nowhere;\nCREATE TABLE c (id INT);\nALTER TABLE c DROP COLUMN id;",
        ]);
        let none = Vec::<String>::new;
        assert_eq!(targets(&r, 0), vec![]);
        assert_eq!(targets(&r, 3), vec![("a".into(), Some(0), none(), None)]);
        assert_eq!(
            targets(&r, 4),
            vec![("a".into(), Some(0), vec!["x".into()], None)]
        );
        // An ADD COLUMN names a column the table did not have: none before.
        assert_eq!(targets(&r, 5), vec![("c".into(), Some(0), none(), None)]);
        assert_eq!(targets(&r, 6), vec![("c".into(), Some(0), none(), Some(1))]);
        assert_eq!(
            targets(&r, 7),
            vec![
                ("c".into(), Some(0), vec!["x".into(), "z".into()], None),
                ("s.b".into(), Some(0), vec!["y".into()], None),
            ]
        );
        assert_eq!(
            targets(&r, 9),
            vec![("c".into(), Some(2), vec!["id".into()], None)]
        );
    }
}
