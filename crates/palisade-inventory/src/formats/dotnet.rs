//! .NET: NuGet's `packages.lock.json`, per target framework. `Direct` entries
//! are the project's dependencies; `Project` entries are other projects of the
//! solution, not packages.

use std::collections::{BTreeMap, HashMap};

use serde::Deserialize;

use super::{Builder, JsonKeys, json, json_key};
use crate::Result;
use crate::model::{Inventory, Scope};

#[derive(Deserialize)]
struct Lock {
    #[serde(default)]
    dependencies: BTreeMap<String, BTreeMap<String, Entry>>,
}

#[derive(Deserialize)]
struct Entry {
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    resolved: Option<String>,
    #[serde(default)]
    dependencies: BTreeMap<String, String>,
}

pub(crate) fn parse(origin: &str, text: &str) -> Result<Inventory> {
    let lock: Lock = json(origin, text)?;
    let mut b = Builder::new(origin, "NuGet", "packages.lock.json");
    for (framework, entries) in &lock.dependencies {
        let start = json_key(text, 0, framework).map_or(0, |(_, after)| after);
        let keys = JsonKeys::new(text, start);
        let mut by_name: HashMap<String, usize> = HashMap::new();
        let mut nodes = Vec::new();
        for (name, entry) in entries {
            let Some(version) = &entry.resolved else {
                continue;
            };
            if entry.kind == "Project" {
                continue;
            }
            let line = keys.get(name).map(|(l, _)| l);
            let i = b.add(name, version, line);
            if entry.kind == "Direct" {
                b.direct(i, Scope::Prod);
            }
            by_name.insert(name.to_lowercase(), i);
            nodes.push((i, entry));
        }
        for (from, entry) in nodes {
            for dep in entry.dependencies.keys() {
                if let Some(&to) = by_name.get(&dep.to_lowercase()) {
                    b.depends(Some(from), to);
                }
            }
        }
    }
    Ok(b.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn direct_transitive_and_project_entries() {
        let text = r#"{"version": 1, "dependencies": {"net8.0": {
            "Newtonsoft.Json": {"type": "Direct", "requested": "[13.0.3, )", "resolved": "13.0.3", "dependencies": {"System.Memory": "4.5.5"}},
            "System.Memory": {"type": "Transitive", "resolved": "4.5.5"},
            "MyLib": {"type": "Project"}}}}"#;
        let inv = parse("packages.lock.json", text).expect("valid");
        assert_eq!(inv.packages.len(), 2);
        assert!(inv.packages[0].direct && !inv.packages[1].direct);
        assert_eq!(inv.graph.edges.len(), 2);
    }
}
