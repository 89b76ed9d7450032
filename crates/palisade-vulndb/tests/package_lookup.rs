//! Looking up many versions of a package at once, from several connections,
//! inside a read snapshot.

use std::path::{Path, PathBuf};

use palisade_vulndb::{ImportOptions, Store};

fn record(id: &str, name: &str, introduced: &str, fixed: &str) -> String {
    format!(
        r#"{{"schema_version":"1.6.0","id":"{id}","modified":"2026-01-01T00:00:00Z",
            "summary":"{id} in {name}",
            "affected":[{{"package":{{"ecosystem":"npm","name":"{name}"}},
              "ranges":[{{"type":"SEMVER","events":[{{"introduced":"{introduced}"}},{{"fixed":"{fixed}"}}]}}]}}]}}"#
    )
}

fn import(store: &mut Store, dir: &Path, records: &[(&str, String)]) {
    let mut paths: Vec<PathBuf> = Vec::new();
    for (file, text) in records {
        let path = dir.join(file);
        std::fs::write(&path, text).expect("write record");
        paths.push(path);
    }
    store
        .import(&paths, &ImportOptions::default(), &mut |_| {})
        .expect("import");
}

fn ids(matches: &[palisade_vulndb::Match]) -> Vec<String> {
    matches.iter().map(|m| m.id.clone()).collect()
}

#[test]
fn many_versions_at_once_agree_with_one_at_a_time() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut store = Store::open(&dir.path().join("db.sqlite")).expect("open");
    import(
        &mut store,
        dir.path(),
        &[
            ("a.json", record("GHSA-aaaa", "left-pad", "1.0.0", "1.3.0")),
            ("b.json", record("GHSA-bbbb", "left-pad", "1.2.0", "2.0.1")),
            ("c.json", record("GHSA-cccc", "right-pad", "0", "9.0.0")),
        ],
    );
    let versions = ["0.9.0", "1.1.0", "1.2.5", "2.0.0", "2.0.1"];
    let together = store
        .query_many("npm", "left-pad", &versions)
        .expect("query_many");
    let expected: [&[&str]; 5] = [
        &[],
        &["GHSA-aaaa"],
        &["GHSA-aaaa", "GHSA-bbbb"],
        &["GHSA-bbbb"],
        &[],
    ];
    for ((version, found), want) in versions.iter().zip(&together).zip(expected) {
        let alone = store.query("npm", "left-pad", version).expect("query");
        assert_eq!(ids(found), ids(&alone), "{version}");
        let mut got = ids(found);
        got.sort();
        assert_eq!(got, want, "{version}");
    }
    // Decoded once, asked twice: the second answer is the same.
    let mut package = store
        .package_advisories("npm", "left-pad")
        .expect("package");
    assert!(!package.is_empty());
    let first = store.affecting(&mut package, &["1.2.5"]).expect("first");
    let again = store.affecting(&mut package, &["1.2.5"]).expect("again");
    assert_eq!(ids(&first[0]), ids(&again[0]));
    assert_eq!(first[0][0].fixed, vec!["1.3.0".to_string()]);
    assert!(
        store
            .package_advisories("npm", "no-such-package")
            .expect("absent")
            .is_empty()
    );
}

#[test]
fn a_reader_connection_sees_the_same_advisories() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut store = Store::open(&dir.path().join("db.sqlite")).expect("open");
    import(
        &mut store,
        dir.path(),
        &[("a.json", record("GHSA-aaaa", "left-pad", "1.0.0", "1.3.0"))],
    );
    let reader = store.reader().expect("reader");
    let from_reader =
        std::thread::spawn(move || ids(&reader.query("npm", "left-pad", "1.1.0").expect("query")))
            .join()
            .expect("thread");
    assert_eq!(from_reader, vec!["GHSA-aaaa".to_string()]);
    assert_eq!(store.freshness().expect("freshness").0, 1);
}

#[test]
fn a_snapshot_does_not_see_an_import_that_commits_during_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("db.sqlite");
    let mut store = Store::open(&path).expect("open");
    import(
        &mut store,
        dir.path(),
        &[("a.json", record("GHSA-aaaa", "left-pad", "1.0.0", "1.3.0"))],
    );
    let mut writer = Store::open(&path).expect("second connection");
    {
        let _snapshot = store.snapshot().expect("snapshot");
        import(
            &mut writer,
            dir.path(),
            &[("b.json", record("GHSA-bbbb", "left-pad", "1.0.0", "2.0.0"))],
        );
        let during = store.query("npm", "left-pad", "1.1.0").expect("during");
        assert_eq!(ids(&during), vec!["GHSA-aaaa".to_string()]);
    }
    let mut after = ids(&store.query("npm", "left-pad", "1.1.0").expect("after"));
    after.sort();
    assert_eq!(
        after,
        vec!["GHSA-aaaa".to_string(), "GHSA-bbbb".to_string()]
    );
    assert_eq!(store.freshness().expect("freshness").0, 2);
}
