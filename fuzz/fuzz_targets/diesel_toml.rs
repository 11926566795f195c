//! Arbitrary bytes, read as lossy UTF-8, as a diesel.toml and as a migration's
//! metadata.toml. Checks that errors name the file with a sane line and column, that every
//! path is anchored at diesel.toml's folder, and that the filters can be applied.
#![no_main]

use std::path::Path;

use dbopt_core::sql::discover::migrations::version_of;
use dbopt_core::sql::discover::{DiscoverError, parse_diesel_toml, parse_metadata_toml};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let path = Path::new("project/diesel.toml");
    match parse_diesel_toml(path, &text) {
        Ok(config) => {
            assert_eq!(config.path, path);
            let base = Path::new("project");
            for p in &config.print_schema {
                for file in [&p.file, &p.patch_file].into_iter().flatten() {
                    assert!(file.starts_with(base) || file.is_absolute(), "{file:?}");
                }
                for table in ["users", "", "é", &*text] {
                    let _ = p.filter.includes(table);
                }
            }
            if let Some(dir) = &config.migrations_directory {
                assert!(dir.starts_with(base) || dir.is_absolute(), "{dir:?}");
            }
        }
        Err(DiscoverError::InvalidToml { line, column, .. }) => {
            let lines = text.split('\n').count();
            assert!(
                (1..=lines).contains(&line) && column >= 1,
                "{line}:{column} of {lines}"
            );
        }
        Err(e) => assert_eq!(e.path(), path),
    }
    if let Err(message) = parse_metadata_toml(&text) {
        assert!(!message.contains('\n'), "{message:?}");
    }
    let _ = version_of(&text);
});
