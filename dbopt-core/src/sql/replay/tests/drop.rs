use super::*;

/// DROP TABLE [IF EXISTS] a, b CASCADE, DROP SCHEMA .. CASCADE (its tables and the FKs that
/// point into it), DROP COLUMN .. CASCADE of a column an FK references, DROP CONSTRAINT of a
/// PK referenced by FKs, and views / sequences that take and free relation names.
#[test]
fn drops_cascade_to_referencing_foreign_keys() {
    let sql = r#"
CREATE SCHEMA audit;
CREATE TABLE users (id INT PRIMARY KEY, code INT UNIQUE, a INT, b INT);
CREATE TABLE audit.events (id INT PRIMARY KEY, user_id INT REFERENCES users, user_code INT REFERENCES users (code));
CREATE TABLE logs (id INT, event_id INT REFERENCES audit.events, user_id INT REFERENCES users);
CREATE INDEX users_a_b ON users (a, b);
CREATE INDEX users_b_expr ON users ((a + b));
CREATE VIEW v AS SELECT 1 AS x;
CREATE SEQUENCE s;
CREATE TABLE IF NOT EXISTS v (x INT);
CREATE TABLE IF NOT EXISTS s (x INT);
DROP VIEW v;
DROP SEQUENCE s;
CREATE TABLE v (x INT);
CREATE TABLE s (x INT);
ALTER TABLE users DROP COLUMN code CASCADE;
ALTER TABLE users DROP COLUMN b;
DROP SCHEMA audit CASCADE;
ALTER TABLE users DROP CONSTRAINT users_pkey CASCADE;
DROP TABLE IF EXISTS v, s, missing CASCADE;
"#;
    assert_eq!(
        pg_dump(&[sql]),
        concat!(
            "table logs\n",
            "  col id int null\n",
            "  col event_id int null\n",
            "  col user_id int null\n",
            "table users\n",
            "  col id int not null\n",
            "  col a int null\n",
        )
    );
}
