//! Bulletins: one normalized shape for everything the threat feeds carry —
//! CVE JSON 5 records, NVD API 2.0 items, RSS and Atom entries — and the
//! product / version matching that search and watchlists share.
//!
//! Version comparison: CVE 5 ranges use the rules their `versionType` names
//! (`semver`, `python`, `maven`, `rpm`, ...); anything else (`custom`, and
//! every CPE range, which carries no type) uses palisade-version's generic
//! order: numeric runs compare as numbers, letters as text, and a suffix
//! after a release (`1.0rc1`) sorts before it. Versions that cannot be
//! compared (git commits) only match exactly.

use serde::{Deserialize, Serialize};

use palisade_version::Scheme;

use crate::cpe::Cpe;
use crate::cve5::{Affected, CveRecord, Cvss, VersionRange};

/// A record from any threat feed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Bulletin {
    /// `CVE-2024-0450`, or `<source>:<entry id>` for feed entries.
    pub id: String,
    /// The source name: `cve5`, `nvd`, or the name a feed was added under.
    pub source: String,
    /// `PUBLISHED` or `REJECTED` for CVEs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    pub published: Option<String>,
    pub modified: Option<String>,
    pub title: Option<String>,
    pub summary: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cvss: Vec<Cvss>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cwes: Vec<String>,
    /// Vendors, products and version ranges as CVE 5 records state them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub affected: Vec<Affected>,
    /// NVD's CPE match criteria, flattened from its configurations.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub configurations: Vec<CpeMatch>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<String>,
    /// CVE ids a feed entry mentions, GHSA ids, ...
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
}

/// One NVD `cpeMatch` entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CpeMatch {
    pub criteria: String,
    pub vulnerable: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_start_including: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_start_excluding: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_end_including: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_end_excluding: Option<String>,
}

impl From<CveRecord> for Bulletin {
    fn from(r: CveRecord) -> Bulletin {
        Bulletin {
            id: r.id,
            source: "cve5".to_string(),
            state: Some(r.state),
            published: r.published,
            modified: r.updated,
            title: r.title,
            summary: r.description,
            url: None,
            cvss: r.cvss,
            cwes: r.cwes,
            affected: r.affected,
            configurations: Vec::new(),
            references: r.references,
            aliases: Vec::new(),
        }
    }
}

impl From<&crate::store::KevEntry> for Bulletin {
    /// A KEV entry as a bulletin of source `kev`, so the catalog is searchable
    /// and watchable even for CVEs whose records are not in the store.
    fn from(k: &crate::store::KevEntry) -> Bulletin {
        let affected = match (&k.vendor, &k.product) {
            (Some(vendor), Some(product)) => vec![Affected {
                vendor: Some(vendor.clone()),
                product: Some(product.clone()),
                default_status: None,
                versions: Vec::new(),
                cpes: Vec::new(),
            }],
            _ => Vec::new(),
        };
        Bulletin {
            id: k.cve.to_ascii_uppercase(),
            source: "kev".to_string(),
            state: None,
            published: Some(k.date_added.clone()),
            modified: None,
            title: k.name.clone(),
            summary: k.required_action.clone(),
            url: None,
            cvss: Vec::new(),
            cwes: Vec::new(),
            affected,
            configurations: Vec::new(),
            references: Vec::new(),
            aliases: Vec::new(),
        }
    }
}

/// Severity names, lowest first, as CVSS v3 / v4 use them.
pub const SEVERITIES: [&str; 5] = ["none", "low", "medium", "high", "critical"];

/// The severity a CVSS v3 / v4 base score falls in.
pub fn severity_of(score: f64) -> &'static str {
    match score {
        s if s >= 9.0 => "critical",
        s if s >= 7.0 => "high",
        s if s >= 4.0 => "medium",
        s if s > 0.0 => "low",
        _ => "none",
    }
}

impl Bulletin {
    /// The headline score: the primary scorer's (the CNA's, or NVD's own) in
    /// the newest CVSS version it gave, else any other scorer's newest.
    pub fn headline_cvss(&self) -> Option<&Cvss> {
        let rank = |c: &Cvss| match c.version.as_str() {
            "4.0" => 4,
            "3.1" => 3,
            "3.0" => 2,
            _ => 1,
        };
        let primary = |c: &&Cvss| c.provider == "cna" || c.provider == "nvd";
        self.cvss
            .iter()
            .filter(primary)
            .max_by_key(|c| rank(c))
            .or_else(|| self.cvss.iter().max_by_key(|c| rank(c)))
    }

