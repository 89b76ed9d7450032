//! Cargo.lock parity with cargo-audit: on the shared Cargo.lock fixtures and
//! on a lockfile with known-vulnerable versions pinned, palisade reports the
//! same advisory ids (informational ones marked with their kind).
//!
//! cargo-audit's answers (0.22.2, `--no-fetch --no-yanked` on a `git init`
//! copy of the shared RustSec snapshot) are recorded below; when cargo-audit
//! is installed (`$PALISADE_CARGO_AUDIT`, or `cargo-audit` on PATH) it is
//! also run live and must agree. Both sets are printed side by side.

#![allow(clippy::unwrap_used, clippy::print_stderr)]

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;
use palisade_inventory::Format;
use palisade_vulndb::{ImportOptions, Store};

/// What cargo-audit 0.22.2 reports for tests/fixtures/cargo-vulnerable/Cargo.lock.
const VULNERABLE_LOCK: &[&str] = &[
    "RUSTSEC-2016-0006:unmaintained cassandra 0.8.1",
    "RUSTSEC-2020-0071 time 0.1.44",
    "RUSTSEC-2020-0159 chrono 0.4.19",
    "RUSTSEC-2021-0003 smallvec 1.6.0",
    "RUSTSEC-2021-0072 tokio 1.8.0",
    "RUSTSEC-2021-0078 hyper 0.14.9",
    "RUSTSEC-2021-0079 hyper 0.14.9",
    "RUSTSEC-2021-0093 crossbeam-deque 0.8.0",
    "RUSTSEC-2021-0124 tokio 1.8.0",
    "RUSTSEC-2021-0130 lru 0.6.5",
    "RUSTSEC-2021-0145:unsound atty 0.2.14",
    "RUSTSEC-2022-0013 regex 1.5.4",
    "RUSTSEC-2022-0022:unsound hyper 0.14.9",
    "RUSTSEC-2023-0001 tokio 1.8.0",
    "RUSTSEC-2023-0005:unsound tokio 1.8.0",
    "RUSTSEC-2023-0034 h2 0.3.0",
    "RUSTSEC-2024-0003 h2 0.3.0",
    "RUSTSEC-2024-0332 h2 0.3.0",
    "RUSTSEC-2024-0375:unmaintained atty 0.2.14",
    "RUSTSEC-2025-0023:unsound tokio 1.8.0",
    "RUSTSEC-2026-0253:unsound lru 0.6.5",
    "RUSTSEC-2026-0258 h2 0.3.0",
];

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/cargo-vulnerable/Cargo.lock")
}

fn palisade_says(store: &Store, lockfile: &Path) -> BTreeSet<String> {
    let text = std::fs::read_to_string(lockfile).unwrap();
    let inv = palisade_inventory::parse(
        Format::CargoLock,
        &lockfile.display().to_string(),
        &text,
        Some(lockfile),
    )
    .unwrap();
    scan_with(store, &inv, &Default::default(), None)
        .findings
        .iter()
        .map(|f| {
            let kind = match f.kind {
                palisade_vulndb::Kind::Vulnerability => String::new(),
                other => format!(":{}", other.as_str()),
            };
            format!("{}{kind} {} {}", f.id, f.package.name, f.package.version)
        })
        .collect()
}

