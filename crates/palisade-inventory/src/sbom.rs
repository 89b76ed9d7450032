//! Software bills of materials: CycloneDX 1.6 JSON and SPDX 2.3 JSON, with
//! every package's purl and the dependency graph.
//!
//! Packages with the same purl (one library locked by two projects) become one
//! component. Each graph root (a lockfile, manifest or installed system) is an
//! application component that depends on its direct dependencies.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use crate::model::{Inventory, Node, Scope};

/// What a document says about itself.
#[derive(Clone, Debug)]
pub struct DocumentInfo {
    /// What was inventoried (a project name or path).
    pub name: String,
    /// Creation time, RFC 3339.
    pub created: String,
    /// A UUID (`xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx`) naming this document.
    pub uuid: String,
    pub tool_version: String,
}

/// Components deduplicated by purl, and the graph between them.
struct Merged {
    /// purl -> indices of the packages merged into it.
    components: BTreeMap<String, Vec<usize>>,
    /// purl -> purls it depends on.
    depends: BTreeMap<String, BTreeSet<String>>,
    /// root index -> purls it depends on directly.
    roots: BTreeMap<usize, BTreeSet<String>>,
}

fn merge(inv: &Inventory) -> Merged {
    let mut components: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, p) in inv.packages.iter().enumerate() {
        components.entry(p.purl.clone()).or_default().push(i);
    }
    let mut depends: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut roots: BTreeMap<usize, BTreeSet<String>> = (0..inv.graph.roots.len())
        .map(|r| (r, BTreeSet::new()))
        .collect();
    for &(from, to) in &inv.graph.edges {
        let target = inv.packages[to].purl.clone();
        match from {
            Node::Root(r) => {
                roots.entry(r).or_default().insert(target);
            }
            Node::Package(p) => {
                let source = &inv.packages[p].purl;
                if *source != target {
                    depends.entry(source.clone()).or_default().insert(target);
                }
            }
        }
    }
    Merged {
        components,
        depends,
        roots,
    }
}

fn root_ref(r: usize) -> String {
    format!("root-{r}")
}

/// Scope over all merged packages: required if any is needed at run time.
fn merged_scope(inv: &Inventory, indices: &[usize]) -> Scope {
    let scopes: Vec<Scope> = indices.iter().map(|&i| inv.packages[i].scope).collect();
    if scopes.contains(&Scope::Prod) {
        Scope::Prod
    } else if scopes.contains(&Scope::Optional) {
        Scope::Optional
    } else if scopes.contains(&Scope::Peer) {
        Scope::Peer
    } else {
        Scope::Dev
    }
}

