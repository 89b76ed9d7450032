//! `palisade feeds ...` end to end: the shared KEV catalog and CVE 5
//! records imported and searched; NVD API 2.0, EPSS, KEV and RSS sources
//! synced from a loopback server serving fixtures written from the published
//! formats; malformed sources recorded as errors while the others go on.

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::{add_source, json, path_str, report, run, stderr, sync, sync_with, temp_db};
use palisade_testkit::http::Server;
use serde_json::Value;

/// Ids of CVE records under `dir` (from the files' `cveId`) and KEV CVE ids.
fn sample_ids(feeds: &Path) -> (BTreeSet<String>, BTreeSet<String>) {
    let mut cves = BTreeSet::new();
    let mut stack = vec![feeds.join("cve5")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "json") {
                let v: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
                cves.insert(v["cveMetadata"]["cveId"].as_str().unwrap().to_string());
            }
        }
    }
    let kev: Value = serde_json::from_slice(
        &std::fs::read(feeds.join("kev/known_exploited_vulnerabilities.json")).unwrap(),
    )
    .unwrap();
    let kev = kev["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["cveID"].as_str().unwrap().to_string())
        .collect();
    (cves, kev)
}

fn ids(v: &Value) -> BTreeSet<String> {
    v["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn the_shared_samples_import_search_and_show() {
    let Some(feeds) = palisade_testkit::data_dir("feeds") else {
        return;
    };
    let (cves, kev) = sample_ids(&feeds);
    let (_dir, db) = temp_db();
    let report = json(
        &db,
        &[
            "feeds",
            "import",
            path_str(&feeds.join("kev")),
            path_str(&feeds.join("cve5")),
        ],
    );
    assert_eq!(report["cve5"], cves.len(), "{report}");
    assert_eq!(report["kev"], kev.len(), "{report}");
    let both = cves.intersection(&kev).count();
    // One bulletin per CVE record and per KEV entry, merged by id.
    assert_eq!(
        report["added"].as_u64().unwrap() as usize,
        cves.len() + kev.len() - both
    );
    assert_eq!(report["skipped"], Value::Array(vec![]));

    // Keyword search, like the CVE List's.
    let python = json(&db, &["feeds", "search", "python", "--limit", "0"]);
    let found = ids(&python);
    for id in [
        "CVE-2023-6507",
        "CVE-2023-6597",
        "CVE-2024-0450",
        "CVE-2024-9287",
    ] {
        assert!(found.contains(id), "{id} missing from {found:?}");
    }
    assert_eq!(python["total"].as_u64().unwrap() as usize, found.len());
    // Newest first, with words alone (the text index orders) and with a filter (SQL orders).
    for result in [
        python.clone(),
        json(
            &db,
            &[
                "feeds",
                "search",
                "python",
                "--min-cvss",
                "0",
                "--limit",
                "0",
            ],
        ),
    ] {
        let days: Vec<String> = result["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| {
                let date = h["published"]
                    .as_str()
                    .or(h["modified"].as_str())
                    .unwrap_or("");
                date.get(..10).unwrap_or(date).to_string()
            })
            .collect();
        assert!(days.windows(2).all(|w| w[0] >= w[1]), "{days:?}");
    }
    let first = json(&db, &["feeds", "search", "python", "--limit", "3"]);
    assert_eq!(first["total"], python["total"]);
    assert_eq!(
        first["results"].as_array().unwrap()[..],
        python["results"].as_array().unwrap()[..3]
    );

    // Vendor / product / version: CVE-2024-0450 affects CPython < 3.8.19 and
    // 3.12.0 up to (not including) 3.12.2 (versionType python, lessThan).
    let query = |version: &str| {
        ids(&json(
            &db,
            &[
                "feeds",
                "search",
                "--vendor",
                "Python Software Foundation",
                "--product",
                "cpython",
                "--version",
                version,
                "--limit",
                "0",
            ],
        ))
    };
    assert!(query("3.8.18").contains("CVE-2024-0450"));
    assert!(!query("3.8.19").contains("CVE-2024-0450"));
    assert!(query("3.12.1").contains("CVE-2024-0450"));
    assert!(!query("3.12.2").contains("CVE-2024-0450"));
    // The CPE spelling of the same product reaches the CNA's entries too.
    let cpe = ids(&json(
        &db,
        &[
            "feeds",
            "search",
            "--cpe",
            "cpe:2.3:a:python:cpython:3.12.1:*:*:*:*:*:*:*",
            "--limit",
            "0",
        ],
    ));
    assert!(cpe.contains("CVE-2024-0450"), "{cpe:?}");

    // --kev: exactly the KEV-listed ones.
    let listed = ids(&json(&db, &["feeds", "search", "--kev", "--limit", "0"]));
    assert_eq!(listed, kev);
    let listed_cves = ids(&json(
        &db,
        &[
            "feeds", "search", "--kev", "--source", "cve5", "--limit", "0",
        ],
    ));
    assert_eq!(listed_cves, cves.intersection(&kev).cloned().collect());

    // show: the record with kev (the catalog entry, or null) and epss.
    let shown = json(&db, &["feeds", "show", "CVE-2024-0450"]);
    assert_eq!(shown["id"], "CVE-2024-0450");
    assert_eq!(shown["kev"], Value::Null);
    assert_eq!(shown["epss"], Value::Null);
    assert_eq!(shown["title"], "Quoted zip-bomb protection for zipfile");
    let exploited = listed_cves.iter().next().expect("a sample CVE in KEV");
    let shown = json(&db, &["feeds", "show", exploited]);
    assert_eq!(shown["kev"]["cve"], exploited.as_str());
    assert!(shown["kev"]["date_added"].as_str().unwrap().len() == 10);
    assert_eq!(shown["sources"], serde_json::json!(["cve5", "kev"]));

    // Re-importing changes nothing.
    let again = json(&db, &["feeds", "import", path_str(&feeds.join("cve5"))]);
    assert_eq!(again["added"], 0);
    assert_eq!(again["updated"], 0);
    assert_eq!(again["unchanged"].as_u64().unwrap() as usize, cves.len());
}

