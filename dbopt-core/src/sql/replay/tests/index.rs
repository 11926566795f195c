use super::*;
use crate::sql::StatementKind;

/// Unnamed indexes get PostgreSQL's names: key names (function name, `expr`, the column of
/// a cast), INCLUDE columns, repeats numbered, `idx1`, `idx2` past taken relation names
/// (an index, a table, a `serial` sequence). `(col)` and a cast of a column to its own type
/// are plain columns. `IF NOT EXISTS` on a taken name does nothing.
#[test]
fn create_index_names_keys_include_predicate_method() {
    let sql = r#"
CREATE TABLE users (id SERIAL PRIMARY KEY, email TEXT NOT NULL, org_id INT, deleted_at TIMESTAMP, data JSONB);
CREATE INDEX ON users (email);
CREATE INDEX ON users (email);
CREATE UNIQUE INDEX ON users (org_id, email);
CREATE INDEX ON users (LOWER(email), (org_id), (org_id + 1), (email::TEXT), COALESCE(org_id, 0), email) INCLUDE (org_id);
CREATE INDEX CONCURRENTLY users_active_idx ON users USING btree (org_id DESC NULLS LAST) INCLUDE (email) WHERE deleted_at IS NULL;
CREATE INDEX IF NOT EXISTS users_active_idx ON users (email);
CREATE INDEX users_data ON users USING GIN (data jsonb_path_ops);
CREATE INDEX ON users ((data->>'kind'));
CREATE INDEX ON users (((org_id + 1)::TEXT));
CREATE INDEX ON public.users ((org_id));
CREATE INDEX IF NOT EXISTS users_id_seq ON users (id);
CREATE TABLE users_pkey1 (x INT);
CREATE TABLE o (id INT);
CREATE INDEX ON o (id);
CREATE TABLE o_id_idx1 (x INT);
CREATE INDEX ON o (id);
ALTER TABLE o ADD PRIMARY KEY (id);
"#;
    assert_eq!(
        pg_dump(&[sql]),
        concat!(
            "table o\n",
            "  col id int not null\n",
            "  pk (id)\n",
            "  index o_id_idx btree (id)\n",
            "  index o_id_idx2 btree (id)\n",
            "  primary o_pkey unique btree (id)\n",
            "table o_id_idx1\n",
            "  col x int null\n",
            "table users\n",
            "  col id serial not null\n",
            "  col email text not null\n",
            "  col org_id int null\n",
            "  col deleted_at timestamp null\n",
            "  col data jsonb null\n",
            "  pk (id)\n",
            "  primary users_pkey unique btree (id)\n",
            "  index users_email_idx btree (email)\n",
            "  index users_email_idx1 btree (email)\n",
            "  index users_org_id_email_idx unique btree (org_id, email)\n",
            "  index users_lower_org_id_expr_email_coalesce_email1_org_id1_idx btree ([lower(email)], org_id, [org_id + 1], email, [coalesce(org_id, 0)], email) include (org_id)\n",
            "  index users_active_idx btree (org_id) include (email) where [deleted_at is null]\n",
            "  index users_data gin (data)\n",
            "  index users_expr_idx btree ([data ->> 'kind'])\n",
            "  index users_text_idx btree ([(org_id + 1)::text])\n",
            "  index users_org_id_idx btree (org_id)\n",
            "table users_pkey1\n",
            "  col x int null\n",
        )
    );
}

/// DROP INDEX (several names, IF EXISTS, schema-qualified), ALTER INDEX .. RENAME TO
/// renaming the constraint the index backs, RENAME CONSTRAINT renaming its index.
#[test]
fn drop_and_rename_indexes() {
    let sql = r#"
CREATE SCHEMA app;
CREATE TABLE app.items (id INT PRIMARY KEY, code TEXT UNIQUE, kind TEXT);
CREATE INDEX ON app.items (kind);
CREATE INDEX items_code_lower ON app.items (lower(code));
CREATE TABLE orders (id INT PRIMARY KEY, item_id INT REFERENCES app.items, note TEXT);
CREATE INDEX orders_item ON orders (item_id);
CREATE INDEX orders_note ON orders (note);
DROP INDEX IF EXISTS orders_note, missing_idx;
ALTER INDEX orders_item RENAME TO orders_item_id_idx;
ALTER INDEX app.items_code_key RENAME TO items_code_uniq;
ALTER INDEX app.items_pkey RENAME TO items_pk;
DROP INDEX app.items_kind_idx CASCADE;
ALTER TABLE app.items RENAME CONSTRAINT items_code_uniq TO items_code_key2;
"#;
    assert_eq!(
        pg_dump(&[sql]),
        concat!(
            "schema app\n",
            "table app.items\n",
            "  col id int not null\n",
            "  col code text null\n",
            "  col kind text null\n",
            "  pk (id)\n",
            "  primary items_pk unique btree (id)\n",
            "  unique constraint items_code_key2 unique btree (code)\n",
            "  index items_code_lower btree ([lower(code)])\n",
            "table orders\n",
            "  col id int not null\n",
            "  col item_id int null\n",
            "  col note text null\n",
            "  pk (id)\n",
            "  fk orders_item_id_fkey (item_id) -> app.items (id)\n",
            "  primary orders_pkey unique btree (id)\n",
            "  index orders_item_id_idx btree (item_id)\n",
        )
    );
}

/// The splitter's keyword handlers: `DROP INDEX CONCURRENTLY` and `ALTER INDEX IF EXISTS ..
/// RENAME`, which sqlparser rejects. An index backing a constraint is not dropped
/// (PostgreSQL: "cannot drop index t_pkey because constraint t_pkey requires it").
#[test]
fn keyword_handler_statements() {
    let mut state = state_after(
        Backend::Postgres,
        "CREATE TABLE t (id INT PRIMARY KEY, a INT, b INT);
         CREATE INDEX t_a ON t (a);
         CREATE INDEX t_b ON t (b);",
    );
    state.apply_statement(&StatementKind::AlterIndexRename {
        name: vec!["public".into(), "t_b".into()],
        new_name: "t_b_idx".into(),
        if_exists: true,
    });
    state.apply_statement(&StatementKind::AlterIndexRename {
        name: vec!["missing".into()],
        new_name: "other".into(),
        if_exists: true,
    });
    state.apply_statement(&StatementKind::DropIndex {
        names: vec![
            vec!["t_a".into()],
            vec!["t_pkey".into()],
            vec!["nope".into()],
        ],
        concurrently: true,
        if_exists: true,
    });
    assert_eq!(
        dump(&state.schema),
        concat!(
            "table t\n",
            "  col id int not null\n",
            "  col a int null\n",
            "  col b int null\n",
            "  pk (id)\n",
            "  primary t_pkey unique btree (id)\n",
            "  index t_b_idx btree (b)\n",
        )
    );
}
