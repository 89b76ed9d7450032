//! Software bills of materials: CycloneDX 1.6 JSON and SPDX 2.3 JSON, with
//! every package's purl and the dependency graph.
//!
//! Packages with the same purl (one library locked by two projects) become one
//! component. Each graph root (a lockfile, manifest or installed system) is an
//! application component that depends on its direct dependencies.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};
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

/// Components deduplicated by purl, and the graph between them, borrowing
/// the inventory's strings.
struct Merged<'a> {
    /// purl -> indices of the packages merged into it.
    components: BTreeMap<&'a str, Vec<usize>>,
    /// purl -> purls it depends on.
    depends: BTreeMap<&'a str, BTreeSet<&'a str>>,
    /// root index -> purls it depends on directly.
    roots: BTreeMap<usize, BTreeSet<&'a str>>,
}

fn merge(inv: &Inventory) -> Merged<'_> {
    let mut components: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, p) in inv.packages.iter().enumerate() {
        components.entry(p.purl.as_str()).or_default().push(i);
    }
    let mut depends: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    let mut roots: BTreeMap<usize, BTreeSet<&str>> = (0..inv.graph.roots.len())
        .map(|r| (r, BTreeSet::new()))
        .collect();
    for &(from, to) in &inv.graph.edges {
        let target = inv.packages[to].purl.as_str();
        match from {
            Node::Root(r) => {
                roots.entry(r).or_default().insert(target);
            }
            Node::Package(p) => {
                let source = inv.packages[p].purl.as_str();
                if source != target {
                    depends.entry(source).or_default().insert(target);
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
    let has = |scope: Scope| indices.iter().any(|&i| inv.packages[i].scope == scope);
    if has(Scope::Prod) {
        Scope::Prod
    } else if has(Scope::Optional) {
        Scope::Optional
    } else if has(Scope::Peer) {
        Scope::Peer
    } else {
        Scope::Dev
    }
}

/// A sequence serialized as it is produced, never held whole: a BOM of a
/// million components is written without a million JSON values in memory.
struct Lazy<F>(F);

impl<F, I> Serialize for Lazy<F>
where
    F: Fn() -> I,
    I: Iterator,
    I::Item: Serialize,
{
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq((self.0)())
    }
}

/// A name/value property.
#[derive(Serialize)]
struct Property<'a> {
    name: &'static str,
    value: Cow<'a, str>,
}

/// A CycloneDX 1.6 JSON document over an inventory: serialize it (to a
/// writer, to stream it) with serde; `vulnerabilities` is empty for a plain
/// BOM.
pub struct CycloneDx<'a> {
    inv: &'a Inventory,
    info: &'a DocumentInfo,
    merged: Merged<'a>,
    /// CycloneDX `vulnerabilities` entries (a VEX document), if any.
    pub vulnerabilities: Vec<Value>,
}

impl std::fmt::Debug for CycloneDx<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CycloneDx")
            .field("components", &self.merged.components.len())
            .finish()
    }
}

/// A CycloneDX 1.6 JSON document.
pub fn cyclonedx<'a>(inv: &'a Inventory, info: &'a DocumentInfo) -> CycloneDx<'a> {
    CycloneDx {
        inv,
        info,
        merged: merge(inv),
        vulnerabilities: Vec::new(),
    }
}

