//! The pre-push hook, in a test repository with a bare remote on disk: it
//! blocks a push that adds a vulnerable package, lets clean pushes through,
//! only warns under PALISADE_HOOK=warn, and uninstalls only itself.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::*;
use serde_json::json;

fn git(dir: &Path, db: &Path, args: &[&str]) -> Output {
    Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "Palisade Tests")
        .env("GIT_AUTHOR_EMAIL", "tests@localhost")
        .env("GIT_COMMITTER_NAME", "Palisade Tests")
        .env("GIT_COMMITTER_EMAIL", "tests@localhost")
        .env("PALISADE_DB", db)
        .env("NO_COLOR", "1")
        .env_remove("PALISADE_HOOK")
        .output()
        .expect("git runs")
}

fn git_ok(dir: &Path, db: &Path, args: &[&str]) -> String {
    let out = git(dir, db, args);
    assert!(out.status.success(), "git {args:?}: {}", stderr(&out));
    stdout(&out)
}

fn lock(lodash: &str) -> String {
    json!({
        "name": "app", "version": "1.0.0", "lockfileVersion": 3, "requires": true,
        "packages": {
            "": {"name": "app", "version": "1.0.0", "dependencies": {"lodash": "^4.17.0"}},
            "node_modules/lodash": {"version": lodash}
        }
    })
    .to_string()
}

fn commit(work: &Path, db: &Path, lodash: &str, message: &str) {
    std::fs::write(work.join("package-lock.json"), lock(lodash)).expect("write lock");
    git_ok(work, db, &["add", "-A"]);
    git_ok(work, db, &["commit", "-qm", message]);
}

struct Repo {
    _dir: tempfile::TempDir,
    work: std::path::PathBuf,
    db: std::path::PathBuf,
}

fn setup() -> Repo {
    let dir = tempfile::tempdir().expect("temp dir");
    let records = dir.path().join("records");
    std::fs::create_dir_all(&records).expect("dir");
    let osv = json!({
        "id": "TEST-LODASH-1", "modified": "2026-01-01T00:00:00Z",
        "summary": "Prototype pollution in lodash (test record)",
        "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
        "affected": [{"package": {"ecosystem": "npm", "name": "lodash"},
                      "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "4.17.21"}]}]}],
    });
    std::fs::write(records.join("TEST-LODASH-1.json"), osv.to_string()).expect("record");
    let db = dir.path().join("palisade.db");
    ok(&db, &["db", "import", path_str(&records)]);
    let remote = dir.path().join("remote.git");
    let work = dir.path().join("work");
    git_ok(
        dir.path(),
        &db,
        &["init", "-q", "--bare", path_str(&remote)],
    );
    git_ok(
        dir.path(),
        &db,
        &["init", "-q", "-b", "main", path_str(&work)],
    );
    git_ok(&work, &db, &["remote", "add", "origin", path_str(&remote)]);
    let out = run(&db, &["hook", "install", "--repo", path_str(&work)]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(work.join(".git/hooks/pre-push").exists());
    Repo {
        _dir: dir,
        work,
        db,
    }
}

#[test]
fn a_push_adding_a_vulnerable_package_is_blocked_and_clean_pushes_go_through() {
    let r = setup();
    commit(&r.work, &r.db, "4.17.21", "clean lodash");
    git_ok(&r.work, &r.db, &["push", "-q", "origin", "main"]);

    commit(&r.work, &r.db, "4.17.20", "downgrade lodash");
    let blocked = git(&r.work, &r.db, &["push", "-q", "origin", "main"]);
    assert!(!blocked.status.success(), "the push went through");
    let said = stderr(&blocked);
    assert!(
        said.contains("TEST-LODASH-1") && said.contains("push blocked"),
        "{said}"
    );
    let remote_head = git_ok(&r.work, &r.db, &["ls-remote", "origin", "refs/heads/main"]);
    let local_head = git_ok(&r.work, &r.db, &["rev-parse", "HEAD~1"]);
    assert!(
        remote_head.starts_with(local_head.trim()),
        "the remote moved"
    );

    // Back to a fixed version: nothing new relative to the remote.
    commit(&r.work, &r.db, "4.17.21", "fix lodash again");
    git_ok(&r.work, &r.db, &["push", "-q", "origin", "main"]);
}

#[test]
fn warn_mode_reports_but_lets_the_push_through() {
    let r = setup();
    commit(&r.work, &r.db, "4.17.20", "vulnerable from the start");
    let mut cmd = Command::new("git");
    cmd.arg("-C")
        .arg(&r.work)
        .args(["push", "-q", "origin", "main"])
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("PALISADE_DB", &r.db)
        .env("PALISADE_HOOK", "warn");
    let out = cmd.output().expect("git push");
    assert!(out.status.success(), "{}", stderr(&out));
    let said = stderr(&out);
    assert!(
        said.contains("TEST-LODASH-1") && said.contains("PALISADE_HOOK=warn"),
        "{said}"
    );
}

#[test]
fn uninstall_removes_only_palisades_own_hook() {
    let r = setup();
    let hook = r.work.join(".git/hooks/pre-push");
    let out = run(&r.db, &["hook", "uninstall", "--repo", path_str(&r.work)]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!hook.exists());
    std::fs::write(&hook, "#!/bin/sh\nexit 0\n").expect("foreign hook");
    let out = run(&r.db, &["hook", "uninstall", "--repo", path_str(&r.work)]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("not palisade's"), "{}", stderr(&out));
    assert!(hook.exists());
    let out = run(&r.db, &["hook", "install", "--repo", path_str(&r.work)]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "a foreign hook must not be overwritten"
    );
    assert_eq!(
        std::fs::read_to_string(&hook).expect("hook"),
        "#!/bin/sh\nexit 0\n"
    );
}
