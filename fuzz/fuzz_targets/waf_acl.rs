//! Any text is a web ACL or an error naming where it went wrong; never a
//! panic (statements nest: And/Or/Not inside each other).
#![no_main]

use libfuzzer_sys::fuzz_target;
use palisade_waf::WebAcl;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = WebAcl::parse(text, "fuzz.json");
    }
});
