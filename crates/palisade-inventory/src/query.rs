//! Questions about the graph: why is a package here?

use std::collections::VecDeque;

use foldhash::{HashMap, HashMapExt};

use crate::model::{Inventory, Node};

/// Most paths returned by [`why`], so a package reachable in millions of ways
/// cannot exhaust memory.
pub const MAX_PATHS: usize = 1000;

/// Every shortest path from a root to each package named `name` (any version,
/// case-insensitive): each path is the root followed by package indices.
pub fn why(inventory: &Inventory, name: &str) -> Vec<(usize, Vec<usize>)> {
    let targets: Vec<usize> = inventory
        .packages
        .iter()
        .enumerate()
        .filter(|(_, p)| p.name.eq_ignore_ascii_case(name))
        .map(|(i, _)| i)
        .collect();
    if targets.is_empty() {
        return Vec::new();
    }
    let reach = Reach::new(inventory);
    let mut paths = Vec::new();
    for target in targets {
        paths.extend(reach.paths_to(target, MAX_PATHS - paths.len()));
        if paths.len() >= MAX_PATHS {
            break;
        }
    }
    paths.sort();
    paths
}

/// Shortest paths from the roots, computed once for a whole inventory so
/// that many packages can be explained cheaply.
#[derive(Debug)]
pub struct Reach {
    /// Predecessors of each package on its shortest paths from any root.
    preds: HashMap<usize, Vec<Node>>,
}

impl Reach {
    /// Breadth-first from all roots at once, remembering every predecessor on
    /// a shortest path.
    pub fn new(inventory: &Inventory) -> Reach {
        let mut children: HashMap<Node, Vec<usize>> = HashMap::new();
        for &(from, to) in &inventory.graph.edges {
            children.entry(from).or_default().push(to);
        }
        let mut dist: HashMap<usize, usize> = HashMap::new();
        let mut preds: HashMap<usize, Vec<Node>> = HashMap::new();
        let mut queue: VecDeque<usize> = VecDeque::new();
        for r in 0..inventory.graph.roots.len() {
            for &to in children
                .get(&Node::Root(r))
                .map(Vec::as_slice)
                .unwrap_or(&[])
            {
                if let std::collections::hash_map::Entry::Vacant(slot) = dist.entry(to) {
                    slot.insert(1);
                    queue.push_back(to);
                }
                if dist[&to] == 1 && !preds.entry(to).or_default().contains(&Node::Root(r)) {
                    preds.entry(to).or_default().push(Node::Root(r));
                }
            }
        }
        while let Some(p) = queue.pop_front() {
            let d = dist[&p];
            for &to in children
                .get(&Node::Package(p))
                .map(Vec::as_slice)
                .unwrap_or(&[])
            {
                match dist.get(&to) {
                    None => {
                        dist.insert(to, d + 1);
                        preds.entry(to).or_default().push(Node::Package(p));
                        queue.push_back(to);
                    }
                    Some(&existing) if existing == d + 1 => {
                        preds.entry(to).or_default().push(Node::Package(p))
                    }
                    _ => {}
                }
            }
        }
        Reach { preds }
    }

    /// Up to `limit` shortest paths to package `target`, each the root and
    /// the package indices from the direct dependency down to `target`.
    pub fn paths_to(&self, target: usize, limit: usize) -> Vec<(usize, Vec<usize>)> {
        let mut paths = Vec::new();
        // Walk predecessors back to roots, depth-first.
        let mut stack: Vec<(usize, Vec<usize>)> = vec![(target, vec![target])];
        while let Some((p, suffix)) = stack.pop() {
            for &pred in self.preds.get(&p).map(Vec::as_slice).unwrap_or(&[]) {
                if paths.len() >= limit {
                    return paths;
                }
                match pred {
                    Node::Root(r) => paths.push((r, suffix.clone())),
                    Node::Package(q) => {
                        let mut longer = vec![q];
                        longer.extend(&suffix);
                        stack.push((q, longer));
                    }
                }
            }
        }
        paths
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Graph, Package, Root, Scope, Source, VersionStatus};

    fn pkg(name: &str) -> Package {
        Package {
            ecosystem: "npm".into(),
            name: name.into(),
            version: "1.0.0".into(),
            status: VersionStatus::Exact,
            purl: format!("pkg:npm/{name}@1.0.0"),
            scope: Scope::Prod,
            groups: vec![],
            direct: false,
            source: Source {
                file: "x".into(),
                line: None,
            },
            commit: None,
        }
    }

    #[test]
    fn every_shortest_path_is_found_and_longer_ones_are_not() {
        // root -> a -> c -> t ; root -> b -> t ; root -> d -> e -> f -> t
        // root -> b2 -> t (a second shortest path)
        let names = ["a", "b", "c", "t", "d", "e", "f", "b2"];
        let inv = Inventory {
            packages: names.iter().map(|n| pkg(n)).collect(),
            graph: Graph {
                roots: vec![Root {
                    name: "app".into(),
                    file: "x".into(),
                }],
                edges: vec![
                    (Node::Root(0), 0),
                    (Node::Root(0), 1),
                    (Node::Root(0), 4),
                    (Node::Root(0), 7),
                    (Node::Package(0), 2),
                    (Node::Package(2), 3),
                    (Node::Package(1), 3),
                    (Node::Package(4), 5),
                    (Node::Package(5), 6),
                    (Node::Package(6), 3),
                    (Node::Package(7), 3),
                ],
                ..Graph::default()
            },
            ..Inventory::default()
        };
        let paths = why(&inv, "t");
        assert_eq!(paths, vec![(0, vec![1, 3]), (0, vec![7, 3])]);
        assert!(why(&inv, "nothing").is_empty());
    }
}
