use super::*;

fn dump_for(backend: Backend, sql: &str) -> String {
    let (_, _, replay) = run(backend, &[sql]);
    assert_eq!(replay.unparsed, vec![]);
    dump(&replay.schema)
}

/// MySQL (checked against MariaDB 10.11): `PRIMARY`, indexes named after their first column
/// (`_2` on repeats, no merging of identical UNIQUE keys), `<table>_ibfk_<n>` FK names, an
/// InnoDB index for each FK no index starts with (named after the constraint, else the
/// column), `MODIFY` / `CHANGE COLUMN` restating type and nullability.
#[test]
fn mysql_names_and_foreign_key_indexes() {
    let sql = r#"
CREATE TABLE users (id INT PRIMARY KEY, email VARCHAR(50) NOT NULL UNIQUE, name VARCHAR(20), UNIQUE KEY (email), KEY (name));
CREATE TABLE posts (id INT PRIMARY KEY, user_id INT NOT NULL, editor_id INT, a INT, b INT,
  FOREIGN KEY (user_id) REFERENCES users (id),
  CONSTRAINT ed_fk FOREIGN KEY (editor_id) REFERENCES users (id),
  KEY b_idx (b, a), FOREIGN KEY (b) REFERENCES users (id));
ALTER TABLE posts ADD COLUMN c INT, ADD CONSTRAINT posts_c_fk FOREIGN KEY (c) REFERENCES users (id);
CREATE INDEX posts_a ON posts (a);
ALTER TABLE posts ADD FOREIGN KEY (a) REFERENCES users (id);

ALTER TABLE users MODIFY COLUMN name VARCHAR(40) NOT NULL;
ALTER TABLE users CHANGE COLUMN email mail VARCHAR(60) NOT NULL;
"#;
    assert_eq!(
        dump_for(Backend::Mysql, sql),
        concat!(
            "table posts\n",
            "  col id int not null\n",
            "  col user_id int not null\n",
            "  col editor_id int null\n",
            "  col a int null\n",
            "  col b int null\n",
            "  col c int null\n",
            "  pk (id)\n",
            "  fk posts_ibfk_1 (user_id) -> users (id)\n",
            "  fk ed_fk (editor_id) -> users (id)\n",
            "  fk posts_ibfk_2 (b) -> users (id)\n",
            "  fk posts_c_fk (c) -> users (id)\n",
            "  fk posts_ibfk_3 (a) -> users (id)\n",
            "  primary PRIMARY unique btree (id)\n",
            "  index b_idx btree (b, a)\n",
            "  fk index user_id btree (user_id)\n",
            "  fk index ed_fk btree (editor_id)\n",
            "  fk index posts_c_fk btree (c)\n",
            "  index posts_a btree (a)\n",
            "table users\n",
            "  col id int not null\n",
            "  col mail varchar(60) not null\n",
            "  col name varchar(40) not null\n",
            "  pk (id)\n",
            "  primary PRIMARY unique btree (id)\n",
            "  unique constraint email unique btree (mail)\n",
            "  unique constraint email_2 unique btree (mail)\n",
            "  index name btree (name)\n",
        )
    );
}

/// SQLite (checked against sqlite3 3.40): `INTEGER PRIMARY KEY` is the rowid (NOT NULL,
/// modelled as the PK index `rowid`), other keys get `sqlite_autoindex_<table>_<n>` in
/// written order, no index for FKs, RENAME TO / RENAME COLUMN / ADD COLUMN / DROP INDEX.
#[test]
fn sqlite_autoindexes_and_rowid() {
    let sql = r#"
CREATE TABLE users (id INTEGER PRIMARY KEY AUTOINCREMENT, email TEXT NOT NULL UNIQUE, name TEXT);
CREATE TABLE memberships (user_id INTEGER NOT NULL REFERENCES users (id), group_id INTEGER NOT NULL, role TEXT, PRIMARY KEY (user_id, group_id), UNIQUE (role, user_id));
CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users, title TEXT);
CREATE INDEX posts_title ON posts (title);
ALTER TABLE posts ADD COLUMN body TEXT;
ALTER TABLE posts RENAME COLUMN title TO headline;
ALTER TABLE posts RENAME TO articles;
DROP INDEX posts_title;
CREATE INDEX IF NOT EXISTS articles_user ON articles (user_id);
"#;
    assert_eq!(
        dump_for(Backend::Sqlite, sql),
        concat!(
            "table articles\n",
            "  col id integer not null\n",
            "  col user_id integer null\n",
            "  col headline text null\n",
            "  col body text null\n",
            "  pk (id)\n",
            "  fk posts_user_id_fkey (user_id) -> users (id)\n",
            "  primary rowid unique btree (id)\n",
            "  index articles_user btree (user_id)\n",
            "table memberships\n",
            "  col user_id integer not null\n",
            "  col group_id integer not null\n",
            "  col role text null\n",
            "  pk (user_id, group_id)\n",
            "  fk memberships_user_id_fkey (user_id) -> users (id)\n",
            "  primary sqlite_autoindex_memberships_1 unique btree (user_id, group_id)\n",
            "  unique constraint sqlite_autoindex_memberships_2 unique btree (role, user_id)\n",
            "table users\n",
            "  col id integer not null\n",
            "  col email text not null\n",
            "  col name text null\n",
            "  pk (id)\n",
            "  primary rowid unique btree (id)\n",
            "  unique constraint sqlite_autoindex_users_1 unique btree (email)\n",
        )
    );
    assert_eq!(
        dump_for(
            Backend::Sqlite,
            r#"
CREATE TABLE m (a TEXT UNIQUE, b INT, PRIMARY KEY (b, a));
"#
        ),
        concat!(
            "table m\n",
            "  col a text null\n",
            "  col b int null\n",
            "  pk (b, a)\n",
            "  unique constraint sqlite_autoindex_m_1 unique btree (a)\n",
            "  primary sqlite_autoindex_m_2 unique btree (b, a)\n",
        )
    );
}

