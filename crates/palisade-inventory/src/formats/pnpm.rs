//! pnpm: `pnpm-lock.yaml`, lockfile versions 5 to 9.
//!
//! Package keys changed across versions: `/name/1.0.0_peer@2` (5),
//! `/name@1.0.0(peer@2)` (6) and `name@1.0.0` with peers in `snapshots` (9).
//! Peer suffixes are not part of the version. Direct dependencies come from
//! the root importer (or the top-level sections before importers existed).

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_yaml_ng::Value;

use super::{Builder, YamlKeys, yaml, yaml_key};
use crate::Result;
use crate::model::{Inventory, Scope};

#[derive(Deserialize)]
struct Lock {
    #[serde(rename = "lockfileVersion", default)]
    lockfile_version: Option<Value>,
    #[serde(default)]
    importers: BTreeMap<String, Importer>,
    #[serde(flatten)]
    top: Importer,
    #[serde(default)]
    packages: BTreeMap<String, Entry>,
    #[serde(default)]
    snapshots: BTreeMap<String, Entry>,
}

#[derive(Deserialize, Default)]
struct Importer {
    #[serde(default)]
    dependencies: BTreeMap<String, Value>,
    #[serde(rename = "devDependencies", default)]
    dev_dependencies: BTreeMap<String, Value>,
    #[serde(rename = "optionalDependencies", default)]
    optional_dependencies: BTreeMap<String, Value>,
}

#[derive(Deserialize, Default)]
struct Entry {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    version: Option<Value>,
    #[serde(default)]
    dev: Option<bool>,
    #[serde(default)]
    optional: Option<bool>,
    #[serde(default)]
    resolution: Option<Value>,
    #[serde(default)]
    dependencies: BTreeMap<String, Value>,
    #[serde(rename = "optionalDependencies", default)]
    optional_dependencies: BTreeMap<String, Value>,
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Mapping(m) => m.get("version").map(text).unwrap_or_default(),
        _ => String::new(),
    }
}

/// A version without its peer suffix: `1.0.0(react@18)` or `1.0.0_react@18`.
fn strip_peers(version: &str) -> &str {
    let v = version.split('(').next().unwrap_or(version);
    match v.find('_') {
        Some(i) if v[..i].chars().next().is_some_and(|c| c.is_ascii_digit()) => &v[..i],
        _ => v,
    }
}

/// Splits a package key into name and version for any lockfile version.
fn parse_key(key: &str, v5: bool) -> Option<(String, String)> {
    let key = key.strip_prefix('/').unwrap_or(key);
    let key = key.split('(').next().unwrap_or(key);
    if v5 {
        let (name, version) = key.rsplit_once('/')?;
        return Some((name.to_string(), strip_peers(version).to_string()));
    }
    let from = usize::from(key.starts_with('@'));
    let at = key[from..].find('@')? + from;
    Some((
        key[..at].to_string(),
        strip_peers(&key[at + 1..]).to_string(),
    ))
}

