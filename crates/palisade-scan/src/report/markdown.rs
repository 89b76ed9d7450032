//! The Markdown report, for pull-request comments: a summary table, then one
//! collapsible section per vulnerable package.

use super::{by_package, database_text, fix_text, location_text, path_text, summary_text};
use crate::finding::Report;

/// Markdown-escapes text placed in a table cell or a line.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
    {
        if matches!(c, '|' | '<' | '>' | '*' | '_' | '`' | '[' | ']' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn severity_badge(label: &str) -> &'static str {
    match label {
        "critical" => "🟣 critical",
        "high" => "🔴 high",
        "medium" => "🟠 medium",
        "low" => "🟡 low",
        "ignored" => "⚪ ignored",
        _ => "⚪ unknown",
    }
}

/// The report as GitHub-flavored Markdown.
pub fn markdown(report: &Report) -> String {
    let mut out = String::from("## palisade dependency review\n\n");
    out.push_str(&format!("**{}**\n\n", escape(&summary_text(report))));
    let groups = by_package(report);
    if !groups.is_empty() {
        out.push_str("| Package | Version | Severity | Advisories | Fix |\n");
        out.push_str("| --- | --- | --- | --- | --- |\n");
        for g in &groups {
            let f = g.first();
            let worst = g
                .findings
                .iter()
                .filter(|f| f.ignored.is_none())
                .map(|f| f.effective_rating())
                .max();
            let label = match worst {
                Some(_) => g
                    .findings
                    .iter()
                    .filter(|f| f.ignored.is_none())
                    .max_by_key(|f| f.effective_rating())
                    .map_or("unknown", |f| f.rating_label()),
                None => "ignored",
            };
            out.push_str(&format!(
                "| {} | {} | {} | {} | {} |\n",
                escape(&f.package.name),
                escape(&f.package.version),
                severity_badge(label),
                g.findings.len(),
                escape(f.remediation.version.as_deref().unwrap_or("none")),
            ));
        }
        out.push('\n');
    }
    for g in &groups {
        let f = g.first();
        let p = &f.package;
        out.push_str(&format!(
            "<details>\n<summary><b>{} {}</b> ({}, {}, {})</summary>\n\n",
            html_escape(&p.name),
            html_escape(&p.version),
            html_escape(&p.ecosystem),
            if p.direct { "direct" } else { "transitive" },
            html_escape(&p.scope)
        ));
        out.push_str(&format!(
            "Declared in `{}`.\n\n",
            location_text(f).replace('`', "'")
        ));
        for finding in &g.findings {
            let label = if finding.ignored.is_some() {
                "ignored"
            } else {
                finding.rating_label()
            };
            out.push_str(&format!(
                "- **{}** {}: {}",
                escape(&finding.id),
                severity_badge(label),
                escape(finding.summary.as_deref().unwrap_or("(no summary)"))
            ));
            if !finding.aliases.is_empty() {
                out.push_str(&format!(" (also {})", escape(&finding.aliases.join(", "))));
            }
            if finding.kev.is_some() {
                out.push_str(" — **known exploited (CISA KEV)**");
            }
            if let Some(i) = &finding.ignored {
                out.push_str(&format!(" — ignored: {}", escape(&i.reason)));
            }
            out.push('\n');
        }
        out.push_str(&format!("\n**Fix:** {}\n", escape(&fix_text(f))));
        if !f.paths.is_empty() && !p.direct {
            out.push_str("\n**Why it is here:**\n\n");
            for path in &f.paths {
                out.push_str(&format!("- {}\n", escape(&path_text(path))));
            }
        }
        out.push_str("\n</details>\n\n");
    }
    out.push_str(&format!(
        "<sub>palisade {} · database: {}</sub>\n",
        escape(&report.palisade_version),
        escape(&database_text(report))
    ));
    out
}

fn html_escape(text: &str) -> String {
    super::html::escape(text)
}
