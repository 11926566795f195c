//! `cargo dbopt check`'s source scan: the code rules over every fn of the selected packages,
//! annotated or not, with the engine `#[db_checked]` uses.
//!
//! Per package: find the files ([`files`]), then, spread over the thread pool the caller
//! installs, read each one, skip it when the text pre-check says it cannot touch a database
//! ([`prefilter`]), else analyse it (`dbopt_core::rust::package::analyse_file`: parse once,
//! check every fn, byte spans out). Skipped files that mention a fn of an analysed file that
//! may reach the database are analysed too, until no new one is found. Last, the package's
//! analyses are linked (`link`) into its findings. Packages run in parallel as well.
//!
//! Problems never stop the scan: an unreadable or non-UTF-8 file, or one that does not
//! parse, is one error naming the file (and, for a syntax error, its line), and every other
//! file is still analysed.

pub mod files;
pub mod prefilter;

use std::collections::HashSet;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use dbopt_core::diagnostic::{Diagnostic, Level};
use dbopt_core::project::ProjectError;
use dbopt_core::rust::Options;
use dbopt_core::rust::package::{
    FileAnalysis, FileInput, analyse_file_pruned, analyse_left_out, link,
};
use dbopt_core::rust::test_code;
use dbopt_core::source::{FileId, Span};
use rayon::prelude::*;

use self::files::RustFile;
use self::prefilter::{NameMatcher, Prefilter};

/// Stack size of the scan's threads: syn recurses on deeply nested code.
pub const STACK_SIZE: usize = 64 << 20;

/// A thread pool for [`scan`] with `jobs` threads (0: one per core) and a large stack.
pub fn thread_pool(jobs: usize) -> Result<rayon::ThreadPool, rayon::ThreadPoolBuildError> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .stack_size(STACK_SIZE)
        .thread_name(|i| format!("dbopt-scan-{i}"))
        .build()
}

/// One package to scan.
#[derive(Debug, Clone, Default)]
pub struct PackageInput {
    pub name: String,
    /// The crate root files (absolute) of the package's lib, bin and proc-macro targets.
    pub crate_roots: Vec<PathBuf>,
    /// The options every fn starts from (`#[db_checked(..)]` on items refines them).
    pub options: OptionsSpec,
    /// Words the pre-check adds to its own (configured handle types, accessors, macros).
    pub extra_words: Vec<String>,
    /// Tables small enough to load whole (`small_tables`): no `unbounded_load` on them.
    pub small_tables: Vec<String>,
}

/// The thread-safe parts of [`Options`] a package sets (`Options` holds spans, which stay on
/// their thread): built into an `Options` on each thread.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OptionsSpec {
    /// The level of every code rule (from the config and the command line).
    pub levels: Vec<(&'static str, Level)>,
    /// Extra handle names (configured `handle_types`).
    pub conn: Vec<String>,
    /// The server's `max_connections`.
    pub max_connections: Option<u64>,
    /// Project macros whose body runs with a connection, as paths.
    pub wrapper_macros: Vec<Vec<String>>,
    /// Macros and fns that run their body in a transaction, as paths.
    pub transaction_wrappers: Vec<Vec<String>>,
    /// Check test code too.
    pub include_tests: bool,
}

impl OptionsSpec {
    pub fn options(&self) -> Options {
        Options {
            levels: self.levels.clone(),
            conn: self.conn.clone(),
            max_connections: self.max_connections,
            wrapper_macros: self.wrapper_macros.clone(),
            transaction_wrappers: self.transaction_wrappers.clone(),
            include_tests: self.include_tests,
            ..Options::default()
        }
    }
}

impl From<&Options> for OptionsSpec {
    /// The package-wide parts of `options` (`config::Resolved::code_options`).
    fn from(options: &Options) -> Self {
        OptionsSpec {
            levels: options.levels.clone(),
            conn: options.conn.clone(),
            max_connections: options.max_connections,
            wrapper_macros: options.wrapper_macros.clone(),
            transaction_wrappers: options.transaction_wrappers.clone(),
            include_tests: options.include_tests,
        }
    }
}