impl CycloneDx<'_> {
    fn root_component(&self, r: usize) -> Value {
        let root = &self.inv.graph.roots[r];
        json!({
            "type": "application",
            "bom-ref": root_ref(r),
            "name": root.name,
            "properties": [{"name": "palisade:source", "value": root.file}],
        })
    }

    fn component<'s>(&'s self, purl: &'s str, indices: &'s [usize]) -> impl Serialize + 's {
        let inv = self.inv;
        let p = &inv.packages[indices[0]];
        let merged = merged_scope(inv, indices);
        let scope = match merged {
            Scope::Prod => "required",
            Scope::Optional | Scope::Peer => "optional",
            Scope::Dev => "excluded",
        };
        let (group, name) = match p
            .name
            .rsplit_once('/')
            .filter(|_| p.ecosystem == "npm" && p.name.starts_with('@'))
        {
            Some((group, name)) => (Some(group), name),
            None => (None, p.name.as_str()),
        };
        #[derive(Serialize)]
        struct Commit<'c> {
            uid: &'c str,
        }
        #[derive(Serialize)]
        struct Pedigree<'c> {
            commits: [Commit<'c>; 1],
        }
        #[derive(Serialize)]
        struct Component<'c, P> {
            #[serde(rename = "type")]
            kind: &'static str,
            #[serde(rename = "bom-ref")]
            bom_ref: &'c str,
            #[serde(skip_serializing_if = "Option::is_none")]
            group: Option<&'c str>,
            name: &'c str,
            version: &'c str,
            purl: &'c str,
            scope: &'static str,
            properties: P,
            #[serde(skip_serializing_if = "Option::is_none")]
            pedigree: Option<Pedigree<'c>>,
        }
        let properties = Lazy(move || {
            let fixed = [
                Property {
                    name: "palisade:ecosystem",
                    value: Cow::Borrowed(p.ecosystem.as_str()),
                },
                Property {
                    name: "palisade:scope",
                    value: Cow::Borrowed(merged.as_str()),
                },
                Property {
                    name: "palisade:direct",
                    value: Cow::Borrowed(if indices.iter().any(|&i| inv.packages[i].direct) {
                        "true"
                    } else {
                        "false"
                    }),
                },
            ];
            fixed.into_iter().chain(indices.iter().map(move |&i| {
                let s = &inv.packages[i].source;
                Property {
                    name: "palisade:source",
                    value: match s.line {
                        Some(line) => Cow::Owned(format!("{}:{line}", s.file)),
                        None => Cow::Borrowed(s.file.as_str()),
                    },
                }
            }))
        });
        Component {
            kind: "library",
            bom_ref: purl,
            group,
            name,
            version: &p.version,
            purl,
            scope,
            properties,
            pedigree: p.commit.as_deref().map(|uid| Pedigree {
                commits: [Commit { uid }],
            }),
        }
    }
}

impl Serialize for CycloneDx<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Dependency<'d, D> {
            #[serde(rename = "ref")]
            reference: Cow<'d, str>,
            #[serde(rename = "dependsOn")]
            depends_on: D,
        }
        let roots = self.inv.graph.roots.len();
        let components = Lazy(|| {
            let apps = (0..roots).map(|r| Either::A(self.root_component(r)));
            let libs = self
                .merged
                .components
                .iter()
                .map(|(purl, indices)| Either::B(self.component(purl, indices)));
            apps.chain(libs)
        });
        let dependencies = Lazy(|| {
            let subject = std::iter::once(Dependency {
                reference: Cow::Borrowed("palisade-subject"),
                depends_on: Either::A((0..roots).map(root_ref).collect::<Vec<_>>()),
            });
            let from_roots = self.merged.roots.iter().map(|(r, deps)| Dependency {
                reference: Cow::Owned(root_ref(*r)),
                depends_on: Either::B(deps.iter().copied().collect::<Vec<_>>()),
            });
            let from_components = self.merged.components.keys().map(|purl| Dependency {
                reference: Cow::Borrowed(*purl),
                depends_on: Either::B(
                    self.merged
                        .depends
                        .get(purl)
                        .map(|d| d.iter().copied().collect())
                        .unwrap_or_default(),
                ),
            });
            subject.chain(from_roots).chain(from_components)
        });
        let mut doc = serializer.serialize_map(None)?;
        doc.serialize_entry("$schema", "http://cyclonedx.org/schema/bom-1.6.schema.json")?;
        doc.serialize_entry("bomFormat", "CycloneDX")?;
        doc.serialize_entry("specVersion", "1.6")?;
        doc.serialize_entry("serialNumber", &format!("urn:uuid:{}", self.info.uuid))?;
        doc.serialize_entry("version", &1)?;
        doc.serialize_entry(
            "metadata",
            &json!({
                "timestamp": self.info.created,
                "tools": {"components": [{"type": "application", "name": "palisade", "version": self.info.tool_version}]},
                "component": {"type": "application", "bom-ref": "palisade-subject", "name": self.info.name},
            }),
        )?;
        doc.serialize_entry("components", &components)?;
        doc.serialize_entry("dependencies", &dependencies)?;
        if !self.vulnerabilities.is_empty() {
            doc.serialize_entry("vulnerabilities", &self.vulnerabilities)?;
        }
        doc.end()
    }
}

/// One of two serializable things.
enum Either<A, B> {
    A(A),
    B(B),
}

impl<A: Serialize, B: Serialize> Serialize for Either<A, B> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Either::A(a) => a.serialize(serializer),
            Either::B(b) => b.serialize(serializer),
        }
    }
}

