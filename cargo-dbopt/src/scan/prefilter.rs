//! The scan's text pre-check: a file that contains none of the database words below cannot
//! produce a code finding, so it is not parsed.
//!
//! Why these words suffice: every code rule needs a database *handle* (a round trip, a
//! checkout, a write), a *transaction scope*, or options written in a `#[db_checked(..)]`
//! attribute. The analysis gets a handle only from
//!
//! * a type whose name says connection or pool (`PgConnection`, `PooledConnection`, `DbConn`,
//!   `impl Connection`, `C: LoadConnection`, `Pool`, `DbPool`, `SqlitePool`; deadpool, bb8 and
//!   r2d2 paths): `Conn`, `Pool`, `deadpool`, `bb8`, `r2d2`;
//! * an accessor (`pool`, `db_pool`, `db`, `conn`, `connection`, `get_conn`, `db_conn`) used
//!   as a method or a field: `pool`, `conn`, `.db`;
//! * `establish(..)` and the tutorials' `establish_connection()`: `establish`;
//! * the closure of `transaction`, `build_transaction()..run`, `*_transaction`:
//!   `transaction`;
//! * `#[db_checked(conn(..), in_transaction, ..)]` and `#[dbopt::allow(..)]`: `db_checked`,
//!   `dbopt`;
//! * names the configuration adds (`handle_types`, `accessors`): added to the words.
//!
//! `diesel` and `sql_query` are added as a margin for future rules (they cost nothing on code
//! that is not database code). `diesel` does not count where it names what `diesel
//! print-schema` writes ([`SCHEMA_ONLY`]): a schema.rs of `table!` and `joinable!` macros
//! holds no handle, and the schema side parses it already. Executor names (`execute`, `load(`, `first`) are deliberately
//! *not* words: without a handle they are not round trips, and `load(` alone would keep every
//! file that reads an atomic. Matching is a case-sensitive substring search (comments and
//! strings count: a superset is safe).
//!
//! A file that only calls database code defined elsewhere in its package
//! (`self.repo.find(id)` in a loop) has none of the words; [`NameMatcher`] finds the files that
//! mention, as an identifier, a fn of an analysed file that may reach the database, and the
//! scan analyses those too, until nothing new is found.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

/// The built-in words; see the module docs for why each one is here.
pub const DB_WORDS: &[&str] = &[
    ".db",
    "Conn",
    "Pool",
    "bb8",
    "conn",
    "db_checked",
    "dbopt",
    "deadpool",
    "diesel",
    "establish",
    "pool",
    "r2d2",
    "sql_query",
    "transaction",
];

/// What follows `diesel` where schema.rs names diesel's own items: the macros and attributes
/// `diesel print-schema` writes, and the SQL types its tables use.
pub const SCHEMA_ONLY: &[&str] = &[
    "::table!",
    "::joinable!",
    "::allow_tables_to_appear_in_same_query!",
    "::sql_types::",
    "::query_builder::QueryId",
    "(postgres_type(",
    "(mysql_type(",
    "(sqlite_type(",
];

/// The database words of one package: [`DB_WORDS`] and configured names.
#[derive(Debug, Clone)]
pub struct Prefilter {
    /// `None` if the automaton could not be built (a configuration of absurd size): then
    /// every file passes.
    words: Option<AhoCorasick>,
}

impl Prefilter {
    /// [`DB_WORDS`] plus `extra` (configured handle types, accessors, wrapper macros).
    /// Without extra words every package shares one automaton, built once.
    pub fn new<S: AsRef<str>>(extra: &[S]) -> Self {
        static BUILT_IN: std::sync::OnceLock<Prefilter> = std::sync::OnceLock::new();
        if extra.iter().all(|w| w.as_ref().is_empty()) {
            return BUILT_IN
                .get_or_init(|| Prefilter::with(&[] as &[&str]))
                .clone();
        }
        Prefilter::with(extra)
    }

    fn with<S: AsRef<str>>(extra: &[S]) -> Self {
        let mut words: Vec<&str> = DB_WORDS.to_vec();
        words.extend(extra.iter().map(AsRef::as_ref).filter(|w| !w.is_empty()));
        Prefilter {
            words: AhoCorasick::new(words).ok(),
        }
    }

    /// Whether `text` contains a database word: it may touch a database.
    pub fn may_touch_db(&self, text: &str) -> bool {
        let Some(words) = &self.words else {
            return true;
        };
        words.find_iter(text).any(|m| {
            DB_WORDS.get(m.pattern().as_usize()) != Some(&"diesel")
                || !SCHEMA_ONLY.iter().any(|s| text[m.end()..].starts_with(s))
        })
    }
}

/// Finds whole-identifier mentions of a set of names (`find` in `self.repo.find(id)`, not in
/// `find_all` or `refind`).
#[derive(Debug, Clone)]
pub struct NameMatcher {
    names: AhoCorasick,
}

