//! Test helpers shared by palisade's crates (never a runtime dependency).
//!
//! [`data_dir`] finds the public data sets in `../shared/data` (or
//! `$PALISADE_TEST_DATA`): when they are absent a test skips with a message,
//! except under `CI=true`, where their absence fails the run.
//!
//! ```no_run
//! let Some(data) = palisade_testkit::data_dir("versions") else { return };
//! assert!(data.join("README.md").exists());
//! ```

#![allow(clippy::print_stderr, clippy::unwrap_used)]

pub mod http;
pub mod memory;
pub mod schema;

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The workspace root (two levels above this crate).
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// The shared data folder `sub` (e.g. `advisories/rustsec`), or `None` after
/// printing why the test is skipped.
///
/// # Panics
/// When the folder is missing and `CI=true`.
pub fn data_dir(sub: &str) -> Option<PathBuf> {
    let base = std::env::var_os("PALISADE_TEST_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("../shared/data"));
    let dir = base.join(sub);
    if dir.exists() {
        return Some(dir);
    }
    let message = format!(
        "shared test data {} is absent (set PALISADE_TEST_DATA to the data folder)",
        dir.display()
    );
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{message}");
    }
    eprintln!("skipped: {message}");
    None
}

/// Advisory ids of the files under `dir` with extension `ext`, taken from the
/// file names (advisory databases name each file by its id), leaving out
/// RustSec's template. The second set holds the ids whose file declares
/// `withdrawn` (JSON, YAML or TOML spelling).
pub fn advisory_ids(dir: &Path, ext: &str) -> (BTreeSet<String>, BTreeSet<String>) {
    let mut ids = BTreeSet::new();
    let mut withdrawn = BTreeSet::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().and_then(|e| e.to_str()) != Some(ext) {
                continue;
            }
            let stem = path
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap()
                .to_string();
            if stem == "EXAMPLE_ADVISORY" {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            let is_withdrawn = text.lines().any(|l| {
                let l = l.trim_start();
                l.starts_with("\"withdrawn\":")
                    || l.starts_with("withdrawn:")
                    || l.starts_with("withdrawn =")
            });
            if is_withdrawn {
                withdrawn.insert(stem.clone());
            }
            ids.insert(stem);
        }
    }
    (ids, withdrawn)
}

/// [`advisory_ids`] over several `(folder, extension)` sets, united.
pub fn advisory_ids_of(sets: &[(PathBuf, &str)]) -> (BTreeSet<String>, BTreeSet<String>) {
    let mut ids = BTreeSet::new();
    let mut withdrawn = BTreeSet::new();
    for (dir, ext) in sets {
        let (found, gone) = advisory_ids(dir, ext);
        ids.extend(found);
        withdrawn.extend(gone);
    }
    (ids, withdrawn)
}

/// A zip archive (deflated members) of the given name/content pairs.
pub fn zip_bytes(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    {
        let mut writer = zip::ZipWriter::new(&mut out);
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (name, content) in entries {
            writer.start_file(*name, options).unwrap();
            writer.write_all(content).unwrap();
        }
        writer.finish().unwrap();
    }
    out.into_inner()
}

/// Rewrites the uncompressed size every member of a zip archive declares (in
/// its local and central headers), to fake a huge member.
pub fn patch_declared_sizes(mut zip: Vec<u8>, size: u32) -> Vec<u8> {
    let bytes = size.to_le_bytes();
    let mut i = 0;
    while i + 4 <= zip.len() {
        let sig = &zip[i..i + 4];
        if sig == [0x50, 0x4b, 0x03, 0x04] && i + 26 <= zip.len() {
            zip[i + 22..i + 26].copy_from_slice(&bytes);
        } else if sig == [0x50, 0x4b, 0x01, 0x02] && i + 28 <= zip.len() {
            zip[i + 24..i + 28].copy_from_slice(&bytes);
        }
        i += 1;
    }
    zip
}