#[test]
fn zips_and_atom_files_import_by_content() {
    let (dir, db) = temp_db();
    let zip = dir.path().join("records.zip");
    let second = CVE5.replace("CVE-2024-0001", "CVE-2024-0002");
    std::fs::write(
        &zip,
        palisade_testkit::zip_bytes(&[
            ("cves/2024/0xxx/CVE-2024-0001.json", CVE5.as_bytes()),
            ("cves/2024/0xxx/CVE-2024-0002.json", second.as_bytes()),
            ("cves/delta.json", b"{\"new\": []}"),
        ]),
    )
    .unwrap();
    let atom = dir.path().join("vendor-advisories.atom");
    std::fs::write(
        &atom,
        r#"<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Vendor advisories</title><id>urn:vendor</id>
<updated>2026-11-20T12:00:00Z</updated>
<entry><title>Gadget firmware update</title><id>urn:vendor:adv-7</id><updated>2026-11-20T12:00:00Z</updated>
<link href="https://vendor.example/adv-7"/><summary type="html">&lt;b&gt;Fixes&lt;/b&gt; CVE-2024-0002 in Gadget.</summary></entry>
</feed>"#,
    )
    .unwrap();
    let report = json(&db, &["feeds", "import", path_str(&zip), path_str(&atom)]);
    assert_eq!(report["cve5"], 2, "{report}");
    assert_eq!(report["feed_items"], 1, "{report}");
    let shown = json(
        &db,
        &["feeds", "show", "vendor-advisories:urn:vendor:adv-7"],
    );
    assert_eq!(shown["summary"], "Fixes CVE-2024-0002 in Gadget.");
    assert_eq!(shown["url"], "https://vendor.example/adv-7");
    assert_eq!(shown["aliases"], serde_json::json!(["CVE-2024-0002"]));
    assert_eq!(shown["published"], "2026-11-20T12:00:00+00:00");
}

#[test]
fn a_bad_record_imports_nothing_unless_skipped() {
    let (dir, db) = temp_db();
    let good = dir.path().join("in/CVE-2024-0001.json");
    std::fs::create_dir_all(good.parent().unwrap()).unwrap();
    std::fs::write(&good, CVE5).unwrap();
    std::fs::write(
        dir.path().join("in/CVE-2024-0002.json"),
        b"{\"dataType\": \"CVE_RECORD\", \"cveMetadata\": {",
    )
    .unwrap();
    let out = run(&db, &["feeds", "import", path_str(&dir.path().join("in"))]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("CVE-2024-0002.json:1:"),
        "{}",
        stderr(&out)
    );
    let empty = json(&db, &["feeds", "search", "widget"]);
    assert_eq!(empty["total"], 0);
    let report = json(
        &db,
        &[
            "feeds",
            "import",
            "--skip-invalid",
            path_str(&dir.path().join("in")),
        ],
    );
    assert_eq!(report["cve5"], 1);
    assert_eq!(report["skipped"].as_array().unwrap().len(), 1);
    assert_eq!(
        ids(&json(&db, &["feeds", "search", "widget"])),
        BTreeSet::from(["CVE-2024-0001".to_string()])
    );
}

