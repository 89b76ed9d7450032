//! Any JSON compiles as a model or fails with an error, and validating an
//! instance against whatever compiled never panics. The streamed shortcut
//! never accepts an instance the full validator refuses (or that is not
//! JSON at all), nor one that repeats a member name.
#![no_main]

use libfuzzer_sys::fuzz_target;
use palisade_validate::{Model, Options};

/// The instance part of the input.
fn instance_text(data: &[u8]) -> &[u8] {
    data.splitn(2, |&b| b == b'\n').nth(1).unwrap_or(b"null")
}

fuzz_target!(|data: &[u8]| {
    // The first line is the schema, the rest the instance.
    let mut parts = data.splitn(2, |&b| b == b'\n');
    let schema = parts.next().unwrap_or_default();
    let instance = parts.next().unwrap_or(b"null");
    let Ok(schema) = serde_json::from_slice(schema) else {
        return;
    };
    let Ok(model) = Model::compile(&schema, &Options::default()) else {
        return;
    };
    let accepted = model.accepts_json(instance);
    match serde_json::from_slice(instance) {
        Ok(instance) => {
            let violations = model.violations(&instance);
            assert!(
                !accepted || violations.is_empty(),
                "accepted an invalid instance"
            );
            assert!(
                !accepted || palisade_validate::find_duplicate(instance_text(data)).is_none(),
                "accepted an instance that repeats a member name"
            );
        }
        Err(_) => assert!(!accepted, "accepted malformed JSON"),
    }
});
