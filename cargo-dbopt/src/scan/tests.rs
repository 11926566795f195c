use super::*;

fn write(root: &Path, rel: &str, text: impl AsRef<[u8]>) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

const REPO: &str = "pub struct Repo { pool: DbPool }
impl Repo {
    pub fn find(&self, id: i32) -> User {
        let mut conn = self.pool.get().unwrap();
        users::table.find(id).first(&mut conn).unwrap()
    }
}
";

/// No database word: it only calls the repository.
const SERVICE: &str = "pub struct Service { repo: Repo }
impl Service {
    pub fn names(&self, ids: &[i32]) -> Vec<String> {
        ids.iter().map(|id| self.repo.find(*id).name).collect()
    }
}
";

const PLAIN: &str = "pub fn add(a: u32, b: u32) -> u32 { a + b }\n";

const LOOP: &str = "fn f(conn: &mut PgConnection, ids: &[i32]) {
    for id in ids {
        users::table.find(id).first::<User>(conn);
    }
}
";

fn run(root: &Path, precheck: bool) -> PackageScan {
    let input = PackageInput {
        name: "shop".to_owned(),
        crate_roots: vec![root.join("src/lib.rs")],
        options: OptionsSpec::default(),
        extra_words: Vec::new(),
        small_tables: Vec::new(),
    };
    let settings = Settings {
        precheck,
        ..Settings::new(root.to_path_buf())
    };
    let pool = thread_pool(2).unwrap();
    let mut out = pool.install(|| scan(&[input], &settings));
    out.pop().unwrap()
}

fn shown(scan: &PackageScan) -> Vec<String> {
    scan.files
        .iter()
        .map(|f| f.shown.to_string_lossy().into_owned())
        .collect()
}

/// (rule, file, line) of every finding.
fn findings(scan: &PackageScan) -> Vec<(&'static str, String, usize)> {
    scan.diagnostics
        .iter()
        .map(|d| {
            let file = &scan.files[d.primary.span.file.0 as usize];
            let text = file
                .text
                .as_deref()
                .expect("a finding's file keeps its text");
            let (line, _) = line_column(text, d.primary.span.range.start);
            (d.rule, file.shown.to_string_lossy().into_owned(), line)
        })
        .collect()
}

#[test]
fn the_pre_check_skips_plain_files_and_keeps_callers_of_database_fns() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    write(root, "src/lib.rs", "mod repo;\nmod service;\nmod plain;\n");
    write(root, "src/repo.rs", REPO);
    write(root, "src/service.rs", SERVICE);
    write(root, "src/plain.rs", PLAIN);
    write(root, "src/db_loop.rs", LOOP);

    let scan = run(root, true);
    assert_eq!(
        shown(&scan),
        [
            "src/db_loop.rs",
            "src/lib.rs",
            "src/plain.rs",
            "src/repo.rs",
            "src/service.rs"
        ]
    );
    assert!(scan.errors.is_empty(), "{:?}", scan.errors);
    assert!(scan.analysed);
    // lib.rs and plain.rs have no database word and mention no fn of repo.rs or db_loop.rs;
    // service.rs has none either but calls `find`, a fn of repo.rs.
    assert_eq!(scan.stats.files, 5);
    assert_eq!(scan.stats.skipped, 2);
    assert_eq!(
        scan.stats.skipped_bytes,
        (PLAIN.len() + "mod repo;\nmod service;\nmod plain;\n".len()) as u64
    );
    assert_eq!(scan.stats.pulled_back, 1);
    // service.rs's finding is the cross-function one: `self.repo.find` makes a query.
    assert_eq!(
        findings(&scan),
        [
            ("n_plus_one", "src/db_loop.rs".to_owned(), 3),
            ("n_plus_one", "src/service.rs".to_owned(), 4)
        ]
    );
    // Only the files a finding points into keep their text (repo.rs: the secondary label).
    let kept: Vec<bool> = scan.files.iter().map(|f| f.text.is_some()).collect();
    assert_eq!(kept, [true, false, false, true, true]);

    let full = run(root, false);
    assert_eq!(full.stats.skipped, 0);
    assert_eq!(full.stats.pulled_back, 0);
    assert_eq!(findings(&full), findings(&scan));
}

#[test]
fn pulling_back_goes_on_through_the_files_it_adds() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    write(root, "src/lib.rs", "");
    write(root, "src/repo.rs", REPO);
    write(root, "src/service.rs", SERVICE);
    // Mentions only `names`, a fn of service.rs, which is itself pulled back.
    write(
        root,
        "src/handler.rs",
        "fn handle(s: &Service) -> usize { s.names(&[1]).len() }\n",
    );
    let scan = run(root, true);
    assert_eq!(scan.stats.pulled_back, 2);
    assert_eq!(scan.stats.skipped, 1);
}

