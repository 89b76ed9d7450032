//! CVE JSON 5 records (the CVE List's format, as in the cvelistV5
//! repository), read into the fields bulletins are searched by: dates,
//! title and description, CVSS scores from the CNA and from ADP enrichment
//! (CISA's "Vulnrichment"), CWEs, affected vendors / products / version
//! ranges, and references.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{Error, Location, Result};

/// A CVE record, as far as search and watchlists need it.
#[derive(Clone, Debug, PartialEq)]
pub struct CveRecord {
    pub id: String,
    /// `PUBLISHED` or `REJECTED`.
    pub state: String,
    pub published: Option<String>,
    pub updated: Option<String>,
    pub title: Option<String>,
    /// The English description (the first one, if none is marked English).
    pub description: Option<String>,
    /// Every CVSS score given, CNA's first, then each ADP's.
    pub cvss: Vec<Cvss>,
    /// `CWE-79`, ... (deduplicated, in order of appearance).
    pub cwes: Vec<String>,
    pub affected: Vec<Affected>,
    pub references: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Cvss {
    /// `4.0`, `3.1`, `3.0` or `2.0`.
    pub version: String,
    pub score: f64,
    pub severity: Option<String>,
    pub vector: Option<String>,
    /// `cna` or the ADP's short name.
    pub provider: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Affected {
    pub vendor: Option<String>,
    pub product: Option<String>,
    /// `affected`, `unaffected` or `unknown`: the status of versions no
    /// range mentions.
    pub default_status: Option<String>,
    pub versions: Vec<VersionRange>,
    pub cpes: Vec<String>,
}

/// One `versions[]` entry: a single version, or a range from `version` up
/// to `less_than` / `less_than_or_equal`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VersionRange {
    pub version: String,
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub less_than: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub less_than_or_equal: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_type: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Record {
    data_type: Option<String>,
    cve_metadata: Metadata,
    #[serde(default)]
    containers: Containers,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Metadata {
    cve_id: String,
    state: String,
    date_published: Option<String>,
    date_updated: Option<String>,
}

#[derive(Default, Deserialize)]
struct Containers {
    cna: Option<Container>,
    #[serde(default)]
    adp: Vec<Container>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Container {
    title: Option<String>,
    #[serde(default)]
    descriptions: Vec<Description>,
    #[serde(default)]
    affected: Vec<AffectedRaw>,
    #[serde(default)]
    metrics: Vec<Value>,
    #[serde(default)]
    problem_types: Vec<ProblemType>,
    #[serde(default)]
    references: Vec<Reference>,
    provider_metadata: Option<Provider>,
}

#[derive(Deserialize)]
struct Description {
    lang: Option<String>,
    value: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AffectedRaw {
    vendor: Option<String>,
    product: Option<String>,
    default_status: Option<String>,
    #[serde(default)]
    versions: Vec<VersionRange>,
    #[serde(default)]
    cpes: Vec<String>,
}

#[derive(Deserialize)]
struct ProblemType {
    #[serde(default)]
    descriptions: Vec<ProblemDescription>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ProblemDescription {
    cwe_id: Option<String>,
}

#[derive(Deserialize)]
struct Reference {
    url: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Provider {
    short_name: Option<String>,
}

/// CVSS blocks a metrics entry may hold, newest first.
const CVSS_KEYS: [(&str, &str); 4] = [
    ("cvssV4_0", "4.0"),
    ("cvssV3_1", "3.1"),
    ("cvssV3_0", "3.0"),
    ("cvssV2_0", "2.0"),
];

/// Reads one CVE JSON 5 record.
pub fn parse_cve5(origin: &str, bytes: &[u8]) -> Result<CveRecord> {
    let record: Record = serde_json::from_slice(bytes)
        .map_err(|e| Error::json(origin, &e, "not a CVE JSON 5 record"))?;
    if record
        .data_type
        .as_deref()
        .is_some_and(|t| t != "CVE_RECORD")
    {
        return Err(Error::invalid(
            Location::new(origin),
            format!("dataType {:?} is not CVE_RECORD", record.data_type),
        ));
    }
    let meta = record.cve_metadata;
    if !crate::exploitation::is_cve_id(&meta.cve_id) {
        return Err(Error::invalid(
            Location::new(origin),
            format!("cveId {:?} is not a CVE id", meta.cve_id),
        ));
    }
    let Containers { cna, adp } = record.containers;
    let cna = cna.unwrap_or_default();
    let description = cna
        .descriptions
        .iter()
        .find(|d| d.lang.as_deref().is_some_and(|l| l.starts_with("en")))
        .or(cna.descriptions.first())
        .map(|d| d.value.trim().to_string());
    let mut cvss = Vec::new();
    let mut cwes: Vec<String> = Vec::new();
    let mut references: Vec<String> = Vec::new();
    let mut affected = Vec::new();
    for (container, provider) in
        std::iter::once((&cna, "cna".to_string())).chain(adp.iter().map(|a| {
            let name = a
                .provider_metadata
                .as_ref()
                .and_then(|p| p.short_name.clone())
                .unwrap_or_else(|| "adp".to_string());
            (a, name)
        }))
    {
        for metric in &container.metrics {
            for (key, version) in CVSS_KEYS {
                let Some(block) = metric.get(key) else {
                    continue;
                };
                let Some(score) = block.get("baseScore").and_then(Value::as_f64) else {
                    continue;
                };
                if !(0.0..=10.0).contains(&score) {
                    continue;
                }
                let text =
                    |field: &str| block.get(field).and_then(Value::as_str).map(str::to_string);
                cvss.push(Cvss {
                    version: version.to_string(),
                    score,
                    severity: text("baseSeverity"),
                    vector: text("vectorString"),
                    provider: provider.clone(),
                });
            }
        }
        for cwe in container
            .problem_types
            .iter()
            .flat_map(|p| &p.descriptions)
            .filter_map(|d| d.cwe_id.as_deref())
        {
            if !cwes.iter().any(|c| c == cwe) {
                cwes.push(cwe.to_string());
            }
        }
        for reference in &container.references {
            if !references.contains(&reference.url) {
                references.push(reference.url.clone());
            }
        }
        affected.extend(container.affected.iter().map(|a| Affected {
            vendor: a.vendor.clone(),
            product: a.product.clone(),
            default_status: a.default_status.clone(),
            versions: a.versions.clone(),
            cpes: a.cpes.clone(),
        }));
    }
    Ok(CveRecord {
        id: meta.cve_id,
        state: meta.state,
        published: meta.date_published,
        updated: meta.date_updated,
        title: cna.title.clone(),
        description,
        cvss,
        cwes,
        affected,
        references,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const RECORD: &str = r#"{
      "dataType": "CVE_RECORD", "dataVersion": "5.1",
      "cveMetadata": {"cveId": "CVE-2024-0001", "state": "PUBLISHED",
        "datePublished": "2024-02-01T10:00:00Z", "dateUpdated": "2024-03-01T10:00:00Z"},
      "containers": {
        "cna": {
          "title": "Widget overflow",
          "descriptions": [{"lang": "de", "value": "Pufferüberlauf"}, {"lang": "en", "value": " Buffer overflow in Widget. "}],
          "affected": [{"vendor": "Acme", "product": "Widget", "defaultStatus": "unaffected",
            "versions": [{"version": "1.0", "status": "affected", "lessThan": "1.4.2", "versionType": "semver"}]}],
          "metrics": [{"cvssV3_1": {"baseScore": 9.8, "baseSeverity": "CRITICAL", "vectorString": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}}],
          "problemTypes": [{"descriptions": [{"cweId": "CWE-787", "lang": "en", "description": "Out-of-bounds Write", "type": "CWE"}]}],
          "references": [{"url": "https://example.com/advisory"}]
        },
        "adp": [{"providerMetadata": {"shortName": "CISA-ADP"},
          "metrics": [{"other": {"type": "ssvc"}}, {"cvssV4_0": {"baseScore": 9.3, "baseSeverity": "CRITICAL"}}],
          "problemTypes": [{"descriptions": [{"cweId": "CWE-787"}, {"cweId": "CWE-120"}]}],
          "references": [{"url": "https://example.com/advisory"}]}]
      }}"#;

    #[test]
    fn a_record_yields_its_searchable_fields() {
        let r =
            parse_cve5("CVE-2024-0001.json", RECORD.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.id, "CVE-2024-0001");
        assert_eq!(r.description.as_deref(), Some("Buffer overflow in Widget."));
        assert_eq!(r.cwes, ["CWE-787", "CWE-120"]);
        assert_eq!(r.references.len(), 1);
        assert_eq!(r.cvss.len(), 2);
        assert_eq!((r.cvss[0].version.as_str(), r.cvss[0].score), ("3.1", 9.8));
        assert_eq!(
            (r.cvss[1].version.as_str(), r.cvss[1].provider.as_str()),
            ("4.0", "CISA-ADP")
        );
        assert_eq!(
            r.affected[0].versions[0].less_than.as_deref(),
            Some("1.4.2")
        );
    }

    #[test]
    fn foreign_documents_are_refused_with_their_position() {
        let err = parse_cve5("x.json", b"{\"cveMetadata\": {\"cveId\": 7}}")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.starts_with("x.json:1:"), "{err}");
        let osv = RECORD.replace("\"CVE_RECORD\"", "\"OSV\"");
        let err = parse_cve5("x.json", osv.as_bytes())
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("x.json: dataType Some(\"OSV\") is not CVE_RECORD")
        );
    }
}
