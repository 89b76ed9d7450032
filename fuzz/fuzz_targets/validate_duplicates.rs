//! The repeated-member-name scanner never panics, and finds nothing in a
//! document serde_json wrote (which cannot repeat a name).
#![no_main]

use libfuzzer_sys::fuzz_target;
use palisade_validate::find_duplicate;

fuzz_target!(|data: &[u8]| {
    let _ = find_duplicate(data);
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    let rewritten = serde_json::to_vec(&value).expect("serializable");
    assert_eq!(
        find_duplicate(&rewritten),
        None,
        "a repeat in serde_json's own output"
    );
});
