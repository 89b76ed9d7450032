//! Reading a hostile zip archive and parsing its members returns records or an
//! error, never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use palisade_vulndb::{for_each_zip_record_in, parse_record};

fuzz_target!(|data: &[u8]| {
    let _ = for_each_zip_record_in(
        "fuzz.zip",
        std::io::Cursor::new(data),
        |origin, format, bytes| {
            let _ = parse_record(&origin, format, &bytes);
            Ok(())
        },
    );
});
