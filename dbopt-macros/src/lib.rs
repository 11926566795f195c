//! `#[db_checked]`: the attribute front door of dbopt. Entry points only; every rule lives in
//! `dbopt-core`.
