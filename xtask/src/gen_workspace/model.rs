//! The schema a generated migration history builds, kept beside the SQL so that schema.rs
//! (what `diesel print-schema` would write) and the Rust code agree with the migrations.

use std::fmt::Write as _;

/// The column types the generator writes, with what `diesel print-schema` and a model
/// struct make of them on PostgreSQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColType {
    BigSerial,
    BigInt,
    Int,
    Text,
    Varchar,
    Bool,
    Timestamptz,
    Numeric,
    Jsonb,
    Uuid,
    Date,
}

impl ColType {
    pub fn sql(self) -> &'static str {
        match self {
            ColType::BigSerial => "BIGSERIAL",
            ColType::BigInt => "BIGINT",
            ColType::Int => "INTEGER",
            ColType::Text => "TEXT",
            ColType::Varchar => "VARCHAR(255)",
            ColType::Bool => "BOOLEAN",
            ColType::Timestamptz => "TIMESTAMPTZ",
            ColType::Numeric => "NUMERIC(12, 2)",
            ColType::Jsonb => "JSONB",
            ColType::Uuid => "UUID",
            ColType::Date => "DATE",
        }
    }

    /// The name `diesel print-schema` writes.
    pub fn diesel(self) -> &'static str {
        match self {
            ColType::BigSerial | ColType::BigInt => "Int8",
            ColType::Int => "Int4",
            ColType::Text => "Text",
            ColType::Varchar => "Varchar",
            ColType::Bool => "Bool",
            ColType::Timestamptz => "Timestamptz",
            ColType::Numeric => "Numeric",
            ColType::Jsonb => "Jsonb",
            ColType::Uuid => "Uuid",
            ColType::Date => "Date",
        }
    }

    /// The field type of a model struct.
    pub fn rust(self) -> &'static str {
        match self {
            ColType::BigSerial | ColType::BigInt => "i64",
            ColType::Int => "i32",
            ColType::Text | ColType::Varchar => "String",
            ColType::Bool => "bool",
            ColType::Timestamptz => "DateTime<Utc>",
            ColType::Numeric => "BigDecimal",
            ColType::Jsonb => "serde_json::Value",
            ColType::Uuid => "Uuid",
            ColType::Date => "NaiveDate",
        }
    }

    /// A constant default (none is volatile), for `NOT NULL DEFAULT ..` and data updates.
    pub fn default_sql(self) -> &'static str {
        match self {
            ColType::BigSerial | ColType::BigInt | ColType::Int | ColType::Numeric => "0",
            ColType::Text | ColType::Varchar => "''",
            ColType::Bool => "false",
            ColType::Timestamptz => "'2020-01-01 00:00:00+00'",
            ColType::Jsonb => "'{}'",
            ColType::Uuid => "'00000000-0000-0000-0000-000000000000'",
            ColType::Date => "'2020-01-01'",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Column {
    pub name: String,
    pub ty: ColType,
    pub nullable: bool,
}

#[derive(Debug, Clone)]
pub struct ForeignKey {
    pub column: String,
    pub parent: String,
}

#[derive(Debug, Clone)]
pub struct Index {
    pub name: String,
    pub columns: Vec<String>,
    /// Has a `WHERE`: covers no foreign key.
    pub partial: bool,
    pub unique: bool,
    /// Created to cover a foreign key: never dropped by a later migration.
    pub for_fk: bool,
}

#[derive(Debug, Clone)]
pub struct Table {
    pub name: String,
    pub columns: Vec<Column>,
    pub fks: Vec<ForeignKey>,
    pub indexes: Vec<Index>,
    pub has_trigger: bool,
}

/// Columns every table is created with, which the generated code relies on: never renamed
/// or dropped.
pub const FIXED_COLUMNS: [&str; 3] = ["id", "created_at", "updated_at"];

impl Table {
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    pub fn is_fk(&self, column: &str) -> bool {
        self.fks.iter().any(|f| f.column == column)
    }

    pub fn is_indexed(&self, column: &str) -> bool {
        self.indexes
            .iter()
            .any(|i| i.columns.iter().any(|c| c == column))
    }

    /// Covered as dbopt's `fk_without_index` defines it: a non-partial index whose first
    /// key column is the foreign key's (single) column.
    pub fn fk_covered(&self, column: &str) -> bool {
        self.indexes
            .iter()
            .any(|i| !i.partial && i.columns.first().is_some_and(|c| c == column))
    }

    /// Columns a migration may rename, drop or retype: not fixed, not a foreign key, in no
    /// index.
    pub fn plain_columns(&self) -> Vec<&Column> {
        self.columns
            .iter()
            .filter(|c| {
                !FIXED_COLUMNS.contains(&c.name.as_str())
                    && !self.is_fk(&c.name)
                    && !self.is_indexed(&c.name)
            })
            .collect()
    }

    pub fn references(&self, parent: &str) -> bool {
        self.fks.iter().any(|f| f.parent == parent)
    }
}

/// schema.rs as `diesel print-schema` writes it for these tables (PostgreSQL, default
/// options): tables sorted by name, columns in table order, a `joinable!` per foreign key,
/// and one `allow_tables_to_appear_in_same_query!`.
pub fn schema_rs(tables: &[Table]) -> String {
    let mut sorted: Vec<&Table> = tables.iter().collect();
    sorted.sort_by(|a, b| a.name.cmp(&b.name));
    let mut out = String::from("// @generated automatically by Diesel CLI.\n");
    for t in &sorted {
        let _ = write!(out, "\ndiesel::table! {{\n    {} (id) {{\n", t.name);
        for c in &t.columns {
            if c.ty == ColType::Varchar {
                out.push_str("        #[max_length = 255]\n");
            }
            let ty = if c.nullable {
                format!("Nullable<{}>", c.ty.diesel())
            } else {
                c.ty.diesel().to_owned()
            };
            let _ = writeln!(out, "        {} -> {ty},", c.name);
        }
        out.push_str("    }\n}\n");
    }
    let mut joins: Vec<(&str, &str, &str)> = sorted
        .iter()
        .flat_map(|t| {
            t.fks
                .iter()
                .map(|f| (t.name.as_str(), f.parent.as_str(), f.column.as_str()))
        })
        .collect();
    joins.sort_unstable();
    if !joins.is_empty() {
        out.push('\n');
    }
    for (child, parent, column) in joins {
        let _ = writeln!(out, "diesel::joinable!({child} -> {parent} ({column}));");
    }
    out.push_str("\ndiesel::allow_tables_to_appear_in_same_query!(\n");
    for t in &sorted {
        let _ = writeln!(out, "    {},", t.name);
    }
    out.push_str(");\n");
    out
}

/// `order_items_3` -> `order_item_3`, `addresses` -> `address`, `categories` -> `category`.
pub fn singular(table: &str) -> String {
    let (base, suffix) = match table.rsplit_once('_') {
        Some((b, s)) if s.chars().all(|c| c.is_ascii_digit()) => (b, format!("_{s}")),
        _ => (table, String::new()),
    };
    let one = if let Some(stem) = base.strip_suffix("ies") {
        format!("{stem}y")
    } else if ["sses", "xes", "ches", "shes"]
        .iter()
        .any(|end| base.ends_with(end))
    {
        base[..base.len() - 2].to_owned()
    } else if let Some(stem) = base.strip_suffix('s') {
        stem.to_owned()
    } else {
        base.to_owned()
    };
    format!("{one}{suffix}")
}

/// `order_item_3` -> `OrderItem3`.
pub fn camel(name: &str) -> String {
    name.split('_')
        .map(|part| {
            let mut chars = part.chars();
            chars.next().map_or_else(String::new, |c| {
                c.to_ascii_uppercase().to_string() + chars.as_str()
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(singular("order_items_3"), "order_item_3");
        assert_eq!(singular("addresses"), "address");
        assert_eq!(singular("categories"), "category");
        assert_eq!(singular("boxes"), "box");
        assert_eq!(singular("staff"), "staff");
        assert_eq!(camel("order_item_3"), "OrderItem3");
    }

    #[test]
    fn schema_rs_is_print_schema_shaped() {
        let col = |name: &str, ty, nullable| Column {
            name: name.to_owned(),
            ty,
            nullable,
        };
        let tables = [
            Table {
                name: "users".into(),
                columns: vec![col("id", ColType::BigSerial, false)],
                fks: Vec::new(),
                indexes: Vec::new(),
                has_trigger: false,
            },
            Table {
                name: "orders".into(),
                columns: vec![
                    col("id", ColType::BigSerial, false),
                    col("user_id", ColType::BigInt, true),
                    col("code", ColType::Varchar, false),
                ],
                fks: vec![ForeignKey {
                    column: "user_id".into(),
                    parent: "users".into(),
                }],
                indexes: Vec::new(),
                has_trigger: false,
            },
        ];
        assert_eq!(
            schema_rs(&tables),
            "// @generated automatically by Diesel CLI.\n\n\
             diesel::table! {\n    orders (id) {\n        id -> Int8,\n        \
             user_id -> Nullable<Int8>,\n        #[max_length = 255]\n        code -> Varchar,\n    \
             }\n}\n\n\
             diesel::table! {\n    users (id) {\n        id -> Int8,\n    }\n}\n\n\
             diesel::joinable!(orders -> users (user_id));\n\n\
             diesel::allow_tables_to_appear_in_same_query!(\n    orders,\n    users,\n);\n"
        );
    }
}
