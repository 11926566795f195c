//! Differential test of the migration replay against real PostgreSQL (issue 2 §5).
//!
//! diesel applies `tests/fixtures/pg_diff/migrations` to a fresh database with its own
//! ordering and transaction rules: that database's pg_catalog is the ground truth. dbopt
//! replays the same files; both sides are rendered as sorted lines (tables, columns with
//! nullability, primary keys, foreign keys, indexes, and the foreign keys no index covers)
//! and must be equal. See tests/fixtures/pg_diff/EXPECTED.md for what each migration covers.
#![allow(
    clippy::print_stdout,
    reason = "the test reports what pg_catalog says and how dbopt differs"
)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use dbopt_core::diagnostic::Reporter;
use dbopt_core::model::{Backend, IndexKey, IndexKind, Schema};
use dbopt_core::rule::Check;
use dbopt_core::source::SourceMap;
use dbopt_core::sql::discover::discover_migrations;
use dbopt_core::sql::{LoadedMigration, Migration, Replay, SchemaContext};
use dbopt_tests::pg::{TestDatabase, server_url};
use diesel::migration::MigrationSource;
use diesel::pg::Pg;
use diesel::{Connection, PgConnection};
use diesel_migrations::{FileBasedMigrations, MigrationHarness};

const FIXTURE: &str = "fixtures/pg_diff";

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(FIXTURE)
}

#[test]
fn replay_matches_postgresql() {
    let Some(server) = server_url("replay_matches_postgresql") else {
        return;
    };
    let migrations_dir = fixture_dir().join("migrations");
    let db = TestDatabase::create(&server, "pg_diff")
        .unwrap_or_else(|e| panic!("cannot create a test database on {server}: {e}"));

    apply_with_diesel(&db.url, &migrations_dir);
    let truth = read_catalog(&db);
    println!("pg_catalog of {} after diesel's migrations:", db.name());
    for line in truth.all() {
        println!("  {line}");
    }

    let (sources, loaded) = load_in_diesel_order(&migrations_dir);
    let replay = dbopt_core::sql::replay::replay(Backend::Postgres, &sources, &loaded);
    for unparsed in &replay.unparsed {
        let at = sources.line_col(unparsed.span.file, unparsed.span.range.start);
        println!(
            "note: dbopt did not parse {}:{}:{}: {}",
            sources.path(unparsed.span.file).display(),
            at.line,
            at.column,
            unparsed.message
        );
    }
    let ours = Lines::from_replay(
        &replay.schema,
        fk_without_index_findings(&sources, &loaded, &replay),
    );

    let diff = truth.diff(&ours);
    assert!(
        diff.is_empty(),
        "dbopt's replay differs from PostgreSQL \
         (`-` only in pg_catalog, `+` only in dbopt's replay):\n{diff}"
    );
}

/// The ground truth: diesel's own harness, order and transaction mode.
fn apply_with_diesel(url: &str, migrations_dir: &Path) {
    let mut conn = PgConnection::establish(url)
        .unwrap_or_else(|e| panic!("cannot connect to the test database: {e}"));
    let source = FileBasedMigrations::from_path(migrations_dir)
        .unwrap_or_else(|e| panic!("diesel rejects {}: {e}", migrations_dir.display()));
    let applied = conn
        .run_pending_migrations(source)
        .unwrap_or_else(|e| panic!("diesel could not apply the fixture's migrations: {e}"));
    assert!(
        applied.len() >= 40,
        "the fixture must have at least 40 migrations"
    );
}