#[test]
fn a_bad_file_is_one_error_and_the_others_are_analysed() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    write(root, "src/lib.rs", "");
    write(
        root,
        "src/broken.rs",
        "fn ok() {}\nfn f(conn: &mut PgConnection {\n",
    );
    write(
        root,
        "src/latin1.rs",
        b"// caf\xe9\nfn f(conn: &mut PgConnection) {}\n",
    );
    write(root, "src/db_loop.rs", LOOP);
    write(
        root,
        "src/attr.rs",
        "#[db_checked(fast)]\nfn g(conn: &mut PgConnection) {}\n",
    );
    let scan = run(root, true);
    let errors: Vec<(String, &str)> = scan
        .errors
        .iter()
        .map(|e| (e.path.to_string_lossy().into_owned(), e.message.as_str()))
        .collect();
    assert_eq!(errors.len(), 3, "{errors:#?}");
    assert_eq!(errors[0].0, "src/attr.rs");
    assert!(
        errors[0].1.starts_with(
            "invalid dbopt attribute in `src/attr.rs` (line 1, column 14): unknown option `fast`"
        ),
        "{}",
        errors[0].1
    );
    assert_eq!(errors[1].0, "src/broken.rs");
    assert!(
        errors[1]
            .1
            .starts_with("cannot parse `src/broken.rs` (line 2, column 30): unbalanced delimiters, or an unterminated string or comment; "),
        "{}",
        errors[1].1
    );
    assert!(errors[1].1.ends_with("; its fns were not checked"));
    assert_eq!(
        errors[2],
        (
            "src/latin1.rs".to_owned(),
            "`src/latin1.rs` is not valid UTF-8 (line 1, column 7); its fns were not checked"
        )
    );
    assert_eq!(scan.stats.parse_errors, 1);
    assert!(scan.analysed);
    assert_eq!(
        findings(&scan),
        [("n_plus_one", "src/db_loop.rs".to_owned(), 3)]
    );
}

#[test]
fn nothing_is_analysed_when_no_file_can_be_read() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    write(root, "src/lib.rs", "fn broken(conn: &mut PgConnection {\n");
    let scan = run(root, true);
    assert!(!scan.analysed);
    assert_eq!(scan.errors.len(), 1);
    // A file the pre-check clears is not parsed: its syntax error is rustc's to report.
    write(root, "src/lib.rs", "fn broken( {\n");
    let scan = run(root, true);
    assert!(scan.analysed);
    assert!(scan.errors.is_empty());
    let tmp = tempfile::tempdir().unwrap();
    let scan = run(tmp.path(), true);
    assert!(!scan.analysed);
    assert_eq!(scan.files.len(), 0);
    let errors: Vec<&str> = scan.errors.iter().map(|e| e.message.as_str()).collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].starts_with("cannot read `src/lib.rs`: "),
        "the missing crate root is reported, not its folder: {errors:?}"
    );
}

#[test]
fn levels_and_handle_types_come_from_the_package() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    write(root, "src/lib.rs", "");
    write(
        root,
        "src/custom.rs",
        "fn f(h: &mut Handle, ids: &[i32]) {\n    for id in ids {\n        users::table.find(id).first::<User>(h);\n    }\n}\n",
    );
    write(root, "src/db_loop.rs", LOOP);
    let input = |spec: OptionsSpec, extra: &[&str]| PackageInput {
        name: "shop".to_owned(),
        crate_roots: vec![root.join("src/lib.rs")],
        options: spec,
        extra_words: extra.iter().map(|s| (*s).to_owned()).collect(),
        small_tables: Vec::new(),
    };
    let settings = Settings::new(root.to_path_buf());
    let pool = thread_pool(1).unwrap();
    let warn = OptionsSpec {
        levels: vec![("n_plus_one", Level::Warn)],
        conn: vec!["Handle".to_owned()],
        ..OptionsSpec::default()
    };
    let out = pool.install(|| scan(&[input(warn, &["Handle"])], &settings));
    let got: Vec<(String, Level)> = out[0]
        .diagnostics
        .iter()
        .map(|d| {
            (
                out[0].files[d.primary.span.file.0 as usize]
                    .shown
                    .to_string_lossy()
                    .into_owned(),
                d.level,
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("src/custom.rs".to_owned(), Level::Warn),
            ("src/db_loop.rs".to_owned(), Level::Warn)
        ]
    );
    let allow = OptionsSpec {
        levels: vec![("n_plus_one", Level::Allow)],
        ..OptionsSpec::default()
    };
    let out = pool.install(|| scan(&[input(allow, &[])], &settings));
    assert!(out[0].diagnostics.is_empty());
}

