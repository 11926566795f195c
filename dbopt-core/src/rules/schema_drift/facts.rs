//! Facts from the statements that the schema model does not keep: views, PostgreSQL
//! domains, where tables were dropped, and the text of unparsed statements.

use std::collections::{BTreeMap, BTreeSet};

use sqlparser::ast::{
    AlterTableOperation, AlterTypeOperation, ObjectName, ObjectNamePart, ObjectType,
    RenameTableNameKind, Statement,
};

use crate::model::{Backend, QualName};
use crate::source::Span;
use crate::sql::{SchemaContext, StatementKind};

/// Views (not drift) and PostgreSQL domains (their base type), in the final state, and
/// where tables were dropped.
#[derive(Default)]
pub(super) struct Facts {
    pub views: BTreeSet<QualName>,
    pub domains: BTreeMap<String, String>,
    pub dropped: BTreeMap<QualName, Span>,
    /// `ALTER TYPE old RENAME TO new`, in order (PostgreSQL enums and composites).
    pub type_renames: Vec<(String, String)>,
    /// Old name -> the last rename of a table away from it.
    pub renamed: BTreeMap<QualName, (QualName, Span)>,
    /// The text of every statement the parser rejected, lower case.
    pub unparsed: Vec<String>,
}

fn qual(backend: Backend, name: &ObjectName) -> Option<QualName> {
    let parts: Vec<String> = name
        .0
        .iter()
        .map(|p| match p {
            ObjectNamePart::Identifier(i) if i.quote_style.is_some() => Some(i.value.clone()),
            ObjectNamePart::Identifier(i) => Some(i.value.to_lowercase()),
            ObjectNamePart::Function(_) => None,
        })
        .collect::<Option<_>>()?;
    match parts.as_slice() {
        [] => None,
        [n] => Some(QualName::new(backend.default_schema(), n.clone())),
        [.., s, n] => Some(QualName::new(s.clone(), n.clone())),
    }
}

impl Facts {
    pub(super) fn collect(ctx: &SchemaContext<'_>) -> Self {
        let mut facts = Facts::default();
        for record in &ctx.replay.statements {
            match &record.statement.kind {
                StatementKind::Parsed(statement) => match statement.as_ref() {
                    Statement::CreateView(v) => {
                        if let Some(name) = qual(ctx.backend, &v.name) {
                            facts.views.insert(name);
                        }
                    }
                    Statement::CreateDomain(d) => {
                        if let Some(name) = qual(ctx.backend, &d.name) {
                            let base = d.data_type.to_string().to_lowercase();
                            facts.domains.insert(name.name, base);
                        }
                    }
                    Statement::AlterTable(at) => {
                        let Some(old) = qual(ctx.backend, &at.name) else {
                            continue;
                        };
                        for op in &at.operations {
                            if let AlterTableOperation::RenameTable {
                                table_name:
                                    RenameTableNameKind::To(new) | RenameTableNameKind::As(new),
                            } = op
                                && let Some(new) = qual(ctx.backend, new)
                            {
                                // PostgreSQL and SQLite keep the schema; MySQL may move it.
                                let new = if new.schema == ctx.backend.default_schema()
                                    && ctx.backend != Backend::Mysql
                                {
                                    QualName::new(old.schema.clone(), new.name)
                                } else {
                                    new
                                };
                                facts
                                    .renamed
                                    .insert(old.clone(), (new, record.span.clone()));
                            }
                        }
                    }
                    Statement::AlterType(at) => {
                        if let AlterTypeOperation::Rename(r) = &at.operation
                            && let Some(old) = qual(ctx.backend, &at.name)
                        {
                            let new = match r.new_name.quote_style {
                                Some(_) => r.new_name.value.clone(),
                                None => r.new_name.value.to_lowercase(),
                            };
                            facts.type_renames.push((old.name, new));
                        }
                    }
                    Statement::RenameTable(renames) => {
                        for r in renames {
                            if let (Some(old), Some(new)) = (
                                qual(ctx.backend, &r.old_name),
                                qual(ctx.backend, &r.new_name),
                            ) {
                                facts.renamed.insert(old, (new, record.span.clone()));
                            }
                        }
                    }
                    Statement::Drop {
                        object_type, names, ..
                    } => {
                        for name in names.iter().filter_map(|n| qual(ctx.backend, n)) {
                            match object_type {
                                ObjectType::View | ObjectType::MaterializedView => {
                                    facts.views.remove(&name);
                                }
                                ObjectType::Table => {
                                    facts.dropped.insert(name, record.span.clone());
                                }
                                _ => {}
                            }
                        }
                    }
                    _ => {}
                },
                StatementKind::Unparsed { .. } => {
                    let text = ctx.sources.text(record.span.file);
                    if let Some(s) = text.get(record.span.range.clone()) {
                        facts.unparsed.push(s.to_lowercase());
                    }
                }
                _ => {}
            }
        }
        facts
    }

    /// The name a type has after every `ALTER TYPE .. RENAME TO` that followed.
    pub(super) fn type_name_now(&self, name: &str) -> String {
        let mut name = name.to_owned();
        for (old, new) in &self.type_renames {
            if *old == name {
                name.clone_from(new);
            }
        }
        name
    }

    /// An unparsed statement names the table: replay may just not know it.
    pub(super) fn maybe_unparsed(&self, name: &str) -> bool {
        let name = name.to_lowercase();
        self.unparsed.iter().any(|s| {
            s.match_indices(&name).any(|(i, _)| {
                let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
                !word(s[..i].chars().next_back()) && !word(s[i + name.len()..].chars().next())
            })
        })
    }
}