/// How to scan.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Paths in messages are shown relative to this (the workspace root).
    pub display_root: PathBuf,
    /// Use the text pre-check (off: every file is parsed; the benchmark checks it loses
    /// nothing).
    pub precheck: bool,
    /// Analyse the skipped files that mention a database fn of an analysed file (off only in
    /// the benchmark, to measure what the pull-back costs; cross-function findings need it).
    pub pull_back: bool,
    /// Leave out the items of an analysed file that hold no database word (off only in the
    /// benchmark, to measure what it saves).
    pub prune: bool,
    /// The clock [`Stats`] times phases with: [`wall_clock`], or a thread CPU clock (the
    /// benchmark's, so a busy machine does not inflate the split).
    pub clock: fn() -> Duration,
}

impl Settings {
    /// The pre-check on, phases timed by [`wall_clock`].
    pub fn new(display_root: PathBuf) -> Self {
        Settings {
            display_root,
            precheck: true,
            pull_back: true,
            prune: true,
            clock: wall_clock,
        }
    }
}

/// Monotonic time since the first call.
pub fn wall_clock() -> Duration {
    static START: OnceLock<Instant> = OnceLock::new();
    START.get_or_init(Instant::now).elapsed()
}

/// A file the scan read.
#[derive(Debug, Clone)]
pub struct ScannedFile {
    /// As walked (absolute).
    pub path: PathBuf,
    /// Relative to [`Settings::display_root`] where it lies below it.
    pub shown: PathBuf,
    /// The file's module path in its crate (`["repo", "users"]`).
    pub module_path: Vec<String>,
    /// Kept only for the files a finding points into.
    pub text: Option<String>,
}

/// Counts and time per phase, summed over threads (so CPU time, not wall time).
#[derive(Debug, Clone, Copy, Default)]
pub struct Stats {
    pub files: usize,
    pub bytes: u64,
    /// Files the pre-check skipped and nothing pulled back.
    pub skipped: usize,
    pub skipped_bytes: u64,
    /// Files the pre-check skipped that mention a database fn, analysed after all.
    pub pulled_back: usize,
    /// Bytes of the items left out of analysed files (`analyse_file_pruned`).
    pub pruned_bytes: u64,
    /// Times fns left out of an analysed file were analysed after all, because they mention
    /// a database fn.
    pub unpruned: usize,
    pub parse_errors: usize,
    /// Files left out as test code.
    pub test_files: usize,
    /// Finding the files (walking the source roots).
    pub discover: Duration,
    pub read: Duration,
    pub precheck: Duration,
    pub analyse: Duration,
    pub link: Duration,
}

impl Stats {
    pub fn add(&mut self, o: &Stats) {
        self.files += o.files;
        self.bytes += o.bytes;
        self.skipped += o.skipped;
        self.skipped_bytes += o.skipped_bytes;
        self.pulled_back += o.pulled_back;
        self.pruned_bytes += o.pruned_bytes;
        self.unpruned += o.unpruned;
        self.parse_errors += o.parse_errors;
        self.test_files += o.test_files;
        self.discover += o.discover;
        self.read += o.read;
        self.precheck += o.precheck;
        self.analyse += o.analyse;
        self.link += o.link;
    }
}

/// The scan of one package.
#[derive(Debug, Default)]
pub struct PackageScan {
    /// Every file found, in path order; a [`FileId`] in `diagnostics` is an index here.
    pub files: Vec<ScannedFile>,
    /// The package's code findings, levels decided, in file order then source order.
    pub diagnostics: Vec<Diagnostic<Span>>,
    /// Files that could not be read or parsed, misused dbopt attributes.
    pub errors: Vec<ProjectError>,
    /// Whether at least one file was read and judged (parsed, or cleared by the pre-check).
    pub analysed: bool,
    pub stats: Stats,
}

