//! The inventory model: packages, where they are declared, and the graph of
//! what depends on what.

use serde::Serialize;

/// Why a package is installed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// Needed at run time.
    Prod,
    /// Only for development, tests or builds.
    Dev,
    /// An optional dependency or extra.
    Optional,
    /// A peer dependency the host project is expected to provide.
    Peer,
}

impl Scope {
    /// How much the package is needed at run time, for merging one package
    /// reached several ways: run time beats optional, which beats peer,
    /// which beats development only (the lowest rank wins).
    pub fn rank(self) -> u8 {
        match self {
            Scope::Prod => 0,
            Scope::Optional => 1,
            Scope::Peer => 2,
            Scope::Dev => 3,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Prod => "prod",
            Scope::Dev => "dev",
            Scope::Optional => "optional",
            Scope::Peer => "peer",
        }
    }
}

/// How firmly the version is known.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum VersionStatus {
    /// An exact version, as locked or installed.
    Exact,
    /// A requirement without a pin (`requirements.txt`: `flask>=2`); never guessed.
    Unpinned,
    /// A version that could not be resolved offline (a Maven `${property}` from a parent).
    Unresolved,
}

/// Where a package is declared.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Source {
    /// A file path, or `archive!member` inside zips, jars and images.
    pub file: String,
    /// 1-based line, where the format makes it known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
}

/// One package of an inventory.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Package {
    /// OSV ecosystem name: `npm`, `PyPI`, `crates.io`, `Go`, `Maven`, `RubyGems`,
    /// `Packagist`, `NuGet`, `Debian`, `Alpine`, ...
    pub ecosystem: String,
    pub name: String,
    /// The version; for unpinned or unresolved ones, the requirement as written.
    pub version: String,
    pub status: VersionStatus,
    pub purl: String,
    pub scope: Scope,
    /// The format's own groups (`dev`, `test`, an extra's name, `bundled`, ...).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<String>,
    /// Declared by the project itself rather than pulled in by another package.
    pub direct: bool,
    pub source: Source,
    /// The VCS commit a package was locked to, when it comes from a repository.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
}

/// A root of the graph: a project (manifest or lockfile) or an installed system.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Root {
    pub name: String,
    pub file: String,
}

/// A node of the dependency graph.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(tag = "kind", content = "index", rename_all = "lowercase")]
pub enum Node {
    Root(usize),
    Package(usize),
}

/// What depends on what: edges from roots to their direct dependencies and
/// from packages to theirs, wherever the format records them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Graph {
    pub roots: Vec<Root>,
    pub edges: Vec<(Node, usize)>,
    /// The version requirement the depending side declares for an edge
    /// (`^4.17.0`, `~> 1.4`, `>=2,<3`), where the format records one.
    #[serde(skip)]
    pub requirements: std::collections::BTreeMap<(Node, usize), String>,
}

/// Something read with a problem that did not stop the inventory.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Warning {
    pub origin: String,
    pub message: String,
}

impl Warning {
    /// A warning whose message is bounded and escaped as quoted input must
    /// be (it may quote the file it is about).
    pub(crate) fn new(origin: impl Into<String>, message: impl AsRef<str>) -> Warning {
        Warning {
            origin: origin.into(),
            message: crate::error::excerpt(message.as_ref()),
        }
    }
}

/// Every package found, the graph between them, and what was skipped.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Inventory {
    pub packages: Vec<Package>,
    pub graph: Graph,
    pub warnings: Vec<Warning>,
    /// The files a package list was read from, in order.
    pub files: Vec<String>,
}

impl Inventory {
    /// The requirement `from` declares on package `to`, if recorded.
    pub fn requirement(&self, from: Node, to: usize) -> Option<&str> {
        self.graph.requirements.get(&(from, to)).map(String::as_str)
    }

    /// Appends another inventory, renumbering its graph.
    pub fn extend(&mut self, other: Inventory) {
        if self.packages.is_empty() && self.graph.roots.is_empty() && self.files.is_empty() {
            // Nothing to renumber: take it whole rather than re-insert every edge.
            let warnings = std::mem::take(&mut self.warnings);
            *self = other;
            self.warnings.splice(0..0, warnings);
            return;
        }
        let offset = self.packages.len();
        let root_offset = self.graph.roots.len();
        let shift = |from: Node| match from {
            Node::Root(r) => Node::Root(r + root_offset),
            Node::Package(p) => Node::Package(p + offset),
        };
        self.packages.extend(other.packages);
        self.graph.roots.extend(other.graph.roots);
        self.graph.edges.extend(
            other
                .graph
                .edges
                .into_iter()
                .map(|(from, to)| (shift(from), to + offset)),
        );
        self.graph.requirements.extend(
            other
                .graph
                .requirements
                .into_iter()
                .map(|((from, to), req)| ((shift(from), to + offset), req)),
        );

        self.warnings.extend(other.warnings);
        self.files.extend(other.files);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(name: &str, requirement: &str) -> Inventory {
        let mut inv = Inventory {
            packages: vec![Package {
                ecosystem: "npm".into(),
                name: name.into(),
                version: "1.0.0".into(),
                status: VersionStatus::Exact,
                purl: format!("pkg:npm/{name}@1.0.0"),
                scope: Scope::Prod,
                groups: vec![],
                direct: true,
                source: Source {
                    file: "package-lock.json".into(),
                    line: None,
                },
                commit: None,
            }],
            ..Inventory::default()
        };
        inv.graph.roots.push(Root {
            name: "app".into(),
            file: "package-lock.json".into(),
        });
        inv.graph.edges.push((Node::Root(0), 0));
        inv.graph
            .requirements
            .insert((Node::Root(0), 0), requirement.into());
        inv
    }

    #[test]
    fn extending_renumbers_edges_and_their_requirements() {
        let mut all = one("a", "^1.0.0");
        all.extend(one("b", "~1.0.0"));
        assert_eq!(
            all.graph.edges,
            vec![(Node::Root(0), 0), (Node::Root(1), 1)]
        );
        assert_eq!(all.requirement(Node::Root(0), 0), Some("^1.0.0"));
        assert_eq!(all.requirement(Node::Root(1), 1), Some("~1.0.0"));
        assert_eq!(all.requirement(Node::Root(0), 1), None);
    }
}
