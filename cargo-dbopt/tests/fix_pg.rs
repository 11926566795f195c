//! `cargo dbopt --fix` end to end on PostgreSQL (tests/fixtures/fix_pg, copied to a temporary
//! directory first).
//!
//! 1. diesel applies the project's migrations to a fresh database, in diesel's order and
//!    transaction mode; pg_catalog's foreign keys without a covering index are exactly
//!    dbopt's `fk_without_index` findings.
//! 2. `--fix` writes one new migration folder per index and touches no existing file.
//! 3. diesel applies the new migrations (CONCURRENTLY only works outside a transaction, so
//!    this also proves `metadata.toml`); pg_catalog then has no uncovered foreign key, the
//!    indexes carry the names dbopt wrote, and `fk_without_index` is silent.
//! 4. diesel reverts them through their `down.sql`; the foreign keys are uncovered again.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use dbopt_tests::pg::{TestDatabase, server_url};
use diesel::migration::MigrationSource;
use diesel::pg::Pg;
use diesel::{Connection, PgConnection};
use diesel_migrations::{FileBasedMigrations, MigrationHarness};

const NEW_FOLDERS: [&str; 6] = [
    "2023-05-06-000001-0000_add_index_posts_user_id",
    "2023-05-06-000002-0000_add_index_posts_legacy_id",
    "2023-05-06-000003-0000_add_index_audit_events_actorid",
    "2023-05-06-000004-0000_add_index_comments_post_id",
    "2023-05-06-000005-0000_add_index_comments_author_id",
    "2023-05-06-000006-0000_add_index_order_items_shop_id_order_no",
];

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fix_pg")
}