    /// The headline severity, lowercase, from the score when the record names none.
    pub fn severity(&self) -> Option<String> {
        let c = self.headline_cvss()?;
        Some(
            c.severity
                .as_deref()
                .map(str::to_ascii_lowercase)
                .filter(|s| SEVERITIES.contains(&s.as_str()))
                .unwrap_or_else(|| severity_of(c.score).to_string()),
        )
    }

    /// Every vendor / product this bulletin names with the versions it
    /// affects: CVE 5 `affected` entries (and their `cpes`), and the
    /// vulnerable NVD CPE criteria.
    pub fn products(&self) -> Vec<ProductEntry> {
        let mut out = Vec::new();
        for a in &self.affected {
            let rule = VersionRule::Cve5 {
                default_status: a.default_status.clone(),
                versions: a.versions.clone(),
            };
            if let (Some(vendor), Some(product)) = (&a.vendor, &a.product) {
                out.push(ProductEntry {
                    vendor: normalize_product(vendor),
                    product: normalize_product(product),
                    cpe: None,
                    rule: rule.clone(),
                });
            }
            for cpe in &a.cpes {
                if let Ok(parsed) = Cpe::parse(cpe)
                    && let (Some(vendor), Some(product)) = (parsed.vendor(), parsed.product())
                {
                    out.push(ProductEntry {
                        vendor: normalize_product(vendor),
                        product: normalize_product(product),
                        cpe: Some(cpe.clone()),
                        rule: rule.clone(),
                    });
                }
            }
        }
        for m in self.configurations.iter().filter(|m| m.vulnerable) {
            let Ok(parsed) = Cpe::parse(&m.criteria) else {
                continue;
            };
            let (Some(vendor), Some(product)) = (parsed.vendor(), parsed.product()) else {
                continue;
            };
            out.push(ProductEntry {
                vendor: normalize_product(vendor),
                product: normalize_product(product),
                cpe: Some(m.criteria.clone()),
                rule: VersionRule::Cpe {
                    version: parsed.version().map(str::to_string),
                    any_version: matches!(parsed.attributes[3], crate::cpe::CpeValue::Any),
                    start_including: m.version_start_including.clone(),
                    start_excluding: m.version_start_excluding.clone(),
                    end_including: m.version_end_including.clone(),
                    end_excluding: m.version_end_excluding.clone(),
                },
            });
        }
        out
    }

    /// Folds another source's record of the same id into this one: text and
    /// dates are kept where this one has them, lists are joined.
    pub fn merge(&mut self, other: &Bulletin) {
        fn fill(mine: &mut Option<String>, theirs: &Option<String>) {
            if mine.is_none() {
                mine.clone_from(theirs);
            }
        }
        fn join<T: PartialEq + Clone>(mine: &mut Vec<T>, theirs: &[T]) {
            for t in theirs {
                if !mine.contains(t) {
                    mine.push(t.clone());
                }
            }
        }
        fill(&mut self.state, &other.state);
        fill(&mut self.published, &other.published);
        fill(&mut self.title, &other.title);
        fill(&mut self.summary, &other.summary);
        fill(&mut self.url, &other.url);
        if other.modified > self.modified {
            self.modified.clone_from(&other.modified);
        }
        join(&mut self.cvss, &other.cvss);
        join(&mut self.cwes, &other.cwes);
        join(&mut self.affected, &other.affected);
        join(&mut self.configurations, &other.configurations);
        join(&mut self.references, &other.references);
        join(&mut self.aliases, &other.aliases);
    }
}

/// Vendor and product names compared case-insensitively with runs of
/// whitespace as `_`, so "Python Software Foundation" meets CPE's
/// `python_software_foundation`.
pub fn normalize_product(name: &str) -> String {
    name.split_whitespace()
        .collect::<Vec<_>>()
        .join("_")
        .to_lowercase()
}