/// Lists the migrations with dbopt's own discovery and checks it against diesel's: the same
/// folders, in the same order, with the same `run_in_transaction`. The fixture also keeps
/// its ordering trap: a plain sort of the folder names gives a different order.
fn load_in_diesel_order(migrations_dir: &Path) -> (SourceMap, Vec<LoadedMigration>) {
    let source = FileBasedMigrations::from_path(migrations_dir)
        .unwrap_or_else(|e| panic!("diesel rejects {}: {e}", migrations_dir.display()));
    let mut diesel_list: Vec<(String, String, bool)> = MigrationSource::<Pg>::migrations(&source)
        .unwrap_or_else(|e| panic!("diesel cannot list the migrations: {e}"))
        .iter()
        .map(|m| {
            (
                m.name().version().to_string(),
                m.name().to_string(),
                m.metadata().run_in_transaction(),
            )
        })
        .collect();
    diesel_list.sort();

    let discovered = discover_migrations(migrations_dir)
        .unwrap_or_else(|e| panic!("dbopt cannot list {}: {e}", migrations_dir.display()));
    assert!(discovered.problems.is_empty(), "{:?}", discovered.problems);
    let migrations: Vec<Migration> = discovered.migrations;
    let ours: Vec<(String, String, bool)> = migrations
        .iter()
        .map(|m| (m.version.clone(), m.name.clone(), m.run_in_transaction))
        .collect();
    assert_eq!(
        ours, diesel_list,
        "dbopt's migration order differs from diesel's"
    );

    let mut lexical: Vec<&str> = migrations.iter().map(|m| m.name.as_str()).collect();
    lexical.sort_unstable();
    let diesel_order: Vec<&str> = migrations.iter().map(|m| m.name.as_str()).collect();
    assert_ne!(lexical, diesel_order, "the fixture lost its ordering trap");

    let mut sources = SourceMap::new();
    let loaded = migrations
        .into_iter()
        .map(|migration| {
            let path = migration.dir.join("up.sql");
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
            let shown = Path::new("tests")
                .join(FIXTURE)
                .join("migrations")
                .join(&migration.name)
                .join("up.sql");
            let up_sql = sources.add(shown, text);
            LoadedMigration { migration, up_sql }
        })
        .collect();
    (sources, loaded)
}

/// `fk_without_index` run through the registry, as `(table, constraint, columns)`.
fn fk_without_index_findings(
    sources: &SourceMap,
    migrations: &[LoadedMigration],
    replay: &Replay,
) -> Vec<String> {
    let rule = dbopt_core::rules::find("fk_without_index").expect("fk_without_index is registered");
    let Check::Schema(check) = rule.check else {
        panic!("fk_without_index is a schema rule");
    };
    let ctx = SchemaContext {
        sources,
        backend: Backend::Postgres,
        migrations,
        replay,
        schema_files: &[],
    };
    let mut reporter = Reporter::new();
    check(&ctx, &mut reporter);
    reporter
        .into_diagnostics()
        .iter()
        .map(|d| {
            let text = |key: &str| d.data[key].as_str().unwrap_or("?").to_owned();
            let table = text("table");
            // The data shows `public` tables unqualified (DESIGN.md §3).
            let table = if table.contains('.') {
                table
            } else {
                format!("public.{table}")
            };
            let columns: Vec<&str> = d.data["columns"]
                .as_array()
                .map(|a| a.iter().filter_map(|c| c.as_str()).collect())
                .unwrap_or_default();
            fk_without_index_line(&table, &text("constraint"), &columns)
        })
        .collect()
}

fn fk_without_index_line(table: &str, constraint: &str, columns: &[&str]) -> String {
    format!(
        "fk_without_index {table} {constraint} ({})",
        columns.join(", ")
    )
}

/// One index as both sides describe it.
struct IndexFacts<'a> {
    table: &'a str,
    name: &'a str,
    method: &'a str,
    unique: bool,
    /// Plain columns, or [`EXPR`] for an expression.
    keys: Vec<String>,
    include: &'a [String],
    partial: bool,
    /// `primary key`, `unique constraint`, ... or empty for a plain `CREATE INDEX`.
    constraint: &'a str,
    valid: bool,
}

impl IndexFacts<'_> {
    fn line(&self) -> String {
        format!(
            "index {} {}: {}{} keys ({}) include ({}){}{}{}",
            self.table,
            self.name,
            self.method,
            if self.unique { " unique" } else { "" },
            self.keys.join(", "),
            self.include.join(", "),
            if self.partial { " partial" } else { "" },
            if self.constraint.is_empty() {
                String::new()
            } else {
                format!(" backs {}", self.constraint)
            },
            if self.valid { "" } else { " invalid" },
        )
    }
}

/// The marker for an expression key; the expression's text is not compared.
const EXPR: &str = "<expression>";

/// Both sides as sorted lines, per kind.
#[derive(Debug, Default)]
struct Lines {
    by_kind: BTreeMap<&'static str, Vec<String>>,
    /// Shown in the report, never compared (e.g. pg_get_indexdef's text).
    notes: Vec<String>,
}

impl Lines {
    fn push(&mut self, kind: &'static str, line: String) {
        self.by_kind.entry(kind).or_default().push(line);
    }

