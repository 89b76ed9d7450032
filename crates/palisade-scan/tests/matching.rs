//! Matching, merging, remediation, paths, policy and enrichment on a small
//! npm project against records written for these tests.

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use palisade_scan::{Finding, Report, Threshold, Via};
use palisade_vulndb::{EpssScore, KevEntry, Store};
use serde_json::json;

const LOCK: &str = r#"{
  "name": "shop", "version": "1.0.0", "lockfileVersion": 3, "requires": true,
  "packages": {
    "": {"name": "shop", "version": "1.0.0",
         "dependencies": {"express": "^4.17.0", "lodash": "^4.17.0"},
         "devDependencies": {"mocha": "^9.0.0"}},
    "node_modules/express": {"version": "4.17.1",
         "dependencies": {"qs": "6.7.0", "body-parser": "1.19.0"}},
    "node_modules/body-parser": {"version": "1.19.0", "dependencies": {"qs": "6.7.0"}},
    "node_modules/qs": {"version": "6.7.0"},
    "node_modules/lodash": {"version": "4.17.20"},
    "node_modules/mocha": {"version": "9.0.0", "dev": true, "dependencies": {"minimatch": "^3.0.4"}},
    "node_modules/minimatch": {"version": "3.0.4", "dev": true}
  }
}"#;

const CRITICAL: &str = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H";
const HIGH: &str = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H";

fn records() -> Vec<serde_json::Value> {
    vec![
        // One vulnerability under two ids: the GHSA names the CVE.
        with(
            with(
                osv("GHSA-test-lodash", "npm", "lodash", "0", Some("4.17.21")),
                "aliases",
                json!(["CVE-2099-1001"]),
            ),
            "severity",
            json!([{"type": "CVSS_V3", "score": CRITICAL}]),
        ),
        with(
            osv("CVE-2099-1001", "npm", "lodash", "4.0.0", Some("4.17.21")),
            "severity",
            json!([{"type": "CVSS_V2", "score": "AV:N/AC:M/Au:N/C:P/I:N/A:N"}]),
        ),
        with(
            osv("GHSA-test-qs", "npm", "qs", "6.0.0", Some("6.7.3")),
            "database_specific",
            json!({"severity": "MODERATE"}),
        ),
        with(
            osv(
                "GHSA-test-minimatch",
                "npm",
                "minimatch",
                "0",
                Some("3.0.5"),
            ),
            "severity",
            json!([{"type": "CVSS_V3", "score": HIGH}]),
        ),
        osv("GHSA-test-body", "npm", "body-parser", "0", None),
    ]
}

fn setup() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path(), &records());
    (dir, store)
}

fn finding<'a>(report: &'a Report, package: &str) -> &'a Finding {
    report
        .findings
        .iter()
        .find(|f| f.package.name == package)
        .unwrap_or_else(|| panic!("no finding on {package}: {:#?}", report.findings))
}

#[test]
fn one_finding_per_vulnerability_with_ids_merged_and_the_highest_severity() {
    let (_dir, store) = setup();
    let report = scan_with(
        &store,
        &npm_lock("package-lock.json", LOCK),
        &Default::default(),
        None,
    );
    let got: Vec<(&str, &str, &str)> = report
        .findings
        .iter()
        .map(|f| (f.id.as_str(), f.package.name.as_str(), f.rating_label()))
        .collect();
    assert_eq!(
        got,
        [
            ("GHSA-test-lodash", "lodash", "critical"),
            ("GHSA-test-minimatch", "minimatch", "high"),
            ("GHSA-test-qs", "qs", "medium"),
            ("GHSA-test-body", "body-parser", "unknown"),
        ]
    );
    let lodash = finding(&report, "lodash");
    assert_eq!(lodash.aliases, ["CVE-2099-1001"]);
    assert_eq!(lodash.severity.as_ref().and_then(|s| s.score), Some(9.8));
    assert_eq!(lodash.fixed, ["4.17.21"]);
    assert_eq!(report.summary.packages, 6);
    assert_eq!(report.summary.findings, 4);
    assert_eq!(report.summary.by_severity.get("critical"), Some(&1));
}

