//! SQL types mapped to the family of diesel's `sql_types` that `diesel print-schema` writes
//! for them, per backend, so a type written in a migration (`character varying(20)`,
//! `INT UNSIGNED`, `timestamp with time zone`) compares with the one in schema.rs
//! (`Varchar`, `Unsigned<Integer>`, `Timestamptz`).
//!
//! The mapping follows diesel_cli 2.3's `determine_column_type` for each backend:
//!
//! | written in the migration | PostgreSQL | SQLite | MySQL |
//! |---|---|---|---|
//! | `smallint`, `int2`, `smallserial` | `SmallInt` | `SmallInt` | `SmallInt` |
//! | `integer`, `int`, `int4`, `serial` | `Integer` | `Integer` (any type containing `int`) | `Integer` |
//! | `bigint`, `int8`, `bigserial` | `BigInt` | `BigInt` | `BigInt` |
//! | `tinyint` | custom | `Bool` | `TinyInt` (`tinyint(1)`: `Bool`) |
//! | `boolean`, `bool` | `Bool` | `Bool` | `Bool` |
//! | `real`, `float4` | `Float` | `Float` | `Double` (`real`) |
//! | `double precision`, `float8` | `Double` | `Double` | `Double` |
//! | `float(p)` | `Float` (p <= 24), else `Double` | `Float` | `Float` (p <= 24), else `Double` |
//! | `numeric`, `decimal` | `Numeric` | `Double` (diesel's choice) | `Numeric` |
//! | `text`, `varchar`, `char`, `character varying`, `bpchar`, `*text`, `clob` | `Text` | `Text` | `Text` |
//! | `citext` | `Citext` | - | - |
//! | `bytea`, `blob`, `binary`, `varbinary`, `bit` | `Binary` (`bit(n)` too) | `Binary` (also no type) | `Binary` |
//! | `date`, `time` | `Date`, `Time` | `Date`, `Time` | `Date`, `Time` |
//! | `timestamp [without time zone]` | `Timestamp` | `Timestamp` (also `datetime`) | `Timestamp` |
//! | `timestamptz`, `timestamp with time zone` | `Timestamptz` | `Timestamp` | - |
//! | `datetime` | - | `Timestamp` | `Datetime` |
//! | `interval`, `uuid`, `json`, `jsonb`, `inet`, `cidr`, `macaddr`, `macaddr8`, `money`, `oid`, `pg_lsn` | the diesel type of that name | custom | `json`: `Json` (MariaDB reports `longtext`: `Text` also matches) |
//! | `int4range` .. `tstzrange`, `*multirange` | `Range<..>`, `Multirange<..>` | custom | custom |
//! | `x[]`, `x array` | `Array<Nullable<x>>` | - | - |
//! | `... unsigned` | - | - | `Unsigned<x>`; `serial` is `Unsigned<BigInt>` |
//! | anything else (enums, composites, extension types, `enum(..)`, `year`) | custom | custom | custom |
//!
//! On the schema.rs side every alias diesel defines resolves to its type (`Int4` and
//! `Integer`, `Varchar` and `Text`, `Bytea` and `Binary`, `Float8` and `Double`, ...).
//! A custom type is compared by its database name (from the `sql_types` module's
//! `postgres_type(name = ..)` / `mysql_type(name = ..)`), ignoring case and underscores;
//! one that schema.rs imports from elsewhere (`import_types`, diesel-derive-enum) matches
//! any custom type.

use std::fmt;

use crate::model::Backend;

/// What diesel's `sql_types` calls a column's type, aliases resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SqlFamily {
    /// A type diesel provides, by its canonical name (`Integer`, `Text`, `Timestamptz`).
    Diesel(&'static str),
    Array(Box<SqlFamily>),
    Range(Box<SqlFamily>),
    Multirange(Box<SqlFamily>),
    Unsigned(Box<SqlFamily>),
    /// A type diesel does not provide (enum, composite, extension type): its database name,
    /// without schema, or `None` when schema.rs names a type defined outside the file.
    Custom(Option<String>),
}