    fn sort(mut self) -> Self {
        for lines in self.by_kind.values_mut() {
            lines.sort();
        }
        self.notes.sort();
        self
    }

    fn all(&self) -> impl Iterator<Item = &String> {
        self.by_kind.values().flatten().chain(&self.notes)
    }

    fn from_replay(schema: &Schema, fk_without_index: Vec<String>) -> Self {
        let mut out = Lines::default();
        for (name, table) in &schema.tables {
            let t = format!("{}.{}", name.schema, name.name);
            out.push("tables", format!("table {t}"));
            let order: Vec<&str> = table.columns.iter().map(|c| c.name.as_str()).collect();
            out.push("tables", format!("columns {t}: {}", order.join(", ")));
            for column in &table.columns {
                out.push("columns", column_line(&t, &column.name, !column.nullable));
            }
            if !table.primary_key.is_empty() {
                out.push(
                    "primary keys",
                    format!("primary key {t} ({})", table.primary_key.join(", ")),
                );
            }
            for fk in &table.foreign_keys {
                let referenced = format!(
                    "{}.{}",
                    fk.referenced_table.schema, fk.referenced_table.name
                );
                out.push(
                    "foreign keys",
                    fk_line(
                        &t,
                        &fk.name,
                        &fk.columns,
                        &referenced,
                        &fk.referenced_columns,
                        fk.validated,
                    ),
                );
            }
            for index in &table.indexes {
                let keys: Vec<String> = index
                    .keys
                    .iter()
                    .map(|k| match k {
                        IndexKey::Column(c) => c.clone(),
                        IndexKey::Expression(_) => EXPR.to_owned(),
                    })
                    .collect();
                let constraint = match index.kind {
                    IndexKind::Explicit => "",
                    IndexKind::PrimaryKey => "primary key",
                    IndexKind::UniqueConstraint => "unique constraint",
                    IndexKind::ForeignKey => "foreign key",
                };
                let facts = IndexFacts {
                    table: &t,
                    name: &index.name,
                    method: &index.method,
                    unique: index.unique,
                    keys,
                    include: &index.include,
                    partial: index.predicate.is_some(),
                    constraint,
                    valid: index.valid,
                };
                out.push("indexes", facts.line());
            }
        }
        for line in fk_without_index {
            out.push("fk_without_index", line);
        }
        out.sort()
    }

    /// Lines only in `self` (`-`) or only in `other` (`+`), grouped by kind; empty when equal.
    fn diff(&self, other: &Lines) -> String {
        let mut report = String::new();
        let kinds: std::collections::BTreeSet<&&str> =
            self.by_kind.keys().chain(other.by_kind.keys()).collect();
        for kind in kinds {
            let empty = Vec::new();
            let ours = self.by_kind.get(*kind).unwrap_or(&empty);
            let theirs = other.by_kind.get(*kind).unwrap_or(&empty);
            let (mut i, mut j) = (0, 0);
            let mut section = String::new();
            while i < ours.len() || j < theirs.len() {
                match (ours.get(i), theirs.get(j)) {
                    (Some(a), Some(b)) if a == b => {
                        i += 1;
                        j += 1;
                    }
                    (Some(a), Some(b)) if a < b => {
                        section.push_str(&format!("  - {a}\n"));
                        i += 1;
                    }
                    (Some(a), None) => {
                        section.push_str(&format!("  - {a}\n"));
                        i += 1;
                    }
                    (_, Some(b)) => {
                        section.push_str(&format!("  + {b}\n"));
                        j += 1;
                    }
                    (None, None) => break,
                }
            }
            if !section.is_empty() {
                report.push_str(&format!("{kind}:\n{section}"));
            }
        }
        report
    }
}

fn column_line(table: &str, column: &str, not_null: bool) -> String {
    format!(
        "column {table}.{column} {}",
        if not_null { "not null" } else { "null" }
    )
}

fn fk_line(
    table: &str,
    name: &str,
    columns: &[String],
    referenced: &str,
    referenced_columns: &[String],
    validated: bool,
) -> String {
    format!(
        "foreign key {table} {name} ({}) -> {referenced} ({}){}",
        columns.join(", "),
        referenced_columns.join(", "),
        if validated { "" } else { " not valid" }
    )
}

