//! A process killed with SIGKILL in the middle of an import leaves the previous
//! database usable, with its previous counts.

#![cfg(unix)]

mod common;

use std::io::{BufRead, BufReader};
use std::os::unix::process::ExitStatusExt;
use std::process::Stdio;

use common::*;

#[test]
fn sigkill_during_an_import_keeps_the_previous_data() {
    let (Some(pypa), Some(go), Some(rustsec)) = (
        palisade_testkit::data_dir("advisories/pypa"),
        palisade_testkit::data_dir("advisories/go-vulndb"),
        palisade_testkit::data_dir("advisories/rustsec"),
    ) else {
        return;
    };
    let (_dir, db) = temp_db();
    ok(&db, &["db", "import", path_str(&pypa)]);
    let before = json(&db, &["db", "stats"]);
    let django_before = json(&db, &["db", "query", "PyPI", "django", "3.2.0"]);

    let mut child = command(&db)
        .args(["-v", "db", "import", path_str(&go), path_str(&rustsec)])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stderr).lines();
    let progress = lines.find_map(|l| l.ok().filter(|l| l.starts_with("imported ")));
    assert!(
        progress.is_some(),
        "the import reported progress before finishing"
    );
    child.kill().expect("SIGKILL");
    let status = child.wait().expect("wait");
    assert_eq!(
        status.signal(),
        Some(9),
        "the import was killed, not finished: {status:?}"
    );

    let after = json(&db, &["db", "stats"]);
    assert_eq!(after["advisories"], before["advisories"]);
    assert_eq!(after["ecosystems"], before["ecosystems"]);
    assert_eq!(
        after["ecosystems"].get("Go"),
        None,
        "no Go record survived the kill"
    );
    assert_eq!(
        json(&db, &["db", "query", "PyPI", "django", "3.2.0"]),
        django_before
    );

    // And the database takes the interrupted import afterwards.
    let report = json(&db, &["db", "import", path_str(&go)]);
    let go_count = palisade_testkit::advisory_ids(&go, "json").0.len();
    assert_eq!(report["added"], go_count);
}
