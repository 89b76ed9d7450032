//! The scan report: findings and their summary, serialized as the stable JSON
//! contract of `palisade scan --format json` (see docs/scan.md).

use std::collections::BTreeMap;

use palisade_vulndb::{EpssScore, KevEntry, Kind, Rating, Severity};
use serde::Serialize;

/// Version of the JSON report layout; raised only for incompatible changes.
pub const SCHEMA_VERSION: u32 = 1;

/// The package a finding is about.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PackageRef {
    pub ecosystem: String,
    pub name: String,
    pub version: String,
    pub purl: String,
    /// Declared by the project itself in at least one place.
    pub direct: bool,
    /// `prod`, `dev`, `optional` or `peer`: the most needed of its places.
    pub scope: String,
}

/// Where a package is declared.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Location {
    pub file: String,
    pub line: Option<usize>,
}

/// How a vulnerable package is fixed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Via {
    /// Every declared requirement already admits the fixed version:
    /// refreshing the lockfile is enough.
    LockfileRefresh,
    /// A declaration must change: the package's own (when direct) or the
    /// direct dependency that pulls it in (`parent`).
    DirectUpgrade,
    /// No fixed version is known.
    None,
}

/// The direct dependency that must move for a transitive package to be fixed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Parent {
    pub name: String,
    pub version: String,
    /// The package whose declared requirement refuses the fix, with that
    /// requirement (`lodash ^3.10.0`); may be the direct dependency itself.
    pub blocked_by: String,
}

/// The plan for one vulnerable package.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Remediation {
    /// The lowest version that fixes every advisory on the package,
    /// preferring one within the installed major version.
    pub version: Option<String>,
    pub via: Via,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent: Option<Parent>,
}

/// An ignore from the policy that applies to a finding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Ignored {
    pub reason: String,
    pub expires: Option<String>,
}

/// One vulnerability (all its ids merged) in one package version.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Finding {
    /// The advisory's own id (RUSTSEC, PYSEC, GHSA, ... before CVE).
    pub id: String,
    pub aliases: Vec<String>,
    pub kind: Kind,
    pub summary: Option<String>,
    /// Highest of CVSS v4, v3 and v2, else the ecosystem's label; `null`
    /// when the advisory rates nothing.
    pub severity: Option<Severity>,
    pub package: PackageRef,
    /// The first place that declares the package (the lockfile line).
    pub source: Location,
    /// Every place that declares this package version.
    pub locations: Vec<Location>,
    pub fixed: Vec<String>,
    pub remediation: Remediation,
    /// Shortest dependency paths: a root (project) then package names.
    pub paths: Vec<Vec<String>>,
    pub kev: Option<KevEntry>,
    pub epss: Option<EpssScore>,
    pub ignored: Option<Ignored>,
    /// Whether this finding alone makes the scan fail under the policy.
    pub failing: bool,
}

impl Finding {
    /// The rating used for thresholds: malicious packages count as critical,
    /// unrated vulnerabilities as medium (see docs/scan.md).
    pub fn effective_rating(&self) -> Rating {
        if self.kind == Kind::Malicious {
            return Rating::Critical;
        }
        self.severity.as_ref().map_or(Rating::Medium, |s| s.rating)
    }

    /// Informational advisories (unmaintained, unsound, notices) are
    /// reported but never fail a scan.
    pub fn is_informational(&self) -> bool {
        matches!(self.kind, Kind::Unmaintained | Kind::Unsound | Kind::Notice)
    }

    /// Report order: most severe first, unrated after rated ones.
    pub fn display_rank(&self) -> u8 {
        match self.rating_label() {
            "critical" => 5,
            "high" => 4,
            "medium" => 3,
            "low" => 2,
            "unknown" => 1,
            _ => 0,
        }
    }

    /// The label shown for the severity: `unknown` when unrated.
    pub fn rating_label(&self) -> &'static str {
        match (&self.severity, self.kind) {
            (_, Kind::Malicious) => "critical",
            (Some(s), _) => s.rating.as_str(),
            (None, _) => "unknown",
        }
    }

    /// The identity `--diff` compares: the same vulnerability in the same
    /// package version.
    pub fn key(&self) -> (String, String, String, String) {
        (
            self.id.clone(),
            self.package.ecosystem.clone(),
            self.package.name.clone(),
            self.package.version.clone(),
        )
    }
}

/// The advisory database a report was produced with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DatabaseInfo {
    pub path: String,
    /// RFC 3339 time of the last import or update.
    pub updated: Option<String>,
    pub advisories: u64,
}

/// Counts over a report's findings that are not ignored.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Distinct package versions scanned.
    pub packages: usize,
    /// Findings not ignored.
    pub findings: usize,
    /// Of those, per rating (`unknown` for unrated ones).
    pub by_severity: BTreeMap<String, usize>,
    pub ignored: usize,
    /// Findings that make the scan fail under the policy.
    pub failing: usize,
}

/// A scan's result, as every renderer receives it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    pub schema_version: u32,
    pub palisade_version: String,
    pub database: DatabaseInfo,
    pub findings: Vec<Finding>,
    pub summary: Summary,
    /// What the scan could not read, and policy problems (an expired ignore).
    pub warnings: Vec<String>,
}

impl Report {
    /// Recounts the summary after findings changed (a diff removed some).
    pub fn resummarize(&mut self) {
        let packages = self.summary.packages;
        let mut summary = Summary {
            packages,
            ..Summary::default()
        };
        for f in &self.findings {
            if f.ignored.is_some() {
                summary.ignored += 1;
                continue;
            }
            summary.findings += 1;
            *summary
                .by_severity
                .entry(f.rating_label().to_string())
                .or_default() += 1;
            if f.failing {
                summary.failing += 1;
            }
        }
        self.summary = summary;
    }

    /// Keeps only findings that `base` does not have (same vulnerability in
    /// the same package version): what a change introduces.
    pub fn subtract(&mut self, base: &Report) {
        let known: std::collections::HashSet<_> = base.findings.iter().map(Finding::key).collect();
        self.findings.retain(|f| !known.contains(&f.key()));
        self.resummarize();
    }

    /// True when some finding fails the policy: exit code 1.
    pub fn fails(&self) -> bool {
        self.findings.iter().any(|f| f.failing)
    }
}