/// Relations that are tables: ordinary and partitioned, outside the system schemas, without
/// diesel's own bookkeeping table.
const USER_TABLES: &str = "c.relkind IN ('r', 'p')
    AND n.nspname NOT IN ('pg_catalog', 'information_schema')
    AND n.nspname NOT LIKE 'pg\\_toast%'
    AND n.nspname NOT LIKE 'pg\\_temp%'
    AND NOT (n.nspname = 'public' AND c.relname = '__diesel_schema_migrations')";

fn read_catalog(db: &TestDatabase) -> Lines {
    let mut client = db
        .connect()
        .unwrap_or_else(|e| panic!("cannot connect to {}: {e}", db.name()));
    let mut query = |sql: &str| {
        client
            .query(sql, &[])
            .unwrap_or_else(|e| panic!("catalog query failed: {e}\n{sql}"))
    };
    let mut out = Lines::default();

    // Tables and their columns in attnum order (dropped columns excluded).
    let tables = query(&format!(
        "SELECT n.nspname::text || '.' || c.relname::text,
                ARRAY(SELECT a.attname::text FROM pg_attribute a
                      WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
                      ORDER BY a.attnum),
                ARRAY(SELECT a.attnotnull FROM pg_attribute a
                      WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
                      ORDER BY a.attnum)
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE {USER_TABLES}"
    ));
    for row in &tables {
        let table: String = row.get(0);
        let names: Vec<String> = row.get(1);
        let not_null: Vec<bool> = row.get(2);
        out.push("tables", format!("table {table}"));
        out.push("tables", format!("columns {table}: {}", names.join(", ")));
        for (name, not_null) in names.iter().zip(not_null) {
            out.push("columns", column_line(&table, name, not_null));
        }
    }

    // Columns of a constraint's key, in key order.
    let cols = |rel: &str, keys: &str| {
        format!(
            "ARRAY(SELECT a.attname::text FROM unnest({keys}) WITH ORDINALITY k(attnum, ord)
                   JOIN pg_attribute a ON a.attrelid = {rel} AND a.attnum = k.attnum
                   ORDER BY k.ord)"
        )
    };

    let primary_keys = query(&format!(
        "SELECT n.nspname::text || '.' || c.relname::text, {}
         FROM pg_constraint con
         JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE con.contype = 'p' AND {USER_TABLES}",
        cols("con.conrelid", "con.conkey")
    ));
    for row in &primary_keys {
        let table: String = row.get(0);
        let columns: Vec<String> = row.get(1);
        out.push(
            "primary keys",
            format!("primary key {table} ({})", columns.join(", ")),
        );
    }

    let foreign_keys = query(&format!(
        "SELECT n.nspname::text || '.' || c.relname::text, con.conname::text, {},
                rn.nspname::text || '.' || r.relname::text, {}, con.convalidated
         FROM pg_constraint con
         JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
         JOIN pg_class r ON r.oid = con.confrelid JOIN pg_namespace rn ON rn.oid = r.relnamespace
         WHERE con.contype = 'f' AND {USER_TABLES}",
        cols("con.conrelid", "con.conkey"),
        cols("con.confrelid", "con.confkey")
    ));
    for row in &foreign_keys {
        let columns: Vec<String> = row.get(2);
        let referenced_columns: Vec<String> = row.get(4);
        out.push(
            "foreign keys",
            fk_line(
                row.get(0),
                row.get(1),
                &columns,
                row.get(3),
                &referenced_columns,
                row.get(5),
            ),
        );
    }

    // indkey: key columns first (indnkeyatts of them), then INCLUDE columns; 0 = expression.
    let indexes = query(&format!(
        "SELECT n.nspname::text || '.' || c.relname::text, ic.relname::text, am.amname::text,
                i.indisunique, i.indnkeyatts::int,
                ARRAY(SELECT CASE WHEN k.attnum = 0 THEN NULL ELSE
                             (SELECT a.attname::text FROM pg_attribute a
                              WHERE a.attrelid = i.indrelid AND a.attnum = k.attnum) END
                      FROM unnest(i.indkey::int2[]) WITH ORDINALITY k(attnum, ord)
                      ORDER BY k.ord),
                i.indpred IS NOT NULL, i.indisvalid,
                COALESCE((SELECT CASE con.contype WHEN 'p' THEN 'primary key'
                                                  WHEN 'u' THEN 'unique constraint'
                                                  ELSE 'exclusion constraint' END
                          FROM pg_constraint con
                          WHERE con.conindid = i.indexrelid AND con.contype IN ('p', 'u', 'x')
                          LIMIT 1), ''),
                pg_get_indexdef(i.indexrelid)
         FROM pg_index i
         JOIN pg_class ic ON ic.oid = i.indexrelid
         JOIN pg_am am ON am.oid = ic.relam
         JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE {USER_TABLES}"
    ));
    for row in &indexes {
        let table: String = row.get(0);
        let name: String = row.get(1);
        let key_count = usize::try_from(row.get::<_, i32>(4)).unwrap_or(0);
        let columns: Vec<Option<String>> = row.get(5);
        let shown = |c: &Option<String>| c.clone().unwrap_or_else(|| EXPR.to_owned());
        let keys: Vec<String> = columns.iter().take(key_count).map(shown).collect();
        let include: Vec<String> = columns.iter().skip(key_count).map(shown).collect();
        let constraint: String = row.get(8);
        let definition: String = row.get(9);
        let facts = IndexFacts {
            table: &table,
            name: &name,
            method: row.get(2),
            unique: row.get(3),
            keys,
            include: &include,
            partial: row.get(6),
            constraint: &constraint,
            valid: row.get(7),
        };
        out.push("indexes", facts.line());
        out.notes.push(format!("{definition};"));
    }

    // DESIGN.md §2, in SQL: a foreign key is covered when an index on the same table is
    // valid, not partial, has at least n key columns (n = the FK's columns; INCLUDE columns do
    // not count) and its first n keys are plain columns whose set equals the FK's columns
    // (an expression key is attnum 0, never an FK column).
    let uncovered = query(&format!(
        "SELECT n.nspname::text || '.' || c.relname::text, con.conname::text, {}
         FROM pg_constraint con
         JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE con.contype = 'f' AND {USER_TABLES}
           AND NOT EXISTS (
               SELECT 1 FROM pg_index i
               WHERE i.indrelid = con.conrelid
                 AND i.indisvalid
                 AND i.indpred IS NULL
                 AND i.indnkeyatts >= cardinality(con.conkey)
                 AND (SELECT array_agg(k.attnum ORDER BY k.attnum)
                      FROM unnest(i.indkey::int2[]) WITH ORDINALITY k(attnum, ord)
                      WHERE k.ord <= cardinality(con.conkey))
                   = (SELECT array_agg(f.attnum ORDER BY f.attnum)
                      FROM unnest(con.conkey) f(attnum)))",
        cols("con.conrelid", "con.conkey")
    ));
    for row in &uncovered {
        let table: String = row.get(0);
        let constraint: String = row.get(1);
        let columns: Vec<String> = row.get(2);
        let columns: Vec<&str> = columns.iter().map(String::as_str).collect();
        out.push(
            "fk_without_index",
            fk_without_index_line(&table, &constraint, &columns),
        );
    }
    out.sort()
}