/// One file with a database word: `Repo::find` queries; `Service::names` (no word) calls it
/// in a loop; `add` and `LIMIT` have no word and mention no database fn.
const MIXED: &str = "pub struct Repo { pool: DbPool }
impl Repo {
    pub fn find(&self, id: i32) -> User {
        let mut conn = self.pool.get().unwrap();
        users::table.find(id).first(&mut conn).unwrap()
    }
}
pub fn add(a: u32, b: u32) -> u32 { a + b }
const LIMIT: u32 = 10;
pub struct Service { repo: Repo }
impl Service {
    pub fn names(&self, ids: &[i32]) -> Vec<String> {
        ids.iter().map(|id| self.repo.find(*id).name).collect()
    }
}
";

#[test]
fn items_without_a_word_are_left_out_until_they_mention_a_database_fn() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    write(root, "src/lib.rs", "mod mixed;\n");
    write(root, "src/mixed.rs", MIXED);

    // `names` mentions `find`, a database fn: it is analysed after all (and only it: `add`
    // stays left out).
    let scan = run(root, true);
    assert_eq!(scan.stats.unpruned, 1);
    assert_eq!(
        scan.stats.pruned_bytes,
        "pub fn add(a: u32, b: u32) -> u32 { a + b }".len() as u64
    );
    assert_eq!(
        findings(&scan),
        [("n_plus_one", "src/mixed.rs".to_owned(), 13)]
    );
    let whole = run(root, false);
    assert_eq!(findings(&whole), findings(&scan));

    // Without the loop nothing mentions `find`: `add` and `names` stay left out (and
    // `LIMIT`, a const, which is never listed: nothing in a const is analysed).
    let plain = MIXED.replace("self.repo.find(*id)", "User::default()");
    write(root, "src/mixed.rs", &plain);
    let scan = run(root, true);
    assert_eq!(scan.stats.unpruned, 0);
    let names = &plain[plain.find("pub fn names").unwrap()..plain.rfind("\n    }\n}").unwrap() + 6];
    assert!(names.ends_with(".collect()\n    }"), "{names}");
    let left_out = ["pub fn add(a: u32, b: u32) -> u32 { a + b }", names];
    assert_eq!(
        scan.stats.pruned_bytes,
        left_out.iter().map(|s| s.len() as u64).sum::<u64>()
    );
    assert!(findings(&scan).is_empty());
}

fn run_with(root: &Path, options: OptionsSpec, small_tables: &[&str]) -> PackageScan {
    let input = PackageInput {
        name: "shop".to_owned(),
        crate_roots: vec![root.join("src/lib.rs")],
        options,
        extra_words: Vec::new(),
        small_tables: small_tables.iter().map(|s| (*s).to_owned()).collect(),
    };
    let pool = thread_pool(2).unwrap();
    let mut out = pool.install(|| scan(&[input], &Settings::new(root.to_path_buf())));
    out.pop().unwrap()
}

