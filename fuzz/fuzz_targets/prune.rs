//! Any UTF-8 text as a Rust file, through the scan's item pruning
//! (`rust::package::{analyse_file_pruned, analyse_left_out}`): no panic; the ranges of the
//! fns left out lie in the text on char boundaries; once every left-out fn is added back,
//! nothing is left out, and when the file parses whole the findings are exactly those of
//! `analyse_file` (what pruning leaves out for good, consts, statics, item macros and extern
//! blocks, never holds a finding).
#![no_main]

use dbopt_core::rust::Options;
use dbopt_core::rust::package::{
    FileAnalysis, FileInput, analyse_file, analyse_file_pruned, analyse_left_out,
};
use dbopt_core::source::FileId;
use dbopt_fuzz::check_range;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let input = FileInput {
        id: FileId(0),
        text,
        module_path: &[],
    };
    let options = Options::default();
    let whole = analyse_file(input, &options);
    // `conn` stands for the database words.
    let keep = |item: &str| item.contains("conn");
    let mut pruned = analyse_file_pruned(input, &options, Some(&keep));
    for r in &pruned.pruned {
        check_range(text, r, "left-out fn");
        assert!(!text[r.clone()].contains("conn"), "a kept fn was left out");
    }
    analyse_left_out(input, &options, &mut pruned, &|_| true);
    assert!(pruned.pruned.is_empty(), "{:?}", pruned.pruned);
    if whole.parse_error.is_none() {
        assert_eq!(pruned.parse_error, None);
        assert_eq!(findings(&pruned), findings(&whole));
    }
});

fn findings(a: &FileAnalysis) -> Vec<(&'static str, usize, usize, String)> {
    let mut v: Vec<_> = a
        .diagnostics
        .iter()
        .map(|d| {
            let r = &d.primary.span.range;
            (d.rule, r.start, r.end, d.message.clone())
        })
        .collect();
    v.sort();
    v
}
