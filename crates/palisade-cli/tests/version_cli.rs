//! `palisade version compare`

mod common;

use common::*;

#[test]
fn compare_prints_the_relation_in_the_ecosystems_order() {
    let (_dir, db) = temp_db();
    for (eco, a, b, expected) in [
        ("npm", "1.0.0-rc.1", "1.0.0", "1.0.0-rc.1 < 1.0.0"),
        ("PyPI", "1.0", "1.0.0", "1.0 = 1.0.0"),
        ("pypi", "1.0.post1", "1.0", "1.0.post1 > 1.0"),
        ("Maven", "1.0-SNAPSHOT", "1.0", "1.0-SNAPSHOT < 1.0"),
        ("Debian", "1:1.0", "2.0", "1:1.0 > 2.0"),
        (
            "Go",
            "v1.2.3+incompatible",
            "v1.2.3",
            "v1.2.3+incompatible = v1.2.3",
        ),
        ("crates.io", "0.10.0", "0.9.0", "0.10.0 > 0.9.0"),
        ("Alpine", "1.2_rc1", "1.2", "1.2_rc1 < 1.2"),
    ] {
        assert_eq!(ok(&db, &["version", "compare", eco, a, b]).trim(), expected);
    }
}

#[test]
fn an_unknown_ecosystem_is_a_usage_error_with_the_list() {
    let (_dir, db) = temp_db();
    let out = run(&db, &["version", "compare", "cobol", "1", "2"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("unknown ecosystem \"cobol\"") && err.contains("crates.io"),
        "{err}"
    );
}
