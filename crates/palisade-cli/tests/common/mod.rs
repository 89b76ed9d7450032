//! Running the `palisade` binary in tests.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_palisade")
}

/// Runs `palisade --db DB ARGS...` with a clean environment for the options
/// palisade reads.
pub fn run(db: &Path, args: &[&str]) -> Output {
    command(db).args(args).output().expect("palisade runs")
}

pub fn command(db: &Path) -> Command {
    let mut cmd = Command::new(bin());
    cmd.arg("--db")
        .arg(db)
        .env_remove("PALISADE_DB")
        .env_remove("PALISADE_MIRROR")
        .env("NO_COLOR", "1");
    cmd
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Runs and expects success, returning stdout.
pub fn ok(db: &Path, args: &[&str]) -> String {
    let out = run(db, args);
    assert!(
        out.status.success(),
        "palisade {args:?} failed: {}",
        stderr(&out)
    );
    stdout(&out)
}

/// Runs with `--json` and parses stdout.
pub fn json(db: &Path, args: &[&str]) -> serde_json::Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let text = ok(db, &all);
    serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("palisade {args:?} printed invalid JSON ({e}): {text}"))
}

pub fn temp_db() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("palisade.db");
    (dir, db)
}

pub fn path_str(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}
