//! Manifests beside lockfiles (`package.json`, `Pipfile`, `pyproject.toml`,
//! `composer.json`): some lockfiles do not say which packages the project asks
//! for itself, and the manifest does.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::model::Scope;

/// The project's own dependencies, by name, with the scope they are declared in.
#[derive(Clone, Debug, Default)]
pub(crate) struct Declared {
    pub(crate) name: Option<String>,
    pub(crate) dependencies: Vec<(String, String, Scope)>,
}

/// Reads a file beside `lockfile`, if there is one and it is readable.
pub(crate) fn sibling(lockfile: Option<&Path>, name: &str) -> Option<String> {
    let path = lockfile?.parent()?.join(name);
    crate::read::read_text(&path).ok()
}

#[derive(Deserialize)]
struct PackageJson {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    dependencies: BTreeMap<String, serde_json::Value>,
    #[serde(rename = "devDependencies", default)]
    dev_dependencies: BTreeMap<String, serde_json::Value>,
    #[serde(rename = "optionalDependencies", default)]
    optional_dependencies: BTreeMap<String, serde_json::Value>,
    #[serde(rename = "peerDependencies", default)]
    peer_dependencies: BTreeMap<String, serde_json::Value>,
}

fn range(v: &serde_json::Value) -> String {
    v.as_str().unwrap_or_default().to_string()
}

/// `package.json` beside an npm, Yarn or pnpm lockfile.
pub(crate) fn package_json(lockfile: Option<&Path>) -> Option<Declared> {
    let text = sibling(lockfile, "package.json")?;
    let pkg: PackageJson = serde_json::from_str(&text).ok()?;
    let mut dependencies = Vec::new();
    for (section, scope) in [
        (&pkg.dependencies, Scope::Prod),
        (&pkg.optional_dependencies, Scope::Optional),
        (&pkg.peer_dependencies, Scope::Peer),
        (&pkg.dev_dependencies, Scope::Dev),
    ] {
        dependencies.extend(section.iter().map(|(n, v)| (n.clone(), range(v), scope)));
    }
    Some(Declared {
        name: pkg.name,
        dependencies,
    })
}

/// `Pipfile` beside a `Pipfile.lock`.
pub(crate) fn pipfile(lockfile: Option<&Path>) -> Option<Declared> {
    let text = sibling(lockfile, "Pipfile")?;
    let doc: toml::Table = toml::from_str(&text).ok()?;
    let mut dependencies = Vec::new();
    for (section, scope) in [("packages", Scope::Prod), ("dev-packages", Scope::Dev)] {
        if let Some(table) = doc.get(section).and_then(toml::Value::as_table) {
            dependencies.extend(table.keys().map(|k| (k.clone(), String::new(), scope)));
        }
    }
    Some(Declared {
        name: None,
        dependencies,
    })
}

/// `pyproject.toml` beside a `poetry.lock`, `uv.lock` or `pdm.lock`: PEP 621
/// `[project]` dependencies and Poetry's tables.
pub(crate) fn pyproject(lockfile: Option<&Path>) -> Option<Declared> {
    let text = sibling(lockfile, "pyproject.toml")?;
    let doc: toml::Table = toml::from_str(&text).ok()?;
    let mut dependencies = Vec::new();
    let project = doc.get("project").and_then(toml::Value::as_table);
    let poetry = doc
        .get("tool")
        .and_then(|t| t.get("poetry"))
        .and_then(toml::Value::as_table);
    if let Some(deps) = project
        .and_then(|p| p.get("dependencies"))
        .and_then(toml::Value::as_array)
    {
        for req in deps.iter().filter_map(toml::Value::as_str) {
            dependencies.push((pep508_name(req).to_string(), String::new(), Scope::Prod));
        }
    }
    if let Some(extras) = project
        .and_then(|p| p.get("optional-dependencies"))
        .and_then(toml::Value::as_table)
    {
        for req in extras
            .values()
            .filter_map(toml::Value::as_array)
            .flatten()
            .filter_map(toml::Value::as_str)
        {
            dependencies.push((pep508_name(req).to_string(), String::new(), Scope::Optional));
        }
    }
    if let Some(poetry) = poetry {
        if let Some(deps) = poetry.get("dependencies").and_then(toml::Value::as_table) {
            dependencies.extend(
                deps.keys()
                    .filter(|k| *k != "python")
                    .map(|k| (k.clone(), String::new(), Scope::Prod)),
            );
        }
        if let Some(deps) = poetry
            .get("dev-dependencies")
            .and_then(toml::Value::as_table)
        {
            dependencies.extend(deps.keys().map(|k| (k.clone(), String::new(), Scope::Dev)));
        }
        if let Some(groups) = poetry.get("group").and_then(toml::Value::as_table) {
            for group in groups.values() {
                if let Some(deps) = group.get("dependencies").and_then(toml::Value::as_table) {
                    dependencies
                        .extend(deps.keys().map(|k| (k.clone(), String::new(), Scope::Dev)));
                }
            }
        }
    }
    let name = project
        .and_then(|p| p.get("name"))
        .or_else(|| poetry.and_then(|p| p.get("name")))
        .and_then(toml::Value::as_str)
        .map(str::to_string);
    Some(Declared { name, dependencies })
}

/// `composer.json` beside a `composer.lock`.
pub(crate) fn composer_json(lockfile: Option<&Path>) -> Option<Declared> {
    let text = sibling(lockfile, "composer.json")?;
    let doc: serde_json::Value = serde_json::from_str(&text).ok()?;
    let mut dependencies = Vec::new();
    for (section, scope) in [("require", Scope::Prod), ("require-dev", Scope::Dev)] {
        if let Some(map) = doc.get(section).and_then(serde_json::Value::as_object) {
            dependencies.extend(map.keys().map(|k| (k.clone(), String::new(), scope)));
        }
    }
    Some(Declared {
        name: doc.get("name").and_then(|n| n.as_str()).map(str::to_string),
        dependencies,
    })
}

/// The name at the start of a PEP 508 requirement.
pub(crate) fn pep508_name(req: &str) -> &str {
    let req = req.trim();
    let end = req
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .unwrap_or(req.len());
    &req[..end]
}