/// A vendor / product a bulletin names, and which of its versions are affected.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProductEntry {
    pub vendor: String,
    pub product: String,
    /// The CPE criteria this entry came from, when it came from one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpe: Option<String>,
    pub rule: VersionRule,
}

/// Which versions of a product are affected.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum VersionRule {
    /// A CVE 5 `affected` entry.
    Cve5 {
        default_status: Option<String>,
        versions: Vec<VersionRange>,
    },
    /// An NVD CPE match: an exact version, or any version within the bounds.
    Cpe {
        version: Option<String>,
        any_version: bool,
        start_including: Option<String>,
        start_excluding: Option<String>,
        end_including: Option<String>,
        end_excluding: Option<String>,
    },
}

/// Range starts that mean "from the first version".
fn open_start(v: &str) -> bool {
    matches!(
        v.trim().to_ascii_lowercase().as_str(),
        "" | "0" | "*" | "-" | "n/a" | "unspecified" | "all" | "unknown"
    )
}

/// The ordering rules a CVE 5 `versionType` names; `None` for types whose
/// versions do not order (git commits).
fn scheme_for(version_type: Option<&str>) -> Option<Scheme> {
    let t = version_type.unwrap_or("").trim().to_ascii_lowercase();
    Some(match t.as_str() {
        "git" | "original_commit_for_fix" | "commit" => return None,
        "semver" | "semvar" => Scheme::SemVer,
        "python" | "pypi" | "pep440" => Scheme::Pep440,
        "maven" => Scheme::Maven,
        "rpm" => Scheme::Rpm,
        "deb" | "debian" | "dpkg" => Scheme::Dpkg,
        "npm" => Scheme::SemVer,
        "nuget" => Scheme::NuGet,
        "gem" | "rubygems" => Scheme::RubyGems,
        _ => Scheme::Generic,
    })
}

impl VersionRule {
    /// Whether `version` is affected: `Some(true)` / `Some(false)` when the
    /// record says, `None` when it does not (no range covers the version and
    /// the default status is unknown).
    pub fn affects(&self, version: &str) -> Option<bool> {
        match self {
            VersionRule::Cve5 {
                default_status,
                versions,
            } => {
                let mut affected = false;
                for range in versions {
                    if !cve5_contains(range, version) {
                        continue;
                    }
                    match range.status.as_str() {
                        "unaffected" => return Some(false),
                        "affected" => affected = true,
                        _ => {}
                    }
                }
                if affected {
                    return Some(true);
                }
                match default_status.as_deref() {
                    Some("affected") => Some(true),
                    Some("unaffected") => Some(false),
                    _ => None,
                }
            }
            VersionRule::Cpe {
                version: exact,
                any_version,
                start_including,
                start_excluding,
                end_including,
                end_excluding,
            } => {
                let cmp = |a: &str, b: &str| Scheme::Generic.compare(a, b);
                use std::cmp::Ordering::*;
                if let Some(exact) = exact {
                    return Some(cmp(version, exact) == Equal);
                }
                if !any_version {
                    return Some(false);
                }
                let within = start_including
                    .as_deref()
                    .is_none_or(|s| cmp(version, s) != Less)
                    && start_excluding
                        .as_deref()
                        .is_none_or(|s| cmp(version, s) == Greater)
                    && end_including
                        .as_deref()
                        .is_none_or(|e| cmp(version, e) != Greater)
                    && end_excluding
                        .as_deref()
                        .is_none_or(|e| cmp(version, e) == Less);
                Some(within)
            }
        }
    }
}

