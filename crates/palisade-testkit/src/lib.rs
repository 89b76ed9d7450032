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

use std::path::PathBuf;

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