#[test]
fn remediation_says_whether_a_refresh_suffices_or_which_direct_dependency_must_move() {
    let (_dir, store) = setup();
    let report = scan_with(
        &store,
        &npm_lock("package-lock.json", LOCK),
        &Default::default(),
        None,
    );

    // The project declares lodash ^4.17.0, which admits 4.17.21.
    let lodash = &finding(&report, "lodash").remediation;
    assert_eq!(
        (lodash.version.as_deref(), lodash.via),
        (Some("4.17.21"), Via::LockfileRefresh)
    );
    assert_eq!(lodash.parent, None);

    // express pins qs 6.7.0 exactly: express itself must move.
    let qs = &finding(&report, "qs").remediation;
    assert_eq!(
        (qs.version.as_deref(), qs.via),
        (Some("6.7.3"), Via::DirectUpgrade)
    );
    let parent = qs.parent.as_ref().unwrap();
    assert_eq!(
        (parent.name.as_str(), parent.version.as_str()),
        ("express", "4.17.1")
    );
    assert_eq!(parent.blocked_by, "express 4.17.1 requires 6.7.0");

    // mocha asks for ^3.0.4: a refresh brings minimatch 3.0.5.
    let minimatch = &finding(&report, "minimatch").remediation;
    assert_eq!(minimatch.via, Via::LockfileRefresh);

    // No fix at all.
    let body = &finding(&report, "body-parser").remediation;
    assert_eq!((body.version.as_deref(), body.via), (None, Via::None));
}

#[test]
fn paths_are_the_shortest_ones_from_the_project() {
    let (_dir, store) = setup();
    let report = scan_with(
        &store,
        &npm_lock("package-lock.json", LOCK),
        &Default::default(),
        None,
    );
    assert_eq!(finding(&report, "qs").paths, [["shop", "express", "qs"]]);
    assert_eq!(finding(&report, "lodash").paths, [["shop", "lodash"]]);
    assert!(finding(&report, "lodash").package.direct);
    assert!(!finding(&report, "qs").package.direct);
}

#[test]
fn thresholds_fail_only_non_dev_findings_at_or_above_them() {
    let (_dir, store) = setup();
    let inv = npm_lock("package-lock.json", LOCK);
    let failing = |report: &Report| -> Vec<String> {
        report
            .findings
            .iter()
            .filter(|f| f.failing)
            .map(|f| f.package.name.clone())
            .collect()
    };
    let high = scan_with(&store, &inv, &Default::default(), Some(Threshold::High));
    assert_eq!(failing(&high), ["lodash"], "minimatch is high but dev-only");
    // Unrated findings count as medium.
    let medium = scan_with(&store, &inv, &Default::default(), Some(Threshold::Medium));
    assert_eq!(failing(&medium), ["lodash", "qs", "body-parser"]);
    let none = scan_with(&store, &inv, &Default::default(), Some(Threshold::None));
    assert!(!none.fails());
    let dev = scan_with(
        &store,
        &inv,
        &policy("fail-on = \"high\"\nfail-on-dev = true\n"),
        None,
    );
    assert_eq!(failing(&dev), ["lodash", "minimatch"]);
    assert_eq!(dev.summary.failing, 2);
}

