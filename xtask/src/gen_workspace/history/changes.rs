//! The migrations that change what exists: data migrations, triggers, column changes,
//! renames, drops and comments.

use std::fmt::Write as _;

use super::{History, Step};
use crate::gen_workspace::model::ColType;
use crate::gen_workspace::rng::Rng;
use crate::gen_workspace::words::COLUMN_WORDS;

impl History {
    /// A data migration: a backfill (then `SET NOT NULL`), a purge, or an update through a
    /// foreign key.
    pub(super) fn backfill(&mut self, t: usize, rng: &mut Rng) -> Option<Step> {
        let irreversible = "-- This migration cannot be reverted.\nSELECT 1;\n".to_owned();
        let name = self.tables[t].name.clone();
        let nullable: Vec<usize> = self.tables[t]
            .columns
            .iter()
            .enumerate()
            .filter(|(_, c)| c.nullable && !self.tables[t].is_fk(&c.name))
            .map(|(i, _)| i)
            .collect();
        let choice = rng.below(3);
        if choice == 0 && !nullable.is_empty() {
            let column = &mut self.tables[t].columns[*rng.pick(&nullable)];
            let mut up = format!(
                "UPDATE {name} SET {0} = {1} WHERE {0} IS NULL;\n",
                column.name,
                column.ty.default_sql()
            );
            if rng.chance(50) {
                column.nullable = false;
                let _ = writeln!(
                    up,
                    "ALTER TABLE {name} ALTER COLUMN {} SET NOT NULL;",
                    column.name
                );
            }
            return Some((
                format!("backfill_{name}_{}", column.name),
                up,
                irreversible,
                false,
            ));
        }
        if let Some(fk) = self.tables[t].fks.first().filter(|_| choice == 1) {
            let up = format!(
                "UPDATE {name}\nSET updated_at = now()\nWHERE {} IN (\n    SELECT id FROM {} \
                 WHERE created_at > now() - INTERVAL '30 days'\n);\n",
                fk.column, fk.parent
            );
            return Some((format!("touch_recent_{name}"), up, irreversible, false));
        }
        let up = format!("DELETE FROM {name} WHERE created_at < now() - INTERVAL '2 years';\n");
        Some((format!("purge_old_{name}"), up, irreversible, false))
    }

    /// `updated_at` maintained by a trigger: diesel's helper from its setup migration, or a
    /// function of the table's own.
    pub(super) fn trigger(&mut self, t: usize, rng: &mut Rng) -> Option<Step> {
        let table = &mut self.tables[t];
        if table.has_trigger {
            return None;
        }
        table.has_trigger = true;
        let name = &table.name;
        if rng.chance(50) {
            return Some((
                format!("{name}_updated_at_trigger"),
                format!("SELECT diesel_manage_updated_at('{name}');\n"),
                format!("DROP TRIGGER IF EXISTS set_updated_at ON {name};\n"),
                false,
            ));
        }
        let up = format!(
            "CREATE OR REPLACE FUNCTION {name}_set_updated_at() RETURNS trigger AS $$\n\
             BEGIN\n    NEW.updated_at := now();\n    RETURN NEW;\nEND;\n$$ LANGUAGE plpgsql;\n\n\
             CREATE TRIGGER {name}_set_updated_at BEFORE UPDATE ON {name}\n    \
             FOR EACH ROW EXECUTE FUNCTION {name}_set_updated_at();\n"
        );
        let down = format!(
            "DROP TRIGGER IF EXISTS {name}_set_updated_at ON {name};\n\
             DROP FUNCTION IF EXISTS {name}_set_updated_at();\n"
        );
        Some((format!("{name}_updated_at_trigger"), up, down, false))
    }

    /// A column of table `t` that a migration may rename, drop or retype.
    fn pick_plain(&self, t: usize, rng: &mut Rng) -> Option<String> {
        let plain = self.tables[t].plain_columns();
        (!plain.is_empty()).then(|| plain[rng.below(plain.len())].name.clone())
    }

