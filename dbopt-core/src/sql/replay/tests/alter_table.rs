use super::*;

/// ADD COLUMN [IF NOT EXISTS] with inline REFERENCES / UNIQUE, ADD PRIMARY KEY / UNIQUE,
/// ADD CONSTRAINT .. FOREIGN KEY .. NOT VALID then VALIDATE, ALTER COLUMN TYPE / SET and
/// DROP NOT NULL / SET DEFAULT, DROP COLUMN (with the indexes whose keys, expressions,
/// INCLUDE or predicate use it), DROP CONSTRAINT [IF EXISTS], IF EXISTS on a missing table.
#[test]
fn alter_table_operations() {
    let sql = r#"
CREATE TABLE users (id INT, email TEXT, org_id INT, legacy TEXT);
CREATE TABLE orgs (id INT PRIMARY KEY);
ALTER TABLE users ADD PRIMARY KEY (id), ADD UNIQUE (email), ALTER COLUMN email SET NOT NULL;
ALTER TABLE IF EXISTS ONLY users ADD COLUMN IF NOT EXISTS manager_id INT REFERENCES users, ADD COLUMN handle VARCHAR(30) UNIQUE NOT NULL, ADD COLUMN IF NOT EXISTS email TEXT;
ALTER TABLE users ADD CONSTRAINT users_org_fk FOREIGN KEY (org_id) REFERENCES orgs (id) NOT VALID;
ALTER TABLE users ADD FOREIGN KEY (org_id) REFERENCES orgs NOT VALID;
ALTER TABLE users VALIDATE CONSTRAINT users_org_fk;
ALTER TABLE users ALTER COLUMN legacy TYPE VARCHAR(10), ALTER COLUMN legacy SET NOT NULL, ALTER COLUMN legacy SET DEFAULT 'x';
ALTER TABLE users ALTER COLUMN legacy DROP NOT NULL;
CREATE INDEX users_legacy_lower ON users (lower(legacy));
CREATE INDEX users_org_partial ON users (org_id) WHERE legacy IS NOT NULL;
CREATE INDEX users_org_incl ON users (org_id) INCLUDE (legacy);
CREATE INDEX users_org ON users (org_id);
ALTER TABLE users DROP COLUMN IF EXISTS legacy CASCADE, DROP COLUMN IF EXISTS nothing;
ALTER TABLE IF EXISTS missing ADD COLUMN x INT;
ALTER TABLE users DROP CONSTRAINT IF EXISTS users_email_key, DROP CONSTRAINT IF EXISTS nothing;
ALTER TABLE users ADD CONSTRAINT users_handle_uniq UNIQUE (handle, email);
"#;
    assert_eq!(
        pg_dump(&[sql]),
        concat!(
            "table orgs\n",
            "  col id int not null\n",
            "  pk (id)\n",
            "  primary orgs_pkey unique btree (id)\n",
            "table users\n",
            "  col id int not null\n",
            "  col email text not null\n",
            "  col org_id int null\n",
            "  col manager_id int null\n",
            "  col handle varchar(30) not null\n",
            "  pk (id)\n",
            "  fk users_manager_id_fkey (manager_id) -> users (id)\n",
            "  fk users_org_fk (org_id) -> orgs (id)\n",
            "  fk users_org_id_fkey (org_id) -> orgs (id) not valid\n",
            "  primary users_pkey unique btree (id)\n",
            "  unique constraint users_handle_key unique btree (handle)\n",
            "  index users_org btree (org_id)\n",
            "  unique constraint users_handle_uniq unique btree (handle, email)\n",
        )
    );
}

const CREATE: &str = r#"
CREATE TABLE accounts (id SERIAL PRIMARY KEY, email TEXT NOT NULL, plan TEXT);
CREATE TABLE posts (id SERIAL PRIMARY KEY, account_id INT NOT NULL REFERENCES accounts, title TEXT, deleted_at TIMESTAMP);
CREATE INDEX ON posts (account_id) WHERE deleted_at IS NULL;
CREATE INDEX posts_title_lower ON posts (lower(title));
CREATE UNIQUE INDEX accounts_email_lower ON accounts (lower(email)) INCLUDE (plan);
"#;
const RENAME: &str = r#"
ALTER TABLE accounts RENAME TO users;
ALTER TABLE posts RENAME COLUMN account_id TO user_id;
ALTER TABLE users RENAME COLUMN id TO user_pk;
ALTER TABLE users RENAME COLUMN email TO "Email";
ALTER TABLE posts RENAME COLUMN deleted_at TO removed_at;
ALTER TABLE users RENAME CONSTRAINT accounts_pkey TO users_pkey;
ALTER TABLE posts RENAME CONSTRAINT posts_account_id_fkey TO posts_user_fk;
CREATE TABLE comments (id SERIAL PRIMARY KEY, post_id INT REFERENCES posts, user_id INT REFERENCES users);
"#;
const DROP: &str = r#"
ALTER TABLE users DROP COLUMN plan;
ALTER TABLE posts DROP COLUMN title;
DROP TABLE posts CASCADE;
CREATE TABLE IF NOT EXISTS accounts_id_seq (x INT);
"#;

