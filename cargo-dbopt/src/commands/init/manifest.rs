//! The two edits `cargo dbopt init` makes to a Cargo.toml, on a toml_edit document so every
//! other byte of the file (comments, order, inline tables, whitespace) stays as it was.

use dbopt_core::rules::RULES;
use toml_edit::{DocumentMut, InlineTable, Item, Table, Value};

/// Where the dbopt configuration goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// `[workspace.metadata.dbopt]`, in a workspace's root manifest.
    Workspace,
    /// `[package.metadata.dbopt]`, in a single-package project.
    Package,
}

impl Scope {
    pub fn header(self) -> &'static str {
        match self {
            Scope::Workspace => "[workspace.metadata.dbopt]",
            Scope::Package => "[package.metadata.dbopt]",
        }
    }

    fn root_key(self) -> &'static str {
        match self {
            Scope::Workspace => "workspace",
            Scope::Package => "package",
        }
    }
}

/// How the `dbopt-macros` dependency is written, as `cargo add` writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DependencyForm {
    /// `dbopt-macros = "0.1.0"`.
    Version(String),
    /// `dbopt-macros = { workspace = true }`: the workspace's `[workspace.dependencies]` has it.
    Workspace,
}

pub const MACROS: &str = "dbopt-macros";

const RULES_COMMENT: &str = "# Levels: \"allow\", \"warn\" or \"deny\". `cargo dbopt explain RULE` documents a rule;\n\
     # `cargo dbopt rules` shows the levels in effect and where each was set.\n";

const START_AFTER_COMMENT: &str =
    "# the migration rules judge only later migrations (the newest when `init` ran)";

/// Adds the dbopt table: `start_after = "<version>"` when given (the newest migration), and
/// every rule at its default level. `Ok(false)` when a `dbopt` table is already there (it is
/// left as it is, keys and all).
pub fn add_config(
    doc: &mut DocumentMut,
    scope: Scope,
    start_after: Option<&str>,
) -> Result<bool, String> {
    let end = next_position(doc);
    let key = scope.root_key();
    let Some(top) = doc.as_table_mut().get_mut(key) else {
        return Err(format!("the manifest has no `[{key}]` table"));
    };
    if let Some(inline) = top.as_inline_table_mut()
        && !inline.contains_key("metadata")
    {
        append_inline(inline, "metadata", Value::InlineTable(InlineTable::new()));
    }
    let Some(top) = top.as_table_like_mut() else {
        return Err(format!("`{key}` is not a table"));
    };
    if !top.contains_key("metadata") {
        let mut t = Table::new();
        t.set_implicit(true);
        top.insert("metadata", Item::Table(t));
    }
    let Some(metadata) = top.get_mut("metadata") else {
        return Err(format!("`{key}.metadata` is missing"));
    };
    if let Some(inline) = metadata.as_inline_table_mut() {
        if inline.contains_key("dbopt") {
            return Ok(false);
        }
        // An inline table cannot hold comments or table headers: a one-line table.
        let mut rules = InlineTable::new();
        for rule in RULES {
            rules.insert(rule.name, Value::from(rule.default_level.as_str()));
        }
        let mut dbopt = InlineTable::new();
        if let Some(version) = start_after {
            dbopt.insert("start_after", Value::from(version));
        }
        dbopt.insert("rules", Value::InlineTable(rules));
        append_inline(inline, "dbopt", Value::InlineTable(dbopt));
        return Ok(true);
    }
    let Some(metadata) = metadata.as_table_like_mut() else {
        return Err(format!("`{key}.metadata` is not a table"));
    };
    if metadata.contains_key("dbopt") {
        return Ok(false);
    }
    let mut dbopt = Table::new();
    dbopt.set_position(Some(end));
    dbopt.decor_mut().set_prefix("\n");
    if let Some(version) = start_after {
        let mut value = Value::from(version);
        value
            .decor_mut()
            .set_suffix(format!("  {START_AFTER_COMMENT}"));
        dbopt.insert("start_after", Item::Value(value));
    }
    let mut rules = Table::new();
    rules.set_position(Some(end + 1));
    rules.decor_mut().set_prefix(format!("\n{RULES_COMMENT}"));
    let width = RULES.iter().map(|r| r.name.len()).max().unwrap_or(0);
    for rule in RULES {
        let level = rule.default_level.as_str();
        let mut value = Value::from(level);
        // Aligned comments: `name = "warn"  # summary`.
        let pad = width - rule.name.len() + "allow".len() - level.len();
        value
            .decor_mut()
            .set_suffix(format!("{} # {}", " ".repeat(pad), rule.summary));
        rules.insert(rule.name, Item::Value(value));
    }
    dbopt.insert("rules", Item::Table(rules));
    metadata.insert("dbopt", Item::Table(dbopt));
    Ok(true)
}

/// Appends `key = value` to an inline table, written as the other entries are: the space
/// before the closing brace moves after the new entry, so `{ a = 1 }` becomes
/// `{ a = 1, key = value }` and every other byte stays.
fn append_inline(table: &mut InlineTable, key: &str, mut value: Value) {
    let mut closing = None;
    if let Some((_, last)) = table.iter_mut().last() {
        closing = last
            .decor()
            .suffix()
            .and_then(|s| s.as_str())
            .map(str::to_owned);
        last.decor_mut().set_suffix("");
    }
    value.decor_mut().set_prefix(" ");
    value
        .decor_mut()
        .set_suffix(closing.unwrap_or_else(|| " ".to_owned()));
    table.insert(key, value);
}

/// The position after every table of the document, so new tables go to the end.
fn next_position(doc: &DocumentMut) -> isize {
    fn max_in(table: &Table, max: &mut isize) {
        if let Some(p) = table.position() {
            *max = (*max).max(p);
        }
        for (_, item) in table.iter() {
            if let Some(t) = item.as_table() {
                max_in(t, max);
            } else if let Some(array) = item.as_array_of_tables() {
                for t in array.iter() {
                    max_in(t, max);
                }
            }
        }
    }
    let mut max = 0;
    max_in(doc.as_table(), &mut max);
    max + 1
}

/// Adds `dbopt-macros` to `[dependencies]` the way `cargo add dbopt-macros` does: into the
/// existing table (inline or not), kept sorted when it was sorted, or a new `[dependencies]`
/// table at the end. `Ok(false)` when the package already depends on it.
pub fn add_dependency(doc: &mut DocumentMut, form: &DependencyForm) -> Result<bool, String> {
    let end = next_position(doc);
    let root = doc.as_table_mut();
    if !root.contains_key("dependencies") {
        let mut table = Table::new();
        table.set_position(Some(end));
        table.decor_mut().set_prefix("\n");
        root.insert("dependencies", Item::Table(table));
    }
    let Some(deps) = root
        .get_mut("dependencies")
        .and_then(Item::as_table_like_mut)
    else {
        return Err("`dependencies` is not a table".to_owned());
    };
    if deps.contains_key(MACROS) || deps.contains_key("dbopt_macros") {
        return Ok(false);
    }
    let was_sorted = deps
        .iter()
        .map(|(k, _)| k)
        .collect::<Vec<_>>()
        .windows(2)
        .all(|w| w[0] <= w[1]);
    let value = match form {
        DependencyForm::Version(v) => Value::from(v.as_str()),
        DependencyForm::Workspace => {
            let mut t = InlineTable::new();
            t.insert("workspace", Value::from(true));
            Value::InlineTable(t)
        }
    };
    deps.insert(MACROS, Item::Value(value));
    if was_sorted {
        deps.sort_values();
    }
    Ok(true)
}