pub(crate) fn parse(origin: &str, text_in: &str) -> Result<Inventory> {
    let lock: Lock = yaml(origin, text_in)?;
    let major = lock
        .lockfile_version
        .as_ref()
        .map(text)
        .and_then(|v| v.split('.').next().and_then(|m| m.parse::<u32>().ok()))
        .unwrap_or(5);
    let v5 = major < 6;
    let packages_at = yaml_key(text_in, 0, "packages").map_or(0, |(_, after)| after);
    let keys = YamlKeys::new(text_in, packages_at);
    let mut b = Builder::new(origin, "npm", "pnpm-lock.yaml");
    let mut flags_seen = false;
    for (key, entry) in &lock.packages {
        let Some((mut name, mut version)) = parse_key(key, v5) else {
            continue;
        };
        if let Some(n) = &entry.name {
            name = n.clone();
        }
        if let Some(v) = entry.version.as_ref().map(text).filter(|v| !v.is_empty()) {
            version = v;
        }
        let line = keys.get(key).map(|(l, _)| l);
        let i = b.add(&name, &version, line);
        let p = b.pkg(i);
        if entry.dev == Some(true) {
            p.scope = Scope::Dev;
            p.groups.push("dev".to_string());
        } else if entry.optional == Some(true) {
            p.scope = Scope::Optional;
            p.groups.push("optional".to_string());
        }
        flags_seen |= entry.dev.is_some();
        if let Some(Value::Mapping(res)) = &entry.resolution
            && let Some(commit) = res.get("commit")
        {
            p.commit = Some(text(commit));
        }
    }
    // Dependencies live on packages (5, 6) or on snapshots (9).
    let dependents: &BTreeMap<String, Entry> = if lock.snapshots.is_empty() {
        &lock.packages
    } else {
        &lock.snapshots
    };
    for (key, entry) in dependents {
        let Some((name, version)) = parse_key(key, v5) else {
            continue;
        };
        let Some(from) = b.find(&name, &version) else {
            continue;
        };
        for (dep, v) in entry
            .dependencies
            .iter()
            .chain(&entry.optional_dependencies)
        {
            let dep_version = text(v);
            let target = match parse_key(&dep_version, v5) {
                // An alias or a path-like version names the package itself.
                Some((n, ver))
                    if dep_version.starts_with('/')
                        || dep_version.contains('@')
                            && !dep_version.starts_with(|c: char| c.is_ascii_digit()) =>
                {
                    (n, ver)
                }
                _ => (dep.clone(), strip_peers(&dep_version).to_string()),
            };
            if let Some(to) = b.find(&target.0, &target.1) {
                b.depends(Some(from), to);
            }
        }
    }
    let root = lock.importers.get(".").unwrap_or(&lock.top);
    let sections = [
        (&root.dependencies, Scope::Prod),
        (&root.optional_dependencies, Scope::Optional),
        (&root.dev_dependencies, Scope::Dev),
    ];
    for (section, scope) in sections {
        for (name, v) in section {
            let version = text(v);
            if version.starts_with("link:") || version.starts_with("workspace:") {
                continue;
            }
            if let Some(to) = b.find(name, strip_peers(&version)) {
                b.direct(to, scope);
            }
        }
    }
    if !flags_seen {
        b.propagate_scopes();
    }
    Ok(b.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn importers_and_dev_flags_of_a_v6_lockfile() {
        let text = "lockfileVersion: '6.0'\n\ndependencies:\n  react:\n    specifier: ^18\n    version: 18.2.0\n\ndevDependencies:\n  vitest:\n    specifier: ^1\n    version: 1.0.0\n\npackages:\n\n  /react@18.2.0:\n    resolution: {integrity: sha512-x}\n    dependencies:\n      loose-envify: 1.4.0\n    dev: false\n\n  /loose-envify@1.4.0:\n    resolution: {integrity: sha512-y}\n    dev: false\n\n  /vitest@1.0.0:\n    resolution: {integrity: sha512-z}\n    dev: true\n";
        let inv = parse("pnpm-lock.yaml", text).expect("valid");
        let got: Vec<(&str, Scope, bool, Option<usize>)> = inv
            .packages
            .iter()
            .map(|p| (p.name.as_str(), p.scope, p.direct, p.source.line))
            .collect();
        assert_eq!(
            got,
            [
                ("loose-envify", Scope::Prod, false, Some(21)),
                ("react", Scope::Prod, true, Some(15)),
                ("vitest", Scope::Dev, true, Some(25)),
            ]
        );
        assert_eq!(inv.graph.edges.len(), 3);
    }

    #[test]
    fn keys_of_every_lockfile_version() {
        assert_eq!(
            parse_key("/@babel/core/7.0.0_react@18.2.0", true),
            Some(("@babel/core".into(), "7.0.0".into()))
        );
        assert_eq!(
            parse_key("/react-dom@18.2.0(react@18.2.0)", false),
            Some(("react-dom".into(), "18.2.0".into()))
        );
        assert_eq!(
            parse_key("@types/node@20.1.0", false),
            Some(("@types/node".into(), "20.1.0".into()))
        );
    }
}
