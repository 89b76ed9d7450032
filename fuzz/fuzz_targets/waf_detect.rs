//! The SQL injection and XSS detectors on any bytes, at both sensitivity
//! levels: no panic, and HIGH flags at least what LOW flags.
#![no_main]

use libfuzzer_sys::fuzz_target;
use palisade_waf::acl::Sensitivity;
use palisade_waf::{is_sqli, is_xss};

fuzz_target!(|data: &[u8]| {
    let sqli_low = is_sqli(data, Sensitivity::Low);
    let xss_low = is_xss(data, Sensitivity::Low);
    let sqli_high = is_sqli(data, Sensitivity::High);
    let xss_high = is_xss(data, Sensitivity::High);
    assert!(
        !sqli_low || sqli_high,
        "sqli: LOW flagged what HIGH did not"
    );
    assert!(!xss_low || xss_high, "xss: LOW flagged what HIGH did not");
});
