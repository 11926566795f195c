//! A package's migration history: PostgreSQL DDL the way Diesel projects write it over the
//! years (tables with foreign keys, some indexed and some not, columns added, renamed and
//! dropped, indexes with and without `CONCURRENTLY`, backfills, triggers, comments), applied
//! to a [`Table`] model as it is written so that schema.rs and the code can be derived from
//! the final state.

use std::collections::HashSet;
use std::fmt::Write as _;

use super::model::{ColType, Column, ForeignKey, Index, Table};
use super::rng::Rng;
use super::words::{COLUMN_WORDS, TABLE_NOUNS};
use crate::gen_migrations::folder_name;

mod changes;

/// One migration folder.
#[derive(Debug, Clone)]
pub struct Migration {
    pub folder: String,
    pub up: String,
    pub down: String,
    /// Written with a `metadata.toml` saying `run_in_transaction = false`.
    pub no_transaction: bool,
}

#[derive(Debug, Default)]
pub struct History {
    pub tables: Vec<Table>,
    pub migrations: Vec<Migration>,
    /// Index and constraint names taken (PostgreSQL names them per schema).
    names: HashSet<String>,
    /// Foreign keys added by `ALTER TABLE` whose index a later migration adds.
    pending: Vec<(usize, String)>,
}

/// What the next migration does, and how often (out of the weights' sum).
#[derive(Debug, Clone, Copy)]
enum Kind {
    CreateTable,
    AddColumn,
    CreateIndex,
    AddForeignKey,
    Backfill,
    Trigger,
    AlterColumn,
    RenameColumn,
    DropColumn,
    DropIndex,
    Comment,
}

const KINDS: &[(Kind, u32)] = &[
    (Kind::CreateTable, 22),
    (Kind::AddColumn, 20),
    (Kind::CreateIndex, 14),
    (Kind::AddForeignKey, 8),
    (Kind::Backfill, 8),
    (Kind::Trigger, 4),
    (Kind::AlterColumn, 6),
    (Kind::RenameColumn, 3),
    (Kind::DropColumn, 3),
    (Kind::DropIndex, 3),
    (Kind::Comment, 5),
];

/// The `k`-th table's name: `orders`, and `orders_3` once every noun is taken.
pub fn table_name(k: usize) -> String {
    let noun = TABLE_NOUNS[k % TABLE_NOUNS.len()];
    match k / TABLE_NOUNS.len() {
        0 => noun.to_owned(),
        n => format!("{noun}_{n}"),
    }
}

/// `count` migrations (the first creates a table).
pub fn generate(count: usize, rng: &mut Rng) -> History {
    let weights: Vec<u32> = KINDS.iter().map(|(_, w)| *w).collect();
    let mut h = History::default();
    for i in 0..count {
        let kind = if h.tables.is_empty() {
            Kind::CreateTable
        } else {
            KINDS[rng.weighted(&weights)].0
        };
        let t = rng.below(h.tables.len());
        let step = match kind {
            Kind::CreateTable => Some(h.create_table(rng)),
            Kind::AddColumn => None,
            Kind::CreateIndex => h.create_index(t, rng),
            Kind::AddForeignKey => h.add_foreign_key(t, rng),
            Kind::Backfill => h.backfill(t, rng),
            Kind::Trigger => h.trigger(t, rng),
            Kind::AlterColumn => h.alter_column(t, rng),
            Kind::RenameColumn => h.rename_column(t, rng),
            Kind::DropColumn => h.drop_column(t, rng),
            Kind::DropIndex => h.drop_index(t, rng),
            Kind::Comment => h.comment(t, rng),
        };
        // Adding a column is always possible: the fallback of a kind that does not apply.
        let (label, mut up, down, no_transaction) = match step {
            Some(s) => s,
            None => h.add_column(t, rng),
        };
        if !no_transaction && rng.chance(30) {
            up.insert_str(0, "-- Your SQL goes here\n");
        }
        h.migrations.push(Migration {
            folder: folder_name(i, &label),
            up,
            down,
            no_transaction,
        });
    }
    h
}

/// (folder label, up.sql, down.sql, outside a transaction)
pub(super) type Step = (String, String, String, bool);

impl History {
    /// A name not taken yet, at most 63 bytes (PostgreSQL's limit).
    fn fresh_name(&mut self, wanted: String, table: &str, suffix: &str) -> String {
        let base = if wanted.len() > 58 {
            format!("{table}_{suffix}")
        } else {
            wanted
        };
        let mut name = base.clone();
        let mut n = 1;
        while self.names.contains(&name) {
            n += 1;
            name = format!("{base}{n}");
        }
        self.names.insert(name.clone());
        name
    }

