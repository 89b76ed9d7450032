//! Zip archives (function packages, jars) and container image tarballs are
//! inventoried without panicking, whatever their bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(dir) = tempfile::tempdir() else { return };
    for name in ["function.zip", "image.tar"] {
        let path = dir.path().join(name);
        if std::fs::write(&path, data).is_ok() {
            let _ = palisade_inventory::inventory_of(&path);
        }
    }
});