impl SqlFamily {
    /// `true` when both sides mean the same diesel type. An unknown custom type matches any
    /// custom type; custom names compare ignoring case and `_`.
    pub fn matches(&self, other: &SqlFamily, backend: Backend) -> bool {
        use SqlFamily::*;
        match (self, other) {
            (Diesel(a), Diesel(b)) => {
                a == b
                    || (backend == Backend::Mysql
                        && matches!((*a, *b), ("Json", "Text") | ("Text", "Json")))
            }
            (Array(a), Array(b))
            | (Range(a), Range(b))
            | (Multirange(a), Multirange(b))
            | (Unsigned(a), Unsigned(b)) => a.matches(b, backend),
            (Custom(None), Custom(_)) | (Custom(_), Custom(None)) => true,
            (Custom(Some(a)), Custom(Some(b))) => squash(a) == squash(b),
            // diesel_cli before 2.2 generated a custom `Citext` where diesel has one now.
            (Diesel(a), Custom(Some(b))) | (Custom(Some(b)), Diesel(a)) => squash(a) == squash(b),
            _ => false,
        }
    }
}

/// Written the way schema.rs writes it: `Array<Nullable<Int4>>` becomes `Array<Integer>`.
impl fmt::Display for SqlFamily {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SqlFamily::Diesel(name) => f.write_str(name),
            SqlFamily::Array(t) => write!(f, "Array<Nullable<{t}>>"),
            SqlFamily::Range(t) => write!(f, "Range<{t}>"),
            SqlFamily::Multirange(t) => write!(f, "Multirange<{t}>"),
            SqlFamily::Unsigned(t) => write!(f, "Unsigned<{t}>"),
            SqlFamily::Custom(Some(name)) => f.write_str(&upper_camel(name)),
            SqlFamily::Custom(None) => f.write_str("a custom type"),
        }
    }
}

fn squash(name: &str) -> String {
    name.chars()
        .filter(|c| *c != '_')
        .flat_map(char::to_lowercase)
        .collect()
}

/// `mood_kind` -> `MoodKind`, as diesel names generated types.
pub fn upper_camel(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut up = true;
    for c in name.chars() {
        if c == '_' || c == ' ' {
            up = true;
        } else if up {
            out.extend(c.to_uppercase());
            up = false;
        } else {
            out.push(c);
        }
    }
    out
}

// ---- the migration side ----

/// The family of a type as replay stores it (lower case, single spaces, as written).
pub fn from_sql(backend: Backend, written: &str) -> SqlFamily {
    let written = written.trim();
    match backend {
        Backend::Postgres => postgres(written, 0),
        Backend::Sqlite => sqlite(written),
        Backend::Mysql => mysql(written),
    }
}

/// The words of a type without its `(..)` arguments, and the first argument if numeric.
fn base_and_arg(written: &str) -> (String, Option<u32>) {
    let mut base = String::with_capacity(written.len());
    let mut args = String::new();
    let mut depth = 0usize;
    let mut quoted = false;
    for c in written.chars() {
        match c {
            '"' => quoted = !quoted,
            '(' if !quoted => depth += 1,
            ')' if !quoted => depth = depth.saturating_sub(1),
            _ if depth > 0 => args.push(c),
            _ => base.push(c),
        }
    }
    let arg = args
        .split(',')
        .next()
        .and_then(|a| a.trim().parse::<u32>().ok());
    let base = base.split_whitespace().collect::<Vec<_>>().join(" ");
    (base, arg)
}

