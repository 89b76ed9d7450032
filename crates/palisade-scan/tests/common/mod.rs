//! Building advisory databases and inventories for scan tests.

#![allow(dead_code, clippy::unwrap_used)]

use std::path::Path;

use chrono::NaiveDate;
use palisade_inventory::{Format, Inventory};
use palisade_scan::{Policy, Report, ScanOptions, Threshold};
use palisade_vulndb::{ImportOptions, Store};
use serde_json::{Value, json};

/// An OSV record affecting `name` in `ecosystem` from `introduced` until `fixed`.
pub fn osv(id: &str, ecosystem: &str, name: &str, introduced: &str, fixed: Option<&str>) -> Value {
    let mut events = vec![json!({"introduced": introduced})];
    if let Some(f) = fixed {
        events.push(json!({"fixed": f}));
    }
    json!({
        "schema_version": "1.6.0",
        "id": id,
        "modified": "2026-01-01T00:00:00Z",
        "published": "2025-12-01T00:00:00Z",
        "summary": format!("A test advisory about {name}"),
        "affected": [{
            "package": {"ecosystem": ecosystem, "name": name},
            "ranges": [{"type": if ecosystem == "PyPI" { "ECOSYSTEM" } else { "SEMVER" }, "events": events}],
        }],
    })
}

pub fn with(mut record: Value, key: &str, value: Value) -> Value {
    record[key] = value;
    record
}

/// A database holding `records`, in a temporary directory.
pub fn store(dir: &Path, records: &[Value]) -> Store {
    let input = dir.join("records");
    std::fs::create_dir_all(&input).unwrap();
    for r in records {
        let id = r["id"].as_str().unwrap();
        std::fs::write(input.join(format!("{id}.json")), r.to_string()).unwrap();
    }
    let mut store = Store::open(&dir.join("db.sqlite")).unwrap();
    store
        .import(&[input], &ImportOptions::default(), &mut |_| {})
        .unwrap();
    store
}

pub fn npm_lock(origin: &str, text: &str) -> Inventory {
    palisade_inventory::parse(Format::NpmLock, origin, text, None).unwrap()
}

pub fn day(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

pub fn scan_with(
    store: &Store,
    inv: &Inventory,
    policy: &Policy,
    fail_on: Option<Threshold>,
) -> Report {
    let options = ScanOptions {
        policy,
        today: day("2026-11-25"),
        fail_on,
    };
    palisade_scan::scan(store, inv, &options).unwrap()
}

pub fn policy(text: &str) -> Policy {
    Policy::parse(Path::new("palisade.toml"), text, Path::new("/repo")).unwrap()
}