/// Test code is out by default (issue 15 §1): an inline `#[cfg(test)]` module, a
/// `#[tokio::test]` fn, an out-of-line `#[cfg(test)] mod tests;` file, a `test_utils.rs`,
/// and a `test_transaction` closure; `include_tests` brings them back. An annotated test
/// fn is always checked.
#[test]
fn test_code_is_left_out_unless_asked_for() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    write(
        root,
        "src/lib.rs",
        "mod repo;\nmod test_utils;\n#[cfg(test)]\nmod tests;\n",
    );
    write(
        root,
        "src/repo.rs",
        format!(
            "{LOOP}
#[cfg(test)]
mod inline {{
    fn seed(conn: &mut PgConnection, ids: &[i32]) {{
        for id in ids {{ users::table.find(id).first::<User>(conn); }}
    }}
}}
#[tokio::test]
async fn seeds(conn: &mut PgConnection, ids: &[i32]) {{
    for id in ids {{ users::table.find(id).first::<User>(conn); }}
}}
#[test]
#[dbopt_macros::db_checked]
fn annotated(conn: &mut PgConnection, ids: &[i32]) {{
    for id in ids {{ users::table.find(id).first::<User>(conn); }}
}}
fn fixture(conn: &mut PgConnection, ids: &[i32]) {{
    conn.test_transaction(|conn| {{
        for id in ids {{ users::table.find(id).first::<User>(conn); }}
        Ok(())
    }});
}}
"
        ),
    );
    write(root, "src/tests.rs", LOOP);
    write(root, "src/test_utils.rs", LOOP);
    let out = run_with(root, OptionsSpec::default(), &[]);
    assert_eq!(
        findings(&out),
        [
            ("n_plus_one", "src/repo.rs".to_owned(), 3),
            ("n_plus_one", "src/repo.rs".to_owned(), 20),
        ]
    );
    let all = OptionsSpec {
        include_tests: true,
        ..OptionsSpec::default()
    };
    let out = run_with(root, all, &[]);
    let lines: Vec<(String, usize)> = findings(&out)
        .into_iter()
        .filter(|f| f.0 == "n_plus_one")
        .map(|f| (f.1, f.2))
        .collect();
    assert_eq!(
        lines,
        [
            ("src/repo.rs".to_owned(), 3),
            ("src/repo.rs".to_owned(), 10),
            ("src/repo.rs".to_owned(), 15),
            ("src/repo.rs".to_owned(), 20),
            ("src/repo.rs".to_owned(), 24),
            ("src/test_utils.rs".to_owned(), 3),
            ("src/tests.rs".to_owned(), 3),
        ]
    );
}

/// `small_tables` silences `unbounded_load` for those tables only; `transaction_macros`
/// names wrappers whose body is a transaction (issue 15 §5, §7).
#[test]
fn small_tables_and_transaction_wrappers() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    write(
        root,
        "src/lib.rs",
        "fn all(conn: &mut PgConnection) {
    let c = countries::table.load::<Country>(conn);
    let u = users::table.load::<User>(conn);
}
fn two(conn: &mut PgConnection) -> QueryResult<()> {
    in_tx(conn, |conn: &mut PgConnection| {
        insert_into(a::table).values(&x).execute(conn)?;
        insert_into(b::table).values(&y).execute(conn)?;
        Ok(())
    })
}
",
    );
    let out = run_with(root, OptionsSpec::default(), &["countries"]);
    assert_eq!(
        findings(&out),
        [
            ("unbounded_load", "src/lib.rs".to_owned(), 3),
            ("write_outside_transaction", "src/lib.rs".to_owned(), 8),
        ]
    );
    let wrapped = OptionsSpec {
        transaction_wrappers: vec![vec!["db".to_owned(), "in_tx".to_owned()]],
        ..OptionsSpec::default()
    };
    let out = run_with(root, wrapped, &["countries"]);
    assert_eq!(
        findings(&out),
        [("unbounded_load", "src/lib.rs".to_owned(), 3)]
    );
}

/// The package's own transaction wrappers are found without configuration (issue 15 §5): a
/// `macro_rules!` and a fn that run their argument in `.transaction(..)`. The same calls
/// without the definitions are unguarded writes.
#[test]
fn the_packages_own_transaction_wrappers_are_found() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let uses = "pub fn a(conn: &mut PgConnection) -> QueryResult<()> {
    atomically!(conn, |c: &mut PgConnection| {
        insert_into(x::table).values(&v).execute(c)?;
        insert_into(y::table).values(&w).execute(c)?;
        Ok(())
    })
}
pub fn b(pool: &Pool) -> QueryResult<()> {
    crate::db::with_tx(pool, |c: &mut PgConnection| {
        insert_into(x::table).values(&v).execute(c)?;
        insert_into(y::table).values(&w).execute(c)
    })
}
";
    write(root, "src/lib.rs", "mod db;\nmod users;\n");
    write(root, "src/users.rs", uses);
    write(root, "src/db.rs", "pub fn unrelated() {}\n");
    let out = run_with(root, OptionsSpec::default(), &[]);
    assert_eq!(
        findings(&out),
        [
            ("write_outside_transaction", "src/users.rs".to_owned(), 4),
            ("write_outside_transaction", "src/users.rs".to_owned(), 11),
        ]
    );
    write(
        root,
        "src/db.rs",
        "macro_rules! atomically {
    ($conn:expr, $body:expr) => { $conn.transaction(|c| $body(c)) };
}
pub fn with_tx<T, F>(pool: &Pool, f: F) -> QueryResult<T>
where
    F: FnOnce(&mut PgConnection) -> QueryResult<T>,
{
    pool.get().unwrap().transaction(f)
}
",
    );
    let out = run_with(root, OptionsSpec::default(), &[]);
    assert_eq!(findings(&out), []);
}
