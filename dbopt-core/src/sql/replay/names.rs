//! Identifier folding, name resolution and the namespaces PostgreSQL chooses generated names
//! in (relations and constraints share one namespace per schema each).

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
pub(super) fn parts(name: &ObjectName) -> Option<Vec<String>> {
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

impl State {
    /// A relation (table, index, sequence, view) named `name` exists in `schema`. MySQL
    /// index names are per table, so there only tables and views count.
    pub(super) fn relation_taken(&self, schema: &str, name: &str) -> bool {
        let indexes_count = self.backend != Backend::Mysql;
        self.schema
            .tables
            .values()
            .filter(|t| t.name.schema == schema)
            .any(|t| {
                t.name.name == name || (indexes_count && t.indexes.iter().any(|i| i.name == name))
            })
            || self
                .others
                .iter()
                .any(|o| o.name.schema == schema && o.name.name == name)
    }

    /// A constraint (PK, UNIQUE, FK, named CHECK) named `name` exists in `schema`.
    pub(super) fn constraint_taken(&self, schema: &str, name: &str) -> bool {
        self.schema
            .tables
            .values()
            .filter(|t| t.name.schema == schema)
            .any(|t| {
                t.foreign_keys.iter().any(|f| f.name == name)
                    || t.indexes.iter().any(|i| {
                        matches!(i.kind, IndexKind::PrimaryKey | IndexKind::UniqueConstraint)
                            && i.name == name
                    })
            })
            || self
                .checks
                .iter()
                .any(|(t, names)| t.schema == schema && names.iter().any(|n| n == name))
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