const CVE5: &str = r#"{"dataType": "CVE_RECORD", "dataVersion": "5.1",
  "cveMetadata": {"cveId": "CVE-2024-0001", "state": "PUBLISHED", "datePublished": "2024-02-01T10:00:00Z"},
  "containers": {"cna": {"title": "Widget overflow",
    "descriptions": [{"lang": "en", "value": "Buffer overflow in Acme Widget."}],
    "affected": [{"vendor": "Acme", "product": "Widget", "defaultStatus": "unaffected",
      "versions": [{"version": "1.0", "status": "affected", "lessThanOrEqual": "1.4.1", "versionType": "semver"}]}],
    "metrics": [{"cvssV3_1": {"baseScore": 9.8, "baseSeverity": "CRITICAL"}}],
    "problemTypes": [{"descriptions": [{"cweId": "CWE-787", "lang": "en", "description": "OOB write", "type": "CWE"}]}],
    "references": [{"url": "https://example.com/advisory"}]}}}"#;

/// An NVD CVE API 2.0 page in the published shape.
fn nvd_page(start: usize, total: usize, items: &[(&str, &str, f64, &str)]) -> Vec<u8> {
    let vulnerabilities: Vec<Value> = items
        .iter()
        .map(|(id, criteria, score, end)| {
            serde_json::json!({"cve": {
                "id": id, "sourceIdentifier": "cve@mitre.org",
                "published": "2024-05-01T10:15:00.000", "lastModified": "2024-06-01T10:15:00.000",
                "vulnStatus": "Analyzed",
                "descriptions": [{"lang": "en", "value": format!("Path traversal in Example Server ({id}).")}],
                "metrics": {"cvssMetricV31": [{"source": "nvd@nist.gov", "type": "Primary",
                    "cvssData": {"version": "3.1", "vectorString": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N",
                        "baseScore": score, "baseSeverity": if *score >= 9.0 { "CRITICAL" } else { "HIGH" }},
                    "exploitabilityScore": 3.9, "impactScore": 3.6}]},
                "weaknesses": [{"source": "nvd@nist.gov", "type": "Primary", "description": [{"lang": "en", "value": "CWE-22"}]}],
                "configurations": [{"nodes": [{"operator": "OR", "negate": false, "cpeMatch": [
                    {"vulnerable": true, "criteria": criteria, "versionStartIncluding": "2.0", "versionEndExcluding": end,
                     "matchCriteriaId": "00000000-0000-0000-0000-000000000000"}]}]}],
                "references": [{"url": format!("https://example.com/{id}"), "source": "cve@mitre.org"}]
            }})
        })
        .collect();
    serde_json::to_vec(&serde_json::json!({
        "resultsPerPage": items.len(), "startIndex": start, "totalResults": total,
        "format": "NVD_CVE", "version": "2.0", "timestamp": "2024-06-02T00:00:00.000",
        "vulnerabilities": vulnerabilities,
    }))
    .unwrap()
}

