//! Watches matched against journaled changes, through the library: which
//! watches hear about a new, a changed and a KEV-listed bulletin, and an
//! inventory watch hearing about a CVE through an OSV advisory's alias.

use std::collections::BTreeSet;
use std::path::Path;

use palisade_vulndb::{Bulletin, KevEntry, Store, parse_cve5};
use palisade_watch::{Event, NewWatch, Runner, Target, WatchStore};
use serde_json::Value;

fn record(score: f64, modified: &str) -> Bulletin {
    let text = format!(
        r#"{{"dataType": "CVE_RECORD", "cveMetadata": {{"cveId": "CVE-2024-0001", "state": "PUBLISHED",
          "datePublished": "2024-02-01T10:00:00Z", "dateUpdated": "{modified}"}},
          "containers": {{"cna": {{"title": "Widget overflow",
            "descriptions": [{{"lang": "en", "value": "Buffer overflow in Acme Widget."}}],
            "affected": [{{"vendor": "Acme", "product": "Widget", "defaultStatus": "unaffected",
              "versions": [{{"version": "1.0", "status": "affected", "lessThanOrEqual": "1.4.1", "versionType": "semver"}}]}}],
            "metrics": [{{"cvssV3_1": {{"baseScore": {score}}}}}]}}}}}}"#
    );
    parse_cve5("CVE-2024-0001.json", text.as_bytes())
        .unwrap_or_else(|e| panic!("{e}"))
        .into()
}

fn watch(name: &str) -> NewWatch {
    NewWatch {
        name: name.to_string(),
        notify: vec![Target::Stdout],
        ..NewWatch::default()
    }
}

/// Runs one cycle and returns (watch, event, bulletin) of each notification.
/// One runner cycle: the notifications it printed to stdout.
fn printed(runner: &mut Runner) -> Vec<Value> {
    let mut lines = Vec::new();
    runner
        .cycle(false, &mut |e| {
            if let Event::Stdout(line) = e {
                lines.push(serde_json::from_str(line).unwrap_or_default());
            }
        })
        .unwrap_or_else(|e| panic!("{e}"));
    lines
}

