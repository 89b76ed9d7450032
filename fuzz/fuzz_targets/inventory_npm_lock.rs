//! The NpmLock parser returns packages or an error for any input, never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use palisade_inventory::{Format, parse};

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = parse(Format::NpmLock, "fuzz", text, None);
    }
});
