//! palisade.toml policies load or fail with an error naming the line.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use palisade_scan::Policy;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = Policy::parse(Path::new("palisade.toml"), text, Path::new("."));
    }
});
