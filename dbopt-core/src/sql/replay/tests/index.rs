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

const MORE_NAMES: &str = r#"
CREATE TABLE m (a INT, b INT, created_at TIMESTAMP, s TEXT, UNIQUE (a) INCLUDE (b));
CREATE INDEX ON m (((a + b)::INT));
CREATE INDEX ON m (((a + b)::BIGINT), ((a + b)::VARCHAR(10)), ((a + b)::DOUBLE PRECISION), ((a + b)::NUMERIC(5,2)));
CREATE INDEX ON m (date_trunc('day', created_at), (CASE WHEN a > 0 THEN 1 END), (s COLLATE "C"), (s::TEXT), (a::BIGINT));
CREATE INDEX ON m (EXTRACT(YEAR FROM created_at), SUBSTRING(s FROM 1 FOR 2), pg_catalog.lower(s));
CREATE TABLE a_very_long_table_name_that_goes_on_and_on_and_on_forever_more (id SERIAL PRIMARY KEY, another_quite_long_column_name_for_testing INT UNIQUE, second_quite_long_column_name_for_testing_too INT);
CREATE INDEX ON a_very_long_table_name_that_goes_on_and_on_and_on_forever_more (another_quite_long_column_name_for_testing, second_quite_long_column_name_for_testing_too);
CREATE INDEX ON a_very_long_table_name_that_goes_on_and_on_and_on_forever_more (another_quite_long_column_name_for_testing, second_quite_long_column_name_for_testing_too);
CREATE TABLE child_of_the_very_long_table (id INT, another_quite_long_column_name_for_testing INT REFERENCES a_very_long_table_name_that_goes_on_and_on_and_on_forever_more);
CREATE TABLE u (id INT NOT NULL, code TEXT NOT NULL);
CREATE UNIQUE INDEX CONCURRENTLY u_id_tmp ON u (id);
CREATE UNIQUE INDEX u_code_tmp ON u (code);
ALTER TABLE u ADD CONSTRAINT u_pk PRIMARY KEY USING INDEX u_id_tmp;
ALTER TABLE u ADD UNIQUE USING INDEX u_code_tmp;
ALTER TABLE u ADD COLUMN seq SERIAL, ADD COLUMN n INT NOT NULL;
ALTER TABLE u ALTER COLUMN n ADD GENERATED ALWAYS AS IDENTITY;
CREATE TEMP TABLE tmp (id INT);
"#;

/// Cast names as PostgreSQL's grammar spells them (`int4`, `float8`), function-like syntax
/// (`extract`, `substring`, `case`), a collated or same-type cast column as the column,
/// UNIQUE .. INCLUDE, 63-byte truncation, ADD CONSTRAINT .. USING INDEX (the index takes the
/// constraint's name), `serial` and identity added by ALTER TABLE, TEMP tables left out.
#[test]
fn names_of_casts_long_names_and_using_index() {
    assert_eq!(
        pg_dump(&[MORE_NAMES]),
        concat!(
            "table a_very_long_table_name_that_goes_on_and_on_and_on_forever_more\n",
            "  col id serial not null\n",
            "  col another_quite_long_column_name_for_testing int null\n",
            "  col second_quite_long_column_name_for_testing_too int null\n",
            "  pk (id)\n",
            "  primary a_very_long_table_name_that_goes_on_and_on_and_on_forever__pkey unique btree (id)\n",
            "  unique constraint a_very_long_table_name_that_g_another_quite_long_column_nam_key unique btree (another_quite_long_column_name_for_testing)\n",
            "  index a_very_long_table_name_that_g_another_quite_long_column_nam_idx btree (another_quite_long_column_name_for_testing, second_quite_long_column_name_for_testing_too)\n",
            "  index a_very_long_table_name_that_g_another_quite_long_column_na_idx1 btree (another_quite_long_column_name_for_testing, second_quite_long_column_name_for_testing_too)\n",
            "table child_of_the_very_long_table\n",
            "  col id int null\n",
            "  col another_quite_long_column_name_for_testing int null\n",
            "  fk child_of_the_very_long_table_another_quite_long_column_nam_fkey (another_quite_long_column_name_for_testing) -> a_very_long_table_name_that_goes_on_and_on_and_on_forever_more (id)\n",
            "table m\n",
            "  col a int null\n",
            "  col b int null\n",
            "  col created_at timestamp null\n",
            "  col s text null\n",
            "  unique constraint m_a_b_key unique btree (a) include (b)\n",
            "  index m_int4_idx btree ([(a + b)::int])\n",
            "  index m_int8_varchar_float8_numeric_idx btree ([(a + b)::bigint], [(a + b)::varchar(10)], [(a + b)::double precision], [(a + b)::numeric(5,2)])\n",
            "  index m_date_trunc_case_s_s1_a_idx btree ([date_trunc('day', created_at)], [case when a > 0 then 1 end], s, s, [a::bigint])\n",
            "  index m_extract_substring_lower_idx btree ([extract(year from created_at)], [substring(s from 1 for 2)], [pg_catalog.lower(s)])\n",
            "table tmp\n",
            "  col id int null\n",
            "table u\n",
            "  col id int not null\n",
            "  col code text not null\n",
            "  col seq serial not null\n",
            "  col n int not null\n",
            "  pk (id)\n",
            "  primary u_pk unique btree (id)\n",
            "  unique constraint u_code_tmp unique btree (code)\n",
        )
    );
}

/// The same through the splitter, one migration per statement as `CONCURRENTLY` needs.
#[test]
fn concurrently_statements_through_the_splitter() {
    let schema = pg(&[
        "CREATE TABLE t (id INT PRIMARY KEY, a INT, b INT);\nCREATE INDEX t_a ON t (a);",
        "CREATE INDEX CONCURRENTLY t_b ON t (b);",
        "ALTER INDEX IF EXISTS t_b RENAME TO t_b_idx;",
        "DROP INDEX CONCURRENTLY IF EXISTS t_a;",
        "DO $$ BEGIN RAISE NOTICE 'done'; END $$;",
    ]);
    assert_eq!(
        dump(&schema),
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
