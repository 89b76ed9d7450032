//! Hostile input gives a clear error or a skip with a warning, never a panic,
//! and memory stays bounded.

use std::path::Path;

use palisade_inventory::{Error, inventory_of};

fn write(path: &Path, data: &[u8]) {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).expect("mkdir");
    }
    std::fs::write(path, data).expect("write");
}

#[test]
fn a_zip_bomb_member_is_skipped_not_expanded() {
    let dir = tempfile::tempdir().expect("tempdir");
    let zeros = vec![b' '; 8 * 1024 * 1024];
    let zip = palisade_testkit::zip_bytes(&[
        (
            "node_modules/ok/package.json",
            br#"{"name": "ok", "version": "1.0.0"}"#,
        ),
        ("node_modules/bomb/package.json", &zeros),
    ]);
    assert!(
        zip.len() < 1024 * 1024,
        "the bomb compresses well: {}",
        zip.len()
    );
    let path = dir.path().join("function.zip");
    write(&path, &zip);
    let inv = inventory_of(&path).expect("reads the rest");
    assert_eq!(
        inv.packages
            .iter()
            .map(|p| p.name.as_str())
            .collect::<Vec<_>>(),
        ["ok"]
    );
    assert!(
        inv.warnings
            .iter()
            .any(|w| w.origin.ends_with("bomb/package.json") && w.message.contains("expands")),
        "{:?}",
        inv.warnings
    );
}

#[test]
fn zip_slip_and_absolute_member_names_are_not_used() {
    let dir = tempfile::tempdir().expect("tempdir");
    let lock =
        br#"{"lockfileVersion": 3, "packages": {"": {}, "node_modules/a": {"version": "1.0.0"}}}"#;
    let zip = palisade_testkit::zip_bytes(&[
        ("../../outside/package-lock.json", lock),
        ("/etc/package-lock.json", lock),
    ]);
    let path = dir.path().join("slip.zip");
    write(&path, &zip);
    let inv = inventory_of(&path).expect("reads");
    assert!(inv.packages.is_empty(), "{:?}", inv.packages);
    assert_eq!(
        inv.warnings
            .iter()
            .filter(|w| w.message.contains("leaves the archive"))
            .count(),
        2,
        "{:?}",
        inv.warnings
    );
    assert!(
        !dir.path().join("outside").exists()
            && !dir
                .path()
                .parent()
                .expect("parent")
                .join("outside")
                .exists()
    );
}

#[cfg(unix)]
#[test]
fn symlink_loops_do_not_trap_the_walk() {
    let dir = tempfile::tempdir().expect("tempdir");
    let project = dir.path().join("project");
    write(&project.join("requirements.txt"), b"flask==3.0.0\n");
    std::os::unix::fs::symlink(&project, project.join("loop")).expect("symlink");
    std::os::unix::fs::symlink(project.join("b"), project.join("a")).expect("symlink");
    std::os::unix::fs::symlink(project.join("a"), project.join("b")).expect("symlink");
    let inv = inventory_of(&project).expect("walks");
    assert_eq!(inv.packages.len(), 1);
}

#[test]
fn a_huge_single_line_file_is_refused_without_reading_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let project = dir.path().join("project");
    std::fs::create_dir_all(&project).expect("mkdir");
    let huge = project.join("package-lock.json");
    // A sparse 1 GB file: nothing is allocated unless it is read.
    std::fs::File::create(&huge)
        .expect("create")
        .set_len(1 << 30)
        .expect("size");
    write(&project.join("go.mod"), b"module x\n\ngo 1.21\n");
    let inv = inventory_of(&project).expect("walks");
    assert_eq!(
        inv.packages
            .iter()
            .map(|p| p.name.as_str())
            .collect::<Vec<_>>(),
        ["stdlib"]
    );
    assert!(
        inv.warnings
            .iter()
            .any(|w| w.origin.ends_with("package-lock.json")
                && w.message.contains("1073741824 bytes")),
        "{:?}",
        inv.warnings
    );
    match inventory_of(&huge) {
        Err(Error::TooLarge { .. }) => {}
        other => panic!("expected TooLarge, got {other:?}"),
    }
}

#[test]
fn yaml_nested_100000_deep_is_an_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("pnpm-lock.yaml");
    let deep = format!(
        "lockfileVersion: '9.0'\npackages: {}{}\n",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    write(&path, deep.as_bytes());
    let err = inventory_of(&path).expect_err("too deep");
    assert!(err.to_string().contains("pnpm-lock.yaml"), "{err}");
}

#[test]
fn invalid_utf8_names_the_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("requirements.txt");
    write(&path, b"flask==3.0.0\nr\xe9quests==2.0\n");
    let err = inventory_of(&path).expect_err("not UTF-8");
    assert!(
        err.to_string()
            .ends_with("requirements.txt:2: invalid UTF-8"),
        "{err}"
    );
}

#[test]
fn broken_lockfiles_in_a_directory_are_warnings_but_named_files_are_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(&dir.path().join("a/Cargo.lock"), b"[[package]\nname = ");
    write(
        &dir.path().join("b/go.mod"),
        b"module y\n\nrequire example.com/m v1.0.0\n",
    );
    let inv = inventory_of(dir.path()).expect("walks");
    assert_eq!(inv.packages.len(), 1);
    assert!(
        inv.warnings
            .iter()
            .any(|w| w.origin.ends_with("a/Cargo.lock") && w.message.contains("invalid TOML")),
        "{:?}",
        inv.warnings
    );
    let err = inventory_of(&dir.path().join("a/Cargo.lock")).expect_err("named file");
    assert!(err.to_string().contains("Cargo.lock:1"), "{err}");
}