/// The comparison itself: a schema built by hand to match a few statements must render to
/// exactly the lines pg_catalog gives for them, and `fk_without_index` must agree with the
/// SQL form of DESIGN.md §2. Keeps the differential test honest while the replay changes.
#[test]
fn comparison_agrees_with_postgresql_on_a_hand_built_schema() {
    let Some(server) = server_url("comparison_agrees_with_postgresql_on_a_hand_built_schema")
    else {
        return;
    };
    let db = TestDatabase::create(&server, "pg_diff_self")
        .unwrap_or_else(|e| panic!("cannot create a test database on {server}: {e}"));
    let sql = "
        CREATE SCHEMA audit;
        CREATE TABLE users (id SERIAL PRIMARY KEY, email TEXT NOT NULL UNIQUE);
        CREATE TABLE posts (
            id SERIAL PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users,
            title TEXT
        );
        CREATE INDEX posts_title_idx ON posts (lower(title), user_id) INCLUDE (id)
            WHERE title IS NOT NULL;
        CREATE TABLE audit.events (
            post_id INTEGER,
            tag INTEGER,
            FOREIGN KEY (post_id) REFERENCES posts (id) NOT VALID
        );
        CREATE INDEX ON audit.events USING hash (post_id);
    ";
    db.connect()
        .and_then(|mut c| c.batch_execute(sql))
        .unwrap_or_else(|e| panic!("cannot set up {}: {e}", db.name()));
    let truth = read_catalog(&db);

    let mut sources = SourceMap::new();
    let file = sources.add("hand_built.sql", sql);
    let replay = Replay {
        schema: hand_built::schema(file),
        ..Replay::default()
    };
    let ours = Lines::from_replay(
        &replay.schema,
        fk_without_index_findings(&sources, &[], &replay),
    );
    let diff = truth.diff(&ours);
    assert!(diff.is_empty(), "the two renderings differ:\n{diff}");
    assert_eq!(
        truth.by_kind["fk_without_index"],
        ["fk_without_index public.posts posts_user_id_fkey (user_id)"]
    );
}

