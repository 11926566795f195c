//! Statement splitting. PLACEHOLDER: parses the whole file at once; replaced by the
//! tokenizer-driven splitter (issue 2 §2 "SQL").

use crate::model::Backend;
use crate::sql::{SqlStatement, StatementKind};

/// Splits `text` into statements with byte ranges and parses each one.
pub fn split(text: &str, backend: Backend) -> Vec<SqlStatement> {
    let dialect: Box<dyn sqlparser::dialect::Dialect> = match backend {
        Backend::Postgres => Box::new(sqlparser::dialect::PostgreSqlDialect {}),
        Backend::Sqlite => Box::new(sqlparser::dialect::SQLiteDialect {}),
        Backend::Mysql => Box::new(sqlparser::dialect::MySqlDialect {}),
    };
    match sqlparser::parser::Parser::parse_sql(&*dialect, text) {
        Ok(stmts) => stmts
            .into_iter()
            .map(|s| SqlStatement {
                range: 0..text.len(),
                kind: StatementKind::Parsed(Box::new(s)),
            })
            .collect(),
        Err(e) => vec![SqlStatement {
            range: 0..text.len(),
            kind: StatementKind::Unparsed {
                message: e.to_string(),
                offset: None,
            },
        }],
    }
}
