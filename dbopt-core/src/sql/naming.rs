//! PostgreSQL's object naming, so replayed names equal the ones in pg_catalog: generated
//! index and constraint names (`makeObjectName` / `ChooseRelationName` in PostgreSQL's
//! `indexcmds.c`) and identifier quoting for the SQL we print.

use crate::model::QualName;

/// PostgreSQL's `NAMEDATALEN - 1`: the longest identifier in bytes.
pub const MAX_IDENT_BYTES: usize = 63;

/// `makeObjectName(name1, name2, label)`: `name1_name2_label`, shortening the longer of
/// name1/name2 one byte at a time until the whole fits in 63 bytes (never splitting a
/// multibyte character).
pub fn make_object_name(name1: &str, name2: Option<&str>, label: &str) -> String {
    let mut overhead = 0;
    let mut n1 = name1.len();
    let mut n2 = 0;
    if let Some(name2) = name2 {
        n2 = name2.len();
        overhead += 1;
    }
    if !label.is_empty() {
        overhead += label.len() + 1;
    }
    let avail = MAX_IDENT_BYTES.saturating_sub(overhead);
    while n1 + n2 > avail {
        if n1 > n2 {
            n1 -= 1;
        } else {
            n2 -= 1;
        }
    }
    let mut out = String::with_capacity(MAX_IDENT_BYTES);
    out.push_str(clip(name1, n1));
    if let Some(name2) = name2 {
        out.push('_');
        out.push_str(clip(name2, n2));
    }
    if !label.is_empty() {
        out.push('_');
        out.push_str(label);
    }
    out
}

/// `ChooseRelationName`: [`make_object_name`], then `label1`, `label2`, ... until `taken`
/// says the name is free.
pub fn choose_name(
    name1: &str,
    name2: Option<&str>,
    label: &str,
    mut taken: impl FnMut(&str) -> bool,
) -> String {
    let mut candidate = make_object_name(name1, name2, label);
    let mut pass = 0;
    while taken(&candidate) {
        pass += 1;
        candidate = make_object_name(name1, name2, &format!("{label}{pass}"));
    }
    candidate
}

/// `ChooseIndexNameAddition` / `ChooseForeignKeyConstraintNameAddition`: the column names
/// joined by `_`, cut once 63 bytes are reached.
pub fn column_addition<S: AsRef<str>>(columns: &[S]) -> String {
    let mut out = String::new();
    for c in columns {
        if !out.is_empty() {
            out.push('_');
        }
        out.push_str(c.as_ref());
        if out.len() >= MAX_IDENT_BYTES {
            break;
        }
    }
    clip(&out, out.len().min(MAX_IDENT_BYTES)).to_owned()
}

/// The name PostgreSQL gives `CREATE INDEX ON table (columns)` (label `idx`), a UNIQUE
/// constraint (`key`) or an FK (`fkey`), avoiding the names in `existing`.
pub fn index_name<S: AsRef<str>>(
    table: &str,
    columns: &[S],
    label: &str,
    taken: impl FnMut(&str) -> bool,
) -> String {
    let addition = column_addition(columns);
    choose_name(table, Some(&addition), label, taken)
}

fn clip(s: &str, mut len: usize) -> &str {
    while !s.is_char_boundary(len) {
        len -= 1;
    }
    &s[..len]
}

/// PostgreSQL's reserved key words (and a few that need quoting as column names).
const RESERVED: &[&str] = &[
    "all",
    "analyse",
    "analyze",
    "and",
    "any",
    "array",
    "as",
    "asc",
    "asymmetric",
    "both",
    "case",
    "cast",
    "check",
    "collate",
    "column",
    "constraint",
    "create",
    "current_catalog",
    "current_date",
    "current_role",
    "current_time",
    "current_timestamp",
    "current_user",
    "default",
    "deferrable",
    "desc",
    "distinct",
    "do",
    "else",
    "end",
    "except",
    "false",
    "fetch",
    "for",
    "foreign",
    "from",
    "grant",
    "group",
    "having",
    "in",
    "initially",
    "intersect",
    "into",
    "lateral",
    "leading",
    "limit",
    "localtime",
    "localtimestamp",
    "not",
    "null",
    "offset",
    "on",
    "only",
    "or",
    "order",
    "placing",
    "primary",
    "references",
    "returning",
    "select",
    "session_user",
    "some",
    "symmetric",
    "system_user",
    "table",
    "then",
    "to",
    "trailing",
    "true",
    "union",
    "unique",
    "user",
    "using",
    "variadic",
    "when",
    "where",
    "window",
    "with",
];

/// `name` as PostgreSQL needs it written: bare when it is a lower-case identifier that is
/// not reserved, double-quoted otherwise.
pub fn quote_ident(name: &str) -> String {
    let plain = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '$')
        && !RESERVED.contains(&name);
    if plain {
        name.to_owned()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

/// `schema.table` quoted, the schema omitted when it is the default one.
pub fn quote_qualified(name: &QualName) -> String {
    if name.in_default_schema() {
        quote_ident(&name.name)
    } else {
        format!("{}.{}", quote_ident(&name.schema), quote_ident(&name.name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_names_match_postgres() {
        assert_eq!(
            index_name("posts", &["user_id"], "idx", |_| false),
            "posts_user_id_idx"
        );
        assert_eq!(
            index_name("posts", &["user_id"], "idx", |n| n == "posts_user_id_idx"),
            "posts_user_id_idx1"
        );
        assert_eq!(make_object_name("users", None, "pkey"), "users_pkey");
        // 63 bytes: the longer part is shortened first.
        let long = "a".repeat(70);
        let name = index_name(&long, &["b"], "fkey", |_| false);
        assert_eq!(name.len(), 63);
        assert!(name.ends_with("_b_fkey"));
    }

    #[test]
    fn quoting() {
        assert_eq!(quote_ident("users"), "users");
        assert_eq!(quote_ident("user"), "\"user\"");
        assert_eq!(quote_ident("Users"), "\"Users\"");
        assert_eq!(
            quote_qualified(&QualName::new("audit", "Log")),
            "audit.\"Log\""
        );
    }
}