#[test]
fn nvd_epss_and_kev_sources_sync_over_loopback() {
    let server = Server::start();
    let criteria = "cpe:2.3:a:example:server:*:*:*:*:*:*:*:*";
    server.put(
        "/nvd?resultsPerPage=2000&startIndex=0",
        nvd_page(
            0,
            3,
            &[
                ("CVE-2024-1001", criteria, 7.5, "2.4.50"),
                ("CVE-2024-1002", criteria, 9.1, "2.4.60"),
            ],
        ),
        1,
    );
    server.put(
        "/nvd?resultsPerPage=2000&startIndex=2",
        nvd_page(2, 3, &[("CVE-2024-1003", criteria, 7.0, "2.4.70")]),
        1,
    );
    server.put(
        "/epss.csv.gz",
        {
            use std::io::Write;
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            gz.write_all(b"#model_version:v2025.03.14,score_date:2026-11-25T00:00:00+0000\ncve,epss,percentile\nCVE-2024-1001,0.91234,0.99876\nCVE-2024-1002,0.00123,0.12\n").unwrap();
            gz.finish().unwrap()
        },
        1,
    );
    server.put(
        "/kev.json",
        serde_json::to_vec(&serde_json::json!({"title": "CISA Catalog of Known Exploited Vulnerabilities",
            "catalogVersion": "2026.11.25", "dateReleased": "2026-11-25T12:00:00.000Z", "count": 1,
            "vulnerabilities": [{"cveID": "CVE-2024-1002", "vendorProject": "Example", "product": "Server",
                "vulnerabilityName": "Example Server Path Traversal", "dateAdded": "2026-11-20",
                "shortDescription": "Path traversal.", "requiredAction": "Apply updates.", "dueDate": "2026-12-11",
                "knownRansomwareCampaignUse": "Unknown", "notes": "", "cwes": ["CWE-22"]}]}))
        .unwrap(),
        1,
    );
    // A failing answer is retried (after 2 s) and the sync still succeeds.
    server.fail_next("/kev.json", 1);
    let (_dir, db) = temp_db();
    let base = server.url();
    for (name, kind, path) in [
        ("nvd", "nvd", "/nvd"),
        ("epss", "epss", "/epss.csv.gz"),
        ("kev", "kev", "/kev.json"),
    ] {
        add_source(&db, name, kind, &format!("{base}{path}"));
    }
    let (synced, reports) = sync(&db);
    assert!(synced, "{reports}");
    let by_name = |name: &str| report(&reports, name);
    assert_eq!(by_name("nvd")["records"], 3);
    assert_eq!(by_name("nvd")["requests"], 2);
    assert_eq!(by_name("epss")["records"], 2);
    assert_eq!(by_name("kev")["kev_added"], 1);
    let kev_answers: Vec<u16> = server
        .requests()
        .iter()
        .filter(|r| r.path == "/kev.json")
        .map(|r| r.status)
        .collect();
    assert_eq!(kev_answers, [503, 200]);

    // NVD's CPE ranges answer version queries.
    let affected = ids(&json(
        &db,
        &[
            "feeds",
            "search",
            "--vendor",
            "example",
            "--product",
            "server",
            "--version",
            "2.4.55",
            "--limit",
            "0",
        ],
    ));
    assert_eq!(
        affected,
        BTreeSet::from(["CVE-2024-1002".to_string(), "CVE-2024-1003".to_string()])
    );
    let by_cpe = ids(&json(
        &db,
        &[
            "feeds",
            "search",
            "--cpe",
            "cpe:2.3:a:example:server:2.4.49",
            "--min-cvss",
            "7.5",
        ],
    ));
    assert_eq!(
        by_cpe,
        BTreeSet::from(["CVE-2024-1001".to_string(), "CVE-2024-1002".to_string()])
    );
    let critical = ids(&json(
        &db,
        &[
            "feeds",
            "search",
            "--severity",
            "critical",
            "--cwe",
            "CWE-22",
        ],
    ));
    assert_eq!(critical, BTreeSet::from(["CVE-2024-1002".to_string()]));
    let likely = ids(&json(&db, &["feeds", "search", "--epss-above", "0.5"]));
    assert_eq!(likely, BTreeSet::from(["CVE-2024-1001".to_string()]));
    let shown = json(&db, &["feeds", "show", "CVE-2024-1002"]);
    assert_eq!(shown["kev"]["due_date"], "2026-12-11");
    assert_eq!(shown["epss"]["score"], 0.00123);
    assert_eq!(shown["severity"], "critical");

    // The second sync: conditional requests for documents, an incremental
    // window for NVD.
    server.clear_requests();
    server.put(
        "/nvd",
        nvd_page(0, 1, &[("CVE-2024-1001", criteria, 8.2, "2.4.51")]),
        2,
    );
    let (synced, reports) = sync_with(&db, &[("NVD_API_KEY", "k-123")]);
    assert!(synced, "{reports}");
    let by_name = |name: &str| report(&reports, name);
    assert_eq!(by_name("epss")["status"], "not-modified");
    assert_eq!(by_name("kev")["status"], "not-modified");
    assert_eq!(by_name("nvd")["updated"], 1);
    let requests = server.requests();
    let nvd = requests
        .iter()
        .find(|r| r.path.starts_with("/nvd"))
        .unwrap();
    assert!(
        nvd.path.contains("lastModStartDate=")
            && nvd.path.contains("lastModEndDate=")
            && nvd.headers.get("apikey").map(String::as_str) == Some("k-123"),
        "{}",
        nvd.path
    );
    let kev = requests.iter().find(|r| r.path == "/kev.json").unwrap();
    assert_eq!(
        kev.headers.get("if-none-match").map(String::as_str),
        Some("\"v1\"")
    );
    assert_eq!(json(&db, &["feeds", "show", "CVE-2024-1001"])["score"], 8.2);
}

