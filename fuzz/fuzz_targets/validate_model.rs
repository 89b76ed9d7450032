//! Any JSON compiles as a model or fails with an error, and validating an
//! instance against whatever compiled never panics. The streamed shortcut
//! never accepts an instance the full validator refuses (or that is not
//! JSON at all).
#![no_main]

use libfuzzer_sys::fuzz_target;
use palisade_validate::{Model, Options};

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
        }
        Err(_) => assert!(!accepted, "accepted malformed JSON"),
    }
});
