//! npm: `package-lock.json` (lockfileVersion 1, 2 and 3) and `npm-shrinkwrap.json`.
//!
//! Version 2 and 3 files list every installed path under `packages`
//! (`node_modules/a/node_modules/b`); dependencies are resolved the way Node
//! does, from the package's own `node_modules` upwards. Version 1 files nest
//! `dependencies` and name what each package `requires`. Workspace members and
//! `link` entries are projects, not packages: their dependencies are direct.

use std::collections::BTreeMap;

use foldhash::{HashMap, HashMapExt};
use std::path::Path;

use serde::Deserialize;

use super::{Builder, Pairs, json};
use crate::Result;
use crate::manifest::{Declared, package_json};
use crate::model::{Inventory, Scope};

#[derive(Deserialize)]
struct Lock {
    #[serde(rename = "lockfileVersion", default)]
    lockfile_version: Option<u64>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    packages: Pairs<String, Entry>,
    #[serde(default)]
    dependencies: BTreeMap<String, V1Entry>,
}

#[derive(Deserialize, Default)]
struct Entry {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    resolved: Option<String>,
    #[serde(default)]
    dev: bool,
    #[serde(default)]
    optional: bool,
    #[serde(rename = "devOptional", default)]
    dev_optional: bool,
    #[serde(default)]
    peer: bool,
    #[serde(rename = "inBundle", default)]
    in_bundle: bool,
    #[serde(default)]
    link: bool,
    #[serde(default)]
    dependencies: Pairs<String, serde_json::Value>,
    #[serde(rename = "devDependencies", default)]
    dev_dependencies: Pairs<String, serde_json::Value>,
    #[serde(rename = "optionalDependencies", default)]
    optional_dependencies: Pairs<String, serde_json::Value>,
    #[serde(rename = "peerDependencies", default)]
    peer_dependencies: Pairs<String, serde_json::Value>,
}

#[derive(Deserialize)]
struct V1Entry {
    #[serde(default)]
    version: String,
    #[serde(default)]
    dev: bool,
    #[serde(default)]
    optional: bool,
    #[serde(default)]
    bundled: bool,
    #[serde(default)]
    requires: BTreeMap<String, String>,
    #[serde(default)]
    dependencies: BTreeMap<String, V1Entry>,
}

const NODE_MODULES: &str = "node_modules/";

/// Where the last `node_modules/` in `path` starts. A prebuilt searcher:
/// `rsplit_once` sets one up per call, and this runs for every path
/// resolution of every dependency.
fn last_node_modules(path: &str) -> Option<usize> {
    static FINDER: std::sync::LazyLock<memchr::memmem::FinderRev<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::FinderRev::new(NODE_MODULES));
    FINDER.rfind(path.as_bytes())
}

/// The package name installed at a `node_modules` path.
fn name_at(path: &str) -> &str {
    last_node_modules(path).map_or(path, |at| &path[at + NODE_MODULES.len()..])
}

/// The directory a `node_modules/...` path is installed under ("" at the top).
fn parent_of(path: &str) -> Option<&str> {
    if path.is_empty() {
        return None;
    }
    let at = last_node_modules(path)?;
    Some(path[..at].trim_end_matches('/'))
}

/// Finds what `dep` resolves to from `from`, walking up as Node does.
fn resolve(paths: &HashMap<&str, usize>, from: &str, dep: &str, buf: &mut String) -> Option<usize> {
    let mut dir = Some(from);
    while let Some(d) = dir {
        buf.clear();
        if !d.is_empty() {
            buf.push_str(d);
            buf.push('/');
        }
        buf.push_str("node_modules/");
        buf.push_str(dep);
        if let Some(&i) = paths.get(buf.as_str()) {
            return Some(i);
        }
        dir = if d.is_empty() {
            None
        } else {
            parent_of(d).or(Some(""))
        };
    }
    None
}

