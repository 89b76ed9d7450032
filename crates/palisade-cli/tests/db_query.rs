//! `palisade db query`, `db show` and `db search`.

#![allow(clippy::print_stderr)]

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use common::*;

/// Crate versions and what cargo-audit 0.22.2 reports for them (vulnerabilities
/// and informational warnings) with `--db ../shared/data/advisories/rustsec/advisories
/// --no-fetch`, checked on the shared snapshot. They cover affected versions,
/// the first fixed version, unaffected ranges (`<= x`, `> x`, `=x`, `< x`),
/// caret-patched branches, a pre-release of a fix, informational advisories,
/// and withdrawn advisories (one of them the "yanked" workaround `>= 0`).
const CARGO_AUDIT_SAYS: &[(&str, &str, &[&str])] = &[
    ("smallvec", "1.6.0", &["RUSTSEC-2021-0003"]),
    ("smallvec", "1.6.1", &[]),
    ("smallvec", "0.6.13", &["RUSTSEC-2021-0003"]),
    ("smallvec", "0.6.14", &[]),
    ("smallvec", "1.6.1-alpha.1", &["RUSTSEC-2021-0003"]),
    ("time", "0.2.0", &[]),
    ("time", "0.2.7", &["RUSTSEC-2020-0071"]),
    ("time", "0.1.44", &["RUSTSEC-2020-0071"]),
    ("time", "0.2.23", &[]),
    ("spin", "0.5.0", &["RUSTSEC-2019-0013"]),
    ("spin", "0.9.8", &[]),
    ("markdown", "0.3.0", &[]),
    ("cassandra", "0.8.1", &["RUSTSEC-2016-0006:unmaintained"]),
    ("cassandra", "0.8.2", &[]),
    ("ferris-says", "0.1.2", &[]),
    ("ferris-says", "0.2.0", &["RUSTSEC-2024-0001:unsound"]),
    ("ferris-says", "0.3.1", &[]),
    ("claxon", "0.3.1", &["RUSTSEC-2018-0004"]),
    ("claxon", "0.3.2", &[]),
    ("claxon", "0.4.0", &["RUSTSEC-2018-0004"]),
    ("claxon", "0.4.1", &[]),
    ("libp2p-core", "0.2.0", &[]),
    ("libp2p-core", "0.7.0", &["RUSTSEC-2019-0004"]),
    ("libp2p-core", "0.7.5", &[]),
];

fn palisade_ids(db: &Path, name: &str, version: &str) -> Vec<String> {
    let result = json(db, &["db", "query", "crates.io", name, version]);
    let mut ids: Vec<String> = result["advisories"]
        .as_array()
        .expect("advisories array")
        .iter()
        .map(|a| {
            let id = a["id"].as_str().expect("id").to_string();
            match a["kind"].as_str() {
                Some("vulnerability") => id,
                Some(kind) => format!("{id}:{kind}"),
                None => id,
            }
        })
        .collect();
    ids.sort();
    ids
}

