//! `palisade db update` against a mirror on a loopback port serving archives
//! the tests build from the shared data.

mod common;

use std::path::Path;

use common::*;
use palisade_testkit::http::Server;

/// A zip of every file with extension `ext` under `dir`.
fn zip_of(dir: &Path, ext: &str) -> (Vec<u8>, usize) {
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().and_then(|e| e.to_str()) == Some(ext) {
                let name = path
                    .file_name()
                    .and_then(|n| n.to_str())
                    .expect("name")
                    .to_string();
                files.push((name, std::fs::read(&path).expect("read")));
            }
        }
    }
    files.sort();
    let entries: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(n, b)| (n.as_str(), b.as_slice()))
        .collect();
    (palisade_testkit::zip_bytes(&entries), files.len())
}

fn update(db: &Path, server: &Server, ecosystems: &[&str]) -> std::process::Output {
    let mut args = vec!["db", "update", "--retries", "2"];
    for e in ecosystems {
        args.extend(["--ecosystem", e]);
    }
    let url = server.url();
    command(db)
        .args(&args)
        .env("PALISADE_MIRROR", &url)
        .output()
        .expect("runs")
}

#[test]
fn an_unchanged_archive_costs_one_conditional_request() {
    let Some(rustsec) = palisade_testkit::data_dir("advisories/rustsec") else {
        return;
    };
    let (zip, count) = zip_of(&rustsec.join("osv"), "json");
    let server = Server::start();
    server.put("/crates.io/all.zip", zip, 1);
    let (_dir, db) = temp_db();

    let out = command(&db)
        .args(["--json", "db", "update", "--ecosystem", "crates.io"])
        .env("PALISADE_MIRROR", server.url())
        .output()
        .expect("runs");
    assert!(out.status.success(), "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(report["ecosystems"][0]["status"], "updated");
    assert_eq!(report["ecosystems"][0]["added"], count);
    let stats = json(&db, &["db", "stats"]);
    assert_eq!(stats["advisories"], count);
    assert_eq!(stats["mirrors"][0]["ecosystem"], "crates.io");
    assert_eq!(stats["mirrors"][0]["advisories"], count);
    assert!(stats["last_update"].is_string());

    server.clear_requests();
    let out = update(&db, &server, &["crates.io"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("not modified"), "{}", stdout(&out));
    let requests = server.requests();
    assert_eq!(requests.len(), 1, "{requests:?}");
    assert_eq!(
        requests[0].headers.get("if-none-match").map(String::as_str),
        Some("\"v1\"")
    );
    assert_eq!(requests[0].status, 304);
    assert_eq!(json(&db, &["db", "stats"])["advisories"], count);
}

fn record(id: &str, modified: &str, fixed: &str) -> Vec<u8> {
    format!(
        r#"{{"id": "{id}", "modified": "{modified}", "affected": [{{"package": {{"ecosystem": "npm", "name": "left-pad"}},
            "ranges": [{{"type": "SEMVER", "events": [{{"introduced": "0"}}, {{"fixed": "{fixed}"}}]}}]}}]}}"#
    )
    .into_bytes()
}

