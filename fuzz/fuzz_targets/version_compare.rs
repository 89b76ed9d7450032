//! Every scheme parses and compares any pair of strings without panicking, and
//! swapping the arguments reverses the answer.
#![no_main]

use libfuzzer_sys::fuzz_target;
use palisade_version::{Affected, Event, Range, RangeKind, Scheme};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (a, b) = text.split_once('\n').unwrap_or((text, ""));
    for scheme in Scheme::ALL {
        assert_eq!(scheme.compare(a, b), scheme.compare(b, a).reverse());
        let affected = Affected {
            ranges: vec![Range {
                kind: RangeKind::Ecosystem,
                events: vec![
                    Event::Introduced(a.to_string()),
                    Event::Fixed(b.to_string()),
                ],
            }],
            versions: vec![b.to_string()],
        };
        let _ = affected.affects(scheme, a);
        let mut list = vec![a.to_string(), b.to_string(), text.to_string()];
        palisade_version::sort_versions(scheme, &mut list);
    }
});
