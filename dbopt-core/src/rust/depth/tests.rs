use super::*;
use crate::rust::Options;
use crate::rust::package::{FileAnalysis, FileInput, analyse_file};
use crate::source::FileId;

fn depth(text: &str) -> usize {
    let tokens: TokenStream = text.parse().expect("lexes");
    measure(&tokens, usize::MAX).expect("no limit")
}

/// `analyse_file` on a thread with `stack_mib` of stack: an overflow aborts the test binary.
fn analyse_on_thread(text: String, stack_mib: usize) -> FileAnalysis {
    std::thread::Builder::new()
        .stack_size(stack_mib << 20)
        .spawn(move || {
            analyse_file(
                FileInput {
                    id: FileId(0),
                    text: &text,
                    module_path: &[],
                },
                &Options::default(),
            )
        })
        .expect("spawn")
        .join()
        .expect("no panic")
}

/// Every form syn recurses on: text before, the repeated part, text in the middle, the part
/// that closes each repetition, text after.
const FORMS: &[[&str; 5]] = &[
    ["fn f() { let x = ", "(", "1", ")", "; }"],
    ["fn f() ", "{ ", "", "}", ""],
    ["fn f() { let x = ", "[", "1", "]", "; }"],
    ["mod m ", "{ mod m ", "{}", "}", ""],
    ["type A = ", "Vec<", "u8", ">", ";"],
    ["type A = ", "& ", "u8", "", ";"],
    ["type A = ", "fn() -> ", "u8", "", ";"],
    ["fn f() { let x = ", "!", "true", "", "; }"],
    ["fn f() { let x = ", "- ", "1", "", "; }"],
    ["fn f() { let x = ", "|| ", "1", "", "; }"],
    ["fn f() { ", "a = ", "1", "", "; }"],
    ["fn f() { ", "return ", "1", "", "; }"],
    ["fn f() { let x = 1", " + 1", "", "", "; }"],
    ["fn f() { let x = y", ".m()", "", "", "; }"],
    ["fn f() { let x = y", "?", "", "", "; }"],
    ["fn f() { let x = y", "()", "", "", "; }"],
    ["fn f() { let x = y", "[0]", "", "", "; }"],
    ["fn f() { let x = y", ".f", "", "", "; }"],
    ["async fn f() { let x = y", ".await", "", "", "; }"],
    ["fn f() { let x = y", "?.m()", "", "", "; }"],
    ["fn f() { if a {} ", "else if a {} ", "", "", "}"],
    ["fn f() { let x = 1", " as u8", "", "", "; }"],
];

fn form(f: &[&str; 5], n: usize) -> String {
    let [head, repeated, middle, closing, tail] = *f;
    format!(
        "{head}{}{middle}{}{tail}\n",
        repeated.repeat(n),
        closing.repeat(n)
    )
}

/// The largest repetition count that [`MAX_NESTING`] accepts.
fn deepest_accepted(f: &[&str; 5]) -> usize {
    let accepted = |n: usize| depth(&form(f, n)) <= MAX_NESTING;
    let (mut lo, mut hi) = (1, 2);
    while accepted(hi) {
        lo = hi;
        hi *= 2;
    }
    while hi - lo > 1 {
        let mid = (lo + hi) / 2;
        if accepted(mid) { lo = mid } else { hi = mid }
    }
    lo
}

#[test]
fn the_forms_parse_when_shallow() {
    for f in FORMS {
        let text = form(f, 3);
        assert!(
            syn::parse_file(&text).is_ok(),
            "{text}: {:?}",
            syn::parse_file(&text).err()
        );
    }
}

/// Each form at the deepest nesting the guard accepts is analysed on an 8 MiB thread in a
/// debug build (the test profile): the limit is safe. 100,000 repetitions are rejected
/// with the message, at a token inside the repetitions, without overflowing a 2 MiB thread.
#[test]
fn deep_input_is_rejected_and_the_deepest_accepted_is_analysed_without_overflow() {
    for f in FORMS {
        let [head, repeated, ..] = *f;
        let n = deepest_accepted(f);
        assert!(n >= 3, "{repeated:?}: only {n} accepted");
        let analysis = analyse_on_thread(form(f, n), 8);
        assert_eq!(analysis.parse_error, None, "{repeated:?} x {n}");

        let text = form(f, 100_000);
        let analysis = analyse_on_thread(text.clone(), 2);
        let error = analysis.parse_error.expect("rejected");
        assert_eq!(
            error.message,
            "nesting deeper than 256 levels; not analysed"
        );
        let at = error.span.range.start;
        assert!(
            at >= head.len() && at < head.len() + repeated.len() * 100_000,
            "{repeated:?}: at {at}"
        );
        assert!(analysis.diagnostics.is_empty());
    }
}

