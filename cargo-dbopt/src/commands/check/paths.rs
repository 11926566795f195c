//! The paths named on the command line (`--diesel-toml`, `--schema`, `--migrations`) are
//! what the user asked to check: one that is missing or cannot be read is a usage error
//! (exit 2) before anything is analysed, not a warning beside a clean exit that leaves the
//! migrations unchecked.

use std::path::Path;

use crate::cli::CheckArgs;
use crate::error::CliError;

/// Each path `args` names, read (files, through the one regular-file reader) or listed
/// (the migrations folder); the first that fails is the error.
pub fn check(args: &CheckArgs) -> Result<(), CliError> {
    for (flag, file) in [
        ("--diesel-toml", &args.diesel_toml),
        ("--schema", &args.schema),
    ] {
        if let Some(file) = file {
            dbopt_core::files::read_regular(file).map_err(|e| unreadable(flag, file, &e))?;
        }
    }
    if let Some(dir) = &args.migrations {
        let meta = std::fs::metadata(dir).map_err(|e| unreadable("--migrations", dir, &e))?;
        if !meta.is_dir() {
            return Err(CliError::Usage(format!(
                "cannot read `{}` given by --migrations: it is not a folder",
                dir.display()
            )));
        }
        std::fs::read_dir(dir).map_err(|e| unreadable("--migrations", dir, &e))?;
    }
    Ok(())
}

fn unreadable(flag: &str, path: &Path, e: &std::io::Error) -> CliError {
    CliError::Usage(format!(
        "cannot read `{}` given by {flag}: {e}",
        path.display()
    ))
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Args {
        #[command(flatten)]
        check: CheckArgs,
    }

    fn checked(args: &[&str]) -> Result<(), String> {
        let args = Args::try_parse_from(std::iter::once("check").chain(args.iter().copied()))
            .expect("the arguments parse");
        check(&args.check).map_err(|e| e.to_string())
    }

    #[test]
    fn missing_or_unreadable_paths_are_usage_errors() {
        let tmp = tempfile::tempdir().expect("temp dir");
        let p = |rel: &str| tmp.path().join(rel).to_string_lossy().into_owned();
        std::fs::write(p("diesel.toml"), "").expect("write");
        std::fs::create_dir(p("migrations")).expect("mkdir");
        let (toml, migrations) = (p("diesel.toml"), p("migrations"));
        assert_eq!(
            checked(&["--diesel-toml", &toml, "--migrations", &migrations]),
            Ok(())
        );
        assert_eq!(
            checked(&["--diesel-toml", &p("nope.toml")]),
            Err(format!(
                "cannot read `{}` given by --diesel-toml: No such file or directory (os error \
                 2)",
                p("nope.toml")
            ))
        );
        assert_eq!(
            checked(&["--schema", &migrations]),
            Err(format!(
                "cannot read `{migrations}` given by --schema: it is a folder, not a file"
            ))
        );
        assert_eq!(
            checked(&["--migrations", &toml]),
            Err(format!(
                "cannot read `{toml}` given by --migrations: it is not a folder"
            ))
        );
    }
}
