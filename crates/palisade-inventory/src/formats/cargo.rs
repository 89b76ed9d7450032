//! Rust: `Cargo.lock`, format versions 1 to 4.
//!
//! Packages without a `source` are the workspace's own crates (or path
//! dependencies): they are listed, and what they depend on is direct.

use std::collections::HashMap;

use serde::Deserialize;
use toml::Spanned;

use super::{Builder, line_at, toml_doc};
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
    for entry in &lock.package {
        let line = line_at(text, entry.name.span().start);
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
