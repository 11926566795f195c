//! The library half of `cargo-dbopt`: the source scan, shared by the binary
//! (`cargo dbopt check`) and the benchmark (`cargo xtask bench-scan`), which drives it
//! in-process over crates that are not Cargo workspaces (`~/.cargo/registry`).

pub mod alloc;
pub mod scan;