#[test]
fn malformed_sources_record_an_error_while_the_others_continue() {
    let server = Server::start();
    let good = b"<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Bulletins</title>\
        <item><title>Fine</title><guid>ok-1</guid><pubDate>Tue, 10 Jun 2025 20:15:00 GMT</pubDate></item></channel></rss>";
    server.put("/good.xml", good.to_vec(), 1);
    server.put(
        "/bomb.xml",
        br#"<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "aaaaaaaaaaaaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]><rss version="2.0"><channel><title>&d;</title><item><title>&d;&d;&d;</title><guid>b</guid></item></channel></rss>"#.to_vec(),
        1,
    );
    server.put("/huge.xml", vec![b' '; 200 * 1024 * 1024], 1);
    server.put(
        "/dates.xml",
        b"<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>T</title>\
          <item><title>Undated</title><guid>d-1</guid><pubDate>the 32nd of Smarch</pubDate></item></channel></rss>"
            .to_vec(),
        1,
    );
    server.put(
        "/page.xml",
        b"<!DOCTYPE html><html><head><title>Not found</title></head><body>Sorry</body></html>"
            .to_vec(),
        1,
    );
    let (_dir, db) = temp_db();
    for name in ["good", "bomb", "huge", "dates", "page"] {
        add_source(&db, name, "rss", &format!("{}/{name}.xml", server.url()));
    }
    let out = run(&db, &["--json", "feeds", "sync"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "a failed source makes sync exit 2"
    );
    let reports: Value = serde_json::from_slice(&out.stdout).unwrap();
    let status = |name: &str| {
        let r = report(&reports, name);
        (
            r["status"].as_str().unwrap().to_string(),
            r["error"].as_str().unwrap_or("").to_string(),
        )
    };
    assert_eq!(status("good").0, "updated");
    assert_eq!(status("dates").0, "updated");
    assert!(
        status("dates").1.contains("1 dates did not parse"),
        "{:?}",
        status("dates")
    );
    let (huge, why) = status("huge");
    assert_eq!(huge, "failed");
    assert!(why.contains("at most 16777216"), "{why}");
    let (page, why) = status("page");
    assert_eq!(page, "failed");
    assert!(
        why.contains("an HTML page, not an RSS or Atom feed"),
        "{why}"
    );
    // The entity bomb either fails or stays small: never expanded.
    let (bomb, _) = status("bomb");
    if bomb == "updated" {
        let shown = json(&db, &["feeds", "show", "bomb:b"]);
        assert!(
            shown["title"].as_str().unwrap_or("").len() < 1000,
            "{shown}"
        );
    }
    let sources = json(&db, &["feeds", "source", "list"]);
    let state = |name: &str| {
        sources
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == name)
            .unwrap()
            .clone()
    };
    assert!(
        state("huge")["last_error"]
            .as_str()
            .unwrap()
            .contains("huge.xml")
    );
    assert_eq!(state("huge")["last_success"], Value::Null);
    assert_eq!(state("good")["items"], 1);
    assert_eq!(state("good")["last_error"], Value::Null);
    assert_eq!(
        ids(&json(&db, &["feeds", "search", "fine"])),
        BTreeSet::from(["good:ok-1".to_string()])
    );
}

