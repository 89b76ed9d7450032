//! CycloneDX 1.6 with vulnerabilities: the inventory's bill of materials plus
//! one vulnerability entry per finding, each affecting its component by
//! bom-ref (the package's purl) — a VEX document.

use palisade_inventory::Inventory;
use palisade_inventory::sbom::{DocumentInfo, cyclonedx as bom};
use serde_json::{Value, json};

use super::fix_text;
use crate::finding::{Finding, Report};

/// The database an id comes from, as CycloneDX's `source`.
fn source(id: &str) -> Value {
    let prefix = id.split('-').next().unwrap_or("");
    let (name, url) = match prefix {
        "RUSTSEC" => (
            "RustSec",
            format!("https://rustsec.org/advisories/{id}.html"),
        ),
        "GHSA" => ("GitHub", format!("https://github.com/advisories/{id}")),
        "CVE" => ("NVD", format!("https://nvd.nist.gov/vuln/detail/{id}")),
        "PYSEC" => ("PyPA", format!("https://osv.dev/vulnerability/{id}")),
        "GO" => ("Go", format!("https://pkg.go.dev/vuln/{id}")),
        _ => ("OSV", format!("https://osv.dev/vulnerability/{id}")),
    };
    json!({"name": name, "url": url})
}

/// CycloneDX's name for how a score was computed.
fn method(vector: &str) -> &'static str {
    if vector.starts_with("CVSS:4") {
        "CVSSv4"
    } else if vector.starts_with("CVSS:3.1") {
        "CVSSv31"
    } else if vector.starts_with("CVSS:3") {
        "CVSSv3"
    } else {
        "CVSSv2"
    }
}

fn vulnerability(n: usize, f: &Finding) -> Value {
    let mut rating = json!({"severity": f.rating_label()});
    if let Some(s) = &f.severity {
        if let Some(score) = s.score {
            rating["score"] = json!(score);
        }
        if let Some(vector) = &s.vector {
            rating["method"] = json!(method(vector));
            rating["vector"] = json!(vector);
        } else {
            rating["method"] = json!("other");
        }
        rating["source"] = source(&f.id);
    }
    let via = serde_json::to_value(f.remediation.via)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    let mut properties = vec![
        json!({"name": "palisade:kind", "value": f.kind.as_str()}),
        json!({"name": "palisade:remediation", "value": via}),
    ];
    if let Some(kev) = &f.kev {
        properties.push(json!({"name": "palisade:kev:date_added", "value": kev.date_added}));
    }
    if let Some(epss) = &f.epss {
        properties.push(json!({"name": "palisade:epss", "value": epss.score.to_string()}));
    }
    let mut v = json!({
        "bom-ref": format!("vulnerability-{n}"),
        "id": f.id,
        "source": source(&f.id),
        "references": f.aliases.iter().map(|a| json!({"id": a, "source": source(a)})).collect::<Vec<_>>(),
        "ratings": [rating],
        "recommendation": fix_text(f),
        "affects": [{
            "ref": f.package.purl,
            "versions": [{"version": f.package.version, "status": "affected"}],
        }],
        "properties": properties,
    });
    if let Some(summary) = &f.summary {
        v["description"] = json!(summary);
    }
    if !f.fixed.is_empty() {
        let mut versions: Vec<Value> =
            vec![json!({"version": f.package.version, "status": "affected"})];
        versions.extend(
            f.fixed
                .iter()
                .map(|x| json!({"version": x, "status": "unaffected"})),
        );
        v["affects"][0]["versions"] = Value::Array(versions);
    }
    if let Some(i) = &f.ignored {
        let mut detail = format!("ignored by policy: {}", i.reason);
        if let Some(until) = &i.expires {
            detail.push_str(&format!(" (until {until})"));
        }
        v["analysis"] = json!({"state": "not_affected", "detail": detail});
    }
    v
}

/// The inventory's CycloneDX 1.6 BOM with the report's vulnerabilities.
pub fn cyclonedx(report: &Report, inventory: &Inventory, info: &DocumentInfo) -> String {
    let mut doc = bom(inventory, info);
    doc.vulnerabilities = report
        .findings
        .iter()
        .enumerate()
        .map(|(n, f)| vulnerability(n + 1, f))
        .collect();
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    text.push('\n');
    text
}
