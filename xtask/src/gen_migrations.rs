//! A synthetic Diesel package: N migrations in the three diesel folder naming schemes mixed,
//! N/4 tables with about two foreign keys each, half of them indexed, plus the statements real
//! migrations are full of (functions with `$$` bodies, comments, data updates, renames).

use std::fmt::Write as _;
use std::fs;
use std::io;
use std::path::Path;

/// Writes `Cargo.toml`, `diesel.toml`, `src/lib.rs`, `src/schema.rs` and `migrations/`.
pub fn write_package(dir: &Path, migrations: usize) -> io::Result<()> {
    if dir.exists() {
        fs::remove_dir_all(dir)?;
    }
    fs::create_dir_all(dir.join("src"))?;
    fs::write(
        dir.join("Cargo.toml"),
        "[package]\nname = \"bench_gen\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n[workspace]\n",
    )?;
    fs::write(
        dir.join("diesel.toml"),
        "[print_schema]\nfile = \"src/schema.rs\"\n\n[migrations_directory]\ndir = \"migrations\"\n",
    )?;
    fs::write(dir.join("src/lib.rs"), "pub mod schema;\n")?;
    let tables = (migrations / 4).max(2);
    let mut schema = String::from("// @generated automatically by Diesel CLI.\n\n");
    for t in 0..tables {
        let _ = writeln!(
            schema,
            "diesel::table! {{\n    t{t} (id) {{\n        id -> Int4,\n        name -> Text,\n        \
             a_id -> Nullable<Int4>,\n        b_id -> Nullable<Int4>,\n    }}\n}}\n"
        );
    }
    fs::write(dir.join("src/schema.rs"), schema)?;
    let root = dir.join("migrations");
    for i in 0..migrations {
        let folder = root.join(folder_name(i, &format!("step_{i}")));
        fs::create_dir_all(&folder)?;
        fs::write(folder.join("up.sql"), up_sql(i, tables))?;
        fs::write(folder.join("down.sql"), "SELECT 1;\n")?;
    }
    Ok(())
}

/// Minute `i` after 2017-01-01 in one of diesel's three naming schemes, rotating, then
/// `_label`. Also names `gen-workspace`'s migrations.
pub fn folder_name(i: usize, label: &str) -> String {
    let minutes = i as u64;
    let day = minutes / 1440;
    let (h, m) = ((minutes % 1440) / 60, minutes % 60);
    let (year, month, dom) = (2017 + day / 336, 1 + (day % 336) / 28, 1 + day % 28);
    match i % 3 {
        0 => format!("{year:04}{month:02}{dom:02}{h:02}{m:02}00_{label}"),
        1 => format!("{year:04}-{month:02}-{dom:02}-{h:02}{m:02}00_{label}"),
        _ => format!("{year:04}-{month:02}-{dom:02}-{h:02}{m:02}00-0000_{label}"),
    }
}

fn up_sql(i: usize, tables: usize) -> String {
    if i < tables {
        let (a, b) = (i.saturating_sub(1), i / 2);
        let fks = if i == 0 {
            "a_id INTEGER,\n    b_id INTEGER".to_owned()
        } else {
            format!("a_id INTEGER REFERENCES t{a} (id),\n    b_id INTEGER REFERENCES t{b} (id)")
        };
        return format!(
            "-- table {i}\nCREATE TABLE t{i} (\n    id SERIAL PRIMARY KEY,\n    name TEXT NOT NULL,\n    \
             created_at TIMESTAMP NOT NULL DEFAULT now(),\n    {fks}\n);\n"
        );
    }
    let t = i % tables;
    match (i - tables) % 6 {
        0 => format!("CREATE INDEX t{t}_a_id_idx ON t{t} (a_id);\n"),
        1 => format!(
            "ALTER TABLE t{t} ADD COLUMN note_{i} VARCHAR(200);\nCOMMENT ON TABLE t{t} IS 'step {i}';\n"
        ),
        2 => format!(
            "CREATE FUNCTION touch_{i}() RETURNS trigger AS $$\nBEGIN\n  NEW.name := trim(NEW.name);\n  \
             RETURN NEW;\nEND;\n$$ LANGUAGE plpgsql;\n"
        ),
        3 => format!("CREATE INDEX ON t{t} (lower(name)) WHERE b_id IS NOT NULL;\n"),
        4 => format!("UPDATE t{t} SET name = 'x' WHERE id < 0;\n"),
        _ => format!(
            "ALTER TABLE t{t} RENAME COLUMN name TO name_{i};\nALTER TABLE t{t} RENAME COLUMN name_{i} TO name;\n"
        ),
    }
}