/// Scans every package, in parallel, on the current rayon pool (see [`thread_pool`]).
///
/// Two phases: every package's files are read and analysed; then the transaction wrappers
/// any of them defines (`dbopt_core::rust::txn_wrappers`) are known to all of them, the files
/// that call one are analysed again with it, and each package is linked.
pub fn scan(packages: &[PackageInput], settings: &Settings) -> Vec<PackageScan> {
    let read: Vec<Read> = packages
        .par_iter()
        .map(|p| read_package(p, settings))
        .collect();
    let wrappers = transaction_wrappers(&read);
    read.into_par_iter()
        .zip(packages)
        .map(|(r, p)| finish_package(p, r, &wrappers, settings))
        .collect()
}

/// One package after its first pass.
struct Read {
    discovered: files::Discovered,
    slots: Vec<Slot>,
    stats: Stats,
}

/// The names of the transaction wrappers the scanned files define. Only files that mention
/// `transaction` are parsed for them; a file that does not parse defines none.
fn transaction_wrappers(read: &[Read]) -> Vec<String> {
    let mut names: Vec<String> = read
        .par_iter()
        .flat_map_iter(|r| r.slots.iter())
        .filter_map(|s| s.text.as_deref())
        .filter(|t| t.contains("transaction"))
        .flat_map_iter(|text| {
            std::panic::catch_unwind(AssertUnwindSafe(|| {
                dbopt_core::rust::package::transaction_wrappers(text)
            }))
            .unwrap_or_default()
        })
        .collect();
    names.sort();
    names.dedup();
    names
}

/// One file in progress.
#[derive(Default)]
struct Slot {
    /// The file's module path in its crate (`["repo", "users"]`), for call resolution.
    module_path: Vec<String>,
    text: Option<String>,
    analysis: Option<FileAnalysis>,
    skipped: bool,
    error: Option<ProjectError>,
    /// The message of a panic in the analysis (a bug).
    panic: Option<String>,
    stats: Stats,
}

fn read_package(package: &PackageInput, settings: &Settings) -> Read {
    let clock = settings.clock;
    let start = clock();
    let discovered = files::discover(&package.crate_roots);
    let discover = clock().saturating_sub(start);
    let shown = |p: &Path| shown_path(p, &settings.display_root);
    let prefilter = Prefilter::new(&package.extra_words);
    let precheck = settings.precheck.then_some(&prefilter);

    let mut slots: Vec<Slot> = discovered
        .files
        .par_iter()
        .enumerate()
        .map(|(i, f)| {
            let prune = settings.prune;
            first_pass(
                i,
                f,
                &shown(&f.path),
                precheck,
                prune,
                &package.options,
                clock,
            )
        })
        .collect();

    let mut stats = Stats {
        discover,
        ..Stats::default()
    };
    if settings.pull_back {
        let words = precheck.filter(|_| settings.prune);
        stats.precheck += pull_back(&mut slots, words, &package.options, clock);
    }
    for slot in slots.iter_mut().filter(|s| s.skipped) {
        slot.stats.skipped = 1;
        slot.stats.skipped_bytes = slot.stats.bytes;
    }
    Read {
        discovered,
        slots,
        stats,
    }
}

