//! Ruby: `Gemfile.lock` (and `gems.locked`).
//!
//! Specs of the `GEM`, `GIT` and `PATH` sources are packages; their indented
//! children are dependencies; `DEPENDENCIES` lists the direct ones. A platform
//! suffix (`1.13.3-x86_64-linux`) is not part of the version.

use std::collections::HashMap;

use super::Builder;
use crate::Result;
use crate::model::{Inventory, Scope};

/// `nokogiri (1.13.3-x86_64-linux)` -> ("nokogiri", "1.13.3").
fn spec(line: &str) -> (&str, Option<&str>) {
    let line = line.trim();
    match line.split_once(" (") {
        Some((name, rest)) => (name, Some(rest.trim_end_matches(')'))),
        None => (line.trim_end_matches('!'), None),
    }
}

fn strip_platform(version: &str) -> &str {
    match version.split_once('-') {
        Some((v, platform)) if platform.chars().any(|c| c.is_ascii_alphabetic()) => v,
        _ => version,
    }
}

pub(crate) fn parse(origin: &str, text: &str) -> Result<Inventory> {
    let mut b = Builder::new(origin, "RubyGems", "Gemfile.lock");
    let mut section = "";
    let mut revision: Option<String> = None;
    let mut current: Option<usize> = None;
    let mut edges: Vec<(usize, String, String)> = Vec::new();
    let mut direct: Vec<String> = Vec::new();
    let mut by_name: HashMap<String, usize> = HashMap::new();
    for (n, raw) in text.lines().enumerate() {
        if raw.trim().is_empty() {
            continue;
        }
        let indent = raw.len() - raw.trim_start().len();
        if indent == 0 {
            section = raw.trim();
            revision = None;
            current = None;
            continue;
        }
        match section {
            "GEM" | "GIT" | "PATH" | "PLUGIN SOURCE" => {
                let body = raw.trim();
                if indent == 2 {
                    if let Some(r) = body.strip_prefix("revision:") {
                        revision = Some(r.trim().to_string());
                    }
                    continue;
                }
                if indent == 4 {
                    let (name, version) = spec(body);
                    let Some(version) = version else { continue };
                    let i = b.add(name, strip_platform(version), Some(n + 1));
                    if section == "GIT" && b.pkg(i).commit.is_none() {
                        b.pkg(i).commit = revision.clone();
                    }
                    by_name.insert(name.to_string(), i);
                    current = Some(i);
                } else if indent >= 6
                    && let Some(from) = current
                {
                    let (name, requirement) = spec(body);
                    edges.push((
                        from,
                        name.to_string(),
                        requirement.unwrap_or("").to_string(),
                    ));
                }
            }
            "DEPENDENCIES" if indent == 2 => direct.push(spec(raw).0.to_string()),
            _ => {}
        }
    }
    for (from, name, requirement) in edges {
        if let Some(&to) = by_name.get(&name) {
            b.depends(Some(from), to);
            b.requires(Some(from), to, &requirement);
        }
    }
    for name in direct {
        if let Some(&to) = by_name.get(&name) {
            b.direct(to, Scope::Prod);
        }
    }
    Ok(b.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_dependencies_and_git_revisions() {
        let text = "GIT\n  remote: https://github.com/x/y.git\n  revision: 0123456789abcdef\n  specs:\n    y (0.1.0)\n\nGEM\n  remote: https://rubygems.org/\n  specs:\n    nokogiri (1.16.0-x86_64-linux)\n      racc (~> 1.4)\n    racc (1.7.3)\n\nPLATFORMS\n  x86_64-linux\n\nDEPENDENCIES\n  nokogiri\n  y!\n";
        let inv = parse("Gemfile.lock", text).expect("valid");
        let got: Vec<(&str, &str, bool)> = inv
            .packages
            .iter()
            .map(|p| (p.name.as_str(), p.version.as_str(), p.direct))
            .collect();
        assert_eq!(
            got,
            [
                ("y", "0.1.0", true),
                ("nokogiri", "1.16.0", true),
                ("racc", "1.7.3", false)
            ]
        );
        assert_eq!(inv.packages[0].commit.as_deref(), Some("0123456789abcdef"));
        assert_eq!(inv.packages[1].source.line, Some(10));
    }
}