    /// A column name not in `table`, with its usual type.
    fn fresh_column(&self, table: &Table, rng: &mut Rng) -> (String, ColType) {
        let (word, ty) = *rng.pick(COLUMN_WORDS);
        let mut name = word.to_owned();
        let mut n = 1;
        while table.column(&name).is_some() {
            n += 1;
            name = format!("{word}_{n}");
        }
        (name, ty)
    }

    fn create_table(&mut self, rng: &mut Rng) -> Step {
        let name = table_name(self.tables.len());
        let mut table = Table {
            name: name.clone(),
            columns: vec![Column {
                name: "id".into(),
                ty: ColType::BigSerial,
                nullable: false,
            }],
            fks: Vec::new(),
            indexes: Vec::new(),
            has_trigger: false,
        };
        let mut lines = vec!["    id BIGSERIAL PRIMARY KEY".to_owned()];
        let fk_count = [0, 1, 1, 1, 1, 2, 2][rng.below(7)].min(self.tables.len());
        for _ in 0..fk_count {
            let parent = self.tables[rng.below(self.tables.len())].name.clone();
            let column = format!("{}_id", super::model::singular(&parent));
            if table.references(&parent) || table.column(&column).is_some() {
                continue;
            }
            let nullable = rng.chance(25);
            let on_delete = if rng.chance(40) {
                " ON DELETE CASCADE"
            } else {
                ""
            };
            let not_null = if nullable { "" } else { " NOT NULL" };
            lines.push(format!(
                "    {column} BIGINT{not_null} REFERENCES {parent} (id){on_delete}"
            ));
            table.columns.push(Column {
                name: column.clone(),
                ty: ColType::BigInt,
                nullable,
            });
            table.fks.push(ForeignKey { column, parent });
        }
        for _ in 0..2 + rng.below(4) {
            let (column, ty) = self.fresh_column(&table, rng);
            let nullable = rng.chance(40);
            let constraint = match (nullable, rng.chance(30)) {
                (true, _) => String::new(),
                (false, false) => " NOT NULL".to_owned(),
                (false, true) => format!(" NOT NULL DEFAULT {}", ty.default_sql()),
            };
            lines.push(format!("    {column} {}{constraint}", ty.sql()));
            table.columns.push(Column {
                name: column,
                ty,
                nullable,
            });
        }
        for stamp in ["created_at", "updated_at"] {
            lines.push(format!("    {stamp} TIMESTAMPTZ NOT NULL DEFAULT now()"));
            table.columns.push(Column {
                name: stamp.into(),
                ty: ColType::Timestamptz,
                nullable: false,
            });
        }
        let mut up = format!("CREATE TABLE {name} (\n{}\n);\n", lines.join(",\n"));
        // A new table is empty: its indexes need no CONCURRENTLY.
        let fks: Vec<String> = table.fks.iter().map(|f| f.column.clone()).collect();
        for column in fks {
            if rng.chance(75) {
                let index = self.fresh_name(format!("{name}_{column}_idx"), &name, "fk_idx");
                let _ = writeln!(up, "CREATE INDEX {index} ON {name} ({column});");
                table.indexes.push(Index {
                    name: index,
                    columns: vec![column],
                    partial: false,
                    unique: false,
                    for_fk: true,
                });
            } else if rng.chance(30) {
                self.pending.push((self.tables.len(), column));
            }
        }
        let unique = table
            .columns
            .iter()
            .find(|c| matches!(c.ty, ColType::Varchar | ColType::Uuid) && !c.nullable)
            .map(|c| c.name.clone());
        if let Some(column) = unique.filter(|_| rng.chance(30)) {
            let index = self.fresh_name(format!("{name}_{column}_key"), &name, "key");
            let _ = writeln!(up, "CREATE UNIQUE INDEX {index} ON {name} ({column});");
            table.indexes.push(Index {
                name: index,
                columns: vec![column],
                partial: false,
                unique: true,
                for_fk: false,
            });
        }
        self.tables.push(table);
        (
            format!("create_{name}"),
            up,
            format!("DROP TABLE {name};\n"),
            false,
        )
    }