/// Re-analyses the files that call a transaction wrapper the package's options do not name
/// yet, drops the test files, and links the package.
fn finish_package(
    package: &PackageInput,
    read: Read,
    wrappers: &[String],
    settings: &Settings,
) -> PackageScan {
    let Read {
        discovered,
        mut slots,
        mut stats,
    } = read;
    let clock = settings.clock;
    let shown = |p: &Path| shown_path(p, &settings.display_root);
    let mut errors: Vec<ProjectError> = discovered
        .errors
        .iter()
        .map(|(path, e)| ProjectError {
            path: shown(path),
            message: format!("cannot read `{}`: {e}", shown(path).display()),
        })
        .collect();
    let new: Vec<&String> = wrappers
        .iter()
        .filter(|w| {
            !package
                .options
                .transaction_wrappers
                .iter()
                .any(|t| t.last() == Some(*w))
        })
        .collect();
    if !new.is_empty() {
        let mut options = package.options.clone();
        options
            .transaction_wrappers
            .extend(new.iter().map(|w| vec![(*w).clone()]));
        slots.par_iter_mut().enumerate().for_each(|(i, slot)| {
            let calls_one = slot.analysis.is_some()
                && slot
                    .text
                    .as_deref()
                    .is_some_and(|t| new.iter().any(|w| t.contains(w.as_str())));
            if calls_one && let Some(text) = slot.text.take() {
                analyse_into(slot, i, &text, &options, Parse::Whole, clock);
                slot.text = Some(text);
            }
        });
    }
    if !package.options.include_tests {
        leave_out_test_files(&mut slots, &discovered.files);
    }

    let mut analyses = Vec::new();
    let mut analysed = false;
    for (slot, file) in slots.iter_mut().zip(&discovered.files) {
        stats.add(&slot.stats);
        errors.extend(slot.error.take());
        analysed |= slot.skipped;
        if let Some(message) = slot.panic.take() {
            let path = shown(&file.path);
            errors.push(ProjectError {
                message: format!(
                    "internal error while checking `{}`: {message}; its fns were not checked \
                     (please report this bug)",
                    path.display()
                ),
                path,
            });
        }
        if let Some(a) = slot.analysis.take() {
            let path = shown(&file.path);
            let text = slot.text.as_deref().unwrap_or_default();
            if let Some(e) = &a.parse_error {
                stats.parse_errors += 1;
                let (line, column) = line_column(text, e.span.range.start);
                errors.push(ProjectError {
                    message: format!(
                        "cannot parse `{}` (line {line}, column {column}): {}; its fns were not \
                         checked",
                        path.display(),
                        parse_message(&e.message)
                    ),
                    path: path.clone(),
                });
            } else {
                analysed = true;
            }
            for e in &a.errors {
                let (line, column) = line_column(text, e.span.range.start);
                // The walk's depth limit is no attribute's fault (the fn may have none).
                let message = if e.message == dbopt_core::rust::walk::TOO_DEEP {
                    format!(
                        "code in `{}` (line {line}, column {column}) nests too deeply to analyse; \
                         the fn holding it was not checked",
                        path.display()
                    )
                } else {
                    format!(
                        "invalid dbopt attribute in `{}` (line {line}, column {column}): {}",
                        path.display(),
                        e.message
                    )
                };
                errors.push(ProjectError {
                    message,
                    path: path.clone(),
                });
            }
            analyses.push(a);
        }
    }

    let start = clock();
    let mut diagnostics = link(analyses, &package.options.options());
    diagnostics.retain(|d| {
        d.rule != "unbounded_load"
            || !d.data["table"]
                .as_str()
                .is_some_and(|t| package.small_tables.iter().any(|s| s == t))
    });
    stats.link += clock().saturating_sub(start);

    // Keep the text of the files a finding points into; the rest is dropped now.
    let referenced: HashSet<FileId> = diagnostics
        .iter()
        .flat_map(|d| std::iter::once(&d.primary).chain(&d.secondary))
        .map(|l| l.span.file)
        .collect();
    let files = discovered
        .files
        .into_iter()
        .zip(slots)
        .enumerate()
        .map(|(i, (f, slot))| ScannedFile {
            shown: shown(&f.path),
            path: f.path,
            module_path: f.module_path,
            text: slot.text.filter(|_| referenced.contains(&file_id(i))),
        })
        .collect();
    PackageScan {
        files,
        diagnostics,
        errors,
        analysed,
        stats,
    }
}

/// Test code is left out by default: files named like test files (`tests.rs`,
/// `test_utils.rs`) and the files of out-of-line `#[cfg(test)] mod name;` modules (and every
/// file below them). Their analyses are dropped before the package is linked, so they
/// neither report nor count as callers. See `dbopt_core::rust::test_code`.
fn leave_out_test_files(slots: &mut [Slot], files: &[RustFile]) {
    let mut test_modules: HashSet<Vec<String>> = HashSet::new();
    for slot in slots.iter() {
        let Some(text) = &slot.text else { continue };
        for name in test_code::cfg_test_modules(text) {
            let mut path = slot.module_path.clone();
            path.push(name);
            test_modules.insert(path);
        }
    }
    for (slot, file) in slots.iter_mut().zip(files) {
        let under_test_module =
            (1..=slot.module_path.len()).any(|n| test_modules.contains(&slot.module_path[..n]));
        if under_test_module || test_code::is_test_file(&file.path) {
            slot.analysis = None;
            slot.stats.test_files = 1;
        }
    }
}