/// Repeated keys in one CREATE TABLE: SQLite merges identical ones except into the rowid
/// (which has no index), MariaDB merges only a UNIQUE into the PK (also `SERIAL`'s UNIQUE).
#[test]
fn repeated_keys_per_dialect() {
    assert_eq!(
        dump_for(
            Backend::Sqlite,
            r#"
CREATE TABLE v (id INTEGER PRIMARY KEY UNIQUE, a TEXT UNIQUE, b TEXT UNIQUE UNIQUE, UNIQUE (a));
CREATE TABLE w (a TEXT PRIMARY KEY UNIQUE, c TEXT, UNIQUE(c), UNIQUE(c));
"#
        ),
        concat!(
            "table v\n",
            "  col id integer not null\n",
            "  col a text null\n",
            "  col b text null\n",
            "  pk (id)\n",
            "  primary rowid unique btree (id)\n",
            "  unique constraint sqlite_autoindex_v_1 unique btree (id)\n",
            "  unique constraint sqlite_autoindex_v_2 unique btree (a)\n",
            "  unique constraint sqlite_autoindex_v_3 unique btree (b)\n",
            "table w\n",
            "  col a text null\n",
            "  col c text null\n",
            "  pk (a)\n",
            "  primary sqlite_autoindex_w_1 unique btree (a)\n",
            "  unique constraint sqlite_autoindex_w_2 unique btree (c)\n",
        )
    );
    assert_eq!(
        dump_for(
            Backend::Mysql,
            r#"
CREATE TABLE t (id SERIAL PRIMARY KEY, x INT);
CREATE TABLE u (id SERIAL, x INT, PRIMARY KEY (x));
CREATE TABLE v (id INT PRIMARY KEY UNIQUE);
"#
        ),
        concat!(
            "table t\n",
            "  col id serial not null\n",
            "  col x int null\n",
            "  pk (id)\n",
            "  primary PRIMARY unique btree (id)\n",
            "table u\n",
            "  col id serial not null\n",
            "  col x int not null\n",
            "  pk (x)\n",
            "  primary PRIMARY unique btree (x)\n",
            "  unique constraint id unique btree (id)\n",
            "table v\n",
            "  col id int not null\n",
            "  pk (id)\n",
            "  primary PRIMARY unique btree (id)\n",
        )
    );
}

/// MySQL prefix key parts (`s(10)`) are the column; `ADD UNIQUE INDEX name`, unnamed `ADD
/// INDEX`, `DROP INDEX`, table options (checked against MariaDB 10.11).
#[test]
fn mysql_prefix_keys_and_alter_indexes() {
    let sql = r#"
CREATE TABLE u (id INT PRIMARY KEY);
CREATE TABLE t (id INT AUTO_INCREMENT PRIMARY KEY, s VARCHAR(100), u_id INT, KEY idx (s(10)), KEY (u_id, s(5)), FOREIGN KEY (u_id) REFERENCES u (id)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
ALTER TABLE t ADD UNIQUE INDEX t_s (s), ADD INDEX (s, id);
ALTER TABLE t DROP INDEX idx;
"#;
    assert_eq!(
        dump_for(Backend::Mysql, sql),
        concat!(
            "table t\n",
            "  col id int not null\n",
            "  col s varchar(100) null\n",
            "  col u_id int null\n",
            "  pk (id)\n",
            "  fk t_ibfk_1 (u_id) -> u (id)\n",
            "  primary PRIMARY unique btree (id)\n",
            "  index u_id btree (u_id, s)\n",
            "  unique constraint t_s unique btree (s)\n",
            "  index s btree (s, id)\n",
            "table u\n",
            "  col id int not null\n",
            "  pk (id)\n",
            "  primary PRIMARY unique btree (id)\n",
        )
    );
}

/// SQLite `WITHOUT ROWID`: no rowid alias, the key is NOT NULL and its index is numbered
/// after the others (checked with `PRAGMA index_list` / `table_info`).
#[test]
fn sqlite_without_rowid() {
    assert_eq!(
        dump_for(
            Backend::Sqlite,
            "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT UNIQUE) WITHOUT ROWID;"
        ),
        concat!(
            "table t\n",
            "  col id integer not null\n",
            "  col a text null\n",
            "  pk (id)\n",
            "  unique constraint sqlite_autoindex_t_1 unique btree (a)\n",
            "  primary sqlite_autoindex_t_2 unique btree (id)\n",
        )
    );
}
