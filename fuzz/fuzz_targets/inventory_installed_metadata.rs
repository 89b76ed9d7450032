//! Installed-package metadata and executables (ELF sections with Go build
//! information or cargo-auditable trees) are read without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use palisade_inventory::installed::{
    binary_packages_in, npm_package_json, pom_properties, python_metadata,
};

fuzz_target!(|data: &[u8]| {
    let _ = binary_packages_in(data);
    let text = String::from_utf8_lossy(data);
    let _ = npm_package_json(&text);
    let _ = python_metadata(&text);
    let _ = pom_properties(&text);
});
