//! Identifier folding, name resolution and the namespaces PostgreSQL chooses generated names
//! in (relations and constraints share one namespace per schema each).

use std::collections::{BTreeSet, HashMap};

use sqlparser::ast::{Ident, ObjectName, ObjectNamePart};

use crate::model::{Backend, IndexKind, QualName};
use crate::sql::naming::{self, MAX_IDENT_BYTES};

use super::State;

/// `Users` -> `users`, `"Users"` -> `Users` (every backend: see the module docs).
pub(super) fn fold(ident: &Ident) -> String {
    match ident.quote_style {
        Some(_) => ident.value.clone(),
        None => ident.value.to_lowercase(),
    }
}

/// The folded parts of an object name; `None` for dialect-specific name functions.
pub(crate) fn parts(name: &ObjectName) -> Option<Vec<String>> {
    name.0
        .iter()
        .map(|p| match p {
            ObjectNamePart::Identifier(i) => Some(fold(i)),
            ObjectNamePart::Function(_) => None,
        })
        .collect()
}

/// `schema.name` (the last two parts), the backend's default schema when unqualified.
pub(super) fn qualify(backend: Backend, parts: &[String]) -> Option<QualName> {
    match parts {
        [] => None,
        [name] => Some(QualName::new(backend.default_schema(), name.clone())),
        [.., schema, name] => Some(QualName::new(schema.clone(), name.clone())),
    }
}

pub(super) fn qual(backend: Backend, name: &ObjectName) -> Option<QualName> {
    qualify(backend, &parts(name)?)
}

/// The last part of an object name (the new name in `RENAME TO`, an index name).
pub(super) fn last(name: &ObjectName) -> Option<String> {
    parts(name)?.pop()
}

/// `ChooseIndexColumnNames`: each key's name (`expr` for an unnamed expression), a number
/// appended to repeats so they stay distinct.
pub(super) fn index_column_names(names: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(names.len());
    for orig in names {
        let mut cur = orig.clone();
        let mut i = 1;
        while out.contains(&cur) {
            let suffix = i.to_string();
            let mut len = orig.len().min(MAX_IDENT_BYTES - suffix.len());
            while !orig.is_char_boundary(len) {
                len -= 1;
            }
            cur = format!("{}{suffix}", &orig[..len]);
            i += 1;
        }
        out.push(cur);
    }
    out
}

/// Which tables (or other relations) have held a name, per schema: the replay's name lookups
/// go through it instead of scanning every table, which made replay quadratic in the number
/// of migrations. Entries are added wherever a name enters the model (a table, index, FK,
/// CHECK or other relation is created or renamed) and never removed: a lookup verifies each
/// candidate against the live model, so a stale entry (dropped, renamed away) costs one
/// check and answers nothing. Under `cfg(test)` every statement of every replay test checks
/// that each live name is indexed ([`State::assert_names_indexed`]).
///
/// Two more lookups work the same way (added to, verified on use): the tables whose FKs
/// reference a table, and the sequences a table's columns own.
#[derive(Debug, Default)]
pub(super) struct NameIndex {
    /// Schema -> name -> owners: nested so that lookups and repeated adds borrow their keys.
    owners: HashMap<String, HashMap<String, Vec<Owner>>>,
    /// Sets, not lists: 20,000 tables referencing one table made each new FK look through
    /// every earlier one.
    referencers: HashMap<QualName, BTreeSet<QualName>>,
    owned: HashMap<QualName, BTreeSet<QualName>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Owner {
    /// The table itself, or one of its indexes, FKs or CHECKs.
    Table(QualName),
    /// A sequence or view.
    Other,
}

impl NameIndex {
    /// Records that `table` (`None`: a sequence or view) holds `name` in `schema`.
    fn add(&mut self, schema: &str, name: &str, table: Option<&QualName>) {
        let known = self
            .candidates(schema, name)
            .iter()
            .any(|owner| match owner {
                Owner::Table(t) => Some(t) == table,
                Owner::Other => table.is_none(),
            });
        if known {
            return;
        }
        let owner = table.map_or(Owner::Other, |t| Owner::Table(t.clone()));
        self.owners
            .entry(schema.to_owned())
            .or_default()
            .entry(name.to_owned())
            .or_default()
            .push(owner);
    }

