use super::*;

const NO_SCHEMA_EFFECT: &str = r#"
BEGIN;
CREATE EXTENSION IF NOT EXISTS "uuid-ossp";
CREATE TYPE mood AS ENUM ('sad', 'ok');
CREATE SEQUENCE counter START 1;
CREATE TABLE t (id INT PRIMARY KEY, m mood NOT NULL, data TEXT);
CREATE VIEW tv AS SELECT id FROM t;
CREATE OR REPLACE FUNCTION f() RETURNS TRIGGER AS $$ BEGIN RETURN NEW; END; $$ LANGUAGE plpgsql;
CREATE TRIGGER trg BEFORE UPDATE ON t FOR EACH ROW EXECUTE PROCEDURE f();
COMMENT ON TABLE t IS 'things';
GRANT SELECT ON t TO PUBLIC;
INSERT INTO t (id, m) VALUES (1, 'ok');
UPDATE t SET data = 'x' WHERE id = 1;
DELETE FROM t WHERE id = 2;
SELECT 1;
COMMIT;
"#;

/// Transactions, extensions, enums, sequences, views, functions, triggers, COMMENT, GRANT
/// and data migrations leave the model alone and are never errors; every statement is
/// recorded with its migration.
#[test]
fn statements_without_schema_effect() {
    let (_, _, replay) = run(Backend::Postgres, &[NO_SCHEMA_EFFECT]);
    assert_eq!(replay.unparsed, vec![]);
    assert_eq!(
        dump(&replay.schema),
        concat!(
            "table t\n",
            "  col id int not null\n",
            "  col m mood not null\n",
            "  col data text null\n",
            "  pk (id)\n",
            "  primary t_pkey unique btree (id)\n",
        )
    );
    assert_eq!(replay.statements.len(), 15);
    assert!(replay.statements.iter().all(|s| s.migration == 0));
}

/// A rejected statement is reported with its migration and file, and replay goes on with
/// the next migrations.
#[test]
fn unparsed_statement_is_reported_and_replay_goes_on() {
    let (sources, migrations, replay) = run(
        Backend::Postgres,
        &[
            "CREATE TABLE a (id INT PRIMARY KEY);",
            "CREATE TABEL oops (id INT);",
            "CREATE TABLE b (id INT PRIMARY KEY, a_id INT REFERENCES a);",
        ],
    );
    assert_eq!(replay.unparsed.len(), 1);
    let u = &replay.unparsed[0];
    assert_eq!(u.migration, 1);
    assert_eq!(u.span.file, migrations[1].up_sql);
    assert!(sources.text(u.span.file)[u.span.range.clone()].contains("TABEL"));
    assert_eq!(
        u.message,
        "Expected: an object type after CREATE, found: TABEL (line 1, column 8)"
    );
    let names: Vec<String> = replay.schema.tables.keys().map(|q| q.to_string()).collect();
    assert_eq!(names, ["a", "b"]);
    assert_eq!(
        table(&replay.schema, "b").foreign_keys[0].name,
        "b_a_id_fkey"
    );
    let per_migration: Vec<usize> = replay.statements.iter().map(|s| s.migration).collect();
    assert_eq!(per_migration, [0, 1, 2]);
}

/// Statements about objects the model does not know (created by an unparsed statement, or
/// never) are skipped without a trace.
#[test]
fn unknown_objects_are_skipped() {
    let sql = "CREATE TABLE t (id INT PRIMARY KEY, a INT);
        ALTER TABLE ghost ADD COLUMN x INT;
        ALTER TABLE ghost RENAME TO spirit;
        CREATE INDEX ON ghost (x);
        CREATE INDEX t_ghost ON t (ghost);
        ALTER TABLE t RENAME COLUMN ghost TO g;
        ALTER TABLE t DROP CONSTRAINT ghost;
        ALTER TABLE t ALTER COLUMN ghost SET NOT NULL;
        ALTER TABLE t VALIDATE CONSTRAINT ghost;
        ALTER TABLE t ADD CONSTRAINT t_ghost_fk FOREIGN KEY (a) REFERENCES ghost;
        ALTER INDEX ghost_idx RENAME TO g_idx;
        DROP INDEX ghost_idx;
        DROP TABLE ghost;";
    assert_eq!(
        pg_dump(&[sql]),
        concat!(
            "table t\n",
            "  col id int not null\n",
            "  col a int null\n",
            "  pk (id)\n",
            "  fk t_ghost_fk (a) -> ghost ()\n",
            "  primary t_pkey unique btree (id)\n",
            "  index t_ghost btree (ghost)\n",
        )
    );
}

