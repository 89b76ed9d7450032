//! Yarn: `yarn.lock` of Yarn 1 (its own indented format) and of Yarn 2+
//! ("Berry", YAML with `__metadata`).
//!
//! An entry's key lists the requirements it satisfies (`lodash@^4.17.0,
//! lodash@^4.17.21`); dependencies name a requirement, which finds the entry.
//! Aliases (`alias@npm:real@range`) are reported under the real name.
//! Workspace entries of Yarn 2+ are projects: their dependencies are direct.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use serde::Deserialize;

use super::{Builder, yaml};
use crate::manifest::package_json;
use crate::model::{Inventory, Scope};
use crate::{Error, Result};

/// Splits an entry key into its requirements, honouring quotes.
fn split_specs(key: &str) -> Vec<String> {
    key.split(", ")
        .map(|s| s.trim().trim_matches('"').to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

/// The package name of a requirement (`@scope/name@^1` -> `@scope/name`),
/// resolving `npm:` aliases to the real name.
fn spec_name(spec: &str) -> &str {
    let (name, range) = split_at_version(spec);
    match range.strip_prefix("npm:") {
        Some(real) if real.starts_with('@') || real.contains('@') => {
            let (real_name, _) = split_at_version(real);
            if real_name.is_empty() {
                name
            } else {
                real_name
            }
        }
        _ => name,
    }
}

/// `name@range` -> (`name`, `range`), keeping a leading `@` of scoped names.
fn split_at_version(spec: &str) -> (&str, &str) {
    let search_from = usize::from(spec.starts_with('@'));
    match spec[search_from..].find('@') {
        Some(at) => (&spec[..search_from + at], &spec[search_from + at + 1..]),
        None => (spec, ""),
    }
}

/// The commit a git dependency is locked to; tarball URLs carry a checksum
/// after `#`, which is not a commit.
fn commit_of(text: &str) -> Option<String> {
    let from_git = text.starts_with("git")
        || text.contains(".git#")
        || text.contains("codeload.github.com")
        || text.contains("#commit");
    if !from_git {
        return None;
    }
    let fragment = text.rsplit_once('#').map(|(_, f)| f)?;
    let sha = fragment
        .strip_prefix("commit=")
        .or_else(|| fragment.strip_prefix("commit:"))
        .unwrap_or(fragment);
    (sha.len() >= 7 && sha.bytes().all(|b| b.is_ascii_hexdigit())).then(|| sha.to_string())
}

/// Line of every top-level key (an entry header), by each requirement it names.
fn header_lines(text: &str) -> HashMap<String, usize> {
    let mut lines = HashMap::new();
    for (n, line) in text.lines().enumerate() {
        if line.starts_with([' ', '#']) || line.is_empty() {
            continue;
        }
        if let Some(key) = line.strip_suffix(':') {
            for spec in split_specs(key) {
                lines.entry(spec).or_insert(n + 1);
            }
        }
    }
    lines
}

pub(crate) fn parse(origin: &str, text: &str, path: Option<&Path>) -> Result<Inventory> {
    if text.lines().any(|l| l.starts_with("__metadata:")) {
        parse_berry(origin, text)
    } else {
        parse_v1(origin, text, path)
    }
}

#[derive(Default)]
struct V1Entry {
    specs: Vec<String>,
    line: usize,
    version: Option<String>,
    resolved: Option<String>,
    dependencies: Vec<(String, String, Scope)>,
}

fn unquote(s: &str) -> String {
    s.trim().trim_matches('"').to_string()
}

fn parse_v1(origin: &str, text: &str, path: Option<&Path>) -> Result<Inventory> {
    let mut entries: Vec<V1Entry> = Vec::new();
    let mut section: Option<Scope> = None;
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim_end();
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let indent = line.len() - line.trim_start().len();
        let body = line.trim_start();
        if indent == 0 {
            let key = body.strip_suffix(':').ok_or_else(|| {
                Error::parse(
                    origin,
                    Some(n + 1),
                    "expected an entry header ending with ':'",
                )
            })?;
            entries.push(V1Entry {
                specs: split_specs(key),
                line: n + 1,
                ..V1Entry::default()
            });
            section = None;
            continue;
        }
        let Some(entry) = entries.last_mut() else {
            return Err(Error::parse(
                origin,
                Some(n + 1),
                "indented line before any entry",
            ));
        };
        if indent <= 2 {
            section = None;
            if let Some(name) = body.strip_suffix(':') {
                section = match name {
                    "dependencies" => Some(Scope::Prod),
                    "optionalDependencies" => Some(Scope::Optional),
                    "peerDependencies" => Some(Scope::Peer),
                    _ => None,
                };
                continue;
            }
            let (field, value) = body.split_once(' ').unwrap_or((body, ""));
            match field {
                "version" => entry.version = Some(unquote(value)),
                "resolved" => entry.resolved = Some(unquote(value)),
                _ => {}
            }
        } else if let Some(scope) = section {
            let (name, range) = split_dependency(body);
            entry.dependencies.push((name, range, scope));
        }
    }
    let mut b = Builder::new(origin, "npm", "yarn.lock");
    b.reserve(entries.len());
    let mut by_spec: HashMap<String, usize> = HashMap::with_capacity(entries.len());
    let mut indices = Vec::with_capacity(entries.len());
    for entry in &entries {
        let Some(first) = entry.specs.first() else {
            continue;
        };
        let name = spec_name(first).to_string();
        let version = entry.version.clone().unwrap_or_default();
        let i = b.add(&name, &version, Some(entry.line));
        if b.pkg(i).commit.is_none() {
            b.pkg(i).commit = entry.resolved.as_deref().and_then(commit_of);
        }
        for spec in &entry.specs {
            by_spec.insert(spec.clone(), i);
        }
        indices.push((entry, i));
    }
    for (entry, from) in indices {
        for (name, range, _) in &entry.dependencies {
            if let Some(&to) = by_spec.get(&format!("{name}@{range}")) {
                b.depends(Some(from), to);
                b.requires(Some(from), to, range);
            }
        }
    }
    if let Some(manifest) = package_json(path) {
        for (name, range, scope) in &manifest.dependencies {
            if let Some(&to) = by_spec.get(&format!("{name}@{range}")) {
                b.direct(to, *scope);
                b.requires(None, to, range);
            }
        }
        b.propagate_scopes();
    }
    Ok(b.finish())
}

/// `"@scope/name" "^1.0"` or `name "^1.0"` or `name ^1.0`.
fn split_dependency(body: &str) -> (String, String) {
    let body = body.trim();
    if let Some(rest) = body.strip_prefix('"')
        && let Some(end) = rest.find('"')
    {
        return (rest[..end].to_string(), unquote(&rest[end + 1..]));
    }
    let (name, range) = body.split_once(' ').unwrap_or((body, ""));
    (name.to_string(), unquote(range))
}

#[derive(Deserialize)]
struct BerryEntry {
    #[serde(default)]
    version: Option<serde_yaml_ng::Value>,
    #[serde(default)]
    resolution: Option<String>,
    #[serde(default)]
    dependencies: BTreeMap<String, serde_yaml_ng::Value>,
    #[serde(rename = "peerDependencies", default)]
    peer_dependencies: BTreeMap<String, serde_yaml_ng::Value>,
    #[serde(rename = "optionalDependencies", default)]
    optional_dependencies: BTreeMap<String, serde_yaml_ng::Value>,
}

fn scalar(v: &serde_yaml_ng::Value) -> String {
    match v {
        serde_yaml_ng::Value::String(s) => s.clone(),
        serde_yaml_ng::Value::Number(n) => n.to_string(),
        serde_yaml_ng::Value::Bool(b) => b.to_string(),
        _ => String::new(),
    }
}

fn parse_berry(origin: &str, text: &str) -> Result<Inventory> {
    let doc: BTreeMap<String, serde_yaml_ng::Value> = yaml(origin, text)?;
    let lines = header_lines(text);
    let mut b = Builder::new(origin, "npm", "yarn.lock");
    let mut by_spec: HashMap<String, usize> = HashMap::new();
    let mut entries: Vec<(Option<usize>, BerryEntry)> = Vec::new();
    for (key, value) in doc {
        if key == "__metadata" {
            continue;
        }
        let entry: BerryEntry = serde_yaml_ng::from_value(value).map_err(|e| {
            Error::parse(
                origin,
                lines.get(&key).copied(),
                format!("entry {key:?}: {e}"),
            )
        })?;
        let specs = split_specs(&key);
        let resolution = entry.resolution.clone().unwrap_or_default();
        if resolution.contains("@workspace:") || resolution.contains("@link:") {
            entries.push((None, entry));
            continue;
        }
        let name = if resolution.is_empty() {
            specs
                .first()
                .map(|s| spec_name(s).to_string())
                .unwrap_or_default()
        } else {
            split_at_version(&resolution).0.to_string()
        };
        let version = entry.version.as_ref().map(scalar).unwrap_or_default();
        let line = specs.iter().find_map(|s| lines.get(s).copied());
        let i = b.add(&name, &version, line);
        if b.pkg(i).commit.is_none() {
            b.pkg(i).commit = commit_of(&resolution);
        }
        for spec in specs {
            by_spec.insert(spec, i);
        }
        entries.push((Some(i), entry));
    }
    for (from, entry) in &entries {
        let deps = entry
            .dependencies
            .iter()
            .map(|d| (d, Scope::Prod))
            .chain(
                entry
                    .optional_dependencies
                    .iter()
                    .map(|d| (d, Scope::Optional)),
            )
            .chain(entry.peer_dependencies.iter().map(|d| (d, Scope::Peer)));
        for ((name, range), scope) in deps {
            let range = scalar(range);
            let to = by_spec
                .get(&format!("{name}@{range}"))
                .or_else(|| by_spec.get(&format!("{name}@npm:{range}")));
            if let Some(&to) = to {
                match from {
                    Some(from) => b.depends(Some(*from), to),
                    None => b.direct(to, scope),
                }
                b.requires(*from, to, range.strip_prefix("npm:").unwrap_or(&range));
            }
        }
    }
    b.propagate_scopes();
    Ok(b.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requirement_names_handle_scopes_and_aliases() {
        assert_eq!(spec_name("@babel/core@^7.0.0"), "@babel/core");
        assert_eq!(spec_name("lodash@^4.17.21"), "lodash");
        assert_eq!(
            spec_name("ansi-regex-cjs@npm:ansi-regex@^5.0.0"),
            "ansi-regex"
        );
        assert_eq!(
            spec_name("babel-hvi@npm:@babel/helper-validator-identifier@^7.0.0"),
            "@babel/helper-validator-identifier"
        );
        assert_eq!(spec_name("ansi-regex@npm:^6.0.0"), "ansi-regex");
    }

    #[test]
    fn a_v1_lockfile_gives_packages_edges_and_lines() {
        let text = "# yarn lockfile v1\n\n\"@scope/a@^1.0.0\", \"@scope/a@^1.1.0\":\n  version \"1.2.0\"\n  dependencies:\n    b \"^2\"\n\nb@^2:\n  version \"2.0.1\"\n  resolved \"https://codeload.github.com/x/b/tar.gz#0123456789abcdef\"\n";
        let inv = parse("yarn.lock", text, None).expect("valid");
        assert_eq!(inv.packages.len(), 2);
        assert_eq!(
            (inv.packages[0].name.as_str(), inv.packages[0].source.line),
            ("@scope/a", Some(3))
        );
        assert_eq!(inv.packages[1].commit.as_deref(), Some("0123456789abcdef"));
        assert!(
            inv.graph
                .edges
                .contains(&(crate::model::Node::Package(0), 1))
        );
    }
}