fn cycle(runner: &mut Runner) -> BTreeSet<(String, String, String)> {
    printed(runner)
        .iter()
        .map(|v| {
            (
                v["watch"].as_str().unwrap_or("").to_string(),
                v["event"].as_str().unwrap_or("").to_string(),
                v["bulletin"]["id"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

fn set(items: &[(&str, &str, &str)]) -> BTreeSet<(String, String, String)> {
    items
        .iter()
        .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
        .collect()
}

fn open(path: &Path) -> (Store, WatchStore, Runner) {
    let store = Store::open(path).unwrap_or_else(|e| panic!("{e}"));
    let watches = WatchStore::open(path).unwrap_or_else(|e| panic!("{e}"));
    let fetcher = palisade_vulndb::Fetcher::new().unwrap_or_else(|e| panic!("{e}"));
    let runner = Runner::new(path, fetcher, palisade_watch::Delivery::default())
        .unwrap_or_else(|e| panic!("{e}"));
    (store, watches, runner)
}

#[test]
fn new_changed_and_kev_events_reach_the_watches_they_concern() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (mut store, mut watches, mut runner) = open(&dir.path().join("db.sqlite"));
    let add = |watches: &mut WatchStore, w: NewWatch| {
        watches.add(&w, 0).unwrap_or_else(|e| panic!("{e}"));
    };
    add(
        &mut watches,
        NewWatch {
            vendor: Some("acme".into()),
            product: Some("WIDGET".into()),
            version: Some("1.4.0".into()),
            ..watch("affected-version")
        },
    );
    add(
        &mut watches,
        NewWatch {
            vendor: Some("Acme".into()),
            product: Some("Widget".into()),
            version: Some("1.4.2".into()),
            ..watch("fixed-version")
        },
    );
    add(
        &mut watches,
        NewWatch {
            keyword: Some("overflow".into()),
            min_severity: Some("critical".into()),
            ..watch("critical-overflows")
        },
    );
    add(
        &mut watches,
        NewWatch {
            vendor: Some("acme".into()),
            kev_only: true,
            ..watch("exploited")
        },
    );
    add(
        &mut watches,
        NewWatch {
            keyword: Some("gadget".into()),
            ..watch("gadgets")
        },
    );

    store
        .put_bulletins("cve5", &[record(9.8, "2024-03-01T00:00:00Z")], &[], true)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        cycle(&mut runner),
        set(&[
            ("affected-version", "new", "CVE-2024-0001"),
            ("critical-overflows", "new", "CVE-2024-0001"),
        ])
    );
    assert!(cycle(&mut runner).is_empty(), "delivered once");

    // A new date alone is not news; a new score is.
    store
        .put_bulletins("cve5", &[record(9.8, "2024-04-01T00:00:00Z")], &[], true)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(cycle(&mut runner).is_empty());
    store
        .put_bulletins("cve5", &[record(7.5, "2024-05-01T00:00:00Z")], &[], true)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        cycle(&mut runner),
        set(&[("affected-version", "changed", "CVE-2024-0001")])
    );

    let kev = KevEntry {
        cve: "CVE-2024-0001".into(),
        vendor: Some("Acme".into()),
        product: Some("Widget".into()),
        name: Some("Acme Widget overflow".into()),
        date_added: "2026-11-25".into(),
        due_date: None,
        required_action: None,
        ransomware: None,
    };
    store
        .put_bulletins("kev", &[], std::slice::from_ref(&kev), true)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        cycle(&mut runner),
        set(&[
            ("affected-version", "kev", "CVE-2024-0001"),
            ("critical-overflows", "kev", "CVE-2024-0001"),
            ("exploited", "kev", "CVE-2024-0001"),
        ])
    );
    // Listed again: not news.
    store
        .put_bulletins("kev", &[], &[kev], true)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(cycle(&mut runner).is_empty());
}

#[test]
fn an_inventory_watch_hears_of_cves_affecting_its_packages() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (mut store, mut watches, mut runner) = open(&dir.path().join("db.sqlite"));
    let project = dir.path().join("app");
    std::fs::create_dir_all(&project).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(
        project.join("package-lock.json"),
        r#"{"name": "app", "version": "1.0.0", "lockfileVersion": 3, "packages": {
            "": {"name": "app", "version": "1.0.0", "dependencies": {"lodash": "^4.17.0"}},
            "node_modules/lodash": {"version": "4.17.20"}}}"#,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let advisory = dir.path().join("GHSA-35jh-r3h4-6jhm.json");
    std::fs::write(
        &advisory,
        r#"{"id": "GHSA-35jh-r3h4-6jhm", "modified": "2024-01-01T00:00:00Z", "aliases": ["CVE-2021-23337"],
            "summary": "Command Injection in lodash",
            "affected": [{"package": {"ecosystem": "npm", "name": "lodash"},
              "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "4.17.21"}]}]}]}"#,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    store
        .import(&[advisory], &Default::default(), &mut |_| {})
        .unwrap_or_else(|e| panic!("{e}"));
    watches
        .add(
            &NewWatch {
                inventory: Some(project),
                ..watch("app-deps")
            },
            store.last_change().unwrap_or_else(|e| panic!("{e}")),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    let bulletin = |id: &str, title: &str| Bulletin {
        id: id.into(),
        source: "nvd".into(),
        state: None,
        published: Some("2021-02-15T13:15:00Z".into()),
        modified: None,
        title: Some(title.into()),
        summary: None,
        url: None,
        cvss: vec![],
        cwes: vec![],
        affected: vec![],
        configurations: vec![],
        references: vec![],
        aliases: vec![],
    };
    store
        .put_bulletins(
            "nvd",
            &[
                bulletin("CVE-2021-23337", "Lodash command injection via template"),
                bulletin("CVE-2099-0001", "Something else entirely"),
            ],
            &[],
            true,
        )
        .unwrap_or_else(|e| panic!("{e}"));
    let matched = printed(&mut runner);
    assert_eq!(matched.len(), 1, "{matched:?}");
    assert_eq!(matched[0]["bulletin"]["id"], "CVE-2021-23337");
    let reason = matched[0]["matched"].as_str().unwrap_or("");
    assert!(reason.starts_with("lodash@4.17.20 in "), "{reason}");
}

#[test]
fn a_digest_watch_queues_for_the_next_day_and_bad_watches_are_refused() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (mut store, mut watches, mut runner) = open(&dir.path().join("db.sqlite"));
    let w = watches
        .add(
            &NewWatch {
                keyword: Some("widget".into()),
                digest: true,
                ..watch("daily")
            },
            0,
        )
        .unwrap_or_else(|e| panic!("{e}"));
    store
        .put_bulletins("cve5", &[record(9.8, "2024-03-01T00:00:00Z")], &[], true)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(cycle(&mut runner).is_empty(), "held for the digest");
    let queued = watches.outbox(w.id).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(queued.len(), 1);
    assert!(queued[0].digest && queued[0].delivered.is_none());
    let due = chrono::DateTime::parse_from_rfc3339(&queued[0].next_attempt)
        .unwrap_or_else(|e| panic!("{e}"));
    let hours = (due.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_hours();
    assert!((23..=24).contains(&hours), "{hours}");

    // A digest that is due: everything queued goes as one message.
    let past = watches
        .add(
            &NewWatch {
                keyword: Some("overflow".into()),
                digest: true,
                ..watch("weekly-review")
            },
            store.last_change().unwrap_or_else(|e| panic!("{e}")),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    let conn =
        rusqlite::Connection::open(dir.path().join("db.sqlite")).unwrap_or_else(|e| panic!("{e}"));
    conn.execute(
        "UPDATE watch SET created = '2020-01-01T00:00:00.000Z' WHERE id = ?1",
        [past.id],
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let other = |id: &str| {
        let mut b = record(9.8, "2024-06-01T00:00:00Z");
        b.id = id.into();
        b
    };
    store
        .put_bulletins(
            "cve5",
            &[other("CVE-2024-0002"), other("CVE-2024-0003")],
            &[],
            true,
        )
        .unwrap_or_else(|e| panic!("{e}"));
    let lines = printed(&mut runner);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0]["event"], "digest");
    assert_eq!(lines[0]["watch"], "weekly-review");
    let items: BTreeSet<String> = lines[0]["items"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|i| i["bulletin"]["id"].as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(
        items,
        BTreeSet::from(["CVE-2024-0002".to_string(), "CVE-2024-0003".to_string()])
    );
    let delivered = watches.outbox(past.id).unwrap_or_else(|e| panic!("{e}"));
    assert!(delivered.iter().all(|e| e.delivered.is_some()));

    for (bad, why) in [
        (watch("nothing"), "something to watch"),
        (
            NewWatch {
                version: Some("1.0".into()),
                keyword: Some("x".into()),
                ..watch("version-only")
            },
            "--version needs",
        ),
        (
            NewWatch {
                keyword: Some("x".into()),
                notify: vec![],
                ..watch("silent")
            },
            "--notify",
        ),
        (
            NewWatch {
                keyword: Some("x".into()),
                ..watch("daily")
            },
            "exists",
        ),
    ] {
        let err = watches
            .add(&bad, 0)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains(why), "{err}");
    }
    // A webhook without a secret gets one generated.
    let hooked = watches
        .add(
            &NewWatch {
                keyword: Some("x".into()),
                notify: vec![Target::Webhook("http://127.0.0.1:9/hook".into())],
                ..watch("hooked")
            },
            0,
        )
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(hooked.spec.secret.as_deref().map(str::len), Some(64));
}
