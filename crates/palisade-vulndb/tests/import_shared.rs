//! Importing the shared advisory sets: one advisory per distinct id, merges of
//! the RustSec Markdown and OSV copies, idempotent re-imports.

use std::path::PathBuf;

use palisade_vulndb::{ImportOptions, ImportReport, Store};

fn import(store: &mut Store, paths: &[PathBuf]) -> ImportReport {
    store
        .import(paths, &ImportOptions::default(), &mut |_| {})
        .expect("import succeeds")
}

#[test]
fn rustsec_and_pypa_give_one_advisory_per_distinct_id() {
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

    let dir = tempfile::tempdir().expect("temp dir");
    let mut store = Store::open(&dir.path().join("db.sqlite")).expect("open");
    let first = import(&mut store, &[rustsec.clone(), pypa.clone()]);
    assert!(first.skipped.is_empty());
    let stats = store.stats().expect("stats");
    assert_eq!(stats.advisories, ids.len() as u64);
    assert_eq!(stats.withdrawn, withdrawn.len() as u64);
    assert_eq!(first.added, ids.len());
    assert!(first.records > ids.len(), "the RustSec ids come twice");

    let again = import(&mut store, &[rustsec, pypa]);
    assert_eq!((again.added, again.updated), (0, 0));
    assert_eq!(again.unchanged, first.records);
    let after = store.stats().expect("stats");
    assert_eq!(after.advisories, stats.advisories);
    assert_eq!(after.ecosystems, stats.ecosystems);
    assert_eq!(after.withdrawn, stats.withdrawn);
}

#[test]
fn go_vulndb_imports_one_advisory_per_file() {
    let Some(go) = palisade_testkit::data_dir("advisories/go-vulndb") else {
        return;
    };
    let (ids, withdrawn) = palisade_testkit::advisory_ids(&go, "json");
    let dir = tempfile::tempdir().expect("temp dir");
    let mut store = Store::open(&dir.path().join("db.sqlite")).expect("open");
    let report = import(&mut store, std::slice::from_ref(&go));
    assert_eq!(report.added, ids.len());
    let stats = store.stats().expect("stats");
    assert_eq!(stats.advisories, ids.len() as u64);
    assert_eq!(stats.withdrawn, withdrawn.len() as u64);
    assert!(stats.ecosystems.get("Go").is_some_and(|&n| n > 0));
    let again = import(&mut store, &[go]);
    assert_eq!(
        (again.added, again.updated, again.unchanged),
        (0, 0, ids.len())
    );
}

#[test]
fn the_markdown_and_osv_copies_of_a_rustsec_advisory_merge_into_the_osv_one() {
    let Some(rustsec) = palisade_testkit::data_dir("advisories/rustsec") else {
        return;
    };
    let md = rustsec.join("advisories/crates/badge/RUSTSEC-2022-0057.md");
    let json = rustsec.join("osv/crates/RUSTSEC-2022-0057.json");
    // Either order ends with the OSV record, whose `modified` is later.
    for order in [[md.clone(), json.clone()], [json, md]] {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut store = Store::open(&dir.path().join("db.sqlite")).expect("open");
        import(&mut store, &order);
        let records = store.get("RUSTSEC-2022-0057").expect("get");
        assert_eq!(records.len(), 1);
        assert_eq!(records[0].modified, "2023-02-09T03:11:29Z");
        assert_eq!(records[0].osv["summary"], "badge is Unmaintained");
    }
}