/// cargo-audit's answer, when it is installed: it opens its database as a
/// git repository, so it gets a committed copy of the snapshot.
fn cargo_audit_says(advisories: &Path, lockfile: &Path, work: &Path) -> Option<BTreeSet<String>> {
    let exe = std::env::var("PALISADE_CARGO_AUDIT").unwrap_or_else(|_| "cargo-audit".to_string());
    Command::new(&exe).arg("--version").output().ok()?;
    let repo = work.join("advisory-db");
    if !repo.exists() {
        copy_dir(advisories, &repo);
        for args in [
            &["init", "-q"][..],
            &["add", "-A"],
            &[
                "-c",
                "user.name=palisade",
                "-c",
                "user.email=test@localhost",
                "commit",
                "-qm",
                "snapshot",
            ],
        ] {
            let status = Command::new("git")
                .arg("-C")
                .arg(&repo)
                .args(args)
                .status()
                .ok()?;
            assert!(status.success(), "git {args:?}");
        }
    }
    let output = Command::new(&exe)
        .args(["audit", "--no-fetch", "--no-yanked", "--json", "--db"])
        .arg(&repo)
        .arg("--file")
        .arg(lockfile)
        .output()
        .ok()?;
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).ok()?;
    let mut found = BTreeSet::new();
    let mut add = |entry: &serde_json::Value, suffix: &str| {
        if let Some(id) = entry["advisory"]["id"].as_str() {
            found.insert(format!(
                "{id}{suffix} {} {}",
                entry["package"]["name"].as_str().unwrap_or(""),
                entry["package"]["version"].as_str().unwrap_or("")
            ));
        }
    };
    for v in report["vulnerabilities"]["list"]
        .as_array()
        .into_iter()
        .flatten()
    {
        add(v, "");
    }
    for kind in ["unmaintained", "unsound", "notice"] {
        for w in report["warnings"][kind].as_array().into_iter().flatten() {
            add(w, &format!(":{kind}"));
        }
    }
    Some(found)
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

fn side_by_side(name: &str, ours: &BTreeSet<String>, theirs: &BTreeSet<String>) {
    eprintln!(
        "== {name}: palisade {} | cargo-audit {}",
        ours.len(),
        theirs.len()
    );
    for line in ours.union(theirs) {
        let mark = |set: &BTreeSet<String>| if set.contains(line) { "yes" } else { " - " };
        eprintln!("  {:<3} {:<3}  {line}", mark(ours), mark(theirs));
    }
}

#[test]
fn advisory_ids_equal_cargo_audits_on_cargo_lock_files() {
    let (Some(rustsec), Some(lockfiles)) = (
        palisade_testkit::data_dir("advisories/rustsec"),
        palisade_testkit::data_dir("lockfiles/cargo-lock"),
    ) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("db.sqlite")).unwrap();
    store
        .import(
            &[rustsec.join("advisories")],
            &ImportOptions::default(),
            &mut |_| {},
        )
        .unwrap();
    let recorded: BTreeSet<String> = VULNERABLE_LOCK.iter().map(|s| s.to_string()).collect();
    // The shared fixtures hold no vulnerable versions; cargo-audit cannot read
    // two-packages-with-local.lock at all (a dependency it cannot resolve).
    let cases = [
        (fixture(), Some(recorded)),
        (lockfiles.join("many-packages.lock"), Some(BTreeSet::new())),
        (lockfiles.join("two-packages-with-local.lock"), None),
    ];
    for (lockfile, expected) in cases {
        let ours = palisade_says(&store, &lockfile);
        let live = cargo_audit_says(&rustsec.join("advisories"), &lockfile, dir.path());
        let name = lockfile.file_name().unwrap().to_string_lossy().into_owned();
        match (&expected, &live) {
            (_, Some(theirs)) if expected.is_some() => {
                side_by_side(&name, &ours, theirs);
                assert_eq!(&ours, theirs, "{name}: palisade and cargo-audit differ");
            }
            (Some(recorded), _) => {
                side_by_side(
                    &format!("{name} (cargo-audit's recorded answer)"),
                    &ours,
                    recorded,
                );
                assert_eq!(&ours, recorded, "{name}");
            }
            (None, _) => {
                eprintln!("== {name}: cargo-audit cannot read it; palisade finds {ours:?}");
                assert!(ours.is_empty());
            }
        }
        if live.is_none() && expected.is_some() {
            eprintln!("   (cargo-audit is not installed: compared with its recorded answer)");
        }
    }
}
