//! SARIF 2.1.0 as GitHub code scanning accepts it: one rule per advisory
//! with help text, one result per finding located at the lockfile line that
//! declares the package, and stable partial fingerprints.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Value, json};

use super::markdown::{md_code, md_text};
use super::{fix_text, path_text};
use crate::finding::{Finding, Report};

/// GitHub sorts alerts by this number (0-10) when a rule has no CVSS score.
fn security_severity(f: &Finding) -> String {
    if let Some(score) = f.severity.as_ref().and_then(|s| s.score) {
        return format!("{score:.1}");
    }
    match f.rating_label() {
        "critical" => "9.5",
        "high" => "8.0",
        "medium" => "5.5",
        "low" => "2.0",
        _ => "5.0",
    }
    .to_string()
}

fn level(f: &Finding) -> &'static str {
    if f.is_informational() {
        return "note";
    }
    match f.rating_label() {
        "critical" | "high" => "error",
        "medium" | "unknown" => "warning",
        _ => "note",
    }
}

/// A URI relative to the repository root (the scanned directory), with
/// forward slashes, as code scanning needs.
fn artifact_uri(file: &str, base: &Path) -> String {
    let file = file.split('!').next().unwrap_or(file);
    let path = Path::new(file);
    let relative = path.strip_prefix(base).unwrap_or(path);
    let text = relative.to_string_lossy().replace('\\', "/");
    let mut text = text.as_str();
    while let Some(rest) = text.strip_prefix("./") {
        text = rest;
    }
    text.to_string()
}