    fn push(map: &mut HashMap<QualName, BTreeSet<QualName>>, key: &QualName, value: &QualName) {
        if map.get(key).is_some_and(|values| values.contains(value)) {
            return;
        }
        map.entry(key.clone()).or_default().insert(value.clone());
    }

    fn sorted(map: &HashMap<QualName, BTreeSet<QualName>>, key: &QualName) -> Vec<QualName> {
        map.get(key)
            .map(|v| v.iter().cloned().collect())
            .unwrap_or_default()
    }

    fn candidates(&self, schema: &str, name: &str) -> &[Owner] {
        self.owners
            .get(schema)
            .and_then(|names| names.get(name))
            .map_or(&[], Vec::as_slice)
    }
}

impl State {
    /// Records every name `table` holds (its own, its indexes', FKs' and CHECKs') after a
    /// change that may have added or renamed one.
    pub(super) fn note_table(&mut self, table: &QualName) {
        let Some(t) = self.schema.tables.get(table) else {
            return;
        };
        let owner = Some(table);
        let s = &table.schema;
        self.names.add(s, &t.name.name, owner);
        for i in &t.indexes {
            self.names.add(s, &i.name, owner);
        }
        for f in &t.foreign_keys {
            self.names.add(s, &f.name, owner);
            NameIndex::push(&mut self.names.referencers, &f.referenced_table, table);
        }
        for c in self.checks.get(table).into_iter().flatten() {
            self.names.add(s, c, owner);
        }
    }

    /// Records the name of an index or FK just added to `table` (and, for an FK, the table
    /// it references): [`State::note_table`] for one name, so that a table with 20,000 FKs
    /// is not indexed again after each of them.
    pub(super) fn note_name(
        &mut self,
        table: &QualName,
        name: &str,
        references: Option<&QualName>,
    ) {
        self.names.add(&table.schema, name, Some(table));
        if let Some(referenced) = references {
            NameIndex::push(&mut self.names.referencers, referenced, table);
        }
    }

    /// Records a sequence's or view's name (and the table owning it).
    pub(super) fn note_other(&mut self, name: &QualName, owner: Option<&QualName>) {
        self.names.add(&name.schema, &name.name, None);
        if let Some(table) = owner {
            NameIndex::push(&mut self.names.owned, table, name);
        }
    }

    /// The tables that may have an FK referencing `table`, sorted (check each FK).
    pub(super) fn referencing(&self, table: &QualName) -> Vec<QualName> {
        NameIndex::sorted(&self.names.referencers, table)
    }

    /// The other relations `table` may own, sorted (check each owner).
    pub(super) fn owned_by(&self, table: &QualName) -> Vec<QualName> {
        NameIndex::sorted(&self.names.owned, table)
    }

    /// The tables of `schema` that may hold `name` (verify before use).
    pub(super) fn holders_of(&self, schema: &str, name: &str) -> Vec<QualName> {
        self.names
            .candidates(schema, name)
            .iter()
            .filter_map(|o| match o {
                Owner::Table(t) if t.schema == schema => Some(t.clone()),
                _ => None,
            })
            .collect()
    }

    /// A relation (table, index, sequence, view) named `name` exists in `schema`. MySQL
    /// index names are per table, so there only tables and views count.
    pub(super) fn relation_taken(&self, schema: &str, name: &str) -> bool {
        let indexes_count = self.backend != Backend::Mysql;
        self.names
            .candidates(schema, name)
            .iter()
            .any(|owner| match owner {
                Owner::Table(q) => self.schema.tables.get(q).is_some_and(|t| {
                    (t.name.schema == schema && t.name.name == name)
                        || (indexes_count
                            && t.name.schema == schema
                            && t.indexes.iter().any(|i| i.name == name))
                }),
                Owner::Other => self
                    .others
                    .contains_key(&QualName::new(schema.to_owned(), name.to_owned())),
            })
    }