/// A CycloneDX 1.6 JSON document.
pub fn cyclonedx(inv: &Inventory, info: &DocumentInfo) -> Value {
    let merged = merge(inv);
    let mut components: Vec<Value> = Vec::new();
    for (r, root) in inv.graph.roots.iter().enumerate() {
        components.push(json!({
            "type": "application",
            "bom-ref": root_ref(r),
            "name": root.name,
            "properties": [{"name": "palisade:source", "value": root.file}],
        }));
    }
    for (purl, indices) in &merged.components {
        let p = &inv.packages[indices[0]];
        let scope = match merged_scope(inv, indices) {
            Scope::Prod => "required",
            Scope::Optional | Scope::Peer => "optional",
            Scope::Dev => "excluded",
        };
        let mut properties = vec![
            json!({"name": "palisade:ecosystem", "value": p.ecosystem}),
            json!({"name": "palisade:scope", "value": merged_scope(inv, indices).as_str()}),
            json!({"name": "palisade:direct", "value": indices.iter().any(|&i| inv.packages[i].direct).to_string()}),
        ];
        for &i in indices {
            let s = &inv.packages[i].source;
            let value = match s.line {
                Some(line) => format!("{}:{line}", s.file),
                None => s.file.clone(),
            };
            properties.push(json!({"name": "palisade:source", "value": value}));
        }
        let mut component = json!({
            "type": "library",
            "bom-ref": purl,
            "name": p.name,
            "version": p.version,
            "purl": purl,
            "scope": scope,
            "properties": properties,
        });
        if let Some((group, name)) = p
            .name
            .rsplit_once('/')
            .filter(|_| p.ecosystem == "npm" && p.name.starts_with('@'))
        {
            component["group"] = json!(group);
            component["name"] = json!(name);
        }
        if let Some(commit) = &p.commit {
            component["pedigree"] = json!({"commits": [{"uid": commit}]});
        }
        components.push(component);
    }
    let mut dependencies: Vec<Value> = Vec::new();
    dependencies.push(json!({
        "ref": "palisade-subject",
        "dependsOn": (0..inv.graph.roots.len()).map(root_ref).collect::<Vec<_>>(),
    }));
    for (r, deps) in &merged.roots {
        dependencies.push(json!({"ref": root_ref(*r), "dependsOn": deps}));
    }
    for purl in merged.components.keys() {
        let deps: Vec<&String> = merged
            .depends
            .get(purl)
            .map(|d| d.iter().collect())
            .unwrap_or_default();
        dependencies.push(json!({"ref": purl, "dependsOn": deps}));
    }
    json!({
        "$schema": "http://cyclonedx.org/schema/bom-1.6.schema.json",
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": format!("urn:uuid:{}", info.uuid),
        "version": 1,
        "metadata": {
            "timestamp": info.created,
            "tools": {"components": [{"type": "application", "name": "palisade", "version": info.tool_version}]},
            "component": {"type": "application", "bom-ref": "palisade-subject", "name": info.name},
        },
        "components": components,
        "dependencies": dependencies,
    })
}

/// An SPDX 2.3 JSON document, with DEPENDS_ON relationships for the graph.
pub fn spdx(inv: &Inventory, info: &DocumentInfo) -> Value {
    let merged = merge(inv);
    let ids: BTreeMap<&String, String> = merged
        .components
        .keys()
        .enumerate()
        .map(|(n, purl)| (purl, format!("SPDXRef-Package-{n}")))
        .collect();
    let mut packages: Vec<Value> = Vec::new();
    let mut relationships: Vec<Value> = Vec::new();
    for (r, root) in inv.graph.roots.iter().enumerate() {
        let id = format!("SPDXRef-Root-{r}");
        packages.push(json!({
            "SPDXID": id,
            "name": root.name,
            "downloadLocation": "NOASSERTION",
            "filesAnalyzed": false,
            "comment": format!("read from {}", root.file),
            "primaryPackagePurpose": "APPLICATION",
        }));
        relationships.push(json!({"spdxElementId": "SPDXRef-DOCUMENT", "relationshipType": "DESCRIBES", "relatedSpdxElement": id}));
        for purl in merged.roots.get(&r).into_iter().flatten() {
            relationships.push(json!({"spdxElementId": id, "relationshipType": "DEPENDS_ON", "relatedSpdxElement": ids[purl]}));
        }
    }
    for (purl, indices) in &merged.components {
        let p = &inv.packages[indices[0]];
        let mut package = json!({
            "SPDXID": ids[purl],
            "name": p.name,
            "versionInfo": p.version,
            "downloadLocation": "NOASSERTION",
            "filesAnalyzed": false,
            "externalRefs": [{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": purl}],
            "primaryPackagePurpose": "LIBRARY",
        });
        if merged_scope(inv, indices) == Scope::Dev {
            package["comment"] = json!("development dependency");
        }
        packages.push(package);
        for dep in merged.depends.get(purl).into_iter().flatten() {
            relationships.push(json!({"spdxElementId": ids[purl], "relationshipType": "DEPENDS_ON", "relatedSpdxElement": ids[dep]}));
        }
    }
    let safe_name: String = info
        .name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '-'
            }
        })
        .collect();
    json!({
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": info.name,
        "documentNamespace": format!("https://spdx.palisade.dev/{safe_name}-{}", info.uuid),
        "creationInfo": {"created": info.created, "creators": [format!("Tool: palisade-{}", info.tool_version)]},
        "packages": packages,
        "relationships": relationships,
    })
}
