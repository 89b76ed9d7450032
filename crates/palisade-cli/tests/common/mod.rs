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
    // The key sealing webhook secrets sits beside the test's database,
    // not in the user's configuration directory.
    let mut key = db.as_os_str().to_owned();
    key.push(".key");
    cmd.arg("--db")
        .arg(db)
        .env_remove("PALISADE_DB")
        .env_remove("PALISADE_MIRROR")
        .env("PALISADE_SECRET_KEY_FILE", key)
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

/// `feeds source add NAME --kind KIND --url URL --interval 1s`.
pub fn add_source(db: &Path, name: &str, kind: &str, url: &str) {
    ok(
        db,
        &[
            "feeds",
            "source",
            "add",
            name,
            "--kind",
            kind,
            "--url",
            url,
            "--interval",
            "1s",
        ],
    );
}

/// `feeds sync --json` (NVD without its pause): whether every source synced,
/// and each source's report.
pub fn sync(db: &Path) -> (bool, serde_json::Value) {
    sync_with(db, &[])
}

/// [`sync`] with more environment variables.
pub fn sync_with(db: &Path, env: &[(&str, &str)]) -> (bool, serde_json::Value) {
    let out = command(db)
        .env_remove("NVD_API_KEY")
        .env("PALISADE_NVD_DELAY_MS", "0")
        .envs(env.iter().copied())
        .args(["--json", "feeds", "sync"])
        .output()
        .expect("palisade runs");
    let reports = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("feeds sync printed invalid JSON ({e}): {}", stderr(&out)));
    (out.status.success(), reports)
}

/// The report of source `name` among `feeds sync --json`'s.
pub fn report(reports: &serde_json::Value, name: &str) -> serde_json::Value {
    reports
        .as_array()
        .and_then(|all| all.iter().find(|r| r["source"] == name))
        .cloned()
        .unwrap_or_else(|| panic!("no report for {name}: {reports}"))
}
