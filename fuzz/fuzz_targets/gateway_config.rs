//! Any text is a gateway configuration or a list of problems; checking it
//! never panics. Files it names are looked up in a directory that does not
//! exist, so nothing outside is read.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use palisade_gateway::Config;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let env = |name: &str| (name == "PORT").then(|| "8080".to_string());
    let _ = Config::parse(
        text,
        Path::new("/nonexistent-palisade-fuzz/gateway.yaml"),
        &env,
    );
});