/// FNV-1a of the parts: a fingerprint that survives line moves and version
/// bumps that leave the package vulnerable.
fn fingerprint(parts: &[&str]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for b in part.bytes().chain([0u8]) {
            hash ^= u64::from(b);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    format!("{hash:016x}")
}

/// Text for a SARIF plain-text message: control characters visible, and
/// `[`, `]` and `\` escaped, which SARIF readers (GitHub's among them)
/// would otherwise take for an embedded link `[text](target)`.
fn sarif_text(text: &str) -> String {
    let visible = super::text::visible(text);
    let mut out = String::with_capacity(visible.len() + 4);
    for c in visible.chars() {
        if matches!(c, '[' | ']' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The advisory's page on osv.dev, its id percent-encoded (ids come from
/// advisory files, which may say anything).
fn osv_url(id: &str) -> String {
    let encoded: String = id
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect();
    format!("https://osv.dev/vulnerability/{encoded}")
}

fn rule(f: &Finding) -> Value {
    let title = sarif_text(&f.summary.clone().unwrap_or_else(|| f.id.clone()));
    let md_title = md_text(f.summary.as_deref().unwrap_or(&f.id));
    let aliases: Vec<String> = f.aliases.iter().map(|a| sarif_text(a)).collect();
    let url = osv_url(&f.id);
    let mut help = format!("{title}\n\n");
    let mut help_md = format!("**{md_title}**\n\n");
    if !f.aliases.is_empty() {
        help.push_str(&format!("Also known as: {}\n", aliases.join(", ")));
        let codes: Vec<String> = f.aliases.iter().map(|a| md_code(a, false)).collect();
        help_md.push_str(&format!("Also known as: {}\n\n", codes.join(", ")));
    }
    if !f.fixed.is_empty() {
        let fixed: Vec<String> = f.fixed.iter().map(|v| sarif_text(v)).collect();
        help.push_str(&format!("Fixed in: {}\n", fixed.join(", ")));
        let codes: Vec<String> = f.fixed.iter().map(|v| md_code(v, false)).collect();
        help_md.push_str(&format!("Fixed in: {}\n\n", codes.join(", ")));
    }
    if let Some(s) = &f.severity {
        if let Some(vector) = &s.vector {
            help.push_str(&format!(
                "Severity: {} ({})\n",
                s.rating,
                sarif_text(vector)
            ));
            help_md.push_str(&format!(
                "Severity: {} ({})\n\n",
                s.rating,
                md_code(vector, false)
            ));
        } else {
            help.push_str(&format!("Severity: {}\n", s.rating));
            help_md.push_str(&format!("Severity: {}\n\n", s.rating));
        }
    }
    help.push_str(&format!("Details: {url}\n"));
    help_md.push_str(&format!("[Details on osv.dev]({url})\n"));
    let mut tags = vec![
        "security".to_string(),
        "dependency".to_string(),
        f.kind.as_str().to_string(),
    ];
    tags.push(f.package.ecosystem.clone());
    json!({
        "id": f.id,
        "name": format!("{}/{}", f.package.ecosystem, f.package.name),
        "shortDescription": {"text": &title},
        "fullDescription": {"text": if f.aliases.is_empty() {
            title
        } else {
            format!("{title} ({})", aliases.join(", "))
        }},
        "help": {"text": help, "markdown": help_md},
        "helpUri": url,
        "defaultConfiguration": {"level": level(f)},
        "properties": {
            "security-severity": security_severity(f),
            "precision": "very-high",
            "tags": tags,
        },
    })
}

fn result(f: &Finding, rule_index: usize, base: &Path) -> Value {
    let mut message = format!(
        "{} {} ({}) is affected by {}",
        sarif_text(&f.package.name),
        sarif_text(&f.package.version),
        sarif_text(&f.package.ecosystem),
        sarif_text(&f.id)
    );
    if let Some(summary) = &f.summary {
        message.push_str(&format!(": {}", sarif_text(summary)));
    }
    message.push_str(&format!(". Fix: {}.", sarif_text(&fix_text(f))));
    if !f.package.direct
        && let Some(path) = f.paths.first()
    {
        message.push_str(&format!(" Pulled in by {}.", sarif_text(&path_text(path))));
    }
    let mut region = json!({});
    if let Some(line) = f.source.line {
        region = json!({"startLine": line});
    }
    let location = |file: &str| {
        let mut physical = json!({"artifactLocation": {"uri": artifact_uri(file, base)}});
        if region.get("startLine").is_some() {
            physical["region"] = region.clone();
        }
        json!({"physicalLocation": physical})
    };
    let mut value = json!({
        "ruleId": f.id,
        "ruleIndex": rule_index,
        "level": level(f),
        "message": {"text": message},
        "locations": [location(&f.source.file)],
        "partialFingerprints": {
            "palisade/v1": fingerprint(&[&f.id, &f.package.ecosystem, &f.package.name, &artifact_uri(&f.source.file, base)]),
        },
        "properties": {
            "package": f.package.name,
            "version": f.package.version,
            "ecosystem": f.package.ecosystem,
            "purl": f.package.purl,
            "fixed": f.fixed,
        },
    });
    if f.locations.len() > 1 {
        value["relatedLocations"] = Value::Array(
            f.locations[1..]
                .iter()
                .enumerate()
                .map(|(i, l)| {
                    let mut loc = json!({
                        "id": i + 1,
                        "physicalLocation": {"artifactLocation": {"uri": artifact_uri(&l.file, base)}},
                    });
                    if let Some(line) = l.line {
                        loc["physicalLocation"]["region"] = json!({"startLine": line});
                    }
                    loc
                })
                .collect(),
        );
    }
    if let Some(i) = &f.ignored {
        value["suppressions"] = json!([{"kind": "external", "justification": i.reason}]);
    }
    value
}

/// The SARIF log; artifact URIs are made relative to `base`.
pub fn sarif(report: &Report, base: &Path) -> String {
    let mut rules: Vec<Value> = Vec::new();
    let mut index: BTreeMap<&str, usize> = BTreeMap::new();
    let mut results = Vec::new();
    for f in &report.findings {
        let i = *index.entry(f.id.as_str()).or_insert_with(|| {
            rules.push(rule(f));
            rules.len() - 1
        });
        results.push(result(f, i, base));
    }
    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "palisade",
                "version": report.palisade_version,
                "semanticVersion": report.palisade_version,
                "informationUri": "https://github.com/palisade-sec/palisade",
                "rules": rules,
            }},
            "automationDetails": {"id": "palisade/dependency-review/"},
            "results": results,
            "properties": {"database": report.database},
        }],
    });
    let mut text = serde_json::to_string_pretty(&log).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn artifact_uris_are_relative_with_forward_slashes() {
        let base = Path::new("/repo");
        assert_eq!(artifact_uri("/repo/app/Cargo.lock", base), "app/Cargo.lock");
        assert_eq!(artifact_uri("./Cargo.lock", Path::new(".")), "Cargo.lock");
        assert_eq!(artifact_uri("fn.zip!package.json", base), "fn.zip");
    }
}