#[test]
fn a_changed_archive_replaces_what_the_mirror_gave_before() {
    let server = Server::start();
    let (dir, db) = temp_db();
    let v1 = palisade_testkit::zip_bytes(&[
        (
            "GHSA-0001.json",
            &record("GHSA-0001", "2024-01-01T00:00:00Z", "1.0.0"),
        ),
        (
            "GHSA-0002.json",
            &record("GHSA-0002", "2024-01-01T00:00:00Z", "1.0.0"),
        ),
        (
            "GHSA-0003.json",
            &record("GHSA-0003", "2024-01-01T00:00:00Z", "1.0.0"),
        ),
    ]);
    server.put("/npm/all.zip", v1, 1);
    assert!(update(&db, &server, &["npm"]).status.success());
    // A record imported from a local file is not the mirror's to remove.
    let local = dir.path().join("GHSA-0003.json");
    std::fs::write(&local, record("GHSA-0003", "2024-01-01T00:00:00Z", "1.0.0")).expect("write");
    ok(&db, &["db", "import", path_str(&local)]);

    let v2 = palisade_testkit::zip_bytes(&[
        (
            "GHSA-0001.json",
            &record("GHSA-0001", "2024-02-01T00:00:00Z", "2.0.0"),
        ),
        (
            "GHSA-0004.json",
            &record("GHSA-0004", "2024-02-01T00:00:00Z", "1.0.0"),
        ),
    ]);
    server.put("/npm/all.zip", v2, 2);
    let out = update(&db, &server, &["npm"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("2 records (1 new, 1 updated, 1 removed)"),
        "{}",
        stdout(&out)
    );

    let ids: Vec<String> = ["GHSA-0001", "GHSA-0002", "GHSA-0003", "GHSA-0004"]
        .iter()
        .filter(|id| run(&db, &["db", "show", id]).status.success())
        .map(|s| s.to_string())
        .collect();
    assert_eq!(ids, ["GHSA-0001", "GHSA-0003", "GHSA-0004"]);
    let q = json(&db, &["db", "query", "npm", "left-pad", "1.5.0"]);
    assert_eq!(
        q["advisories"].as_array().map(Vec::len),
        Some(1),
        "only GHSA-0001 now reaches 1.5.0"
    );
}

#[test]
fn transient_server_errors_are_retried() {
    let server = Server::start();
    let (_dir, db) = temp_db();
    server.put(
        "/Go/all.zip",
        palisade_testkit::zip_bytes(&[(
            "GO-1.json",
            &record("GO-1", "2024-01-01T00:00:00Z", "1.0.0"),
        )]),
        1,
    );
    server.fail_next("/Go/all.zip", 2);
    let out = update(&db, &server, &["go"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let statuses: Vec<u16> = server.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [503, 503, 200]);
    assert_eq!(json(&db, &["db", "stats"])["advisories"], 1);

    server.fail_next("/Go/all.zip", 10);
    let out = update(&db, &server, &["Go"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("503") && err.contains("gave up after 3 attempts"),
        "{err}"
    );
}

#[test]
fn a_corrupt_archive_leaves_the_previous_data_in_place() {
    let server = Server::start();
    let (_dir, db) = temp_db();
    server.put(
        "/PyPI/all.zip",
        palisade_testkit::zip_bytes(&[(
            "PYSEC-1.json",
            &record("PYSEC-1", "2024-01-01T00:00:00Z", "1.0.0"),
        )]),
        1,
    );
    assert!(update(&db, &server, &["PyPI"]).status.success());

    server.put(
        "/PyPI/all.zip",
        palisade_testkit::zip_bytes(&[
            (
                "PYSEC-2.json",
                &record("PYSEC-2", "2024-02-01T00:00:00Z", "1.0.0"),
            ),
            ("PYSEC-3.json", b"{\"id\": \"PYSEC-3\", \"modified\": "),
        ]),
        2,
    );
    let out = update(&db, &server, &["PyPI"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains(&format!("{}/PyPI/all.zip!PYSEC-3.json:1:", server.url())),
        "{err}"
    );
    let stats = json(&db, &["db", "stats"]);
    assert_eq!(stats["advisories"], 1);
    assert!(run(&db, &["db", "show", "PYSEC-1"]).status.success());
    assert_eq!(
        stats["mirrors"][0]["etag"], "\"v1\"",
        "the failed archive is not recorded as seen"
    );

    let out = update(&db, &server, &["Cobol"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("has no archive for ecosystem \"Cobol\" (404)"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn pypa_yaml_archives_import_through_the_mirror() {
    let Some(pypa) = palisade_testkit::data_dir("advisories/pypa") else {
        return;
    };
    let (zip, count) = zip_of(&pypa.join("vulns"), "yaml");
    let server = Server::start();
    server.put("/PyPI/all.zip", zip, 1);
    let (_dir, db) = temp_db();
    let out = update(&db, &server, &["PyPI"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(json(&db, &["db", "stats"])["advisories"], count);
    let django = json(&db, &["db", "query", "PyPI", "django", "3.2.0"]);
    assert!(
        django["advisories"]
            .as_array()
            .is_some_and(|a| !a.is_empty())
    );
}