/// An error at the statement's first token needs no position in the message.
#[test]
fn unparsed_message_without_position_at_statement_start() {
    let (_, _, replay) = run(Backend::Postgres, &["SELECT 1;\nFROBNICATE users;"]);
    let messages: Vec<&str> = replay.unparsed.iter().map(|u| u.message.as_str()).collect();
    assert_eq!(messages, ["Expected: an SQL statement, found: FROBNICATE"]);
}

/// diesel_cli 2.3's own initial migration (functions with dollar-quoted bodies) and its
/// documented use.
#[test]
fn diesel_initial_setup() {
    let initial = r#"-- This file was automatically created by Diesel to setup helper functions
-- and other internal bookkeeping. This file is safe to edit, any future
-- changes will be added to existing projects as new migrations.




-- Sets up a trigger for the given table to automatically set a column called
-- `updated_at` whenever the row is modified (unless `updated_at` was included
-- in the modified columns)
--
-- # Example
--
-- ```sql
-- CREATE TABLE users (id SERIAL PRIMARY KEY, updated_at TIMESTAMP NOT NULL DEFAULT NOW());
--
-- SELECT diesel_manage_updated_at('users');
-- ```
CREATE OR REPLACE FUNCTION diesel_manage_updated_at(_tbl regclass) RETURNS VOID AS $$
BEGIN
    EXECUTE format('CREATE TRIGGER set_updated_at BEFORE UPDATE ON %s
                    FOR EACH ROW EXECUTE PROCEDURE diesel_set_updated_at()', _tbl);
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION diesel_set_updated_at() RETURNS trigger AS $$
BEGIN
    IF (
        NEW IS DISTINCT FROM OLD AND
        NEW.updated_at IS NOT DISTINCT FROM OLD.updated_at
    ) THEN
        NEW.updated_at := current_timestamp;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
"#;
    let users =
        "CREATE TABLE users (id SERIAL PRIMARY KEY, updated_at TIMESTAMP NOT NULL DEFAULT NOW());
        SELECT diesel_manage_updated_at('users');";
    assert_eq!(
        pg_dump(&[initial, users]),
        concat!(
            "table users
",
            "  col id serial not null
",
            "  col updated_at timestamp not null
",
            "  pk (id)
",
            "  primary users_pkey unique btree (id)
",
        )
    );
}

/// Tables filled with fixed rows are remembered (issue 15 §7: `unbounded_load` passes over
/// lookup tables); rows copied from a query are not fixed.
#[test]
fn insert_values_seeds_a_table_and_insert_select_does_not() {
    let (_, _, replay) = super::run(
        crate::model::Backend::Postgres,
        &[
            "CREATE SCHEMA geo;\nCREATE TABLE geo.countries (code CHAR(2) PRIMARY KEY);\n\
             CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT);\n\
             CREATE TABLE archive (key TEXT);\n\
             INSERT INTO geo.countries VALUES ('DE'), ('FR');\n\
             INSERT INTO Settings (key, value) VALUES ('a', 'b');\n\
             INSERT INTO archive SELECT key FROM settings;\n\
             INSERT INTO settings (key, value) VALUES ('c', 'd');",
        ],
    );
    let seeded: Vec<String> = replay.seeded.iter().map(ToString::to_string).collect();
    assert_eq!(seeded, ["geo.countries", "settings"]);
}