#[test]
fn brackets_in_strings_comments_and_char_literals_do_not_nest() {
    let text = |open: &str| {
        format!(
            "// {open}\n/* {open} /* nested */ {open} */\nconst A: &str = \"{open}\";\n\
             const B: &str = r#\"{open}\"#;\nconst C: char = '(';\nconst D: u8 = b'[';\n\
             fn f<'a>(x: &'a str) -> &'a str {{ x }}\n/// {open}\nstruct S;\n"
        )
    };
    assert_eq!(depth(&text(&"(".repeat(10_000))), depth(&text("")));
}

/// Long flat code is not nesting: thousands of items, statements, `if a < b {}`, match arms,
/// pattern alternatives (generated unicode tables have 40,000 in one arm), an else-if chain.
#[test]
fn wide_code_is_not_nesting() {
    let items: String = (0..5_000)
        .map(|i| format!("/// doc\n#[inline]\npub fn f{i}(a: &u8) -> Option<Vec<u8>> {{ None }}\n"))
        .collect();
    assert!(depth(&items) < 32, "{}", depth(&items));
    let statements: String = (0..5_000)
        .map(|i| format!("let x{i} = a.b(c)? + 1;\nif a < b {{ f(); }}\nfor x in y {{}}\n"))
        .collect();
    let body = format!("fn f() {{ {statements} }}");
    assert!(depth(&body) < 32, "{}", depth(&body));
    let arms: String = (0..5_000).map(|i| format!("{i} => {{ f() }}\n")).collect();
    let alternatives: String = (0..40_000)
        .map(|i| format!("| -{i} | {i}..={i} "))
        .collect();
    let matches = format!("fn f() {{ match x {{ {arms} 0 {alternatives} => true, _ => false }} }}");
    assert!(depth(&matches) < 32, "{}", depth(&matches));
    let chain = format!(
        "fn f() {{ if a {{}} {} else {{}} }}",
        "else if a {} ".repeat(1_000)
    );
    assert!(depth(&chain) < 64, "{}", depth(&chain));
}

/// The guard's calibration: every Rust file of this repository stays below half the limit.
#[test]
fn this_repositorys_code_is_far_below_the_limit() {
    fn files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("read_dir").flatten() {
            let path = entry.path();
            let name = entry.file_name();
            // Fuzz regressions are deep on purpose; `target` and hidden folders are not ours.
            if name == "target" || name == "regressions" || name.to_string_lossy().starts_with('.')
            {
                continue;
            }
            if entry.file_type().expect("file type").is_dir() {
                files(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut all = Vec::new();
    files(&root, &mut all);
    assert!(all.len() > 100, "{}", all.len());
    for path in all {
        let text = std::fs::read_to_string(&path).expect("read");
        let Ok(tokens) = text.parse::<TokenStream>() else {
            continue; // UI test cases that do not lex on purpose
        };
        let d = measure(&tokens, usize::MAX).expect("no limit");
        assert!(d < MAX_NESTING / 2, "{}: {d}", path.display());
    }
    proc_macro2::extra::invalidate_current_thread_spans();
}

/// The owned guard agrees with [`measure`] at the limit of every form, rejects at the same
/// token, and gives the tokens back unchanged.
#[test]
fn the_owned_guard_agrees_with_measure_and_gives_the_tokens_back() {
    for f in FORMS {
        let n = deepest_accepted(f);
        for (n, accepted) in [(n, true), (n + 1, false)] {
            let tokens: TokenStream = form(f, n).parse().expect("lexes");
            let measured = measure(&tokens, MAX_NESTING);
            match check_owned(tokens.clone()) {
                Ok(back) => {
                    assert!(accepted && measured.is_ok(), "{f:?} x {n}");
                    assert_eq!(back.to_string(), tokens.to_string());
                }
                Err(e) => {
                    assert!(!accepted, "{f:?} x {n}");
                    let at = measured.expect_err("measure rejects too");
                    assert_eq!(e.span().byte_range(), at.byte_range(), "{f:?} x {n}");
                }
            }
        }
    }
}
