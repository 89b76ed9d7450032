//! The rustsec_markdown parser returns a record or an error for any input, never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use palisade_vulndb::{Format, parse_record};

fuzz_target!(|data: &[u8]| {
    let _ = parse_record("fuzz", Format::RustSec, data);
});