#[test]
fn ignores_hide_findings_until_they_expire_and_an_expired_one_is_reported() {
    let (_dir, store) = setup();
    let inv = npm_lock("package-lock.json", LOCK);
    // Ignored by an alias, scoped to the package.
    let live = policy(
        "[[ignore]]\nid = \"CVE-2099-1001\"\nreason = \"template() unused\"\nexpires = 2027-01-31\npackage = \"npm/lodash\"\n",
    );
    let report = scan_with(&store, &inv, &live, Some(Threshold::High));
    let lodash = finding(&report, "lodash");
    assert_eq!(
        lodash.ignored.as_ref().map(|i| i.reason.as_str()),
        Some("template() unused")
    );
    assert!(!lodash.failing && !report.fails());
    assert_eq!((report.summary.findings, report.summary.ignored), (3, 1));

    let expired =
        policy("[[ignore]]\nid = \"GHSA-test-lodash\"\nreason = \"later\"\nexpires = 2026-11-01\n");
    let report = scan_with(&store, &inv, &expired, Some(Threshold::High));
    assert!(finding(&report, "lodash").failing);
    assert_eq!(
        report.warnings,
        [
            "the ignore of GHSA-test-lodash (palisade.toml:1) expired on 2026-11-01: it is reported again"
        ]
    );
}

#[test]
fn skipped_paths_and_ecosystems_are_not_scanned() {
    let (_dir, store) = setup();
    let inv = npm_lock("/repo/examples/package-lock.json", LOCK);
    let report = scan_with(&store, &inv, &policy("skip-paths = [\"examples\"]\n"), None);
    assert!(report.findings.is_empty());
    assert_eq!(report.summary.packages, 0);
    let report = scan_with(&store, &inv, &policy("skip-ecosystems = [\"npm\"]\n"), None);
    assert!(report.findings.is_empty());
}

#[test]
fn a_version_locked_in_two_projects_is_one_finding_in_two_places() {
    let (_dir, store) = setup();
    let mut inv = npm_lock("a/package-lock.json", LOCK);
    inv.extend(npm_lock("b/package-lock.json", LOCK));
    let report = scan_with(&store, &inv, &Default::default(), None);
    assert_eq!(report.findings.len(), 4);
    let lodash = finding(&report, "lodash");
    let files: Vec<&str> = lodash.locations.iter().map(|l| l.file.as_str()).collect();
    assert_eq!(files, ["a/package-lock.json", "b/package-lock.json"]);
    assert_eq!(
        lodash.paths,
        [["shop", "lodash"]],
        "identical paths are listed once"
    );
}

#[test]
fn kev_and_epss_are_joined_through_cve_aliases() {
    let (_dir, mut store) = setup();
    store
        .put_kev(&[KevEntry {
            cve: "CVE-2099-1001".into(),
            vendor: Some("lodash".into()),
            product: Some("lodash".into()),
            name: None,
            date_added: "2026-02-03".into(),
            due_date: Some("2026-02-24".into()),
            required_action: None,
            ransomware: Some("Unknown".into()),
        }])
        .unwrap();
    store
        .put_epss(&[EpssScore {
            cve: "CVE-2099-1001".into(),
            score: 0.42,
            percentile: 0.97,
            date: Some("2026-11-24".into()),
        }])
        .unwrap();
    let report = scan_with(
        &store,
        &npm_lock("package-lock.json", LOCK),
        &Default::default(),
        None,
    );
    let lodash = finding(&report, "lodash");
    assert_eq!(
        lodash.kev.as_ref().map(|k| k.date_added.as_str()),
        Some("2026-02-03")
    );
    assert_eq!(lodash.epss.as_ref().map(|e| e.score), Some(0.42));
    assert!(finding(&report, "qs").kev.is_none());
}

#[test]
fn a_diff_keeps_only_what_the_change_introduced() {
    let (_dir, store) = setup();
    let before = LOCK.replace("\"version\": \"4.17.20\"", "\"version\": \"4.17.21\"");
    let base = scan_with(
        &store,
        &npm_lock("package-lock.json", &before),
        &Default::default(),
        None,
    );
    let mut report = scan_with(
        &store,
        &npm_lock("package-lock.json", LOCK),
        &Default::default(),
        None,
    );
    report.subtract(&base);
    let ids: Vec<&str> = report.findings.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(ids, ["GHSA-test-lodash"]);
    assert_eq!(report.summary.findings, 1);
}
