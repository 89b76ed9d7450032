//! `palisade fix` on a fixture project of six ecosystems: exactly the
//! vulnerable direct dependencies are raised, every other byte of the
//! manifests is kept, and each project gets its refresh command.

mod common;

use std::path::Path;

use common::*;
use serde_json::json;

fn record(dir: &Path, id: &str, ecosystem: &str, name: &str, introduced: &str, fixed: &str) {
    let kind = if matches!(ecosystem, "npm" | "crates.io") {
        "SEMVER"
    } else {
        "ECOSYSTEM"
    };
    let osv = json!({
        "id": id,
        "modified": "2026-01-01T00:00:00Z",
        "summary": format!("test advisory on {name}"),
        "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"}],
        "affected": [{
            "package": {"ecosystem": ecosystem, "name": name},
            "ranges": [{"type": kind, "events": [{"introduced": introduced}, {"fixed": fixed}]}],
        }],
    });
    std::fs::write(dir.join(format!("{id}.json")), osv.to_string()).expect("write record");
}

fn advisories(dir: &Path) {
    std::fs::create_dir_all(dir).expect("dir");
    record(dir, "TEST-LODASH", "npm", "lodash", "0", "4.17.21");
    record(dir, "TEST-MINIMIST", "npm", "minimist", "0", "1.2.6");
    record(dir, "TEST-QS", "npm", "qs", "6.0.0", "6.7.3");
    record(
        dir,
        "TEST-SMALLVEC",
        "crates.io",
        "smallvec",
        "1.0.0",
        "1.6.1",
    );
    record(dir, "TEST-REQUESTS", "PyPI", "requests", "2.0", "2.31.0");
    record(dir, "TEST-URLLIB3", "PyPI", "urllib3", "1.26.0", "1.26.18");
    record(
        dir,
        "TEST-GUZZLE",
        "Packagist",
        "guzzlehttp/guzzle",
        "7.0.0",
        "7.4.5",
    );
    record(dir, "TEST-RACK", "RubyGems", "rack", "2.2.0", "2.2.6.4");
    record(dir, "TEST-NOKOGIRI", "RubyGems", "nokogiri", "0", "1.13.10");
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("dir");
    for entry in std::fs::read_dir(from).expect("read fixture") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// Each manifest and the exact replacements `fix` must make in it.
const EXPECTED: &[(&str, &[(&str, &str)])] = &[
    (
        "web/package.json",
        &[
            ("\"lodash\": \"^4.17.0\"", "\"lodash\": \"^4.17.21\""),
            ("\"minimist\": \"^1.2.0\"", "\"minimist\": \"^1.2.6\""),
        ],
    ),
    (
        "api/Cargo.toml",
        &[("smallvec = \"1.6\"", "smallvec = \"1.6.1\"")],
    ),
    (
        "lambda/requirements.txt",
        &[("requests==2.24.0", "requests==2.31.0")],
    ),
    (
        "svc/pyproject.toml",
        &[("urllib3 = \"^1.26\"", "urllib3 = \"^1.26.18\"")],
    ),
    (
        "php/composer.json",
        &[(
            "\"guzzlehttp/guzzle\": \"^7.0\"",
            "\"guzzlehttp/guzzle\": \"^7.4.5\"",
        )],
    ),
    (
        "ruby/Gemfile",
        &[
            ("\"rack\", \"~> 2.2.0\"", "\"rack\", \"~> 2.2.6\""),
            ("'nokogiri', '>= 1.10'", "'nokogiri', '>= 1.13.10'"),
        ],
    ),
];

fn setup() -> (tempfile::TempDir, std::path::PathBuf, std::path::PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let project = dir.path().join("project");
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fix-project"),
        &project,
    );
    let records = dir.path().join("records");
    advisories(&records);
    let db = dir.path().join("palisade.db");
    ok(&db, &["db", "import", path_str(&records)]);
    (dir, project, db)
}

#[test]
fn fix_raises_exactly_the_vulnerable_direct_dependencies() {
    let (_dir, project, db) = setup();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fix-project");
    let out = run(&db, &["fix", path_str(&project)]);
    assert!(out.status.success(), "{}", stderr(&out));
    let printed = stdout(&out);
    for (file, replacements) in EXPECTED {
        let before = std::fs::read_to_string(fixture.join(file)).expect("fixture");
        let mut expected = before.clone();
        for (from, to) in *replacements {
            assert!(expected.contains(from), "{file}: fixture lacks {from}");
            expected = expected.replacen(from, to, 1);
        }
        let after = std::fs::read_to_string(project.join(file)).expect("edited");
        assert_eq!(after, expected, "{file}");
    }
    // Unaffected manifests and lockfiles are untouched.
    for file in [
        "web/package-lock.json",
        "api/Cargo.lock",
        "ruby/Gemfile.lock",
        "php/composer.lock",
    ] {
        assert_eq!(
            std::fs::read(project.join(file)).expect("file"),
            std::fs::read(fixture.join(file)).expect("fixture"),
            "{file}"
        );
    }
    for command in [
        "npm install",
        "cargo update -p smallvec",
        "poetry update urllib3",
        "composer update guzzlehttp/guzzle",
        "bundle update --conservative nokogiri rack",
    ] {
        assert!(
            printed.contains(command),
            "missing {command:?} in:\n{printed}"
        );
    }
    // qs is pinned by express: the fix says so instead of guessing.
    let notes = stderr(&out);
    assert!(
        notes.contains("qs 6.7.0: needs a newer express than 4.17.1"),
        "{notes}"
    );
}

#[test]
fn dry_run_prints_the_diff_and_writes_nothing() {
    let (_dir, project, db) = setup();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fix-project");
    let out = run(&db, &["fix", path_str(&project), "--dry-run"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let diff = stdout(&out);
    assert!(
        diff.contains("--- a/web/package.json\n+++ b/web/package.json\n"),
        "{diff}"
    );
    assert!(
        diff.contains("-    \"lodash\": \"^4.17.0\"\n+    \"lodash\": \"^4.17.21\"\n"),
        "{diff}"
    );
    assert!(diff.contains("-smallvec = \"1.6\"   # keep in sync with the benches\n+smallvec = \"1.6.1\"   # keep in sync with the benches\n"), "{diff}");
    assert!(diff.contains("Then refresh the lockfile:"));
    for (file, _) in EXPECTED {
        assert_eq!(
            std::fs::read(project.join(file)).expect("file"),
            std::fs::read(fixture.join(file)).expect("fixture"),
            "{file} changed on a dry run"
        );
    }
}