/// The schema of the statements in the test above, written out as replay should build it.
mod hand_built {
    use dbopt_core::model::{
        Column, ForeignKey, Index, IndexKey, IndexKind, Origin, QualName, Schema, Table,
    };
    use dbopt_core::source::{FileId, Span};

    fn origin(file: FileId) -> Origin {
        Origin {
            span: Span::new(file, 0..0),
            migration: Some(0),
        }
    }

    fn columns(file: FileId, spec: &[(&str, bool)]) -> Vec<Column> {
        spec.iter()
            .map(|&(name, nullable)| Column {
                name: name.to_owned(),
                sql_type: "integer".to_owned(),
                nullable,
                origin: origin(file),
            })
            .collect()
    }

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    fn index(file: FileId, name: &str, kind: IndexKind, keys: Vec<IndexKey>) -> Index {
        Index {
            name: name.to_owned(),
            unique: kind != IndexKind::Explicit,
            method: "btree".to_owned(),
            keys,
            include: vec![],
            predicate: None,
            kind,
            valid: true,
            origin: origin(file),
        }
    }

    pub fn schema(file: FileId) -> Schema {
        let col = |c: &str| IndexKey::Column(c.to_owned());
        let users = Table {
            name: QualName::new("public", "users"),
            columns: columns(file, &[("id", false), ("email", false)]),
            primary_key: strings(&["id"]),
            foreign_keys: vec![],
            indexes: vec![
                index(file, "users_pkey", IndexKind::PrimaryKey, vec![col("id")]),
                index(
                    file,
                    "users_email_key",
                    IndexKind::UniqueConstraint,
                    vec![col("email")],
                ),
            ],
            origin: origin(file),
        };
        let posts = Table {
            name: QualName::new("public", "posts"),
            columns: columns(file, &[("id", false), ("user_id", false), ("title", true)]),
            primary_key: strings(&["id"]),
            foreign_keys: vec![ForeignKey {
                name: "posts_user_id_fkey".to_owned(),
                columns: strings(&["user_id"]),
                referenced_table: QualName::new("public", "users"),
                referenced_columns: strings(&["id"]),
                validated: true,
                origin: origin(file),
            }],
            indexes: vec![
                index(file, "posts_pkey", IndexKind::PrimaryKey, vec![col("id")]),
                Index {
                    include: strings(&["id"]),
                    predicate: Some("title IS NOT NULL".to_owned()),
                    ..index(
                        file,
                        "posts_title_idx",
                        IndexKind::Explicit,
                        vec![
                            IndexKey::Expression("lower(title)".to_owned()),
                            col("user_id"),
                        ],
                    )
                },
            ],
            origin: origin(file),
        };
        let events = Table {
            name: QualName::new("audit", "events"),
            columns: columns(file, &[("post_id", true), ("tag", true)]),
            primary_key: vec![],
            foreign_keys: vec![ForeignKey {
                name: "events_post_id_fkey".to_owned(),
                columns: strings(&["post_id"]),
                referenced_table: QualName::new("public", "posts"),
                referenced_columns: strings(&["id"]),
                // NOT VALID inside CREATE TABLE is ignored: PostgreSQL validates at once.
                validated: true,
                origin: origin(file),
            }],
            indexes: vec![Index {
                method: "hash".to_owned(),
                ..index(
                    file,
                    "events_post_id_idx",
                    IndexKind::Explicit,
                    vec![col("post_id")],
                )
            }],
            origin: origin(file),
        };
        Schema {
            tables: [users, posts, events]
                .into_iter()
                .map(|t| (t.name.clone(), t))
                .collect(),
            schemas: vec!["audit".to_owned()],
        }
    }
}
