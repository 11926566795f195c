//! diesel's `schema.rs` (`table!`, `joinable!`, `allow_tables_to_appear_in_same_query!`) read
//! with syn into the schema model.

use crate::model::{QualName, Schema};
use crate::source::{FileId, Span};

/// One parsed schema.rs file.
#[derive(Debug, Clone)]
pub struct SchemaFile {
    pub file: FileId,
    /// Tables with columns, types as written in Rust (`Nullable<Text>`), primary keys.
    pub schema: Schema,
    pub joinables: Vec<Joinable>,
    /// Each `allow_tables_to_appear_in_same_query!` group.
    pub same_query_groups: Vec<Vec<QualName>>,
}

/// `joinable!(child -> parent (fk_column));`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Joinable {
    pub child: QualName,
    pub parent: QualName,
    pub column: String,
    pub span: Span,
}
