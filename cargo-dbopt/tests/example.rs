//! The machine formats on the example project (examples/blog), snapshotted (human and JSON
//! output are the dogfood test's), and `--fix` on a copy of its migrations. Paths in the
//! output are relative to the workspace root; the SARIF root URI is the one absolute path and
//! is redacted.

#[path = "support/sarif_schema.rs"]
mod sarif_schema;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("cargo-dbopt sits in the workspace")
        .to_path_buf()
}

fn example(args: &[&str]) -> Output {
    let root = workspace_root();
    Command::new(env!("CARGO_BIN_EXE_cargo-dbopt"))
        .arg("dbopt")
        .args([
            "--manifest-path",
            "examples/blog/Cargo.toml",
            "--color",
            "never",
        ])
        .args(args)
        .current_dir(&root)
        .env_remove("CLICOLOR_FORCE")
        .env_remove("NO_COLOR")
        .output()
        .expect("the binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).expect("UTF-8 output")
}

#[test]
fn github_on_the_example() {
    let out = example(&["--format", "github"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stderr.is_empty(), "{}", text(&out.stderr));
    insta::assert_snapshot!(text(&out.stdout));
}

#[test]
fn sarif_on_the_example() {
    let out = example(&["--format", "sarif"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stderr.is_empty(), "{}", text(&out.stderr));
    let log = text(&out.stdout);
    let errors = sarif_schema::errors(&log);
    assert!(errors.is_empty(), "not valid SARIF 2.1.0: {errors:#?}");
    let root_uri = format!("file://{}/", workspace_root().display());
    assert!(log.contains(&root_uri), "{log}");
    insta::assert_snapshot!(log.replace(&root_uri, "file:///[workspace]/"));
}

/// `--fix` on a copy of the example's migrations (SQLite): plain `CREATE INDEX`, no
/// metadata.toml, numbered after the newest migration, and the findings are gone.
#[test]
fn fix_on_a_copy_of_the_example_migrations() {
    let root = workspace_root();
    let copy =
        Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("example-fix-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&copy);
    let source = root.join("examples/blog/migrations");
    for entry in std::fs::read_dir(&source).unwrap() {
        let entry = entry.unwrap();
        let dest = copy.join(entry.file_name());
        std::fs::create_dir_all(&dest).unwrap();
        for file in std::fs::read_dir(entry.path()).unwrap() {
            let file = file.unwrap();
            std::fs::copy(file.path(), dest.join(file.file_name())).unwrap();
        }
    }
    let migrations = copy.to_str().unwrap();
    let out = example(&["--migrations", migrations, "--fix"]);
    let stderr = text(&out.stderr);
    // Only the joinable_without_fk warning is left: exit 0.
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let shown = copy.strip_prefix(&root).unwrap_or(&copy).display();
    for name in [
        "2024-01-15-100001-0000_add_index_posts_user_id",
        "2024-01-15-100002-0000_add_index_comments_post_id",
        "2024-01-15-100003-0000_add_index_post_tags_tag_id",
    ] {
        assert!(
            stderr.contains(&format!("     Created {shown}/{name} (up.sql, down.sql)\n")),
            "{stderr}"
        );
        assert!(!copy.join(name).join("metadata.toml").exists());
    }
    assert_eq!(
        std::fs::read_to_string(
            copy.join("2024-01-15-100003-0000_add_index_post_tags_tag_id/up.sql")
        )
        .unwrap(),
        "CREATE INDEX IF NOT EXISTS post_tags_tag_id_idx ON post_tags (tag_id);\n"
    );
    assert_eq!(
        std::fs::read_to_string(
            copy.join("2024-01-15-100001-0000_add_index_posts_user_id/down.sql")
        )
        .unwrap(),
        "DROP INDEX IF EXISTS posts_user_id_idx;\n"
    );
    assert!(!stderr.contains("fk_without_index"), "{stderr}");
    assert!(stderr.contains("warning[joinable_without_fk]"), "{stderr}");
    let _ = std::fs::remove_dir_all(&copy);
}