    /// A constraint (PK, UNIQUE, FK, named CHECK) named `name` exists in `schema`.
    pub(super) fn constraint_taken(&self, schema: &str, name: &str) -> bool {
        self.holders_of(schema, name).iter().any(|q| {
            self.schema.tables.get(q).is_some_and(|t| {
                t.foreign_keys.iter().any(|f| f.name == name)
                    || t.indexes.iter().any(|i| {
                        matches!(i.kind, IndexKind::PrimaryKey | IndexKind::UniqueConstraint)
                            && i.name == name
                    })
            }) || self
                .checks
                .get(q)
                .is_some_and(|names| names.iter().any(|n| n == name))
        })
    }

    /// Every name in the model is in the index (what a missing [`State::note_table`] call
    /// would break).
    #[cfg(test)]
    pub(super) fn assert_names_indexed(&self) {
        for t in self.schema.tables.values() {
            let s = &t.name.schema;
            let names = std::iter::once(&t.name.name)
                .chain(t.indexes.iter().map(|i| &i.name))
                .chain(t.foreign_keys.iter().map(|f| &f.name))
                .chain(self.checks.get(&t.name).into_iter().flatten());
            for n in names {
                assert!(
                    self.names
                        .candidates(s, n)
                        .contains(&Owner::Table(t.name.clone())),
                    "name {s}.{n} of table {:?} is not in the name index",
                    t.name
                );
            }
        }
        for (name, owner) in &self.others {
            assert!(
                self.names
                    .candidates(&name.schema, &name.name)
                    .contains(&Owner::Other),
                "relation {name:?} is not in the name index"
            );
            if let Some((table, _)) = owner {
                assert!(self.owned_by(table).contains(name), "{name:?} of {table:?}");
            }
        }
        for t in self.schema.tables.values() {
            for f in &t.foreign_keys {
                assert!(
                    self.referencing(&f.referenced_table).contains(&t.name),
                    "FK {} of {:?}",
                    f.name,
                    t.name
                );
            }
        }
    }

    /// `ChooseRelationName`; with `constraint` the name must also be free as a constraint
    /// name (PK and UNIQUE indexes).
    pub(super) fn choose_relation_name(
        &self,
        schema: &str,
        name1: &str,
        name2: Option<&str>,
        label: &str,
        constraint: bool,
    ) -> String {
        naming::choose_name(name1, name2, label, |n| {
            self.relation_taken(schema, n) || (constraint && self.constraint_taken(schema, n))
        })
    }

    /// `ChooseConstraintName` (FKs).
    pub(super) fn choose_constraint_name(
        &self,
        schema: &str,
        name1: &str,
        name2: Option<&str>,
        label: &str,
    ) -> String {
        naming::choose_name(name1, name2, label, |n| self.constraint_taken(schema, n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &[&str]) -> Vec<String> {
        s.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn repeated_index_column_names_are_numbered() {
        // CREATE INDEX ON posts (lower(a::text), (b), (a + b), (a::text), coalesce(a, b), a)
        // INCLUDE (b) -> posts_lower_b_expr_a_coalesce_a1_b1_idx on PostgreSQL 15.
        let names = v(&["lower", "b", "expr", "a", "coalesce", "a", "b"]);
        assert_eq!(
            index_column_names(&names),
            v(&["lower", "b", "expr", "a", "coalesce", "a1", "b1"])
        );
        assert_eq!(
            index_column_names(&v(&["a", "a", "a"])),
            v(&["a", "a1", "a2"])
        );
    }
}
