//! Version requirements of every flavor parse or fail with an error, and
//! matching any version against a parsed requirement never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use palisade_version::requirement::{Flavor, Requirement};

const FLAVORS: [Flavor; 6] = [
    Flavor::Npm,
    Flavor::Cargo,
    Flavor::Poetry,
    Flavor::Pep440,
    Flavor::Composer,
    Flavor::RubyGems,
];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let flavor = FLAVORS[usize::from(pick) % FLAVORS.len()];
    // The first line is the requirement, the second a version to test.
    let mut lines = text.splitn(2, '\n');
    let requirement = lines.next().unwrap_or_default();
    let version = lines.next().unwrap_or("1.2.3");
    if let Ok(parsed) = Requirement::parse(flavor, requirement) {
        let _ = parsed.matches(version);
    }
    let _ = Requirement::compatible_with(flavor, version).matches(requirement);
});
