//! The six report formats on a real project (serverless-airline) scanned
//! with the shared advisory data: snapshots of table, Markdown and JSON;
//! SARIF and CycloneDX validated against their official schemas; the HTML
//! page self-contained.

#![allow(clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};

use common::*;
use palisade_inventory::Inventory;
use palisade_inventory::sbom::DocumentInfo;
use palisade_scan::{Report, report};
use palisade_testkit::schema::validate;
use palisade_vulndb::{ImportOptions, Store};

struct Scanned {
    _dir: tempfile::TempDir,
    project: PathBuf,
    schemas: PathBuf,
    inventory: Inventory,
    report: Report,
}

fn scanned() -> Option<Scanned> {
    let project = palisade_testkit::data_dir("projects/serverless-airline")?;
    let schemas = palisade_testkit::data_dir("schemas")?;
    let advisories = palisade_testkit::data_dir("advisories")?;
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("db.sqlite")).unwrap();
    let inputs: Vec<PathBuf> = ["rustsec/advisories", "pypa/vulns", "go-vulndb"]
        .iter()
        .map(|s| advisories.join(s))
        .collect();
    store
        .import(&inputs, &ImportOptions::default(), &mut |_| {})
        .unwrap();
    let inventory = palisade_inventory::inventory(std::slice::from_ref(&project)).unwrap();
    let mut report = scan_with(&store, &inventory, &Default::default(), None);
    // What changes from machine to machine or release to release.
    report.database.path = "palisade.db".into();
    report.database.updated = Some("2026-11-25T12:00:00Z".into());
    report.palisade_version = "0.0.0-test".into();
    Some(Scanned {
        _dir: dir,
        project,
        schemas,
        inventory,
        report,
    })
}

/// Paths under the data folder as the report would print them from the
/// project's parent directory.
fn relative(text: &str, project: &Path) -> String {
    text.replace(&format!("{}/", project.display()), "serverless-airline/")
}

#[test]
fn table_markdown_and_json_reports_match_their_snapshots() {
    let Some(s) = scanned() else { return };
    assert!(s.report.findings.len() >= 20, "{}", s.report.findings.len());
    let table = relative(&report::table(&s.report, false), &s.project);
    insta::assert_snapshot!("serverless_airline_table", table);
    let markdown = relative(&report::markdown(&s.report), &s.project);
    insta::assert_snapshot!("serverless_airline_markdown", markdown);
    let json = relative(&report::json(&s.report), &s.project);
    insta::assert_snapshot!("serverless_airline_json", json);
}

#[test]
fn the_json_report_follows_the_documented_contract() {
    let Some(s) = scanned() else { return };
    let value: serde_json::Value = serde_json::from_str(&report::json(&s.report)).unwrap();
    assert_eq!(value["schema_version"], 1);
    for key in ["palisade_version", "database", "findings", "summary"] {
        assert!(value.get(key).is_some(), "{key}");
    }
    let f = &value["findings"][0];
    for key in [
        "id",
        "aliases",
        "kind",
        "summary",
        "severity",
        "package",
        "source",
        "fixed",
        "remediation",
        "paths",
        "kev",
        "epss",
        "ignored",
    ] {
        assert!(f.get(key).is_some(), "finding lacks {key}: {f}");
    }
    for key in ["ecosystem", "name", "version", "purl", "direct", "scope"] {
        assert!(f["package"].get(key).is_some(), "package lacks {key}");
    }
    assert_eq!(
        value["summary"]["findings"].as_u64(),
        Some(s.report.findings.len() as u64)
    );
}

#[test]
fn sarif_validates_against_the_sarif_2_1_0_schema() {
    let Some(s) = scanned() else { return };
    let text = report::sarif(&s.report, &s.project);
    let value: serde_json::Value = serde_json::from_str(&text).unwrap();
    validate(&s.schemas.join("sarif/sarif-schema-2.1.0.json"), &value);
    let run = &value["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), s.report.findings.len());
    // Every result points at its rule and at a repository-relative lockfile line.
    for r in results {
        let rule = &rules[r["ruleIndex"].as_u64().unwrap() as usize];
        assert_eq!(rule["id"], r["ruleId"]);
        assert!(rule["help"]["text"].as_str().unwrap().len() > 10);
        let uri = r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap();
        assert!(!uri.starts_with('/') && !uri.starts_with(".."), "{uri}");
        assert!(
            r["locations"][0]["physicalLocation"]["region"]["startLine"]
                .as_u64()
                .unwrap()
                > 0
        );
        assert!(
            r["partialFingerprints"]["palisade/v1"]
                .as_str()
                .unwrap()
                .len()
                == 16
        );
    }
}

#[test]
fn cyclonedx_vex_validates_against_the_cyclonedx_1_6_schema() {
    let Some(s) = scanned() else { return };
    let info = DocumentInfo {
        name: "serverless-airline".into(),
        created: "2026-11-25T12:00:00Z".into(),
        uuid: "6c1f0d8e-2b7a-4c55-9d3e-0f1a2b3c4d5e".into(),
        tool_version: "0.0.0-test".into(),
    };
    let text = report::cyclonedx(&s.report, &s.inventory, &info);
    let value: serde_json::Value = serde_json::from_str(&text).unwrap();
    validate(&s.schemas.join("cyclonedx/bom-1.6.schema.json"), &value);
    let vulns = value["vulnerabilities"].as_array().unwrap();
    assert_eq!(vulns.len(), s.report.findings.len());
    // Each vulnerability affects a component of the BOM.
    let refs: std::collections::HashSet<&str> = value["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["bom-ref"].as_str())
        .collect();
    for v in vulns {
        let target = v["affects"][0]["ref"].as_str().unwrap();
        assert!(refs.contains(target), "{target} is not a component");
    }
}

#[test]
fn the_html_report_is_one_self_contained_page() {
    let Some(s) = scanned() else { return };
    let page = report::html(&s.report);
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(page.contains("Content-Security-Policy"));
    for external in ["src=\"http", "href=\"http", "@import", "url("] {
        assert!(!page.contains(external), "external asset: {external}");
    }
    assert_eq!(
        page.matches("<tr data-severity=").count(),
        s.report.findings.len()
    );
    assert!(page.contains("<svg id=\"chart\""));
}