    pub(super) fn alter_column(&mut self, t: usize, rng: &mut Rng) -> Option<Step> {
        let name = self.tables[t].name.clone();
        let column_name = self.pick_plain(t, rng)?;
        let table = &mut self.tables[t];
        let column = table.columns.iter_mut().find(|c| c.name == column_name)?;
        let c = &column.name;
        let (up, down) = match (column.ty, column.nullable) {
            (ColType::Varchar, _) if rng.chance(50) => {
                column.ty = ColType::Text;
                (
                    format!("ALTER TABLE {name} ALTER COLUMN {c} TYPE TEXT;\n"),
                    format!("ALTER TABLE {name} ALTER COLUMN {c} TYPE VARCHAR(255);\n"),
                )
            }
            (ColType::Int, _) if rng.chance(50) => {
                column.ty = ColType::BigInt;
                (
                    format!("ALTER TABLE {name} ALTER COLUMN {c} TYPE BIGINT;\n"),
                    format!("ALTER TABLE {name} ALTER COLUMN {c} TYPE INTEGER;\n"),
                )
            }
            (_, false) => {
                column.nullable = true;
                (
                    format!("ALTER TABLE {name} ALTER COLUMN {c} DROP NOT NULL;\n"),
                    format!("ALTER TABLE {name} ALTER COLUMN {c} SET NOT NULL;\n"),
                )
            }
            (ty, true) => (
                format!(
                    "ALTER TABLE {name} ALTER COLUMN {c} SET DEFAULT {};\n",
                    ty.default_sql()
                ),
                format!("ALTER TABLE {name} ALTER COLUMN {c} DROP DEFAULT;\n"),
            ),
        };
        Some((format!("alter_{name}_{c}"), up, down, false))
    }

    pub(super) fn rename_column(&mut self, t: usize, rng: &mut Rng) -> Option<Step> {
        let old = self.pick_plain(t, rng)?;
        let ty = self.tables[t].column(&old)?.ty;
        // A name that suits the type: `note` may become `summary`, never `paid_at`.
        let same: Vec<&str> = COLUMN_WORDS
            .iter()
            .filter(|(w, wt)| *wt == ty && self.tables[t].column(w).is_none())
            .map(|(w, _)| *w)
            .collect();
        let new = if same.is_empty() {
            format!("{old}_v2")
        } else {
            same[rng.below(same.len())].to_owned()
        };
        if self.tables[t].column(&new).is_some() {
            return None;
        }
        let table = &mut self.tables[t];
        table.columns.iter_mut().find(|c| c.name == old)?.name = new.clone();
        let name = &table.name;
        Some((
            format!("rename_{name}_{old}"),
            format!("ALTER TABLE {name} RENAME COLUMN {old} TO {new};\n"),
            format!("ALTER TABLE {name} RENAME COLUMN {new} TO {old};\n"),
            false,
        ))
    }

    pub(super) fn drop_column(&mut self, t: usize, rng: &mut Rng) -> Option<Step> {
        let column = self.pick_plain(t, rng)?;
        let table = &mut self.tables[t];
        let at = table.columns.iter().position(|c| c.name == column)?;
        let removed = table.columns.remove(at);
        let name = &table.name;
        let null = if removed.nullable {
            ""
        } else {
            " NOT NULL DEFAULT "
        };
        let default = if removed.nullable {
            ""
        } else {
            removed.ty.default_sql()
        };
        Some((
            format!("drop_{name}_{column}"),
            format!("ALTER TABLE {name} DROP COLUMN {column};\n"),
            format!(
                "ALTER TABLE {name} ADD COLUMN {column} {}{null}{default};\n",
                removed.ty.sql()
            ),
            false,
        ))
    }

    pub(super) fn drop_index(&mut self, t: usize, rng: &mut Rng) -> Option<Step> {
        let table = &mut self.tables[t];
        let droppable: Vec<usize> = (0..table.indexes.len())
            .filter(|&i| !table.indexes[i].for_fk)
            .collect();
        let index = table
            .indexes
            .remove(*droppable.get(rng.below(droppable.len()))?);
        let concurrently = rng.chance(50);
        let conc = if concurrently { "CONCURRENTLY " } else { "" };
        let columns = index.columns.join(", ");
        let where_clause = if index.partial {
            format!(" WHERE {} IS NOT NULL", index.columns[0])
        } else {
            String::new()
        };
        let kind = if index.unique {
            "UNIQUE INDEX"
        } else {
            "INDEX"
        };
        Some((
            format!("drop_{}", index.name),
            format!("DROP INDEX {conc}IF EXISTS {};\n", index.name),
            format!(
                "CREATE {kind} {conc}{} ON {} ({columns}){where_clause};\n",
                index.name, table.name
            ),
            concurrently,
        ))
    }

    pub(super) fn comment(&mut self, t: usize, rng: &mut Rng) -> Option<Step> {
        let table = &self.tables[t];
        let name = &table.name;
        let up = if rng.chance(50) {
            format!("COMMENT ON TABLE {name} IS 'Rows of {name}; see docs/data-model.md.';\n")
        } else {
            let column = &rng.pick(&table.columns).name;
            format!("COMMENT ON COLUMN {name}.{column} IS 'Set by the {name} service.';\n")
        };
        Some((
            format!("comment_{name}"),
            up,
            format!("COMMENT ON TABLE {name} IS NULL;\n"),
            false,
        ))
    }
}