/// Splits an `npm:` alias version: `npm:real-name@1.2.3` -> ("real-name", "1.2.3").
fn alias(version: &str) -> Option<(&str, &str)> {
    let rest = version.strip_prefix("npm:")?;
    // Skip the first character: a scoped name starts with `@`.
    let (at, _) = rest.char_indices().skip(1).find(|&(_, c)| c == '@')?;

    Some((&rest[..at], &rest[at + 1..]))
}

/// The git commit of a `git+...#sha` version or resolved URL.
fn commit_of(text: &str) -> Option<String> {
    if !(text.starts_with("git") || text.contains(".git#") || text.starts_with("github:")) {
        return None;
    }
    let (_, fragment) = text.rsplit_once('#')?;
    (fragment.len() >= 7 && fragment.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| fragment.to_string())
}

fn groups_of(e: &Entry) -> (Vec<String>, Scope) {
    let mut groups = Vec::new();
    if e.in_bundle {
        groups.push("bundled".to_string());
    }
    if e.dev || e.dev_optional {
        groups.push("dev".to_string());
    }
    if e.optional || e.dev_optional {
        groups.push("optional".to_string());
    }
    if e.peer {
        groups.push("peer".to_string());
    }
    let scope = if e.dev || e.dev_optional {
        Scope::Dev
    } else if e.optional {
        Scope::Optional
    } else if e.peer {
        Scope::Peer
    } else {
        Scope::Prod
    };
    (groups, scope)
}

/// Line of each `"node_modules/...": {` key, from one pass over the text.
fn key_lines(text: &str) -> HashMap<&str, usize> {
    let mut lines = HashMap::new();
    for (n, line) in text.lines().enumerate() {
        let t = line.trim();
        if let Some(key) = t.strip_prefix('"').and_then(|t| t.strip_suffix("\": {"))
            && (key.is_empty() || last_node_modules(key).is_some() || !key.contains('"'))
        {
            lines.entry(key).or_insert(n + 1);
        }
    }
    lines
}

pub(crate) fn parse(origin: &str, text: &str, path: Option<&Path>) -> Result<Inventory> {
    let lock: Lock = json(origin, text)?;
    let manifest = package_json(path);
    let root_name = lock
        .name
        .clone()
        .or_else(|| manifest.as_ref().and_then(|m| m.name.clone()))
        .unwrap_or_else(|| "package-lock.json".to_string());
    let mut b = Builder::new(origin, "npm", &root_name);
    b.reserve(lock.packages.0.len());
    if lock.lockfile_version.unwrap_or(1) >= 2 || !lock.packages.is_empty() {
        parse_v2(&mut b, &lock, text);
    } else {
        parse_v1(&mut b, &lock, manifest.as_ref());
    }
    Ok(b.finish())
}

fn parse_v2(b: &mut Builder, lock: &Lock, text: &str) {
    let lines = key_lines(text);
    let mut paths: HashMap<&str, usize> = HashMap::new();
    for (path, entry) in lock.packages.iter() {
        if path.is_empty() || last_node_modules(path).is_none() {
            continue;
        }
        if entry.link {
            // A link to a workspace member, listed again under its own path.
            continue;
        }
        let mut name = entry
            .name
            .clone()
            .unwrap_or_else(|| name_at(path).to_string());
        let mut version = entry.version.clone().unwrap_or_default();
        if let Some((real, v)) = alias(&version) {
            name = real.to_string();
            version = v.to_string();
        }
        let (groups, scope) = groups_of(entry);
        let known = b.find(&name, &version).is_some();
        let i = b.add(&name, &version, lines.get(path.as_str()).copied());
        let p = b.pkg(i);
        if known {
            p.groups.retain(|g| groups.contains(g));
            if scope == Scope::Prod {
                p.scope = Scope::Prod;
            }
        } else {
            p.groups = groups;
            p.scope = scope;
            p.commit =
                commit_of(&version).or_else(|| entry.resolved.as_deref().and_then(commit_of));
        }
        paths.insert(path, i);
    }
    let mut buf = String::new();
    for (path, entry) in lock.packages.iter() {
        let from = paths.get(path.as_str()).copied();
        let is_project =
            from.is_none() && !entry.link && (path.is_empty() || last_node_modules(path).is_none());
        if from.is_none() && !is_project {
            continue;
        }
        let mut deps: Vec<(&String, &serde_json::Value, Scope)> = Vec::new();
        deps.extend(entry.dependencies.iter().map(|(k, v)| (k, v, Scope::Prod)));
        deps.extend(
            entry
                .optional_dependencies
                .iter()
                .map(|(k, v)| (k, v, Scope::Optional)),
        );
        deps.extend(
            entry
                .peer_dependencies
                .iter()
                .map(|(k, v)| (k, v, Scope::Peer)),
        );
        if is_project {
            deps.extend(
                entry
                    .dev_dependencies
                    .iter()
                    .map(|(k, v)| (k, v, Scope::Dev)),
            );
        }
        for (dep, range, scope) in deps {
            if let Some(to) = resolve(&paths, path, dep, &mut buf) {
                if is_project {
                    b.direct(to, scope);
                    if path.is_empty() {
                        b.requires(None, to, range.as_str().unwrap_or(""));
                    }
                } else {
                    b.depends(from, to);
                    b.requires(from, to, range.as_str().unwrap_or(""));
                }
            }
        }
    }
}

