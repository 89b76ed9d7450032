//! The manifest readers behind `palisade fix` return in-bounds spans or an
//! error for any input, and raising what they find never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use palisade_scan::fix::exercise_manifest;

const NAMES: [&str; 7] = [
    "package.json",
    "composer.json",
    "Cargo.toml",
    "pyproject.toml",
    "Pipfile",
    "requirements.txt",
    "Gemfile",
];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    if let Ok(text) = std::str::from_utf8(rest) {
        exercise_manifest(NAMES[usize::from(pick) % NAMES.len()], text, "2.4.1");
    }
});
