//! `palisade db import` and `db stats` on the shared advisory sets, and the
//! handling of hostile input.

mod common;

use common::*;

#[test]
fn stats_json_counts_every_distinct_id_once_and_reimport_changes_nothing() {
    let (Some(rustsec), Some(pypa)) = (
        palisade_testkit::data_dir("advisories/rustsec"),
        palisade_testkit::data_dir("advisories/pypa"),
    ) else {
        return;
    };
    let (ids, withdrawn) = palisade_testkit::advisory_ids_of(&[
        (rustsec.join("advisories"), "md"),
        (rustsec.join("osv"), "json"),
        (pypa.join("vulns"), "yaml"),
    ]);
    let (_dir, db) = temp_db();
    let report = json(&db, &["db", "import", path_str(&rustsec), path_str(&pypa)]);
    assert_eq!(report["added"], ids.len());

    let stats = json(&db, &["db", "stats"]);
    assert_eq!(stats["advisories"], ids.len());
    assert_eq!(stats["withdrawn"], withdrawn.len());
    let pypi_ids = palisade_testkit::advisory_ids(&pypa.join("vulns"), "yaml")
        .0
        .len();
    assert_eq!(stats["ecosystems"]["PyPI"], pypi_ids);
    assert_eq!(
        stats["ecosystems"]["crates.io"],
        ids.iter().filter(|i| i.starts_with("RUSTSEC-")).count()
    );
    assert_eq!(stats["sources"]["PYSEC"], pypi_ids);
    assert!(stats["file_size"].as_u64().is_some_and(|n| n > 0));

    let again = json(&db, &["db", "import", path_str(&rustsec), path_str(&pypa)]);
    assert_eq!(
        (again["added"].as_u64(), again["updated"].as_u64()),
        (Some(0), Some(0))
    );
    let after = json(&db, &["db", "stats"]);
    assert_eq!(after["advisories"], stats["advisories"]);
    assert_eq!(after["ecosystems"], stats["ecosystems"]);
}

/// Imports one good record, then a hostile input; the import must fail with a
/// message naming `expect_in_message`, and the database must still hold exactly
/// the good record.
fn assert_rejected(name: &str, content: &[u8], expect_in_message: &str) {
    let (dir, db) = temp_db();
    let good = dir.path().join("good.json");
    std::fs::write(
        &good,
        br#"{"id": "OSV-2024-1", "modified": "2024-01-01T00:00:00Z"}"#,
    )
    .expect("write");
    ok(&db, &["db", "import", path_str(&good)]);

    let bad = dir.path().join(name);
    std::fs::write(&bad, content).expect("write");
    let out = run(&db, &["db", "import", path_str(&good), path_str(&bad)]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{name}: {err}");
    assert!(
        err.contains(expect_in_message),
        "{name}: expected {expect_in_message:?} in {err}"
    );
    assert!(!err.contains("panicked"), "{name}: {err}");
    let stats = json(&db, &["db", "stats"]);
    assert_eq!(stats["advisories"], 1, "{name}: nothing half-written");
}

#[test]
fn truncated_json_is_rejected_with_its_position() {
    assert_rejected(
        "truncated.json",
        br#"{"id": "OSV-2024-2", "modified": "2024-01-01T00:00:00Z", "affected": [{"#,
        "truncated.json:1:",
    );
}

#[test]
fn deeply_nested_json_is_rejected_without_overflowing_the_stack() {
    let deep = format!("{{\"id\": {}{}}}", "[".repeat(100_000), "]".repeat(100_000));
    assert_rejected("deep.json", deep.as_bytes(), "recursion limit exceeded");
}

#[test]
fn invalid_utf8_is_rejected_with_its_position() {
    assert_rejected(
        "latin1.json",
        b"{\"id\": \"OSV-\xe9\"}",
        "latin1.json:1:13: invalid UTF-8",
    );
}

#[test]
fn broken_rustsec_front_matter_is_rejected_with_its_line() {
    let text = "```toml\n[advisory]\nid = \"RUSTSEC-2099-0001\"\npackage = \"x\"\ndate = \"2099-01-01\n```\n# T\n";
    assert_rejected(
        "RUSTSEC-2099-0001.md",
        text.as_bytes(),
        "RUSTSEC-2099-0001.md:5:",
    );
}

#[test]
fn a_corrupt_zip_is_rejected() {
    assert_rejected(
        "all.zip",
        b"PK\x03\x04 this is not really a zip archive",
        "all.zip: not a readable zip archive",
    );
}

#[test]
fn a_zip_entry_claiming_2_gb_is_rejected_before_reading() {
    let record = br#"{"id": "OSV-2024-3", "modified": "2024-01-01T00:00:00Z"}"#;
    let zip = palisade_testkit::patch_declared_sizes(
        palisade_testkit::zip_bytes(&[("OSV-2024-3.json", record)]),
        0x8000_0000,
    );
    assert_rejected(
        "huge.zip",
        &zip,
        "huge.zip!OSV-2024-3.json: entry claims 2147483648 bytes",
    );
}

#[test]
fn a_bad_member_of_a_zip_is_named() {
    let good = br#"{"id": "OSV-2024-4", "modified": "2024-01-01T00:00:00Z"}"#;
    let zip = palisade_testkit::zip_bytes(&[
        ("a/OSV-2024-4.json", good),
        ("a/OSV-2024-5.json", b"{\"id\": 5"),
    ]);
    assert_rejected("all.zip", &zip, "all.zip!a/OSV-2024-5.json:1:");
}

#[test]
fn skip_invalid_imports_the_rest_and_reports_each_skip() {
    let (dir, db) = temp_db();
    std::fs::write(
        dir.path().join("a.json"),
        br#"{"id": "OSV-2024-1", "modified": "2024-01-01T00:00:00Z"}"#,
    )
    .expect("write");
    std::fs::write(dir.path().join("b.json"), b"{ nope").expect("write");
    let out = run(
        &db,
        &["db", "import", "--skip-invalid", path_str(dir.path())],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("skipped:") && stderr(&out).contains("b.json:1:3"),
        "{}",
        stderr(&out)
    );
    assert_eq!(json(&db, &["db", "stats"])["advisories"], 1);
}

#[test]
fn a_path_that_is_not_an_advisory_is_explained() {
    let (dir, db) = temp_db();
    let notes = dir.path().join("notes.txt");
    std::fs::write(&notes, "hello").expect("write");
    let out = run(&db, &["db", "import", path_str(&notes)]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("notes.txt: not an advisory file"),
        "{}",
        stderr(&out)
    );
    let missing = dir.path().join("missing");
    let out = run(&db, &["db", "import", path_str(&missing)]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("No such file"), "{}", stderr(&out));
}

#[test]
fn reading_commands_explain_a_missing_database() {
    let (_dir, db) = temp_db();
    for args in [
        &["db", "stats"][..],
        &["db", "query", "npm", "x", "1.0.0"],
        &["db", "show", "X-1"],
    ] {
        let out = run(&db, args);
        assert_eq!(out.status.code(), Some(2));
        let err = stderr(&out);
        assert!(
            err.contains("no advisory database at") && err.contains("palisade db update"),
            "{err}"
        );
        assert!(!db.exists(), "a read must not create the database");
    }
}
