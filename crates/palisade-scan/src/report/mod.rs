//! Renderers: one report, six formats. Every renderer is a pure function of
//! the report (and, for CycloneDX, the inventory), so output is reproducible
//! and snapshot-testable.

mod cyclonedx;
mod html;
mod markdown;
mod sarif;
mod table;
mod text;

use std::collections::BTreeMap;

use crate::finding::{Finding, Report, Via};

pub use cyclonedx::cyclonedx;
pub use html::html;
pub use markdown::markdown;
pub use sarif::sarif;
pub use table::table;
pub use text::{json_safe, terminal_safe, visible, write_json};

/// The JSON report (the stable contract in docs/scan.md).
pub fn json(report: &Report) -> String {
    let mut text = serde_json::to_string_pretty(report).unwrap_or_else(|e| {
        // Serialization of these plain types cannot fail; say so if it does.
        format!("{{\"error\": \"cannot render the report: {e}\"}}")
    });
    text.push('\n');
    text
}

/// Findings of one package version, in report order.
pub(crate) struct PackageFindings<'a> {
    pub findings: Vec<&'a Finding>,
}

impl<'a> PackageFindings<'a> {
    pub fn first(&self) -> &'a Finding {
        self.findings[0]
    }
}

/// Findings grouped by package version, most severe package first.
pub(crate) fn by_package(report: &Report) -> Vec<PackageFindings<'_>> {
    let mut groups: BTreeMap<(&str, &str, &str), usize> = BTreeMap::new();
    let mut out: Vec<PackageFindings<'_>> = Vec::new();
    for f in &report.findings {
        let key = (
            f.package.ecosystem.as_str(),
            f.package.name.as_str(),
            f.package.version.as_str(),
        );
        match groups.get(&key) {
            Some(&i) => out[i].findings.push(f),
            None => {
                groups.insert(key, out.len());
                out.push(PackageFindings { findings: vec![f] });
            }
        }
    }
    out
}

/// One line saying how to fix a package.
pub(crate) fn fix_text(f: &Finding) -> String {
    let r = &f.remediation;
    let Some(version) = &r.version else {
        return "no fixed version known".to_string();
    };
    match (r.via, &r.parent) {
        (Via::LockfileRefresh, _) => {
            format!("{version}: refresh the lockfile (the declared ranges admit it)")
        }
        (Via::DirectUpgrade, None) if f.package.direct => {
            format!(
                "{version}: raise the declared version of {}",
                f.package.name
            )
        }
        (Via::DirectUpgrade, None) => format!("{version}: upgrade {} to it", f.package.name),
        (Via::DirectUpgrade, Some(p)) => format!(
            "{version}: upgrade {} {} to a release that accepts it ({})",
            p.name, p.version, p.blocked_by
        ),
        (Via::None, _) => "no fixed version known".to_string(),
    }
}

/// `a > b > c`
pub(crate) fn path_text(path: &[String]) -> String {
    path.join(" > ")
}

/// `file:line`
pub(crate) fn location_text(f: &Finding) -> String {
    match f.source.line {
        Some(line) => format!("{}:{line}", f.source.file),
        None => f.source.file.clone(),
    }
}

/// The summary sentence every human-readable format ends with.
pub(crate) fn summary_text(report: &Report) -> String {
    let s = &report.summary;
    let order = ["critical", "high", "medium", "low", "none", "unknown"];
    let parts: Vec<String> = order
        .iter()
        .filter_map(|r| s.by_severity.get(*r).map(|n| format!("{n} {r}")))
        .collect();
    let packages = by_package(report)
        .iter()
        .filter(|g| g.findings.iter().any(|f| f.ignored.is_none()))
        .count();
    let mut text = if s.findings == 0 {
        format!("No known vulnerabilities in {} packages", s.packages)
    } else {
        format!(
            "{} finding{} ({}) in {} of {} packages",
            s.findings,
            if s.findings == 1 { "" } else { "s" },
            parts.join(", "),
            packages,
            s.packages
        )
    };
    if s.ignored > 0 {
        text.push_str(&format!("; {} ignored by policy", s.ignored));
    }
    text
}

/// `1234567` -> `1,234,567`: counts as the reports print them (the CLI
/// prints its own counts the same way).
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The one sentence about the database's age and size.
pub(crate) fn database_text(report: &Report) -> String {
    let db = &report.database;
    let count = thousands(db.advisories);
    match &db.updated {
        Some(updated) => format!("{count} advisories, updated {updated}"),
        None => format!("{count} advisories"),
    }
}
