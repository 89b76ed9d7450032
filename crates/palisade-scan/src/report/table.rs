//! The terminal report: findings grouped by package, colored by severity,
//! with the fix and the dependency path of each package.

use super::text::visible;
use super::{
    PackageFindings, by_package, database_text, fix_text, location_text, path_text, summary_text,
};
use crate::finding::{Finding, Report};

/// Longest summary shown on a finding's line.
const SUMMARY_WIDTH: usize = 64;

fn paint(color: bool, code: &str, text: &str) -> String {
    if color {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

fn rating_code(label: &str) -> &'static str {
    match label {
        "critical" => "1;35",
        "high" => "1;31",
        "medium" => "33",
        "low" => "36",
        _ => "2",
    }
}

fn shorten(text: &str, width: usize) -> String {
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.chars().count() <= width {
        return text;
    }
    let mut out: String = text.chars().take(width.saturating_sub(1)).collect();
    out.push('…');
    out
}

fn finding_line(f: &Finding, id_width: usize, color: bool) -> String {
    let label = match &f.ignored {
        Some(_) => "ignored",
        None => f.rating_label(),
    };
    let rating = paint(color, rating_code(label), &format!("{label:<8}"));
    let kind = if f.kind == palisade_vulndb::Kind::Vulnerability {
        String::new()
    } else {
        format!("[{}] ", f.kind.as_str())
    };
    let summary = shorten(
        &format!("{kind}{}", f.summary.as_deref().unwrap_or("")),
        SUMMARY_WIDTH,
    );
    let mut line = format!(
        "  {rating}  {:<id_width$}  {}",
        visible(&f.id),
        visible(&summary)
    );
    if f.kev.is_some() {
        line.push_str(&format!("  {}", paint(color, "1;31", "KEV")));
    }
    if let Some(e) = &f.epss {
        line.push_str(&format!("  EPSS {:.2}", e.score));
    }
    if let Some(i) = &f.ignored {
        let until = i
            .expires
            .as_ref()
            .map(|d| format!(", until {d}"))
            .unwrap_or_default();
        let until = visible(&until);
        line.push_str(&paint(
            color,
            "2",
            &format!("  ({}{until})", visible(&i.reason)),
        ));
    }
    line
}

fn package_block(group: &PackageFindings<'_>, color: bool, out: &mut String) {
    let f = group.first();
    let p = &f.package;
    let mut facts = vec![p.ecosystem.clone()];
    facts.push(if p.direct { "direct" } else { "transitive" }.to_string());
    facts.push(p.scope.clone());
    facts.push(location_text(f));
    out.push_str(&format!(
        "{} {}  {}\n",
        paint(color, "1", &visible(&p.name)),
        visible(&p.version),
        paint(color, "2", &visible(&facts.join(" · ")))
    ));
    let id_width = group
        .findings
        .iter()
        .map(|f| visible(&f.id).len())
        .max()
        .unwrap_or(0);
    for f in &group.findings {
        out.push_str(&finding_line(f, id_width, color));
        out.push('\n');
    }
    out.push_str(&format!(
        "  {}   {}\n",
        paint(color, "32", "fix"),
        visible(&fix_text(f))
    ));
    if !p.direct
        && let Some(path) = f.paths.first()
    {
        let more = match f.paths.len() {
            1 => String::new(),
            n => format!("  (+{} more)", n - 1),
        };
        out.push_str(&format!(
            "  {}  {}{}\n",
            paint(color, "2", "path"),
            visible(&path_text(path)),
            more
        ));
    }
}

/// The report for a terminal; `color` adds ANSI colors.
pub fn table(report: &Report, color: bool) -> String {
    let mut out = String::new();
    for group in by_package(report) {
        package_block(&group, color, &mut out);
        out.push('\n');
    }
    let summary = summary_text(report);
    let summary = if report.summary.findings == 0 {
        paint(color, "1;32", &summary)
    } else {
        paint(color, "1", &summary)
    };
    out.push_str(&summary);
    out.push('\n');
    out.push_str(&paint(
        color,
        "2",
        &format!("Database: {}\n", database_text(report)),
    ));
    out
}
