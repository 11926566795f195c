//! Configuration: rule levels and project settings, merged workspace -> package -> command
//! line (or -> attribute for `#[db_checked]`). PLACEHOLDER: filled in with the CLI.