/// An SPDX 2.3 JSON document over an inventory, with DEPENDS_ON
/// relationships for the graph; serialize it with serde.
pub struct Spdx<'a> {
    inv: &'a Inventory,
    info: &'a DocumentInfo,
    merged: Merged<'a>,
    /// purl -> its SPDX id's number.
    ids: BTreeMap<&'a str, usize>,
}

impl std::fmt::Debug for Spdx<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Spdx")
            .field("packages", &self.merged.components.len())
            .finish()
    }
}

/// An SPDX 2.3 JSON document, with DEPENDS_ON relationships for the graph.
pub fn spdx<'a>(inv: &'a Inventory, info: &'a DocumentInfo) -> Spdx<'a> {
    let merged = merge(inv);
    let ids = merged
        .components
        .keys()
        .enumerate()
        .map(|(n, purl)| (*purl, n))
        .collect();
    Spdx {
        inv,
        info,
        merged,
        ids,
    }
}

fn package_id(n: usize) -> String {
    format!("SPDXRef-Package-{n}")
}

impl Serialize for Spdx<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Relationship {
            #[serde(rename = "spdxElementId")]
            element: String,
            #[serde(rename = "relationshipType")]
            kind: &'static str,
            #[serde(rename = "relatedSpdxElement")]
            related: String,
        }
        let roots = &self.inv.graph.roots;
        let packages = Lazy(|| {
            let apps = roots.iter().enumerate().map(|(r, root)| {
                json!({
                    "SPDXID": format!("SPDXRef-Root-{r}"),
                    "name": root.name,
                    "downloadLocation": "NOASSERTION",
                    "filesAnalyzed": false,
                    "comment": format!("read from {}", root.file),
                    "primaryPackagePurpose": "APPLICATION",
                })
            });
            let libs = self.merged.components.iter().map(|(purl, indices)| {
                let p = &self.inv.packages[indices[0]];
                let mut package = json!({
                    "SPDXID": package_id(self.ids[purl]),
                    "name": p.name,
                    "versionInfo": p.version,
                    "downloadLocation": "NOASSERTION",
                    "filesAnalyzed": false,
                    "externalRefs": [{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": purl}],
                    "primaryPackagePurpose": "LIBRARY",
                });
                if merged_scope(self.inv, indices) == Scope::Dev {
                    package["comment"] = json!("development dependency");
                }
                package
            });
            apps.chain(libs)
        });
        let relationships = Lazy(|| {
            let from_roots = (0..roots.len()).flat_map(move |r| {
                let id = format!("SPDXRef-Root-{r}");
                let describes = Relationship {
                    element: "SPDXRef-DOCUMENT".to_string(),
                    kind: "DESCRIBES",
                    related: id.clone(),
                };
                let depends = self
                    .merged
                    .roots
                    .get(&r)
                    .into_iter()
                    .flatten()
                    .map(move |purl| Relationship {
                        element: id.clone(),
                        kind: "DEPENDS_ON",
                        related: package_id(self.ids[purl]),
                    });
                std::iter::once(describes).chain(depends)
            });
            let from_packages = self.merged.components.keys().flat_map(move |purl| {
                self.merged
                    .depends
                    .get(purl)
                    .into_iter()
                    .flatten()
                    .map(move |dep| Relationship {
                        element: package_id(self.ids[purl]),
                        kind: "DEPENDS_ON",
                        related: package_id(self.ids[dep]),
                    })
            });
            from_roots.chain(from_packages)
        });
        let safe_name: String = self
            .info
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
        let mut doc = serializer.serialize_map(None)?;
        doc.serialize_entry("spdxVersion", "SPDX-2.3")?;
        doc.serialize_entry("dataLicense", "CC0-1.0")?;
        doc.serialize_entry("SPDXID", "SPDXRef-DOCUMENT")?;
        doc.serialize_entry("name", &self.info.name)?;
        doc.serialize_entry(
            "documentNamespace",
            &format!("https://spdx.palisade.dev/{safe_name}-{}", self.info.uuid),
        )?;
        doc.serialize_entry(
            "creationInfo",
            &json!({"created": self.info.created, "creators": [format!("Tool: palisade-{}", self.info.tool_version)]}),
        )?;
        doc.serialize_entry("packages", &packages)?;
        doc.serialize_entry("relationships", &relationships)?;
        doc.end()
    }
}