impl NameMatcher {
    /// `None` when there is no name to look for.
    pub fn new<S: AsRef<str>>(names: &[S]) -> Option<Self> {
        let names: Vec<&str> = names
            .iter()
            .map(AsRef::as_ref)
            .filter(|n| !n.is_empty())
            .collect();
        if names.is_empty() {
            return None;
        }
        // Leftmost-longest: at an identifier's first byte the longest name that starts there
        // is the identifier itself when it is a name (names hold no non-identifier byte).
        let names = AhoCorasickBuilder::new()
            .match_kind(MatchKind::LeftmostLongest)
            .build(names)
            .ok()?;
        Some(NameMatcher { names })
    }

    /// Whether `text` holds one of the names as a whole identifier.
    pub fn mentions(&self, text: &str) -> bool {
        let bytes = text.as_bytes();
        let ident = |i: usize| {
            bytes
                .get(i)
                .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_')
        };
        self.names.find_iter(text).any(|m| {
            let before = m.start().checked_sub(1).is_some_and(ident);
            !before && !ident(m.end())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_code_passes_and_plain_code_is_skipped() {
        let p = Prefilter::new::<&str>(&[]);
        for db in [
            "fn f(conn: &mut PgConnection) {}",
            "fn f<C: Connection>(c: &mut C) {}",
            "async fn h(State(pool): State<DbPool>) {}",
            "fn f(state: &AppState) { let rows = state.db().get(); }",
            "fn f(s: &S) { s\n    .db\n    .get(); }",
            "fn f(c: &mut C) { c.transaction(|t| Ok(())) }",
            "let c = establish_connection();",
            "use diesel::prelude::*;",
            "fn f(o: deadpool::managed::Object<M>) {}",
            "#[db_checked(read_only)] fn f() {}",
        ] {
            assert!(p.may_touch_db(db), "{db}");
        }
        for plain in [
            "fn add(a: u32, b: u32) -> u32 { a + b }",
            "fn f(x: &AtomicUsize) -> usize { x.load(Ordering::SeqCst) }",
            "fn run(cmd: &Command) { cmd.execute(); }",
            "struct Db; fn f(db: &Db) {}",
        ] {
            assert!(!p.may_touch_db(plain), "{plain}");
        }
    }

    /// What `diesel print-schema` writes, with custom types, foreign keys and two tables.
    const SCHEMA_RS: &str = "// @generated automatically by Diesel CLI.\n\n\
        pub mod sql_types {\n    #[derive(diesel::query_builder::QueryId, \
        diesel::sql_types::SqlType)]\n    #[diesel(postgres_type(name = \"mood\"))]\n    \
        pub struct Mood;\n}\n\n\
        diesel::table! {\n    use diesel::sql_types::*;\n    use super::sql_types::Mood;\n\n    \
        users (id) {\n        id -> Int4,\n        mood -> Mood,\n    }\n}\n\n\
        diesel::table! {\n    posts (id) {\n        id -> Int4,\n        user_id -> Int4,\n    }\n}\n\n\
        diesel::joinable!(posts -> users (user_id));\n\n\
        diesel::allow_tables_to_appear_in_same_query!(posts, users,);\n";

    #[test]
    fn schema_rs_as_diesel_writes_it_is_skipped_and_code_beside_it_is_not() {
        let p = Prefilter::new::<&str>(&[]);
        assert!(!p.may_touch_db(SCHEMA_RS));
        for added in [
            "use diesel::prelude::*;\n",
            "fn f() { diesel::insert_into(users::table); }\n",
            "#[derive(Queryable)]\n#[diesel(table_name = users)]\nstruct User;\n",
            "fn f(c: &mut C) { c.transaction(|t| Ok(())) }\n",
        ] {
            assert!(p.may_touch_db(&format!("{SCHEMA_RS}{added}")), "{added}");
        }
    }

    #[test]
    fn configured_names_are_words() {
        let p = Prefilter::new(&["Handle".to_owned(), "store".to_owned()]);
        assert!(p.may_touch_db("fn f(h: &mut Handle) {}"));
        assert!(p.may_touch_db("fn f(s: &S) { s.store(); }"));
        assert!(!Prefilter::new::<&str>(&[""]).may_touch_db("fn f() {}"));
    }

    #[test]
    fn names_match_whole_identifiers_only() {
        let m = NameMatcher::new(&["find", "find_all"]).unwrap();
        assert!(m.mentions("for id in ids { self.repo.find(id); }"));
        assert!(m.mentions("find"));
        assert!(m.mentions("x.find_all()"));
        assert!(!m.mentions("refind(); find_one(); finder; _find"));
        assert!(m.mentions("refind(); find_one(); find"));
        assert!(
            m.mentions("é.find()"),
            "a non-ASCII neighbour is a boundary (superset)"
        );
        assert!(NameMatcher::new::<&str>(&[]).is_none());
        assert!(NameMatcher::new(&[""]).is_none());
    }
}