/// cargo-audit's findings per crate version, when cargo-audit is installed
/// (`$PALISADE_CARGO_AUDIT` or `cargo-audit` on PATH).
fn live_cargo_audit(advisories: &Path) -> Option<BTreeMap<(String, String), Vec<String>>> {
    let exe = std::env::var("PALISADE_CARGO_AUDIT").unwrap_or_else(|_| "cargo-audit".to_string());
    let dir = tempfile::tempdir().expect("temp dir");
    let mut lock = String::from("version = 3\n");
    for (name, version, _) in CARGO_AUDIT_SAYS {
        lock.push_str(&format!(
            "\n[[package]]\nname = \"{name}\"\nversion = \"{version}\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n"
        ));
    }
    let lockfile = dir.path().join("Cargo.lock");
    std::fs::write(&lockfile, lock).expect("write lockfile");
    let output = Command::new(&exe)
        .args(["audit", "--no-fetch", "--json", "--db"])
        .arg(advisories)
        .arg("--file")
        .arg(&lockfile)
        .output()
        .ok()?;
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).ok()?;
    let mut found: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    let mut add = |entry: &serde_json::Value, suffix: &str| {
        let Some(id) = entry["advisory"]["id"].as_str() else {
            return;
        };
        let key = (
            entry["package"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            entry["package"]["version"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
        );
        found.entry(key).or_default().push(format!("{id}{suffix}"));
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

#[test]
fn crate_queries_agree_with_cargo_audit_on_the_rustsec_data() {
    let Some(rustsec) = palisade_testkit::data_dir("advisories/rustsec") else {
        return;
    };
    let (_dir, db) = temp_db();
    ok(&db, &["db", "import", path_str(&rustsec)]);
    for (name, version, expected) in CARGO_AUDIT_SAYS {
        assert_eq!(
            palisade_ids(&db, name, version),
            *expected,
            "{name} {version}"
        );
    }
    match live_cargo_audit(&rustsec.join("advisories")) {
        Some(live) => {
            for (name, version, expected) in CARGO_AUDIT_SAYS {
                let mut got = live
                    .get(&(name.to_string(), version.to_string()))
                    .cloned()
                    .unwrap_or_default();
                got.sort();
                assert_eq!(
                    got, *expected,
                    "cargo-audit's answer for {name} {version} changed"
                );
            }
        }
        None => eprintln!("cargo-audit is not installed: compared with its recorded answers only"),
    }
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).expect("write");
}

/// A PYSEC record and a GHSA record of one vulnerability, plus an unrelated one.
fn aliased_records(dir: &Path) {
    write(
        dir,
        "PYSEC-2024-1.json",
        r#"{"id": "PYSEC-2024-1", "modified": "2024-02-01T00:00:00Z", "aliases": ["CVE-2024-1111"],
            "affected": [{"package": {"ecosystem": "PyPI", "name": "Demo_Pkg"},
              "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.4.2"}]}]}]}"#,
    );
    write(
        dir,
        "GHSA-aaaa-bbbb-cccc.json",
        r#"{"id": "GHSA-aaaa-bbbb-cccc", "modified": "2024-02-02T00:00:00Z",
            "aliases": ["CVE-2024-1111", "PYSEC-2024-1"], "summary": "Path traversal in demo-pkg",
            "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"}],
            "affected": [{"package": {"ecosystem": "PyPI", "name": "demo-pkg"},
              "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "1.0"}, {"fixed": "1.4.2"}]},
                         {"type": "ECOSYSTEM", "events": [{"introduced": "2.0"}, {"fixed": "2.0.1"}]}]}]}"#,
    );
    write(
        dir,
        "GHSA-dddd-eeee-ffff.json",
        r#"{"id": "GHSA-dddd-eeee-ffff", "modified": "2024-03-01T00:00:00Z", "withdrawn": "2024-03-02T00:00:00Z",
            "affected": [{"package": {"ecosystem": "PyPI", "name": "demo-pkg"},
              "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}]}]}"#,
    );
}

#[test]
fn aliases_merge_into_one_advisory_and_withdrawn_ones_are_left_out() {
    let (dir, db) = temp_db();
    let records = dir.path().join("records");
    std::fs::create_dir(&records).expect("mkdir");
    aliased_records(&records);
    ok(&db, &["db", "import", path_str(&records)]);

    let result = json(&db, &["db", "query", "pypi", "demo.pkg", "1.2"]);
    let advisories = result["advisories"].as_array().expect("array");
    assert_eq!(advisories.len(), 1, "{advisories:#?}");
    let a = &advisories[0];
    assert_eq!(a["id"], "PYSEC-2024-1");
    assert_eq!(a["merged"], serde_json::json!(["GHSA-aaaa-bbbb-cccc"]));
    assert_eq!(
        a["aliases"],
        serde_json::json!(["CVE-2024-1111", "GHSA-aaaa-bbbb-cccc"])
    );
    assert_eq!(a["summary"], "Path traversal in demo-pkg");
    assert_eq!(a["severity"]["rating"], "high");
    assert_eq!(a["fixed"], serde_json::json!(["1.4.2", "2.0.1"]));

    let none = json(&db, &["db", "query", "PyPI", "demo-pkg", "1.4.2"]);
    assert_eq!(none["advisories"], serde_json::json!([]));
    let text = ok(&db, &["db", "query", "PyPI", "demo-pkg", "1.4.2"]);
    assert_eq!(
        text.trim(),
        "No known advisories affect demo-pkg 1.4.2 (PyPI)."
    );
}

#[test]
fn show_finds_records_by_id_or_alias() {
    let (dir, db) = temp_db();
    aliased_records(dir.path());
    ok(&db, &["db", "import", path_str(dir.path())]);

    let osv = json(&db, &["db", "show", "ghsa-aaaa-bbbb-cccc"]);
    assert_eq!(osv["id"], "GHSA-aaaa-bbbb-cccc");
    let by_alias = run(&db, &["--json", "db", "show", "CVE-2024-1111"]);
    assert!(by_alias.status.success());
    let osv: serde_json::Value = serde_json::from_slice(&by_alias.stdout).expect("json");
    assert_eq!(
        osv["id"], "PYSEC-2024-1",
        "the ecosystem's own id is preferred"
    );
    assert!(stderr(&by_alias).contains("also names GHSA-aaaa-bbbb-cccc"));

    let text = ok(&db, &["db", "show", "GHSA-dddd-eeee-ffff"]);
    assert!(text.contains("withdrawn: 2024-03-02T00:00:00Z"), "{text}");

    let out = run(&db, &["db", "show", "CVE-1999-0001"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no advisory with id or alias \"CVE-1999-0001\""));
}

#[test]
fn search_matches_words_in_summaries_and_ids() {
    let (dir, db) = temp_db();
    aliased_records(dir.path());
    ok(&db, &["db", "import", path_str(dir.path())]);
    let hits = json(&db, &["db", "search", "path", "traversal"]);
    assert_eq!(hits.as_array().map(Vec::len), Some(1));
    assert_eq!(hits[0]["id"], "GHSA-aaaa-bbbb-cccc");
    let hits = json(&db, &["db", "search", "CVE-2024-1111"]);
    assert_eq!(hits.as_array().map(Vec::len), Some(2));
    let hits = json(&db, &["db", "search", "trav*"]);
    assert_eq!(hits.as_array().map(Vec::len), Some(1));
}