/// Read, pre-check, and analyse unless skipped.
fn first_pass(
    index: usize,
    file: &RustFile,
    shown: &Path,
    precheck: Option<&Prefilter>,
    prune: bool,
    options: &OptionsSpec,
    clock: fn() -> Duration,
) -> Slot {
    let mut slot = Slot {
        module_path: file.module_path.clone(),
        ..Slot::default()
    };
    slot.stats.files = 1;
    let start = clock();
    let read = dbopt_core::files::read_regular(&file.path);
    slot.stats.read = clock().saturating_sub(start);
    let text = match read {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(e) => {
                let bytes = e.as_bytes();
                let valid = e.utf8_error().valid_up_to();
                let (line, column) =
                    line_column(std::str::from_utf8(&bytes[..valid]).unwrap_or(""), valid);
                slot.error = Some(ProjectError {
                    path: shown.to_path_buf(),
                    message: format!(
                        "`{}` is not valid UTF-8 (line {line}, column {column}); its fns were not \
                         checked",
                        shown.display()
                    ),
                });
                return slot;
            }
        },
        Err(e) => {
            slot.error = Some(ProjectError {
                path: shown.to_path_buf(),
                message: format!("cannot read `{}`: {e}", shown.display()),
            });
            return slot;
        }
    };
    slot.stats.bytes = text.len() as u64;
    if let Some(prefilter) = precheck {
        let start = clock();
        slot.skipped = !prefilter.may_touch_db(&text);
        slot.stats.precheck = clock().saturating_sub(start);
    }
    if !slot.skipped {
        let keep = precheck
            .filter(|_| prune)
            .map(|p| move |item: &str| p.may_touch_db(item));
        let how = match &keep {
            Some(keep) => Parse::Pruned(keep),
            None => Parse::Whole,
        };
        analyse_into(&mut slot, index, &text, options, how, clock);
    }
    slot.text = Some(text);
    slot
}

