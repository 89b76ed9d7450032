//! One self-contained HTML page: summary, a severity chart (inline SVG),
//! a findings table filterable by severity and text, and each finding's
//! dependency paths. No external assets; a restrictive Content-Security-Policy
//! forbids loading any.

use super::{database_text, fix_text, location_text, path_text, summary_text};
use crate::finding::Report;

/// Escapes text for HTML element content and attribute values.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

const RATINGS: [(&str, &str); 6] = [
    ("critical", "#7b1fa2"),
    ("high", "#c62828"),
    ("medium", "#ef6c00"),
    ("low", "#f9a825"),
    ("unknown", "#757575"),
    ("ignored", "#9e9e9e"),
];

const STYLE: &str = r#"
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1d1d1f;background:#fafafa}
header{background:#0d1b2a;color:#fff;padding:18px 28px}
header h1{margin:0;font-size:20px}
header p{margin:4px 0 0;color:#c9d6e3}
main{padding:20px 28px}
.cards{display:flex;gap:12px;flex-wrap:wrap;margin-bottom:18px}
.card{background:#fff;border:1px solid #e0e0e0;border-radius:8px;padding:10px 16px;min-width:110px}
.card b{display:block;font-size:22px}
.controls{display:flex;gap:14px;align-items:center;flex-wrap:wrap;margin:14px 0}
.controls label{cursor:pointer}
input[type=search]{padding:6px 10px;border:1px solid #bbb;border-radius:6px;min-width:260px}
table{border-collapse:collapse;width:100%;background:#fff;border:1px solid #e0e0e0}
th,td{text-align:left;padding:7px 10px;border-bottom:1px solid #eee;vertical-align:top}
th{background:#f3f4f6;font-weight:600}
.sev{display:inline-block;color:#fff;border-radius:4px;padding:1px 7px;font-size:12px;font-weight:600}
.kev{background:#b71c1c;color:#fff;border-radius:4px;padding:1px 5px;font-size:11px;margin-left:4px}
code{font:12px ui-monospace,SFMono-Regular,Menlo,monospace}
details summary{cursor:pointer;color:#1565c0}
ul.paths{margin:4px 0 0;padding-left:18px}
footer{color:#666;font-size:12px;padding:10px 28px 24px}
.empty{padding:20px;color:#2e7d32;font-weight:600}
"#;

const SCRIPT: &str = r#"
(function () {
  var boxes = document.querySelectorAll('input[name=severity]');
  var search = document.getElementById('search');
  var rows = document.querySelectorAll('#findings tbody tr');
  var shown = document.getElementById('shown');
  function apply() {
    var allowed = {};
    boxes.forEach(function (b) { allowed[b.value] = b.checked; });
    var text = search.value.toLowerCase();
    var n = 0;
    rows.forEach(function (r) {
      var visible = allowed[r.dataset.severity] && (!text || r.dataset.text.indexOf(text) >= 0);
      r.hidden = !visible;
      if (visible) { n++; }
    });
    shown.textContent = n + ' of ' + rows.length + ' shown';
  }
  boxes.forEach(function (b) { b.addEventListener('change', apply); });
  search.addEventListener('input', apply);
  apply();
})();
"#;

fn color_of(label: &str) -> &'static str {
    RATINGS
        .iter()
        .find(|(r, _)| *r == label)
        .map_or("#757575", |(_, c)| c)
}

/// A horizontal bar per rating, as inline SVG.
fn chart(report: &Report) -> String {
    let counts: Vec<(&str, usize)> = RATINGS
        .iter()
        .map(|(r, _)| {
            let n = if *r == "ignored" {
                report.summary.ignored
            } else {
                report.summary.by_severity.get(*r).copied().unwrap_or(0)
            };
            (*r, n)
        })
        .collect();
    let max = counts.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1);
    let mut svg = String::from(
        r#"<svg id="chart" role="img" aria-label="Findings by severity" width="460" height="150" xmlns="http://www.w3.org/2000/svg">"#,
    );
    for (i, (label, n)) in counts.iter().enumerate() {
        let y = 6 + i * 24;
        let width = (*n as f64 / max as f64 * 300.0).round() as usize;
        svg.push_str(&format!(
            r#"<text x="0" y="{}" font-size="12">{label}</text><rect x="70" y="{y}" width="{}" height="16" rx="3" fill="{}"/><text x="{}" y="{}" font-size="12">{n}</text>"#,
            y + 13,
            width.max(1),
            color_of(label),
            78 + width,
            y + 13
        ));
    }
    svg.push_str("</svg>");
    svg
}

/// The report as one HTML document.
pub fn html(report: &Report) -> String {
    let mut rows = String::new();
    for f in &report.findings {
        let label = if f.ignored.is_some() {
            "ignored"
        } else {
            f.rating_label()
        };
        let p = &f.package;
        let text = format!(
            "{} {} {} {} {} {}",
            f.id,
            f.aliases.join(" "),
            p.name,
            p.version,
            p.ecosystem,
            f.summary.as_deref().unwrap_or("")
        )
        .to_lowercase();
        let mut paths = String::new();
        if !f.paths.is_empty() {
            paths.push_str(&format!(
                "<details><summary>{} path{}</summary><ul class=\"paths\">",
                f.paths.len(),
                if f.paths.len() == 1 { "" } else { "s" }
            ));
            for path in &f.paths {
                paths.push_str(&format!("<li>{}</li>", escape(&path_text(path))));
            }
            paths.push_str("</ul></details>");
        }
        let mut badges = String::new();
        if f.kev.is_some() {
            badges.push_str(
                "<span class=\"kev\" title=\"CISA Known Exploited Vulnerabilities\">KEV</span>",
            );
        }
        if let Some(e) = &f.epss {
            badges.push_str(&format!(" <small>EPSS {:.2}</small>", e.score));
        }
        let ignored = f
            .ignored
            .as_ref()
            .map(|i| format!("<br><small>ignored: {}</small>", escape(&i.reason)))
            .unwrap_or_default();
        rows.push_str(&format!(
            "<tr data-severity=\"{label}\" data-text=\"{}\"><td><span class=\"sev\" style=\"background:{}\">{label}</span>{badges}</td><td><code>{}</code><br><small>{}</small></td><td><b>{}</b> {}<br><small>{} · {} · {} · <code>{}</code></small></td><td>{}{ignored}</td><td>{}</td><td>{paths}</td></tr>\n",
            escape(&text),
            color_of(label),
            escape(&f.id),
            escape(&f.aliases.join(", ")),
            escape(&p.name),
            escape(&p.version),
            escape(&p.ecosystem),
            if p.direct { "direct" } else { "transitive" },
            escape(&p.scope),
            escape(&location_text(f)),
            escape(f.summary.as_deref().unwrap_or("")),
            escape(&fix_text(f)),
        ));
    }
    let s = &report.summary;
    let cards = format!(
        "<div class=\"cards\"><div class=\"card\"><b>{}</b>findings</div><div class=\"card\"><b>{}</b>packages scanned</div><div class=\"card\"><b>{}</b>failing the policy</div><div class=\"card\"><b>{}</b>ignored</div></div>",
        s.findings, s.packages, s.failing, s.ignored
    );
    let controls: String = RATINGS
        .iter()
        .map(|(r, c)| {
            format!(
                "<label><input type=\"checkbox\" name=\"severity\" value=\"{r}\" checked> <span class=\"sev\" style=\"background:{c}\">{r}</span></label>"
            )
        })
        .collect();
    let body = if report.findings.is_empty() {
        "<p class=\"empty\">No known vulnerabilities.</p>".to_string()
    } else {
        format!(
            "<div class=\"controls\">{controls}<input id=\"search\" type=\"search\" placeholder=\"Filter by id, package, text\"><span id=\"shown\"></span></div>\
             <table id=\"findings\"><thead><tr><th>Severity</th><th>Advisory</th><th>Package</th><th>Summary</th><th>Fix</th><th>Dependency path</th></tr></thead><tbody>\n{rows}</tbody></table>\
             <script>{SCRIPT}</script>"
        )
    };
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>palisade dependency review</title><style>{STYLE}</style></head>\n<body>\
         <header><h1>palisade dependency review</h1><p>{}</p></header>\
         <main>{cards}{}{body}</main>\
         <footer>palisade {} · database: {}</footer></body></html>\n",
        escape(&summary_text(report)),
        chart(report),
        escape(&report.palisade_version),
        escape(&database_text(report)),
    )
}
