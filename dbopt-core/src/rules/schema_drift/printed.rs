//! What print-schema wrote: schema.rs with its `patch_file` undone (with diffy, the patch
//! crate diesel_cli itself applies the patch with).

use serde_json::json;

use super::RULE;
use crate::diagnostic::{Diagnostic, Reporter};
use crate::schema_rs::{SchemaFile, SchemaRsInput, parse_schema_rs};
use crate::source::Span;
use crate::sql::SchemaContext;

/// The file as print-schema produced it: with its `patch_file` applied in reverse. `None`
/// means use the file itself (no patch, or one that does not apply, which is reported).
pub(in crate::rules) fn printed(
    ctx: &SchemaContext<'_>,
    file: &SchemaFile,
    out: &mut Reporter,
) -> Option<SchemaFile> {
    let patch_id = file.patch?;
    // Line endings may differ between a checkout and the patch (git's autocrlf): compare
    // without `\r`. Spans are mapped back by name, never by offset.
    let text = ctx.sources.text(file.file).replace("\r\n", "\n");
    let patch_text = ctx.sources.text(patch_id).replace("\r\n", "\n");
    let patch_path = ctx.sources.path(patch_id).display().to_string();
    let start = file
        .schema
        .tables
        .values()
        .map(|t| t.origin.span.clone())
        .min_by_key(|s| s.range.start)
        .unwrap_or_else(|| Span::new(file.file, 0..0));
    let problem = |message: String, out: &mut Reporter| {
        out.report(
            Diagnostic::new(&RULE, message, start.clone())
                .with_label("schema.rs is not print-schema's output with the patch applied")
                .with_help(format!(
                    "regenerate schema.rs with `diesel print-schema` and, if the patch is still \
                     wanted, recreate `{patch_path}` from the difference"
                ))
                .with_data(json!({"kind": "patch_does_not_apply", "patch_file": patch_path})),
        );
    };
    let patch = match diffy::Patch::from_str(&patch_text) {
        Ok(p) => p,
        Err(e) => {
            problem(format!("cannot read patch_file `{patch_path}`: {e}"), out);
            return None;
        }
    };
    let original = match diffy::apply(&text, &patch.reverse()) {
        Ok(t) => t,
        Err(e) => {
            problem(
                format!("patch_file `{patch_path}` does not apply to schema.rs in reverse ({e})"),
                out,
            );
            return None;
        }
    };
    let input = SchemaRsInput {
        file: file.file,
        path: ctx.sources.path(file.file),
        text: &original,
        default_schema: file.print_schema.as_ref().and_then(|s| s.schema.as_deref()),
        backend: ctx.backend,
    };
    match parse_schema_rs(input) {
        Ok(parsed) => Some(parsed),
        Err(e) => {
            problem(
                format!("schema.rs with `{patch_path}` undone does not parse: {e}"),
                out,
            );
            None
        }
    }
}