    fn add_column(&mut self, t: usize, rng: &mut Rng) -> Step {
        let count = if rng.chance(20) { 2 } else { 1 };
        let name = self.tables[t].name.clone();
        let mut adds = Vec::new();
        let mut drops = Vec::new();
        for _ in 0..count {
            let (column, ty) = self.fresh_column(&self.tables[t], rng);
            let nullable = rng.chance(75);
            let tail = if nullable {
                String::new()
            } else {
                format!(" NOT NULL DEFAULT {}", ty.default_sql())
            };
            let if_not_exists = if rng.chance(5) { "IF NOT EXISTS " } else { "" };
            adds.push(format!(
                "ADD COLUMN {if_not_exists}{column} {}{tail}",
                ty.sql()
            ));
            drops.push(format!("DROP COLUMN {column}"));
            self.tables[t].columns.push(Column {
                name: column,
                ty,
                nullable,
            });
        }
        let first = self.tables[t].columns[self.tables[t].columns.len() - count]
            .name
            .clone();
        (
            format!("add_{first}_to_{name}"),
            if count == 1 {
                format!("ALTER TABLE {name} {};\n", adds[0])
            } else {
                format!("ALTER TABLE {name}\n    {};\n", adds.join(",\n    "))
            },
            format!("ALTER TABLE {name} {};\n", drops.join(", ")),
            false,
        )
    }

    fn create_index(&mut self, t: usize, rng: &mut Rng) -> Option<Step> {
        let (t, columns, partial, unique, for_fk) = if !self.pending.is_empty() && rng.chance(50) {
            let (t, column) = self.pending.swap_remove(rng.below(self.pending.len()));
            (t, vec![column], None, false, true)
        } else {
            let table = &self.tables[t];
            let candidates: Vec<&Column> = table.columns.iter().skip(1).collect();
            let column = (*rng.pick(&candidates)).clone();
            let mut columns = vec![column.name.clone()];
            if column.name != "created_at" && rng.chance(20) {
                columns.push("created_at".to_owned());
            }
            let partial = (column.nullable && rng.chance(25))
                .then(|| format!(" WHERE {} IS NOT NULL", column.name));
            let unique = matches!(column.ty, ColType::Varchar | ColType::Uuid)
                && columns.len() == 1
                && rng.chance(20);
            (t, columns, partial, unique, false)
        };
        let name = self.tables[t].name.clone();
        if for_fk && self.tables[t].fk_covered(&columns[0]) {
            return None;
        }
        let suffix = if unique { "key" } else { "idx" };
        let index = self.fresh_name(
            format!("{name}_{}_{suffix}", columns.join("_")),
            &name,
            suffix,
        );
        let concurrently = rng.chance(50);
        let unique_kw = if unique { "UNIQUE " } else { "" };
        let (conc, if_not_exists) = if concurrently {
            (
                "CONCURRENTLY ",
                if rng.chance(50) { "IF NOT EXISTS " } else { "" },
            )
        } else {
            ("", "")
        };
        let up = format!(
            "CREATE {unique_kw}INDEX {conc}{if_not_exists}{index} ON {name} ({}){};\n",
            columns.join(", "),
            partial.as_deref().unwrap_or("")
        );
        self.tables[t].indexes.push(Index {
            name: index.clone(),
            columns,
            partial: partial.is_some(),
            unique,
            for_fk,
        });
        Some((
            format!("index_{index}"),
            up,
            format!("DROP INDEX {conc}IF EXISTS {index};\n"),
            concurrently,
        ))
    }

    fn add_foreign_key(&mut self, t: usize, rng: &mut Rng) -> Option<Step> {
        let p = rng.below(self.tables.len());
        let (child, parent) = (&self.tables[t], &self.tables[p]);
        let column = format!("{}_id", super::model::singular(&parent.name));
        if p == t || child.references(&parent.name) || child.column(&column).is_some() {
            return None;
        }
        let (name, parent) = (child.name.clone(), parent.name.clone());
        let up = if rng.chance(50) {
            format!("ALTER TABLE {name} ADD COLUMN {column} BIGINT REFERENCES {parent} (id);\n")
        } else {
            let constraint = self.fresh_name(format!("{name}_{column}_fkey"), &name, "fkey");
            format!(
                "ALTER TABLE {name} ADD COLUMN {column} BIGINT;\n\
                 ALTER TABLE {name} ADD CONSTRAINT {constraint}\n    \
                 FOREIGN KEY ({column}) REFERENCES {parent} (id) NOT VALID;\n\
                 ALTER TABLE {name} VALIDATE CONSTRAINT {constraint};\n"
            )
        };
        let table = &mut self.tables[t];
        table.columns.push(Column {
            name: column.clone(),
            ty: ColType::BigInt,
            nullable: true,
        });
        table.fks.push(ForeignKey {
            column: column.clone(),
            parent,
        });
        if rng.chance(50) {
            self.pending.push((t, column.clone()));
        }
        Some((
            format!("add_{column}_to_{name}"),
            up,
            format!("ALTER TABLE {name} DROP COLUMN {column};\n"),
            false,
        ))
    }
}