#[test]
fn cvelist_delta_and_osv_sources_sync_and_link_through_aliases() {
    let server = Server::start();
    let record = |id: &str, product: &str| {
        CVE5.replace("CVE-2024-0001", id)
            .replace("\"Widget\"", &format!("\"{product}\""))
    };
    server.put(
        "/cves/2026/1xxx/CVE-2026-1001.json",
        record("CVE-2026-1001", "Sprocket").into_bytes(),
        1,
    );
    server.put(
        "/cves/2026/1xxx/CVE-2026-1002.json",
        record("CVE-2026-1002", "Gizmo").into_bytes(),
        1,
    );
    let link = |id: &str| format!("{}/cves/2026/1xxx/{id}.json", server.url());
    server.put(
        "/cves/delta.json",
        serde_json::to_vec(&serde_json::json!({
            "fetchTime": "2026-11-25T10:00:00.000Z", "numberOfChanges": 2,
            "new": [{"cveId": "CVE-2026-1001", "cveOrgLink": "https://www.cve.org/CVERecord?id=CVE-2026-1001",
                     "githubLink": link("CVE-2026-1001"), "dateUpdated": "2026-11-25T09:00:00.000Z"}],
            "updated": [{"cveId": "CVE-2026-1002", "cveOrgLink": "https://www.cve.org/CVERecord?id=CVE-2026-1002",
                         "githubLink": link("CVE-2026-1002"), "dateUpdated": "2026-11-25T09:30:00.000Z"}],
            "error": []
        }))
        .unwrap(),
        1,
    );
    let osv = br#"{"id": "GHSA-abcd-efgh-ijkl", "modified": "2026-11-25T00:00:00Z", "aliases": ["CVE-2026-1001"],
        "summary": "Sprocket overflow", "affected": [{"package": {"ecosystem": "npm", "name": "sprocket"},
        "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "2.0.0"}]}]}]}"#;
    server.put(
        "/osv/npm/all.zip",
        palisade_testkit::zip_bytes(&[("GHSA-abcd-efgh-ijkl.json", osv)]),
        1,
    );
    let (_dir, db) = temp_db();
    add_source(
        &db,
        "cvelist",
        "cve5",
        &format!("{}/cves/delta.json", server.url()),
    );
    add_source(
        &db,
        "osv-npm",
        "osv",
        &format!("{}/osv/npm/all.zip", server.url()),
    );
    let (synced, reports) = sync(&db);
    assert!(synced, "{reports}");
    let by_name = |name: &str| report(&reports, name);
    assert_eq!(by_name("cvelist")["records"], 2, "{reports}");
    assert_eq!(by_name("cvelist")["requests"], 3);
    assert_eq!(by_name("osv-npm")["records"], 1);
    assert_eq!(
        ids(&json(
            &db,
            &[
                "feeds",
                "search",
                "--vendor",
                "acme",
                "--product",
                "gizmo",
                "--version",
                "1.2"
            ]
        )),
        BTreeSet::from(["CVE-2026-1002".to_string()])
    );
    // The OSV advisory aliasing the CVE is linked from the bulletin, and a
    // scan's advisory query finds it.
    let shown = json(&db, &["feeds", "show", "cve-2026-1001"]);
    assert_eq!(
        shown["advisories"],
        serde_json::json!(["GHSA-abcd-efgh-ijkl"])
    );
    let query = json(&db, &["db", "query", "npm", "sprocket", "1.0.0"]);
    assert!(query.to_string().contains("GHSA-abcd-efgh-ijkl"), "{query}");
    // Unchanged sources cost one conditional request each.
    server.clear_requests();
    let (synced, again) = sync(&db);
    assert!(synced, "{again}");
    assert!(
        again
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["status"] == "not-modified"),
        "{again}"
    );
    assert_eq!(server.requests().len(), 2);
}

#[test]
fn escapes_in_feed_titles_reach_the_terminal_visible() {
    let (dir, db) = temp_db();
    let atom = dir.path().join("hostile.atom");
    std::fs::write(
        &atom,
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n\
<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>Hostile</title><id>urn:h</id>\
<updated>2026-11-20T12:00:00Z</updated>\
<entry><title>Patch now\x1b]0;owned\x07\r\x1b[2K all clear</title><id>urn:h:1</id>\
<updated>2026-11-20T12:00:00Z</updated><summary>body \u{9b}2J text</summary></entry></feed>",
    )
    .unwrap();
    let report = json(&db, &["feeds", "import", path_str(&atom)]);
    assert_eq!(report["feed_items"], 1, "{report}");
    for args in [
        &["feeds", "search", "patch"][..],
        &["feeds", "show", "hostile:urn:h:1"][..],
    ] {
        let out = run(&db, args);
        assert!(out.status.success(), "{}", stderr(&out));
        let text = common::stdout(&out);
        assert!(!text.contains(['\x1b', '\x07', '\r', '\u{9b}']), "{text:?}");
        assert!(
            // (The feed reader turned the carriage return into a space.)
            text.contains("Patch now\\x1b]0;owned\\x07") && text.contains("\\x1b[2K all clear"),
            "{text}"
        );
    }
}