/// A fresh copy of the fixture project.
fn copy_fixture() -> PathBuf {
    let dest =
        Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("fix_pg-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dest);
    copy_dir(&fixture(), &dest);
    dest
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Every file below `dir`, relative, with its bytes.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let rel = path
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                out.insert(rel, std::fs::read(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

fn dbopt(project: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cargo-dbopt"))
        .arg("dbopt")
        .args(["--color", "never"])
        .args(args)
        .current_dir(project)
        .env_remove("CLICOLOR_FORCE")
        .output()
        .expect("the binary runs")
}

/// `table(col, col)` of every `fk_without_index` finding, sorted.
fn dbopt_uncovered(project: &Path) -> Vec<String> {
    let out = dbopt(project, &["--format", "json"]);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON document");
    let mut found: Vec<String> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "fk_without_index")
        .map(|f| {
            let cols: Vec<&str> = f["data"]["columns"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c.as_str().unwrap())
                .collect();
            format!(
                "{}({})",
                f["data"]["table"].as_str().unwrap(),
                cols.join(", ")
            )
        })
        .collect();
    found.sort();
    found
}

/// pg_catalog's foreign keys that no valid, non-partial index covers (its first n key
/// columns are the foreign key's n columns, in any order), as `table(col, col)`.
fn pg_uncovered(client: &mut postgres::Client) -> Vec<String> {
    let rows = client
        .query(
            "SELECT CASE WHEN n.nspname = 'public' THEN t.relname
                         ELSE n.nspname || '.' || t.relname END,
                    (SELECT array_agg(a.attname::text ORDER BY k.ord)
                       FROM unnest(c.conkey) WITH ORDINALITY AS k(attnum, ord)
                       JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum)
               FROM pg_constraint c
               JOIN pg_class t ON t.oid = c.conrelid
               JOIN pg_namespace n ON n.oid = t.relnamespace
              WHERE c.contype = 'f'
                AND NOT EXISTS (
                    SELECT 1 FROM pg_index i
                     WHERE i.indrelid = c.conrelid AND i.indisvalid AND i.indpred IS NULL
                       AND (SELECT array_agg(x ORDER BY x)
                              FROM unnest((i.indkey::int2[])[0:cardinality(c.conkey) - 1]) x)
                         = (SELECT array_agg(x ORDER BY x) FROM unnest(c.conkey) x))",
            &[],
        )
        .expect("catalog query");
    let mut out: Vec<String> = rows
        .iter()
        .map(|r| {
            let table: String = r.get(0);
            let cols: Vec<String> = r.get(1);
            format!("{table}({})", cols.join(", "))
        })
        .collect();
    out.sort();
    out
}

/// The names of the valid indexes of the database outside pg_catalog.
fn pg_index_names(client: &mut postgres::Client) -> Vec<String> {
    let rows = client
        .query(
            "SELECT c.relname::text FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
               JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE n.nspname NOT IN ('pg_catalog', 'pg_toast') AND i.indisvalid",
            &[],
        )
        .expect("index query");
    rows.iter().map(|r| r.get(0)).collect()
}

fn apply_pending(url: &str, migrations: &Path) -> usize {
    let mut conn = PgConnection::establish(url).expect("connect with diesel");
    let source = FileBasedMigrations::from_path(migrations).expect("diesel reads the folder");
    conn.run_pending_migrations(source)
        .unwrap_or_else(|e| panic!("diesel could not apply the migrations: {e}"))
        .len()
}

#[test]
fn fixed_migrations_apply_on_postgresql_and_cover_every_foreign_key() {
    let Some(server) =
        server_url("fixed_migrations_apply_on_postgresql_and_cover_every_foreign_key")
    else {
        return;
    };
    let project = copy_fixture();
    let migrations = project.join("migrations");
    let db = TestDatabase::create(&server, "fix_pg")
        .unwrap_or_else(|e| panic!("cannot create a test database on {server}: {e}"));
    let mut client = db.connect().expect("connect");

    // 1. Before: pg_catalog and dbopt agree on the uncovered foreign keys.
    assert_eq!(apply_pending(&db.url, &migrations), 7);
    let expected = [
        "audit.Events(actorId)",
        "comments(author_id)",
        "comments(post_id)",
        "order_items(shop_id, order_no)",
        "posts(legacy_id)",
        "posts(user_id)",
    ];
    assert_eq!(pg_uncovered(&mut client), expected);
    assert_eq!(dbopt_uncovered(&project), expected);

    // 2. --fix writes new folders only, numbered after the newest version.
    let before = files(&project);
    // The fixture renames a table on purpose; only fk_without_index matters here.
    let out = dbopt(&project, &["--fix", "-A", "destructive_change"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let created: Vec<String> = NEW_FOLDERS
        .iter()
        .map(|f| format!("     Created migrations/{f} (up.sql, down.sql, metadata.toml)\n"))
        .collect();
    assert_eq!(stderr, created.concat());
    let after = files(&project);
    for (path, bytes) in &before {
        assert_eq!(after.get(path), Some(bytes), "{path} changed");
    }
    let mut new: Vec<&String> = after.keys().filter(|p| !before.contains_key(*p)).collect();
    new.sort();
    let mut want: Vec<String> = NEW_FOLDERS
        .iter()
        .flat_map(|f| {
            ["down.sql", "metadata.toml", "up.sql"].map(|n| format!("migrations/{f}/{n}"))
        })
        .collect();
    want.sort();
    assert_eq!(new, want.iter().collect::<Vec<_>>());
    let text = |p: String| String::from_utf8(after[&p].clone()).unwrap();
    assert_eq!(
        text(format!("migrations/{}/up.sql", NEW_FOLDERS[0])),
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS posts_user_id_idx1 ON posts (user_id);\n"
    );
    assert_eq!(
        text(format!("migrations/{}/down.sql", NEW_FOLDERS[2])),
        "DROP INDEX CONCURRENTLY IF EXISTS audit.\"Events_actorId_idx\";\n"
    );
    assert_eq!(
        text(format!("migrations/{}/metadata.toml", NEW_FOLDERS[5])),
        "run_in_transaction = false\n"
    );

    // diesel sees them last, in this order.
    let source = FileBasedMigrations::from_path(&migrations).unwrap();
    let mut names: Vec<String> = MigrationSource::<Pg>::migrations(&source)
        .unwrap()
        .iter()
        .map(|m| m.name().to_string())
        .collect();
    names.sort_by_key(|n| n.split('_').next().unwrap_or_default().replace('-', ""));
    assert_eq!(names[7..], NEW_FOLDERS);

    // A second run finds nothing to fix and writes nothing.
    let again = dbopt(&project, &["--fix", "-A", "destructive_change"]);
    assert_eq!(again.status.code(), Some(0));
    assert!(
        again.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    assert_eq!(files(&project), after);

    // 3. diesel applies them; pg_catalog agrees that every foreign key is covered.
    assert_eq!(apply_pending(&db.url, &migrations), NEW_FOLDERS.len());
    assert_eq!(pg_uncovered(&mut client), Vec::<String>::new());
    assert!(dbopt_uncovered(&project).is_empty());
    let indexes = pg_index_names(&mut client);
    for name in [
        "posts_user_id_idx",
        "posts_user_id_idx1",
        "posts_legacy_id_idx",
        "Events_actorId_idx",
        "comments_post_id_idx",
        "comments_author_id_idx",
        "order_items_shop_id_order_no_idx",
    ] {
        assert!(
            indexes.iter().any(|i| i == name),
            "{name} not in {indexes:?}"
        );
    }

    // 4. Their down.sql undoes them, outside a transaction as well.
    let mut conn = PgConnection::establish(&db.url).unwrap();
    for _ in NEW_FOLDERS {
        conn.revert_last_migration(FileBasedMigrations::from_path(&migrations).unwrap())
            .unwrap_or_else(|e| panic!("diesel could not revert: {e}"));
    }
    assert_eq!(pg_uncovered(&mut client), expected);
    let _ = std::fs::remove_dir_all(&project);
}