/// The last part of a possibly qualified, possibly quoted name.
fn type_name(base: &str) -> String {
    let mut parts = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for c in base.chars() {
        match c {
            '"' => quoted = !quoted,
            '.' if !quoted => parts.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    parts.push(cur);
    parts.pop().unwrap_or_default()
}

fn postgres(written: &str, depth: usize) -> SqlFamily {
    // `int[]`, `int[3][3]`, `int array`, `int array[3]`
    if depth < 8 {
        let trimmed = written.trim_end();
        if let Some(open) = trimmed.rfind('[')
            && trimmed.ends_with(']')
        {
            let inner = postgres(&trimmed[..open], depth + 1);
            return match inner {
                SqlFamily::Array(_) => inner, // diesel's arrays have no dimensions
                other => SqlFamily::Array(Box::new(other)),
            };
        }
        if let Some(inner) = trimmed.strip_suffix(" array") {
            return SqlFamily::Array(Box::new(postgres(inner, depth + 1)));
        }
    }
    let (base, arg) = base_and_arg(written);
    let d = SqlFamily::Diesel;
    let range = |t: &'static str| SqlFamily::Range(Box::new(SqlFamily::Diesel(t)));
    let multi = |t: &'static str| SqlFamily::Multirange(Box::new(SqlFamily::Diesel(t)));
    match base.as_str() {
        "smallint" | "int2" | "smallserial" | "serial2" => d("SmallInt"),
        "integer" | "int" | "int4" | "serial" | "serial4" => d("Integer"),
        "bigint" | "int8" | "bigserial" | "serial8" => d("BigInt"),
        "real" | "float4" => d("Float"),
        "double precision" | "float8" => d("Double"),
        "float" => match arg {
            Some(p) if p <= 24 => d("Float"),
            _ => d("Double"),
        },
        "numeric" | "decimal" => d("Numeric"),
        "boolean" | "bool" => d("Bool"),
        "text" | "varchar" | "character varying" | "char" | "character" | "bpchar" => d("Text"),
        "citext" => d("Citext"),
        // print-schema writes `Bit`, which diesel defines as `Binary`.
        "bytea" | "bit" => d("Binary"),
        "bit varying" | "varbit" => SqlFamily::Custom(Some("varbit".to_owned())),
        "date" => d("Date"),
        "time" | "time without time zone" => d("Time"),
        "timetz" | "time with time zone" => SqlFamily::Custom(Some("timetz".to_owned())),
        "timestamp" | "timestamp without time zone" => d("Timestamp"),
        "timestamptz" | "timestamp with time zone" => d("Timestamptz"),
        "uuid" => d("Uuid"),
        "json" => d("Json"),
        "jsonb" => d("Jsonb"),
        "inet" => d("Inet"),
        "cidr" => d("Cidr"),
        "macaddr" => d("MacAddr"),
        "macaddr8" => d("MacAddr8"),
        "money" => d("Money"),
        "oid" => d("Oid"),
        "pg_lsn" => d("PgLsn"),
        "int4range" => range("Integer"),
        "int8range" => range("BigInt"),
        "numrange" => range("Numeric"),
        "daterange" => range("Date"),
        "tsrange" => range("Timestamp"),
        "tstzrange" => range("Timestamptz"),
        "int4multirange" => multi("Integer"),
        "int8multirange" => multi("BigInt"),
        "nummultirange" => multi("Numeric"),
        "datemultirange" => multi("Date"),
        "tsmultirange" => multi("Timestamp"),
        "tstzmultirange" => multi("Timestamptz"),
        b if b.starts_with("interval") => d("Interval"),
        b => SqlFamily::Custom(Some(type_name(b))),
    }
}

/// diesel_cli's SQLite rules, substring tests in its order.
fn sqlite(written: &str) -> SqlFamily {
    let t = written.to_lowercase();
    let d = SqlFamily::Diesel;
    let has = |s: &str| t.contains(s);
    if t == "boolean" || t == "bool" || (has("tiny") && has("int")) {
        d("Bool")
    } else if t == "int2" || (has("small") && has("int")) {
        d("SmallInt")
    } else if t == "int8" || (has("big") && has("int")) {
        d("BigInt")
    } else if has("int") {
        d("Integer")
    } else if has("char") || has("clob") || has("text") {
        d("Text")
    } else if has("blob") || has("binary") || t.is_empty() {
        d("Binary")
    } else if has("float") || has("real") {
        d("Float")
    } else if has("double") || has("num") || has("dec") {
        d("Double")
    } else if t == "datetime" || t == "timestamp" {
        d("Timestamp")
    } else if t == "date" {
        d("Date")
    } else if t == "time" {
        d("Time")
    } else {
        SqlFamily::Custom(Some(t))
    }
}

fn mysql(written: &str) -> SqlFamily {
    let t = written.to_lowercase();
    let unsigned = t.split_whitespace().any(|w| w == "unsigned");
    let t: String = t
        .split_whitespace()
        .filter(|w| !matches!(*w, "unsigned" | "signed" | "zerofill"))
        .collect::<Vec<_>>()
        .join(" ");
    let (base, arg) = base_and_arg(&t);
    let d = SqlFamily::Diesel;
    let family = match base.as_str() {
        "tinyint" if arg == Some(1) => d("Bool"),
        "bool" | "boolean" => d("Bool"),
        "tinyint" | "int1" => d("TinyInt"),
        "smallint" | "int2" => d("SmallInt"),
        "int" | "integer" | "int4" => d("Integer"),
        "bigint" | "int8" => d("BigInt"),
        "serial" => return SqlFamily::Unsigned(Box::new(d("BigInt"))),
        "float" => match arg {
            Some(p) if p > 24 => d("Double"),
            _ => d("Float"),
        },
        "double" | "double precision" | "real" | "float8" => d("Double"),
        "float4" => d("Float"),
        "decimal" | "numeric" | "dec" | "fixed" => d("Numeric"),
        "char" | "varchar" | "character" | "character varying" | "national char"
        | "national varchar" | "nchar" | "nvarchar" | "tinytext" | "text" | "mediumtext"
        | "longtext" | "long" | "long varchar" => d("Text"),
        "binary" | "varbinary" | "tinyblob" | "blob" | "mediumblob" | "longblob" | "bit" => {
            d("Binary")
        }
        "date" => d("Date"),
        "time" => d("Time"),
        "datetime" => d("Datetime"),
        "timestamp" => d("Timestamp"),
        "json" => d("Json"),
        other => SqlFamily::Custom(Some(type_name(other))),
    };
    if unsigned {
        SqlFamily::Unsigned(Box::new(family))
    } else {
        family
    }
}

// ---- the schema.rs side ----

/// The family of a schema.rs type as the reader stores it (`Array<Nullable<Int4>>`,
/// `Unsigned<Bigint>`, `Mood`). `custom` gives the database name of a type declared in the
/// file's `sql_types` module (`Mood` -> `mood`), `None` when it is not declared there.
pub fn from_schema_rs(rust: &str, custom: &dyn Fn(&str) -> Option<String>) -> SqlFamily {
    schema_rs_type(rust, custom, 0)
}

fn schema_rs_type(rust: &str, custom: &dyn Fn(&str) -> Option<String>, depth: usize) -> SqlFamily {
    if depth > 16 {
        return SqlFamily::Custom(None);
    }
    let (name, args) = split_generic(rust.trim());
    let arg = |inner: &str| schema_rs_type(inner, custom, depth + 1);
    match (name, args.as_deref()) {
        ("Nullable", Some(inner)) => arg(inner),
        ("Array", Some(inner)) => SqlFamily::Array(Box::new(arg(inner))),
        ("Range", Some(inner)) => SqlFamily::Range(Box::new(arg(inner))),
        ("Multirange", Some(inner)) => SqlFamily::Multirange(Box::new(arg(inner))),
        ("Unsigned", Some(inner)) => SqlFamily::Unsigned(Box::new(arg(inner))),
        (name, _) => diesel_alias(name).unwrap_or_else(|| SqlFamily::Custom(custom(name))),
    }
}

/// `Array<Nullable<Int4>>` -> (`Array`, `Nullable<Int4>`); nesting is bounded by the input.
fn split_generic(ty: &str) -> (&str, Option<String>) {
    match (ty.find('<'), ty.rfind('>')) {
        (Some(open), Some(close)) if close > open => (
            ty[..open].trim(),
            Some(ty[open + 1..close].trim().to_owned()),
        ),
        _ => (ty, None),
    }
}

/// Every type and alias of diesel's `sql_types` (all backends), to its canonical family.
fn diesel_alias(name: &str) -> Option<SqlFamily> {
    let d = SqlFamily::Diesel;
    let range = |t: &'static str| SqlFamily::Range(Box::new(SqlFamily::Diesel(t)));
    let multi = |t: &'static str| SqlFamily::Multirange(Box::new(SqlFamily::Diesel(t)));
    Some(match name {
        "Bool" => d("Bool"),
        "TinyInt" | "Tinyint" => d("TinyInt"),
        "SmallInt" | "Smallint" | "Int2" | "SmallSerial" => d("SmallInt"),
        "Integer" | "Int4" | "Serial" => d("Integer"),
        "BigInt" | "Bigint" | "Int8" | "BigSerial" => d("BigInt"),
        "Float" | "Float4" => d("Float"),
        "Double" | "Float8" => d("Double"),
        "Numeric" | "Decimal" => d("Numeric"),
        "Text" | "VarChar" | "Varchar" | "Char" | "Tinytext" | "Mediumtext" | "Longtext"
        | "Bpchar" => d("Text"),
        "Binary" | "Tinyblob" | "Blob" | "Mediumblob" | "Longblob" | "Varbinary" | "Bit"
        | "Bytea" => d("Binary"),
        "Date" => d("Date"),
        "Time" => d("Time"),
        "Timestamp" => d("Timestamp"),
        "Timestamptz" => d("Timestamptz"),
        "Datetime" => d("Datetime"),
        "Interval" => d("Interval"),
        "Json" => d("Json"),
        "Jsonb" => d("Jsonb"),
        "Uuid" => d("Uuid"),
        "Oid" => d("Oid"),
        "Money" => d("Money"),
        "MacAddr" | "Macaddr" => d("MacAddr"),
        "MacAddr8" | "Macaddr8" => d("MacAddr8"),
        "Inet" => d("Inet"),
        "Cidr" => d("Cidr"),
        "CChar" => d("CChar"),
        "Citext" => d("Citext"),
        "PgLsn" => d("PgLsn"),
        "Int4range" => range("Integer"),
        "Int8range" => range("BigInt"),
        "Numrange" => range("Numeric"),
        "Daterange" => range("Date"),
        "Tsrange" => range("Timestamp"),
        "Tstzrange" => range("Timestamptz"),
        "Int4multirange" => multi("Integer"),
        "Int8multirange" => multi("BigInt"),
        "Nummultirange" => multi("Numeric"),
        "Datemultirange" => multi("Date"),
        "Tsmultirange" => multi("Timestamp"),
        "Tstzmultirange" => multi("Timestamptz"),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rs(t: &str) -> SqlFamily {
        from_schema_rs(t, &|name| (name == "Mood").then(|| "mood".to_owned()))
    }

    fn same(backend: Backend, sql: &str, rust: &str) -> bool {
        from_sql(backend, sql).matches(&rs(rust), backend)
    }

    #[test]
    fn postgres_types_match_what_print_schema_writes() {
        let pg = Backend::Postgres;
        for (sql, rust) in [
            ("integer", "Int4"),
            ("serial", "Int4"),
            ("int", "Integer"),
            ("bigserial", "Int8"),
            ("smallint", "Int2"),
            ("character varying(20)", "Varchar"),
            ("varchar", "Text"),
            ("char(3)", "Bpchar"),
            ("text", "Text"),
            ("timestamp", "Timestamp"),
            ("timestamp(3) without time zone", "Timestamp"),
            ("timestamp with time zone", "Timestamptz"),
            ("timestamptz", "Timestamptz"),
            ("numeric(10, 2)", "Numeric"),
            ("decimal", "Numeric"),
            ("double precision", "Float8"),
            ("real", "Float4"),
            ("float(53)", "Float8"),
            ("float(10)", "Float4"),
            ("uuid", "Uuid"),
            ("json", "Json"),
            ("jsonb", "Jsonb"),
            ("bytea", "Bytea"),
            ("bit(3)", "Bit"),
            ("bit varying(8)", "Varbit"),
            ("timetz", "Timetz"),
            ("boolean", "Bool"),
            ("integer[]", "Array<Nullable<Int4>>"),
            ("text[][]", "Array<Text>"),
            ("varchar(10) array", "Array<Nullable<Varchar>>"),
            ("int4range", "Range<Int4>"),
            ("tstzrange", "Tstzrange"),
            ("interval day to second", "Interval"),
            ("mood", "Mood"),
            ("public.mood", "Mood"),
            ("mood[]", "Array<Nullable<Mood>>"),
            ("my_status", "MyStatus"),
        ] {
            assert!(same(pg, sql, rust), "{sql} ~ {rust}");
        }
        for (sql, rust) in [
            ("integer", "Int8"),
            ("timestamp", "Timestamptz"),
            ("timestamptz", "Timestamp"),
            ("json", "Jsonb"),
            ("text", "Array<Text>"),
            ("integer[]", "Int4"),
            ("mood", "Text"),
            ("varchar", "Mood"),
            ("other_enum", "Mood"),
            ("numeric", "Float8"),
        ] {
            assert!(!same(pg, sql, rust), "{sql} !~ {rust}");
        }
    }

    #[test]
    fn sqlite_types_follow_diesel_cli() {
        let s = Backend::Sqlite;
        for (sql, rust) in [
            ("integer", "Integer"),
            ("int", "Integer"),
            ("bigint", "BigInt"),
            ("tinyint", "Bool"),
            ("boolean", "Bool"),
            ("varchar(255)", "Text"),
            ("", "Binary"),
            ("blob", "Binary"),
            ("real", "Float"),
            ("double", "Double"),
            ("numeric(10, 2)", "Double"),
            ("decimal", "Double"),
            ("datetime", "Timestamp"),
            ("timestamp", "Timestamp"),
            ("date", "Date"),
        ] {
            assert!(same(s, sql, rust), "{sql} ~ {rust}");
        }
        assert!(!same(s, "integer", "BigInt"));
        assert!(same(Backend::Postgres, "citext", "Citext"));
        assert!(!same(s, "text", "Integer"));
        assert!(!same(s, "numeric", "Numeric"));
    }

    #[test]
    fn mysql_types_follow_diesel_cli() {
        let m = Backend::Mysql;
        for (sql, rust) in [
            ("int", "Integer"),
            ("int(11)", "Integer"),
            ("int unsigned", "Unsigned<Integer>"),
            ("bigint(20) unsigned", "Unsigned<Bigint>"),
            ("serial", "Unsigned<BigInt>"),
            ("tinyint(1)", "Bool"),
            ("boolean", "Bool"),
            ("tinyint", "Tinyint"),
            ("varchar(255)", "Varchar"),
            ("longtext", "Longtext"),
            ("text", "Text"),
            ("datetime", "Datetime"),
            ("datetime(6)", "Datetime"),
            ("timestamp", "Timestamp"),
            ("decimal(10,2)", "Decimal"),
            ("double", "Double"),
            ("float", "Float"),
            ("json", "Json"),
            ("json", "Longtext"),
            ("blob", "Blob"),
            ("varbinary(16)", "Binary"),
            ("enum('a', 'b')", "PostsStatusEnum"),
        ] {
            let custom = |n: &str| (n == "PostsStatusEnum").then(|| "Enum".to_owned());
            let ours = from_sql(m, sql);
            assert!(
                ours.matches(&from_schema_rs(rust, &custom), m),
                "{sql} ({ours:?}) ~ {rust}"
            );
        }
        assert!(!same(m, "int unsigned", "Integer"));
        assert!(!same(m, "datetime", "Timestamp"));
        assert!(!same(m, "int", "BigInt"));
    }

    #[test]
    fn deep_nesting_is_bounded() {
        let deep = format!("{}Int4{}", "Array<".repeat(5000), ">".repeat(5000));
        assert!(matches!(
            from_schema_rs(&deep, &|_| None),
            SqlFamily::Array(_)
        ));
        let sql = format!("int{}", "[]".repeat(5000));
        assert!(matches!(
            from_sql(Backend::Postgres, &sql),
            SqlFamily::Array(_)
        ));
    }

    #[test]
    fn display_is_the_schema_rs_spelling() {
        assert_eq!(
            from_sql(Backend::Postgres, "int[]").to_string(),
            "Array<Nullable<Integer>>"
        );
        assert_eq!(
            from_sql(Backend::Mysql, "int unsigned").to_string(),
            "Unsigned<Integer>"
        );
        assert_eq!(
            from_sql(Backend::Postgres, "mood_kind").to_string(),
            "MoodKind"
        );
    }
}