fn parse_v1(b: &mut Builder, lock: &Lock, manifest: Option<&Declared>) {
    // Nodes in walk order with their parent, to resolve `requires` upwards.
    struct Node<'a> {
        parent: Option<usize>,
        entry: &'a V1Entry,
        index: usize,
        children: HashMap<&'a str, usize>,
    }
    let mut nodes: Vec<Node<'_>> = Vec::new();
    let mut top: HashMap<&str, usize> = HashMap::new();
    let mut stack: Vec<(Option<usize>, &String, &V1Entry)> = lock
        .dependencies
        .iter()
        .rev()
        .map(|(k, v)| (None, k, v))
        .collect();
    while let Some((parent, key, entry)) = stack.pop() {
        let (name, version) = match alias(&entry.version) {
            Some((real, v)) => (real.to_string(), v.to_string()),
            None => (key.clone(), entry.version.clone()),
        };
        let known = b.find(&name, &version).is_some();
        let i = b.add(&name, &version, None);
        let mut groups = Vec::new();
        if entry.bundled {
            groups.push("bundled".to_string());
        }
        if entry.dev {
            groups.push("dev".to_string());
        }
        if entry.optional {
            groups.push("optional".to_string());
        }
        let scope = if entry.dev {
            Scope::Dev
        } else if entry.optional {
            Scope::Optional
        } else {
            Scope::Prod
        };
        let p = b.pkg(i);
        if known {
            p.groups.retain(|g| groups.contains(g));
            if scope == Scope::Prod {
                p.scope = Scope::Prod;
            }
        } else {
            p.groups = groups;
            p.scope = scope;
            p.commit = commit_of(&entry.version);
        }
        let node = nodes.len();
        nodes.push(Node {
            parent,
            entry,
            index: i,
            children: HashMap::new(),
        });
        match parent {
            Some(p) => {
                nodes[p].children.insert(key.as_str(), node);
            }
            None => {
                top.insert(key.as_str(), node);
            }
        }
        for (k, v) in entry.dependencies.iter().rev() {
            stack.push((Some(node), k, v));
        }
    }
    let mut required = vec![false; nodes.len()];
    for n in 0..nodes.len() {
        for (dep, range) in &nodes[n].entry.requires {
            let mut at = Some(n);
            let mut found = None;
            while let Some(a) = at {
                if let Some(&c) = nodes[a].children.get(dep.as_str()) {
                    found = Some(c);
                    break;
                }
                at = nodes[a].parent;
            }
            if let Some(c) = found.or_else(|| top.get(dep.as_str()).copied()) {
                required[c] = true;
                let (from, to) = (nodes[n].index, nodes[c].index);
                b.depends(Some(from), to);
                b.requires(Some(from), to, range);
            }
        }
    }
    // Version 1 files do not name the project's own dependencies: they come
    // from package.json when it is there, else the top-level entries nothing
    // else requires are taken as direct.
    match manifest {
        Some(m) => {
            for (name, range, scope) in &m.dependencies {
                if let Some(&n) = top.get(name.as_str()) {
                    b.direct(nodes[n].index, *scope);
                    b.requires(None, nodes[n].index, range);
                }
            }
        }
        None => {
            for &n in top.values() {
                if !required[n] {
                    let scope = b.pkg(nodes[n].index).scope;
                    b.direct(nodes[n].index, scope);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Node;

    fn names(inv: &Inventory) -> Vec<String> {
        let mut v: Vec<String> = inv
            .packages
            .iter()
            .map(|p| format!("{}@{}", p.name, p.version))
            .collect();
        v.sort();
        v
    }

    #[test]
    fn v3_paths_resolve_like_node_and_aliases_use_the_real_name() {
        let lock = r#"{
          "name": "app", "lockfileVersion": 3,
          "packages": {
            "": {"dependencies": {"a": "^1", "b-alias": "npm:b@^2"}, "devDependencies": {"t": "^1"}},
            "node_modules/a": {"version": "1.0.0", "dependencies": {"c": "^1"}},
            "node_modules/a/node_modules/c": {"version": "1.5.0"},
            "node_modules/c": {"version": "2.0.0"},
            "node_modules/b-alias": {"name": "b", "version": "2.1.0"},
            "node_modules/t": {"version": "1.0.0", "dev": true, "dependencies": {"c": "^2"}},
            "packages/lib": {"version": "0.1.0"},
            "node_modules/lib": {"resolved": "packages/lib", "link": true}
          }
        }"#;
        let inv = parse("package-lock.json", lock, None).expect("valid");
        assert_eq!(
            names(&inv),
            ["a@1.0.0", "b@2.1.0", "c@1.5.0", "c@2.0.0", "t@1.0.0"]
        );
        let idx = |n: &str| {
            inv.packages
                .iter()
                .position(|p| format!("{}@{}", p.name, p.version) == n)
                .expect(n)
        };
        assert!(
            inv.graph
                .edges
                .contains(&(Node::Package(idx("a@1.0.0")), idx("c@1.5.0"))),
            "nested copy wins"
        );
        assert!(
            inv.graph
                .edges
                .contains(&(Node::Package(idx("t@1.0.0")), idx("c@2.0.0"))),
            "hoisted copy"
        );
        assert!(inv.packages[idx("b@2.1.0")].direct);
        assert_eq!(inv.requirement(Node::Root(0), idx("a@1.0.0")), Some("^1"));
        assert_eq!(
            inv.requirement(Node::Package(idx("a@1.0.0")), idx("c@1.5.0")),
            Some("^1")
        );

        assert_eq!(inv.packages[idx("t@1.0.0")].scope, Scope::Dev);
        assert!(!inv.packages[idx("c@2.0.0")].direct);
        assert_eq!(inv.graph.roots[0].name, "app");
    }

    #[test]
    fn v1_nesting_and_requires() {
        let lock = r#"{"lockfileVersion": 1, "dependencies": {
            "a": {"version": "1.0.0", "requires": {"c": "^1"}, "dependencies": {"c": {"version": "1.0.0"}}},
            "c": {"version": "2.0.0", "dev": true},
            "g": {"version": "git+https://github.com/x/g.git#0123456789abcdef0123456789abcdef01234567"}
        }}"#;
        let inv = parse("package-lock.json", lock, None).expect("valid");
        assert_eq!(inv.packages.len(), 4);
        let a = inv.packages.iter().position(|p| p.name == "a").expect("a");
        let c1 = inv
            .packages
            .iter()
            .position(|p| p.name == "c" && p.version == "1.0.0")
            .expect("c1");
        assert!(inv.graph.edges.contains(&(Node::Package(a), c1)));
        let g = inv.packages.iter().find(|p| p.name == "g").expect("g");
        assert_eq!(
            g.commit.as_deref(),
            Some("0123456789abcdef0123456789abcdef01234567")
        );
        assert!(inv.packages[a].direct && !inv.packages[c1].direct);
    }
}
