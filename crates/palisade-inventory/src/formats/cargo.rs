//! Rust: `Cargo.lock`, format versions 1 to 4.
//!
//! Packages without a `source` are the workspace's own crates (or path
//! dependencies): they are listed, and what they depend on is direct.

use std::collections::HashMap;

use serde::Deserialize;
use toml::Spanned;

use super::{Builder, LineIndex, toml_doc};
use crate::Result;
use crate::model::{Inventory, Scope};

#[derive(Deserialize)]
struct Lock {
    #[serde(default)]
    package: Vec<Entry>,
}

#[derive(Deserialize)]
struct Entry {
    name: Spanned<String>,
    version: String,
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    dependencies: Vec<String>,
}

pub(crate) fn parse(origin: &str, text: &str) -> Result<Inventory> {
    let lock: Lock = toml_doc(origin, text)?;
    let mut b = Builder::new(origin, "crates.io", "Cargo.lock");
    let mut by_name: HashMap<&str, Vec<(usize, &str)>> = HashMap::new();
    let mut indices = Vec::with_capacity(lock.package.len());
    let lines = LineIndex::new(text);
    for entry in &lock.package {
        let line = lines.line(entry.name.span().start);
        let i = b.add(entry.name.get_ref(), &entry.version, Some(line));
        if let Some(source) = &entry.source
            && source.starts_with("git+")
        {
            b.pkg(i).commit = source.rsplit_once('#').map(|(_, c)| c.to_string());
        }
        by_name
            .entry(entry.name.get_ref())
            .or_default()
            .push((i, &entry.version));
        indices.push(i);
    }
    for (entry, &from) in lock.package.iter().zip(&indices) {
        let member = entry.source.is_none();
        if member {
            b.direct(from, Scope::Prod);
        }
        for dep in &entry.dependencies {
            let mut parts = dep.split_whitespace();
            let name = parts.next().unwrap_or("");
            let version = parts.next();
            let Some(candidates) = by_name.get(name) else {
                continue;
            };
            let to = match version {
                Some(v) => candidates.iter().find(|(_, cv)| *cv == v).map(|(i, _)| *i),
                None => candidates.first().map(|(i, _)| *i),
            };
            if let Some(to) = to {
                if member {
                    b.direct(to, Scope::Prod);
                }
                b.depends(Some(from), to);
            }
        }
    }
    Ok(b.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_are_roots_and_versioned_dependencies_resolve() {
        let lock = "version = 4\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\"rand 0.8.5\", \"rand 0.7.3\"]\n\n[[package]]\nname = \"rand\"\nversion = \"0.7.3\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n\n[[package]]\nname = \"rand\"\nversion = \"0.8.5\"\nsource = \"git+https://github.com/rust-random/rand#abcdef1\"\n";
        let inv = parse("Cargo.lock", lock).expect("valid");
        assert_eq!(inv.packages.len(), 3);
        assert!(inv.packages.iter().all(|p| p.direct));
        assert_eq!(inv.packages[2].commit.as_deref(), Some("abcdef1"));
        assert_eq!(inv.packages[1].source.line, Some(9));
        assert_eq!(
            inv.graph
                .edges
                .iter()
                .filter(|(f, _)| *f == crate::model::Node::Package(0))
                .count(),
            2
        );
    }
}