/// What [`analyse_into`] parses of a file.
#[derive(Clone, Copy)]
enum Parse<'a> {
    Whole,
    /// Leave out the fns whose text this rejects (`analyse_file_pruned`).
    Pruned(&'a dyn Fn(&str) -> bool),
    /// Add to the slot's analysis the fns it left out that this accepts
    /// (`analyse_left_out`).
    LeftOut(&'a dyn Fn(&str) -> bool),
}

/// Analyses one file into its slot.
fn analyse_into(
    slot: &mut Slot,
    index: usize,
    text: &str,
    options: &OptionsSpec,
    how: Parse<'_>,
    clock: fn() -> Duration,
) {
    let start = clock();
    let input = FileInput {
        id: file_id(index),
        text,
        module_path: &slot.module_path,
    };
    // dbopt-core does not panic on any input (fuzzed, and `cargo xtask scan-registry`); if it
    // ever does, that file is one error and the scan goes on.
    let options = options.options();
    let previous = slot.analysis.take();
    let analysed = std::panic::catch_unwind(AssertUnwindSafe(|| match (how, previous) {
        (Parse::LeftOut(wanted), Some(mut previous)) => {
            analyse_left_out(input, &options, &mut previous, wanted);
            previous
        }
        (Parse::Pruned(keep), _) => analyse_file_pruned(input, &options, Some(keep)),
        _ => analyse_file_pruned(input, &options, None),
    }));
    match analysed {
        Ok(analysis) => {
            slot.stats.pruned_bytes = analysis.pruned.iter().map(|r| r.len() as u64).sum();
            slot.analysis = Some(analysis);
        }
        Err(payload) => {
            proc_macro2::extra::invalidate_current_thread_spans();
            let message = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            slot.panic = Some(message);
        }
    }
    slot.stats.analyse += clock().saturating_sub(start);
}

/// The fixpoint: a skipped file that mentions a fn that may reach the database is analysed,
/// and so are the fns an analysed file left out that mention one; and so on with the fns
/// this adds. "May reach" is decided over the package's analysed files together
/// ([`known_db_fns`]): a fn that reaches it directly, or calls (by name) one that does. With
/// `words`, a file pulled back is pruned too: its fns without a database word or a name found
/// so far are left out, to be added in a later round if they mention a name found then.
/// Returns the time spent matching names (the analyses' time goes to their slots).
fn pull_back(
    slots: &mut [Slot],
    words: Option<&Prefilter>,
    options: &OptionsSpec,
    clock: fn() -> Duration,
) -> Duration {
    let mut seen: HashSet<String> = HashSet::new();
    let mut matching = Duration::ZERO;
    loop {
        // Names of earlier rounds were looked for already.
        let names: Vec<String> = known_db_fns(slots)
            .into_iter()
            .filter(|n| seen.insert(n.clone()))
            .collect();
        let Some(matcher) = NameMatcher::new(&names) else {
            break;
        };
        let start = clock();
        let pulled: Vec<usize> = slots
            .par_iter()
            .enumerate()
            .filter(|(_, s)| {
                let Some(text) = s.text.as_deref() else {
                    return false;
                };
                if s.skipped {
                    return matcher.mentions(text);
                }
                s.analysis.as_ref().is_some_and(|a| {
                    a.pruned
                        .iter()
                        .any(|r| text.get(r.clone()).is_some_and(|t| matcher.mentions(t)))
                })
            })
            .map(|(i, _)| i)
            .collect();
        matching += clock().saturating_sub(start);
        if pulled.is_empty() {
            break;
        }
        let all = NameMatcher::new(&seen.iter().collect::<Vec<_>>());
        let keep = |item: &str| {
            words.is_some_and(|w| w.may_touch_db(item))
                || all.as_ref().is_some_and(|m| m.mentions(item))
        };
        let wanted = |item: &str| matcher.mentions(item);
        slots.par_iter_mut().enumerate().for_each(|(i, slot)| {
            if pulled.binary_search(&i).is_ok()
                && let Some(text) = slot.text.take()
            {
                let how = if slot.skipped {
                    slot.skipped = false;
                    slot.stats.pulled_back = 1;
                    match words {
                        Some(_) => Parse::Pruned(&keep),
                        None => Parse::Whole,
                    }
                } else {
                    slot.stats.unpruned += 1;
                    Parse::LeftOut(&wanted)
                };
                analyse_into(slot, i, &text, options, how, clock);
                slot.text = Some(text);
            }
        });
    }
    matching
}

/// The names of the fns of the analysed files that reach the database, directly or through
/// calls by name into any analysed file, to a fixpoint.
fn known_db_fns(slots: &[Slot]) -> HashSet<String> {
    let mut known: HashSet<String> = HashSet::new();
    loop {
        let mut grew = false;
        for analysis in slots.iter().filter_map(|s| s.analysis.as_ref()) {
            for name in analysis.db_fns_given(&|n| known.contains(n)) {
                grew |= known.insert(name);
            }
        }
        if !grew {
            return known;
        }
    }
}

/// syn's message, except proc-macro2's lexer error, which says too little.
fn parse_message(message: &str) -> &str {
    if message == "cannot parse string into token stream" {
        "unbalanced delimiters, or an unterminated string or comment"
    } else {
        message
    }
}

fn file_id(index: usize) -> FileId {
    FileId(u32::try_from(index).unwrap_or(u32::MAX))
}

/// `path` relative to `root` where it lies below it.
fn shown_path(path: &Path, root: &Path) -> PathBuf {
    match path.strip_prefix(root) {
        Ok(rel) if !rel.as_os_str().is_empty() => rel.to_path_buf(),
        _ => path.to_path_buf(),
    }
}

/// The 1-based line and column (in characters) of byte `at` of `text`.
fn line_column(text: &str, at: usize) -> (usize, usize) {
    let mut at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    let before = &text[..at];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = before.matches('\n').count() + 1;
    (line, before[line_start..].chars().count() + 1)
}

#[cfg(test)]
mod tests;
