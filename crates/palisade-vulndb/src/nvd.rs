//! NVD CVE API 2.0 responses (`format: NVD_CVE`, `version: 2.0`): a page of
//! CVE items with NVD's scores, weaknesses and CPE configurations. The same
//! reader takes saved responses from disk and pages fetched live.

use serde::Deserialize;
use serde_json::Value;

use crate::bulletin::{Bulletin, CpeMatch};
use crate::cve5::Cvss;
use crate::error::{Error, Location, Result};
use crate::store::KevEntry;

/// One page of an NVD CVE API 2.0 response.
#[derive(Debug)]
pub struct NvdPage {
    pub results_per_page: u64,
    pub start_index: u64,
    pub total_results: u64,
    pub bulletins: Vec<Bulletin>,
    /// KEV data NVD carries on its items (`cisaExploitAdd`, ...).
    pub kev: Vec<KevEntry>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Page {
    results_per_page: u64,
    start_index: u64,
    total_results: u64,
    format: Option<String>,
    #[serde(default)]
    vulnerabilities: Vec<Item>,
}

#[derive(Deserialize)]
struct Item {
    cve: Cve,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Cve {
    id: String,
    published: Option<String>,
    last_modified: Option<String>,
    vuln_status: Option<String>,
    #[serde(default)]
    descriptions: Vec<Text>,
    #[serde(default)]
    metrics: serde_json::Map<String, Value>,
    #[serde(default)]
    weaknesses: Vec<Weakness>,
    #[serde(default)]
    configurations: Vec<Configuration>,
    #[serde(default)]
    references: Vec<Reference>,
    cisa_exploit_add: Option<String>,
    cisa_action_due: Option<String>,
    cisa_required_action: Option<String>,
    cisa_vulnerability_name: Option<String>,
}

#[derive(Deserialize)]
struct Text {
    lang: Option<String>,
    value: String,
}

#[derive(Deserialize)]
struct Weakness {
    #[serde(default)]
    description: Vec<Text>,
}

#[derive(Deserialize)]
struct Configuration {
    #[serde(default)]
    nodes: Vec<Node>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Node {
    #[serde(default)]
    negate: bool,
    #[serde(default)]
    cpe_match: Vec<CpeMatch>,
}

#[derive(Deserialize)]
struct Reference {
    url: String,
}

/// The metric blocks NVD gives, newest CVSS version first.
const METRICS: [(&str, &str); 4] = [
    ("cvssMetricV40", "4.0"),
    ("cvssMetricV31", "3.1"),
    ("cvssMetricV30", "3.0"),
    ("cvssMetricV2", "2.0"),
];

/// Reads one NVD CVE API 2.0 response page.
pub fn parse_nvd(origin: &str, bytes: &[u8]) -> Result<NvdPage> {
    let page: Page = serde_json::from_slice(bytes)
        .map_err(|e| Error::json(origin, &e, "not an NVD CVE API 2.0 response"))?;
    if page.format.as_deref().is_some_and(|f| f != "NVD_CVE") {
        return Err(Error::invalid(
            Location::new(origin),
            format!("format {:?} is not NVD_CVE", page.format),
        ));
    }
    let mut bulletins = Vec::with_capacity(page.vulnerabilities.len());
    let mut kev = Vec::new();
    for (i, item) in page.vulnerabilities.into_iter().enumerate() {
        let cve = item.cve;
        if !crate::exploitation::is_cve_id(&cve.id) {
            return Err(Error::invalid(
                Location::new(format!("{origin}#/vulnerabilities/{i}")),
                format!("id {:?} is not a CVE id", cve.id),
            ));
        }
        if let Some(added) = &cve.cisa_exploit_add {
            kev.push(KevEntry {
                cve: cve.id.clone(),
                vendor: None,
                product: None,
                name: cve.cisa_vulnerability_name.clone(),
                date_added: added.clone(),
                due_date: cve.cisa_action_due.clone(),
                required_action: cve.cisa_required_action.clone(),
                ransomware: None,
            });
        }
        bulletins.push(bulletin(cve));
    }
    Ok(NvdPage {
        results_per_page: page.results_per_page,
        start_index: page.start_index,
        total_results: page.total_results,
        bulletins,
        kev,
    })
}

fn bulletin(cve: Cve) -> Bulletin {
    let summary = cve
        .descriptions
        .iter()
        .find(|d| d.lang.as_deref() == Some("en"))
        .or(cve.descriptions.first())
        .map(|d| d.value.trim().to_string());
    let mut cvss = Vec::new();
    for (key, version) in METRICS {
        let Some(Value::Array(entries)) = cve.metrics.get(key) else {
            continue;
        };
        for entry in entries {
            let data = entry.get("cvssData");
            let Some(score) = data
                .and_then(|d| d.get("baseScore"))
                .and_then(Value::as_f64)
                .filter(|s| (0.0..=10.0).contains(s))
            else {
                continue;
            };
            let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_string);
            let primary = entry.get("type").and_then(Value::as_str) == Some("Primary");
            cvss.push(Cvss {
                version: version.to_string(),
                score,
                severity: text(data.and_then(|d| d.get("baseSeverity")))
                    .or_else(|| text(entry.get("baseSeverity"))),
                vector: text(data.and_then(|d| d.get("vectorString"))),
                provider: if primary {
                    "nvd".to_string()
                } else {
                    text(entry.get("source")).unwrap_or_else(|| "secondary".to_string())
                },
            });
        }
    }
    let mut cwes: Vec<String> = Vec::new();
    for text in cve.weaknesses.iter().flat_map(|w| &w.description) {
        if text.value.starts_with("CWE-") && !cwes.contains(&text.value) {
            cwes.push(text.value.clone());
        }
    }
    // Negated nodes list what is *not* affected; only plain ones name products.
    let mut configurations: Vec<CpeMatch> = Vec::new();
    for m in cve
        .configurations
        .into_iter()
        .flat_map(|c| c.nodes)
        .filter(|n| !n.negate)
        .flat_map(|n| n.cpe_match)
    {
        if !configurations.contains(&m) {
            configurations.push(m);
        }
    }
    let mut references: Vec<String> = Vec::new();
    for r in cve.references {
        if !references.contains(&r.url) {
            references.push(r.url);
        }
    }
    Bulletin {
        state: Some(
            if cve.vuln_status.as_deref() == Some("Rejected") {
                "REJECTED"
            } else {
                "PUBLISHED"
            }
            .to_string(),
        ),
        url: Some(format!("https://nvd.nist.gov/vuln/detail/{}", cve.id)),
        id: cve.id,
        source: "nvd".to_string(),
        published: cve.published.map(|d| utc(&d)),
        modified: cve.last_modified.map(|d| utc(&d)),
        title: None,
        summary,
        cvss,
        cwes,
        affected: Vec::new(),
        configurations,
        references,
        aliases: Vec::new(),
    }
}

/// NVD writes times without a zone (`2024-01-02T03:04:05.678`); they are UTC.
fn utc(time: &str) -> String {
    let has_zone = time.ends_with('Z')
        || time
            .get(19..)
            .is_some_and(|rest| rest.contains('+') || rest.contains('-'));
    if has_zone || time.len() < 19 {
        time.to_string()
    } else {
        format!("{time}Z")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = r#"{"resultsPerPage": 1, "startIndex": 0, "totalResults": 1,
      "format": "NVD_CVE", "version": "2.0", "timestamp": "2024-03-01T00:00:00.000",
      "vulnerabilities": [{"cve": {"id": "CVE-2021-41773", "sourceIdentifier": "security@apache.org",
        "published": "2021-10-05T09:15:07.593", "lastModified": "2023-11-07T03:38:56.063",
        "vulnStatus": "Analyzed",
        "cisaExploitAdd": "2021-11-03", "cisaActionDue": "2021-11-17",
        "cisaRequiredAction": "Apply updates per vendor instructions.",
        "cisaVulnerabilityName": "Apache HTTP Server Path Traversal Vulnerability",
        "descriptions": [{"lang": "en", "value": "A flaw was found in a change made to path normalization in Apache HTTP Server 2.4.49."}],
        "metrics": {"cvssMetricV31": [{"source": "nvd@nist.gov", "type": "Primary",
          "cvssData": {"version": "3.1", "vectorString": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N", "baseScore": 7.5, "baseSeverity": "HIGH"}}],
          "cvssMetricV2": [{"source": "nvd@nist.gov", "type": "Primary", "cvssData": {"version": "2.0", "baseScore": 4.3}, "baseSeverity": "MEDIUM"}]},
        "weaknesses": [{"source": "nvd@nist.gov", "type": "Primary", "description": [{"lang": "en", "value": "CWE-22"}]}],
        "configurations": [{"nodes": [{"operator": "OR", "negate": false, "cpeMatch": [
          {"vulnerable": true, "criteria": "cpe:2.3:a:apache:http_server:2.4.49:*:*:*:*:*:*:*", "matchCriteriaId": "A"}]},
          {"operator": "OR", "negate": true, "cpeMatch": [
          {"vulnerable": false, "criteria": "cpe:2.3:o:fedoraproject:fedora:34:*:*:*:*:*:*:*"}]}]}],
        "references": [{"url": "https://httpd.apache.org/security/vulnerabilities_24.html", "source": "security@apache.org"}]}}]}"#;

    #[test]
    fn a_page_yields_bulletins_with_scores_weaknesses_and_cpes() {
        let page = parse_nvd("nvd.json", PAGE.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((page.total_results, page.start_index), (1, 0));
        let b = &page.bulletins[0];
        assert_eq!(b.id, "CVE-2021-41773");
        assert_eq!(b.published.as_deref(), Some("2021-10-05T09:15:07.593Z"));
        assert_eq!(b.headline_cvss().map(|c| c.score), Some(7.5));
        assert_eq!(b.severity().as_deref(), Some("high"));
        assert_eq!(b.cvss[1].severity.as_deref(), Some("MEDIUM"));
        assert_eq!(b.cwes, ["CWE-22"]);
        assert_eq!(b.configurations.len(), 1);
        let products = b.products();
        assert_eq!(products.len(), 1);
        assert_eq!(
            (products[0].vendor.as_str(), products[0].product.as_str()),
            ("apache", "http_server")
        );
        assert_eq!(products[0].rule.affects("2.4.49"), Some(true));
        assert_eq!(products[0].rule.affects("2.4.50"), Some(false));
        assert_eq!(page.kev[0].date_added, "2021-11-03");
    }

    #[test]
    fn foreign_json_is_refused() {
        let err = parse_nvd("x.json", br#"{"resultsPerPage": 1}"#)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.starts_with("x.json:1:"), "{err}");
        let bad = PAGE.replace("\"CVE-2021-41773\"", "\"NOPE\"");
        let err = parse_nvd("x.json", bad.as_bytes())
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("x.json#/vulnerabilities/0: id \"NOPE\" is not a CVE id")
        );
    }
}
