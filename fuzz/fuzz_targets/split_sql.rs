//! Arbitrary bytes, read as lossy UTF-8, split in every dialect.
#![no_main]

use dbopt_fuzz::{BACKENDS, check_split};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    for backend in BACKENDS {
        check_split(&text, backend);
    }
});
