//! The allocator of every binary that runs the scan: `cargo-dbopt` itself and the xtask
//! that benchmarks it in-process (they link this library, so both get it from here).
//!
//! jemalloc instead of the system allocator: a scan builds and frees a syntax tree per file
//! on every thread, and glibc's malloc took a third of its CPU time (docs/benchmarks.md,
//! "Allocator"). ruff makes the same choice. MSVC keeps the system allocator.

#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// jemalloc's options, read when it starts: one arena for every thread. Migrations are
/// parsed on worker threads and their syntax trees freed on the replaying thread; with an
/// arena per thread, memory went back to the system and was faulted in again (twice the
/// page faults and 40% more system time on 50,000 migrations). The scan is as fast either
/// way: thread caches serve its small allocations. A thin pointer to a C string.
///
/// The workspace's only `unsafe`: exporting the symbol jemalloc looks up (`malloc_conf`,
/// `_rjem_` prefixed by tikv-jemalloc-sys). No other library defines it.
#[cfg(not(target_env = "msvc"))]
#[allow(unsafe_code, non_upper_case_globals)]
#[unsafe(export_name = "_rjem_malloc_conf")]
pub static malloc_conf: &[u8; 10] = b"narenas:1\0";
