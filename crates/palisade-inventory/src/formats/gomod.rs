//! Go: `go.mod`. `require` lines are the module's dependencies (those marked
//! `// indirect` are transitive); `replace` swaps a module (or one version of
//! it) for another; `exclude` removes versions. The `go` directive adds the
//! standard library as the package `stdlib`. Versions are reported without the
//! leading `v`.

use super::Builder;
use crate::model::{Inventory, Scope};
use crate::{Error, Result};

struct Require {
    path: String,
    version: String,
    indirect: bool,
    line: usize,
}

struct Replace {
    from: String,
    from_version: Option<String>,
    to: String,
    to_version: Option<String>,
    line: usize,
}

fn strip_v(version: &str) -> &str {
    version.strip_prefix('v').unwrap_or(version)
}

fn unquote(s: &str) -> &str {
    s.trim_matches('"').trim_matches('`')
}

pub(crate) fn parse(origin: &str, text: &str) -> Result<Inventory> {
    let mut module = String::from("go.mod");
    let mut go_version: Option<(String, usize)> = None;
    let mut requires = Vec::new();
    let mut replaces = Vec::new();
    let mut excludes: Vec<(String, String)> = Vec::new();
    let mut block: Option<String> = None;
    for (n, raw) in text.lines().enumerate() {
        let line_no = n + 1;
        let (code, comment) = match raw.find("//") {
            Some(i) => (&raw[..i], &raw[i + 2..]),
            None => (raw, ""),
        };
        let code = code.trim();
        if code.is_empty() {
            continue;
        }
        let (directive, rest) = if let Some(b) = &block {
            if code == ")" {
                block = None;
                continue;
            }
            (b.clone(), code.to_string())
        } else {
            let (d, r) = code.split_once(char::is_whitespace).unwrap_or((code, ""));
            let r = r.trim();
            if r == "(" {
                block = Some(d.to_string());
                continue;
            }
            (d.to_string(), r.to_string())
        };
        let words: Vec<&str> = rest.split_whitespace().map(unquote).collect();
        match directive.as_str() {
            "module" => module = words.first().map_or(module, |w| w.to_string()),
            "go" => go_version = words.first().map(|w| (w.to_string(), line_no)),
            "require" => {
                let [path, version, ..] = words[..] else {
                    return Err(Error::parse(
                        origin,
                        Some(line_no),
                        "require needs a module path and a version",
                    ));
                };
                requires.push(Require {
                    path: path.to_string(),
                    version: version.to_string(),
                    indirect: comment.trim() == "indirect"
                        || comment.trim().starts_with("indirect;"),
                    line: line_no,
                });
            }
            "replace" => {
                let Some(arrow) = words.iter().position(|w| *w == "=>") else {
                    return Err(Error::parse(origin, Some(line_no), "replace needs `=>`"));
                };
                let (left, right) = words.split_at(arrow);
                let right = &right[1..];
                let (Some(from), Some(to)) = (left.first(), right.first()) else {
                    return Err(Error::parse(
                        origin,
                        Some(line_no),
                        "replace needs a module on both sides",
                    ));
                };
                replaces.push(Replace {
                    from: from.to_string(),
                    from_version: left.get(1).map(|v| v.to_string()),
                    to: to.to_string(),
                    to_version: right.get(1).map(|v| v.to_string()),
                    line: line_no,
                });
            }
            "exclude" => {
                if let [path, version, ..] = words[..] {
                    excludes.push((path.to_string(), version.to_string()));
                }
            }
            _ => {}
        }
    }
    let mut b = Builder::new(origin, "Go", &module);
    for r in &requires {
        if excludes
            .iter()
            .any(|(p, v)| *p == r.path && *v == r.version)
        {
            continue;
        }
        let replacement = replaces.iter().rev().find(|rep| {
            rep.from == r.path && rep.from_version.as_deref().is_none_or(|v| v == r.version)
        });
        let (path, version, line) = match replacement {
            // A replacement by a local directory has no version to report.
            Some(rep) if rep.to_version.is_none() => {
                b.warn(format!(
                    "line {}: {} is replaced by the local path {}",
                    rep.line, r.path, rep.to
                ));
                continue;
            }
            Some(rep) => (
                rep.to.clone(),
                rep.to_version.clone().unwrap_or_default(),
                rep.line,
            ),
            None => (r.path.clone(), r.version.clone(), r.line),
        };
        let i = b.add(&path, strip_v(&version), Some(line));
        if !r.indirect {
            b.direct(i, Scope::Prod);
        }
    }
    if let Some((version, line)) = go_version {
        let i = b.add("stdlib", &version, Some(line));
        b.direct(i, Scope::Prod);
    }
    Ok(b.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn require_replace_exclude_and_indirect() {
        let text = "module example.com/app\n\ngo 1.22.1\n\nrequire (\n\tgithub.com/a/b v1.2.3\n\tgithub.com/c/d v0.1.0 // indirect\n\tgithub.com/e/f v2.0.0+incompatible\n\tgithub.com/x/y v1.0.0\n)\n\nreplace github.com/a/b => github.com/fork/b v1.2.4\nreplace github.com/x/y => ../local/y\nexclude github.com/e/f v2.0.0+incompatible\n";
        let inv = parse("go.mod", text).expect("valid");
        let got: Vec<(&str, &str, bool)> = inv
            .packages
            .iter()
            .map(|p| (p.name.as_str(), p.version.as_str(), p.direct))
            .collect();
        assert_eq!(
            got,
            [
                ("github.com/fork/b", "1.2.4", true),
                ("github.com/c/d", "0.1.0", false),
                ("stdlib", "1.22.1", true)
            ]
        );
        assert_eq!(inv.warnings.len(), 1, "the local replacement is reported");
        assert_eq!(inv.packages[0].purl, "pkg:golang/github.com/fork/b@v1.2.4");
    }
}
