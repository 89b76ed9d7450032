//! The dpkg status, apk database and os-release readers never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use palisade_inventory::os::{Distro, apk, apt_auto_installed, dpkg};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let distro = Distro::parse(&text);
    let _ = dpkg(
        &[("status".to_string(), text.to_string())],
        &distro,
        &apt_auto_installed(&text),
    );
    let _ = apk("installed", &text, &distro);
});
