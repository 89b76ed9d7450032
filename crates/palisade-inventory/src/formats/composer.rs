//! PHP: `composer.lock`. `packages` are needed at run time, `packages-dev` only
//! for development; `require` names dependencies (platform requirements such as
//! `php` and `ext-*` are not packages).

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use serde::Deserialize;

use super::{Builder, json, json_field, json_key};
use crate::Result;
use crate::manifest::composer_json;
use crate::model::{Inventory, Scope};

#[derive(Deserialize)]
struct Lock {
    #[serde(default)]
    packages: Vec<Entry>,
    #[serde(rename = "packages-dev", default)]
    packages_dev: Vec<Entry>,
}

#[derive(Deserialize)]
struct Entry {
    name: String,
    version: String,
    #[serde(default)]
    source: Option<Source>,
    #[serde(default)]
    require: BTreeMap<String, String>,
}

#[derive(Deserialize)]
struct Source {
    #[serde(default)]
    reference: Option<String>,
}

fn is_platform(name: &str) -> bool {
    name == "php"
        || name.starts_with("ext-")
        || name.starts_with("lib-")
        || name == "composer-plugin-api"
}

pub(crate) fn parse(origin: &str, text: &str, path: Option<&Path>) -> Result<Inventory> {
    let lock: Lock = json(origin, text)?;
    let mut b = Builder::new(origin, "Packagist", "composer.lock");
    let mut by_name: HashMap<String, usize> = HashMap::new();
    let mut all = Vec::new();
    for (section, entries, dev) in [
        ("packages", &lock.packages, false),
        ("packages-dev", &lock.packages_dev, true),
    ] {
        let mut cursor = json_key(text, 0, section).map_or(0, |(_, after)| after);
        for entry in entries {
            let found = json_field(text, cursor, "name", &entry.name);
            if let Some((_, after)) = found {
                cursor = after;
            }
            let i = b.add(&entry.name, &entry.version, found.map(|(l, _)| l));
            let p = b.pkg(i);
            p.commit = entry.source.as_ref().and_then(|s| s.reference.clone());
            if dev {
                p.scope = Scope::Dev;
                p.groups = vec!["dev".to_string()];
            }
            by_name.insert(entry.name.to_lowercase(), i);
            all.push((i, entry));
        }
    }
    for (from, entry) in all {
        for (dep, constraint) in entry.require.iter().filter(|(d, _)| !is_platform(d)) {
            if let Some(&to) = by_name.get(&dep.to_lowercase()) {
                b.depends(Some(from), to);
                b.requires(Some(from), to, constraint);
            }
        }
    }
    if let Some(manifest) = composer_json(path) {
        for (name, _, scope) in &manifest.dependencies {
            if let Some(&to) = by_name.get(&name.to_lowercase()) {
                b.direct(to, *scope);
            }
        }
    }
    Ok(b.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dev_packages_and_platform_requirements() {
        let text = r#"{"packages": [{"name": "monolog/monolog", "version": "3.5.0", "require": {"php": ">=8.1", "psr/log": "^3"}},
            {"name": "psr/log", "version": "3.0.0"}],
          "packages-dev": [{"name": "phpunit/phpunit", "version": "10.5.0", "source": {"type": "git", "reference": "abc123"}}]}"#;
        let inv = parse("composer.lock", text, None).expect("valid");
        assert_eq!(inv.packages.len(), 3);
        assert_eq!(
            inv.graph.edges.len(),
            1,
            "monolog -> psr/log; php is a platform requirement"
        );
        assert_eq!(inv.packages[2].scope, Scope::Dev);
        assert_eq!(inv.packages[2].commit.as_deref(), Some("abc123"));
        assert_eq!(inv.packages[0].purl, "pkg:composer/monolog/monolog@3.5.0");
    }
}