fn cve5_contains(range: &VersionRange, version: &str) -> bool {
    use std::cmp::Ordering::*;
    let Some(scheme) = scheme_for(range.version_type.as_deref()) else {
        return range.less_than.is_none()
            && range.less_than_or_equal.is_none()
            && range.version.trim() == version.trim();
    };
    let cmp = |a: &str, b: &str| scheme.compare(a, b);
    let above_start = open_start(&range.version) || cmp(version, &range.version) != Less;
    match (&range.less_than, &range.less_than_or_equal) {
        (Some(end), _) => above_start && (end.trim() == "*" || cmp(version, end) == Less),
        (None, Some(end)) => above_start && (end.trim() == "*" || cmp(version, end) != Greater),
        (None, None) => !open_start(&range.version) && cmp(version, &range.version) == Equal,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(version: &str, status: &str, lt: Option<&str>, lte: Option<&str>) -> VersionRange {
        VersionRange {
            version: version.into(),
            status: status.into(),
            less_than: lt.map(Into::into),
            less_than_or_equal: lte.map(Into::into),
            version_type: Some("python".into()),
        }
    }

    #[test]
    fn cve5_ranges_decide_by_their_version_type() {
        let rule = VersionRule::Cve5 {
            default_status: Some("unaffected".into()),
            versions: vec![
                range("0", "affected", Some("3.8.19"), None),
                range("3.9.0", "affected", None, Some("3.9.18")),
                range("3.10.0a1", "affected", Some("3.10.14"), None),
            ],
        };
        assert_eq!(rule.affects("3.8.2"), Some(true));
        assert_eq!(rule.affects("3.8.19"), Some(false));
        assert_eq!(rule.affects("3.9.18"), Some(true));
        assert_eq!(rule.affects("3.9.19"), Some(false));
        assert_eq!(rule.affects("3.10.0rc1"), Some(true));
        assert_eq!(rule.affects("3.12.1"), Some(false));
        let unknown = VersionRule::Cve5 {
            default_status: None,
            versions: vec![range("2.0", "affected", None, None)],
        };
        assert_eq!(unknown.affects("2.0.0"), Some(true));
        assert_eq!(unknown.affects("2.1"), None);
    }

    #[test]
    fn an_unaffected_entry_wins_over_a_wider_affected_range() {
        let rule = VersionRule::Cve5 {
            default_status: Some("affected".into()),
            versions: vec![
                range("1.0", "affected", Some("*"), None),
                range("1.4.2", "unaffected", None, None),
            ],
        };
        assert_eq!(rule.affects("1.4.2"), Some(false));
        assert_eq!(rule.affects("1.5"), Some(true));
        let git = VersionRule::Cve5 {
            default_status: Some("unaffected".into()),
            versions: vec![VersionRange {
                version: "1da177e4c3f4".into(),
                status: "affected".into(),
                less_than: Some("5d3a1d5b6c".into()),
                less_than_or_equal: None,
                version_type: Some("git".into()),
            }],
        };
        assert_eq!(git.affects("6.1"), Some(false));
    }

    #[test]
    fn cpe_ranges_use_their_four_bounds() {
        let rule = VersionRule::Cpe {
            version: None,
            any_version: true,
            start_including: Some("2.4.0".into()),
            start_excluding: None,
            end_including: None,
            end_excluding: Some("2.4.50".into()),
        };
        assert_eq!(rule.affects("2.4.49"), Some(true));
        assert_eq!(rule.affects("2.4.50"), Some(false));
        assert_eq!(rule.affects("2.3.9"), Some(false));
        let exact = VersionRule::Cpe {
            version: Some("1.1.1k".into()),
            any_version: false,
            start_including: None,
            start_excluding: None,
            end_including: None,
            end_excluding: None,
        };
        assert_eq!(exact.affects("1.1.1k"), Some(true));
        assert_eq!(exact.affects("1.1.1l"), Some(false));
    }

    #[test]
    fn the_headline_score_is_the_primary_scorers_newest() {
        let cvss = |version: &str, score: f64, provider: &str| Cvss {
            version: version.into(),
            score,
            severity: None,
            vector: None,
            provider: provider.into(),
        };
        let mut b = Bulletin {
            id: "CVE-2024-1".into(),
            source: "cve5".into(),
            state: None,
            published: None,
            modified: None,
            title: None,
            summary: None,
            url: None,
            cvss: vec![cvss("3.1", 7.5, "CISA-ADP"), cvss("3.1", 5.3, "cna")],
            cwes: vec![],
            affected: vec![],
            configurations: vec![],
            references: vec![],
            aliases: vec![],
        };
        assert_eq!(b.headline_cvss().map(|c| c.score), Some(5.3));
        assert_eq!(b.severity().as_deref(), Some("medium"));
        b.cvss.push(cvss("4.0", 9.1, "cna"));
        assert_eq!(b.severity().as_deref(), Some("critical"));
        assert_eq!(
            normalize_product(" Python  Software Foundation"),
            "python_software_foundation"
        );
    }
}
