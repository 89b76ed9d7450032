//! `palisade sbom` and `palisade graph` end to end.

#![allow(clippy::print_stderr)]

mod common;

use std::collections::BTreeSet;
use std::process::Command;

use common::*;

#[test]
fn sbom_of_the_root_filesystem_lists_exactly_the_installed_debian_packages() {
    let Ok(query) = Command::new("dpkg-query")
        .args(["-W", "-f", "${db:Status-Status} ${Package} ${Version}\\n"])
        .output()
    else {
        eprintln!("skipped: dpkg-query is not available on this machine");
        return;
    };
    let installed: BTreeSet<(String, String)> = String::from_utf8_lossy(&query.stdout)
        .lines()
        .filter_map(|l| {
            let mut parts = l.split(' ');
            (parts.next() == Some("installed")).then(|| {
                (
                    parts.next().unwrap_or("").to_string(),
                    parts.next().unwrap_or("").to_string(),
                )
            })
        })
        .collect();
    assert!(
        installed.len() > 50,
        "dpkg-query listed {}",
        installed.len()
    );

    let (dir, db) = temp_db();
    let out_file = dir.path().join("root.cdx.json");
    let out = run(
        &db,
        &[
            "-q",
            "sbom",
            "--rootfs",
            "/",
            "--format",
            "cyclonedx",
            "--output",
            path_str(&out_file),
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let bom: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out_file).expect("sbom")).expect("json");
    let debs: BTreeSet<(String, String)> = bom["components"]
        .as_array()
        .expect("components")
        .iter()
        .filter(|c| {
            c["purl"]
                .as_str()
                .is_some_and(|p| p.starts_with("pkg:deb/"))
        })
        .map(|c| {
            (
                c["name"].as_str().unwrap_or("").to_string(),
                c["version"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    let missing: Vec<_> = installed.difference(&debs).take(10).collect();
    let extra: Vec<_> = debs.difference(&installed).take(10).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing {missing:?}, extra {extra:?}"
    );
}

#[test]
fn graph_why_prints_the_path_to_a_transitive_package() {
    let Some(loyalty) =
        palisade_testkit::data_dir("projects/serverless-airline/master/src/backend/loyalty")
    else {
        return;
    };
    let (_dir, db) = temp_db();
    let text = ok(&db, &["graph", path_str(&loyalty), "--why", "xml2js"]);
    let first = text.lines().next().expect("a path");
    assert!(first.starts_with("loyalty → aws-sdk@"), "{text}");
    assert!(first.contains("→ xml2js@"), "{text}");

    let json = json(
        &db,
        &[
            "graph",
            path_str(&loyalty),
            "--why",
            "xml2js",
            "--format",
            "json",
        ],
    );
    let path = json["paths"][0]["path"].as_array().expect("path");
    assert_eq!(
        path.first().and_then(|p| p["name"].as_str()),
        Some("aws-sdk")
    );
    assert_eq!(path.last().and_then(|p| p["name"].as_str()), Some("xml2js"));

    let dot = ok(
        &db,
        &[
            "graph",
            path_str(&loyalty),
            "--why",
            "xml2js",
            "--format",
            "dot",
        ],
    );
    assert!(
        dot.starts_with("digraph why {") && dot.contains("\"loyalty\" -> \"aws-sdk@"),
        "{dot}"
    );

    let out = run(&db, &["graph", path_str(&loyalty), "--why", "left-pad"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("no package named \"left-pad\""),
        "{}",
        stderr(&out)
    );
}

#[test]
fn sbom_and_graph_of_a_project_directory() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("Cargo.lock"),
        "version = 3\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\"smallvec\"]\n\n[[package]]\nname = \"smallvec\"\nversion = \"1.6.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n",
    )
    .expect("write");
    let (_d, db) = temp_db();
    let spdx = json(&db, &["sbom", path_str(dir.path()), "--format", "spdx"]);
    assert_eq!(spdx["spdxVersion"], "SPDX-2.3");
    let purls: Vec<&str> = spdx["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .filter_map(|p| p["externalRefs"][0]["referenceLocator"].as_str())
        .collect();
    assert_eq!(purls, ["pkg:cargo/app@0.1.0", "pkg:cargo/smallvec@1.6.0"]);
    let tree = ok(&db, &["graph", path_str(dir.path())]);
    assert!(tree.contains("  app@0.1.0\n    smallvec@1.6.0"), "{tree}");
}

/// The peak resident set of `palisade ARGS` on a 20,000-package
/// requirements file, above the same command's on one package, in MiB.
fn growth_mib(dir: &std::path::Path, args: &[&str]) -> u64 {
    use palisade_testkit::memory::wait_with_peak;
    let db = dir.join("unused.db");
    let run = |file: &str| {
        let mut child = command(&db)
            .args(args)
            .arg(dir.join(file))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn");
        let (status, peak) = wait_with_peak(&mut child).expect("wait");
        assert!(status.success(), "{args:?} {file}: {status}");
        peak
    };
    let large = run("large/requirements.txt");
    let small = run("small/requirements.txt");
    large.saturating_sub(small) >> 10
}

#[test]
fn documents_of_a_large_inventory_are_written_without_holding_them_whole() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, count) in [("large", 20_000), ("small", 1)] {
        std::fs::create_dir_all(dir.path().join(name)).expect("dir");
        let text: String = (0..count)
            .map(|i| format!("package-name-{i}==1.{}.{}\n", i % 100, i % 7))
            .collect();
        std::fs::write(dir.path().join(name).join("requirements.txt"), text).expect("write");
    }
    // 560 KB of requirements: the inventory itself takes about 15 MB; the
    // CycloneDX and SPDX documents and the graph's JSON took 120 to 210 MB
    // more when they were built as JSON values before being written.
    for args in [
        &["sbom"][..],
        &["sbom", "--format", "spdx"][..],
        &["graph", "--format", "json"][..],
    ] {
        let grown = growth_mib(dir.path(), args);
        eprintln!("{args:?}: {grown} MiB over a one-package run");
        assert!(grown < 64, "{args:?} grew {grown} MiB");
    }
}