/// RENAME TO (FKs follow, indexes keep their names), RENAME COLUMN (PK, index keys,
/// expressions, predicates, INCLUDE, FK columns here and referenced columns elsewhere
/// follow), RENAME CONSTRAINT (a PK's index follows), across migrations.
#[test]
fn renames_across_migrations() {
    assert_eq!(
        pg_dump(&[CREATE, RENAME]),
        concat!(
            "table comments\n",
            "  col id serial not null\n",
            "  col post_id int null\n",
            "  col user_id int null\n",
            "  pk (id)\n",
            "  fk comments_post_id_fkey (post_id) -> posts (id)\n",
            "  fk comments_user_id_fkey (user_id) -> users (user_pk)\n",
            "  primary comments_pkey unique btree (id)\n",
            "table posts\n",
            "  col id serial not null\n",
            "  col user_id int not null\n",
            "  col title text null\n",
            "  col removed_at timestamp null\n",
            "  pk (id)\n",
            "  fk posts_user_fk (user_id) -> users (user_pk)\n",
            "  primary posts_pkey unique btree (id)\n",
            "  index posts_account_id_idx btree (user_id) where [removed_at is null]\n",
            "  index posts_title_lower btree ([lower(title)])\n",
            "table users\n",
            "  col user_pk serial not null\n",
            "  col Email text not null\n",
            "  col plan text null\n",
            "  pk (user_pk)\n",
            "  primary users_pkey unique btree (user_pk)\n",
            "  index accounts_email_lower unique btree ([lower(\"Email\")]) include (plan)\n",
        )
    );
}

/// Then drops: columns used by an INCLUDE and an expression index, a table referenced by
/// FKs (CASCADE), and a `serial` sequence that keeps its name after the table's rename.
#[test]
fn drops_after_renames() {
    assert_eq!(
        pg_dump(&[CREATE, RENAME, DROP]),
        concat!(
            "table comments\n",
            "  col id serial not null\n",
            "  col post_id int null\n",
            "  col user_id int null\n",
            "  pk (id)\n",
            "  fk comments_user_id_fkey (user_id) -> users (user_pk)\n",
            "  primary comments_pkey unique btree (id)\n",
            "table users\n",
            "  col user_pk serial not null\n",
            "  col Email text not null\n",
            "  pk (user_pk)\n",
            "  primary users_pkey unique btree (user_pk)\n",
        )
    );
}

/// Origins: each object points at the statement and migration that created it; a column's
/// origin moves with ALTER COLUMN TYPE.
#[test]
fn origins_point_at_the_creating_migration() {
    let (sources, _, replay) = run(
        Backend::Postgres,
        &[
            "CREATE TABLE a (id INT PRIMARY KEY, n INT);",
            "CREATE TABLE b (id INT PRIMARY KEY, a_id INT REFERENCES a);\nALTER TABLE a ALTER COLUMN n TYPE BIGINT;",
        ],
    );
    let a = table(&replay.schema, "a");
    let b = table(&replay.schema, "b");
    assert_eq!(a.origin.migration, Some(0));
    assert_eq!(a.indexes[0].origin.migration, Some(0));
    assert_eq!(b.origin.migration, Some(1));
    assert_eq!(b.foreign_keys[0].origin.migration, Some(1));
    assert_eq!(a.column("id").map(|c| c.origin.migration), Some(Some(0)));
    let n = a.column("n").expect("column n");
    assert_eq!(n.origin.migration, Some(1));
    assert_eq!(n.sql_type, "bigint");
    let text = sources.text(n.origin.span.file);
    assert!(text[n.origin.span.range.clone()].contains("ALTER TABLE a"));
    let fk = &b.foreign_keys[0];
    assert!(text[fk.origin.span.range.clone()].contains("REFERENCES a"));
}

/// Each ALTER TABLE subcommand makes its own index: no merging of repeated keys there,
/// unlike CREATE TABLE (checked against PostgreSQL 15).
#[test]
fn alter_table_subcommands_do_not_merge_keys() {
    let sql = "CREATE TABLE t (id INT, a INT);
        ALTER TABLE t ADD UNIQUE (a), ADD UNIQUE (a), ADD PRIMARY KEY (id), ADD CONSTRAINT t_id_u UNIQUE (id);";
    assert_eq!(
        pg_dump(&[sql]),
        concat!(
            "table t\n",
            "  col id int not null\n",
            "  col a int null\n",
            "  pk (id)\n",
            "  unique constraint t_a_key unique btree (a)\n",
            "  unique constraint t_a_key1 unique btree (a)\n",
            "  primary t_pkey unique btree (id)\n",
            "  unique constraint t_id_u unique btree (id)\n",
        )
    );
}

/// The column-name cache of a run of `ADD COLUMN`s (issue 19 §3) never answers for a table
/// whose columns changed otherwise: a drop, a rename, a table dropped and created again.
#[test]
fn added_columns_after_drops_and_renames_are_judged_on_the_current_columns() {
    let columns = |sql: &str| -> Vec<(String, String)> {
        table(&pg(&[sql]), "t")
            .columns
            .iter()
            .map(|c| (c.name.clone(), c.sql_type.clone()))
            .collect()
    };
    let altered = "CREATE TABLE t (id INT PRIMARY KEY);\n\
         ALTER TABLE t ADD COLUMN a INT;\n\
         ALTER TABLE t ADD COLUMN a TEXT;\n\
         ALTER TABLE t DROP COLUMN a;\n\
         ALTER TABLE t ADD COLUMN a BIGINT;\n\
         ALTER TABLE t RENAME COLUMN a TO b;\n\
         ALTER TABLE t ADD COLUMN a BOOLEAN;\n";
    let pair = |n: &str, t: &str| (n.to_owned(), t.to_owned());
    assert_eq!(
        columns(altered),
        [pair("id", "int"), pair("b", "bigint"), pair("a", "boolean")]
    );
    let recreated = format!(
        "{altered}DROP TABLE t;\nCREATE TABLE t (id INT PRIMARY KEY);\nALTER TABLE t ADD COLUMN b TEXT;"
    );
    assert_eq!(columns(&recreated), [pair("id", "int"), pair("b", "text")]);
}
