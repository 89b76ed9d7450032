//! The Markdown report, for pull-request comments: a summary table, then one
//! collapsible section per vulnerable package.

use super::{by_package, database_text, fix_text, location_text, path_text, summary_text};
use crate::finding::Report;

/// Prose for one line or table cell: whitespace (newlines included)
/// collapsed, control and bidirectional characters as visible escapes, the
/// punctuation that starts inline Markdown or HTML constructs backslash-
/// escaped (never at a line's start, so no block can begin),
/// and `@` kept from forming a mention (a word joiner after it): the text
/// quotes lockfiles and advisories, and a PR comment must not be shaped,
/// linked or made to notify anyone by them.
pub(crate) fn md_text(text: &str) -> String {
    let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let visible = super::text::visible(&collapsed);
    let mut out = String::with_capacity(visible.len() + 8);
    for c in visible.chars() {
        if matches!(
            c,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '~' | '&'
        ) {
            out.push('\\');
        }
        out.push(c);
        if c == '@' {
            out.push('\u{2060}');
        }
    }
    out
}

/// A value (a name, a version, a path) as a code span: nothing in it is
/// read as Markdown, links or mentions. Control characters become visible
/// escapes (a newline would end the span, or a table row); the fence is
/// longer than any run of backticks inside; `|` is escaped in table cells,
/// where GitHub splits cells on it even within a span.
pub(crate) fn md_code(text: &str, in_table: bool) -> String {
    let visible = super::text::visible(text);
    let mut value = visible.into_owned();
    if in_table {
        value = value.replace('|', "\\|");
    }
    let longest = value.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    let pad = if value.starts_with('`') || value.ends_with('`') || value.is_empty() {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{value}{pad}{fence}")
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
    out.push_str(&format!("**{}**\n\n", md_text(&summary_text(report))));
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
                md_code(&f.package.name, true),
                md_code(&f.package.version, true),
                severity_badge(label),
                g.findings.len(),
                match f.remediation.version.as_deref() {
                    Some(v) => md_code(v, true),
                    None => "none".to_string(),
                },
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
            "Declared in {}.\n\n",
            md_code(&location_text(f), false)
        ));
        for finding in &g.findings {
            let label = if finding.ignored.is_some() {
                "ignored"
            } else {
                finding.rating_label()
            };
            out.push_str(&format!(
                "- **{}** {}: {}",
                md_code(&finding.id, false),
                severity_badge(label),
                md_text(finding.summary.as_deref().unwrap_or("(no summary)"))
            ));
            if !finding.aliases.is_empty() {
                let aliases: Vec<String> =
                    finding.aliases.iter().map(|a| md_code(a, false)).collect();
                out.push_str(&format!(" (also {})", aliases.join(", ")));
            }
            if finding.kev.is_some() {
                out.push_str(" — **known exploited (CISA KEV)**");
            }
            if let Some(i) = &finding.ignored {
                out.push_str(&format!(" — ignored: {}", md_text(&i.reason)));
            }
            out.push('\n');
        }
        out.push_str(&format!("\n**Fix:** {}\n", md_text(&fix_text(f))));
        if !f.paths.is_empty() && !p.direct {
            out.push_str("\n**Why it is here:**\n\n");
            for path in &f.paths {
                out.push_str(&format!("- {}\n", md_code(&path_text(path), false)));
            }
        }
        out.push_str("\n</details>\n\n");
    }
    out.push_str(&format!(
        "<sub>palisade {} · database: {}</sub>\n",
        md_text(&report.palisade_version),
        md_text(&database_text(report))
    ));
    out
}

/// Text inside the HTML of a section's summary line: one line (a blank
/// line would end the HTML block and let Markdown follow), HTML-escaped,
/// with no mention (`@name`) in it.
fn html_escape(text: &str) -> String {
    super::html::escape(&super::text::visible(text))
        .replace('@', "@\u{2060}")
        .replace('`', "&#96;")
}
