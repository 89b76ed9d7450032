//! Remediation plans: which version fixes a vulnerable package, and whether a
//! lockfile refresh reaches it or a declaration must change.
//!
//! The fix is the lowest version that no advisory on the package affects,
//! preferring (in this order) one within the installed major version that no
//! stored advisory affects at all, one within the major version free of this
//! package's current advisories, then the same across major versions.
//! A refresh suffices when every declared requirement on the package (the
//! project's own, and each depending package's) admits that version; a
//! requirement the lockfile does not record is taken as compatible updates
//! of the installed version (`^1.2.3`), as `cargo add` and `npm install`
//! write them.

use std::borrow::Cow;
use std::collections::HashSet;

use foldhash::{HashMap, HashMapExt};

use palisade_inventory::query::Reach;
use palisade_inventory::{Inventory, Node};
use palisade_version::Scheme;
use palisade_version::requirement::{Flavor, Requirement};
use palisade_vulndb::{Kind, Match, PackageAdvisories, Store};

use crate::error::Result;
use crate::finding::{Parent, Remediation, Via};
use crate::matcher::Group;

/// The packages and roots that depend on each package.
pub(crate) struct Parents {
    into: HashMap<usize, Vec<Node>>,
}

impl Parents {
    pub(crate) fn new(inv: &Inventory) -> Parents {
        let mut into: HashMap<usize, Vec<Node>> = HashMap::new();
        for &(from, to) in &inv.graph.edges {
            into.entry(to).or_default().push(from);
        }
        Parents { into }
    }

    fn of(&self, package: usize) -> &[Node] {
        self.into.get(&package).map(Vec::as_slice).unwrap_or(&[])
    }
}

/// The grammar of requirements on packages of `ecosystem`. Python projects
/// are read with Poetry's grammar, a superset of PEP 440 specifiers.
fn flavor(ecosystem: &str) -> Option<Flavor> {
    match ecosystem {
        "PyPI" => Some(Flavor::Poetry),
        other => Flavor::for_ecosystem(other),
    }
}

/// The part of a version that a compatible update keeps: the major number,
/// or for `0.x` versions of SemVer ecosystems the minor too.
fn major(scheme: Scheme, version: &str) -> (u64, Option<u64>) {
    let text = version.trim().trim_start_matches(['v', 'V']);
    let text = text.split_once(':').map_or(text, |(_, rest)| rest);
    let mut numbers = text
        .split(|c: char| !c.is_ascii_digit())
        .map(|part| part.parse::<u64>().ok());
    let first = numbers.next().flatten().unwrap_or(0);
    if first == 0 && scheme == Scheme::SemVer {
        return (0, numbers.next().flatten());
    }
    (first, None)
}

/// The version to move to, if any fixes every advisory on the package.
fn fixed_version(
    store: &Store,
    advisories: &mut PackageAdvisories,
    group: &Group<'_>,
    matches: &[Match],
    scheme: Scheme,
) -> Result<Option<String>> {
    let installed = scheme.parse(group.key.version);
    // `1.2.0-0` (the lowest pre-release, which converted "unaffected" ranges
    // name) stands for the release `1.2.0`.
    let mut candidates: Vec<String> = matches
        .iter()
        .flat_map(|m| m.fixed.iter())
        .map(|v| match (scheme, v.strip_suffix("-0")) {
            (Scheme::SemVer, Some(release)) => release.to_string(),
            _ => v.clone(),
        })
        .filter(|v| scheme.parse(v).compare(&installed).is_gt())
        .collect();
    palisade_version::sort_versions(scheme, &mut candidates);
    candidates.dedup();
    if candidates.is_empty() {
        return Ok(None);
    }
    let current: HashSet<&str> = matches
        .iter()
        .flat_map(|m| std::iter::once(&m.id).chain(&m.aliases))
        .map(String::as_str)
        .collect();
    let home = major(scheme, group.key.version);
    // (same major, affected by nothing) ranks first; the first candidate of
    // the best rank wins.
    let mut best: Option<(u8, &String)> = None;
    let names: Vec<&str> = candidates.iter().map(String::as_str).collect();
    let found_at = store.affecting(advisories, &names)?;
    for (candidate, found) in candidates.iter().zip(found_at) {
        let fixes_current = !found.iter().any(|m| {
            std::iter::once(&m.id)
                .chain(&m.aliases)
                .any(|id| current.contains(id.as_str()))
        });
        if !fixes_current {
            continue;
        }
        let clean = found
            .iter()
            .all(|m| matches!(m.kind, Kind::Unmaintained | Kind::Unsound | Kind::Notice));
        let same_major = major(scheme, candidate) == home;
        let rank = match (same_major, clean) {
            (true, true) => 0,
            (true, false) => 1,
            (false, true) => 2,
            (false, false) => 3,
        };
        if best.is_none_or(|(r, _)| rank < r) {
            best = Some((rank, candidate));
        }
        if rank == 0 {
            break;
        }
    }
    Ok(best.map(|(_, v)| v.clone()))
}

/// The requirement `from` places on package `to`: as declared, or assumed
/// (`true`) when the lockfile does not record it. `Err` holds text that is
/// not a version requirement (a git URL, a path).
fn requirement_on<'a>(
    inv: &Inventory,
    parsed: &'a mut Parsed,
    flavor: Flavor,
    from: Node,
    to: usize,
) -> Result<(Cow<'a, Requirement>, bool), String> {
    match inv.requirement(from, to) {
        Some(text) => parsed
            .get(flavor, text)
            .map(|r| (Cow::Borrowed(r), false))
            .ok_or_else(|| text.to_string()),
        None => Ok((
            Cow::Owned(Requirement::compatible_with(
                flavor,
                &inv.packages[to].version,
            )),
            true,
        )),
    }
}

/// Requirements already read, by grammar and text: a lockfile repeats the
/// same few (`^1.0.0`) thousands of times.
#[derive(Default)]
pub(crate) struct Parsed {
    known: HashMap<(Flavor, String), Option<Requirement>>,
}

impl Parsed {
    /// The requirement, or `None` when the text is not one (a URL, a path).
    fn get(&mut self, flavor: Flavor, text: &str) -> Option<&Requirement> {
        self.known
            .entry((flavor, text.to_string()))
            .or_insert_with(|| Requirement::parse(flavor, text).ok())
            .as_ref()
    }
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn plan(
    store: &Store,
    advisories: &mut PackageAdvisories,
    parsed: &mut Parsed,
    inv: &Inventory,
    group: &Group<'_>,
    matches: &[Match],
    reach: &Reach,
    parents: &Parents,
) -> Result<Remediation> {
    let base = group.key.ecosystem.split(':').next().unwrap_or("");
    let scheme = Scheme::for_ecosystem(base);
    let Some(version) = fixed_version(store, advisories, group, matches, scheme)? else {
        return Ok(Remediation {
            version: None,
            via: Via::None,
            parent: None,
        });
    };
    let upgrade = |parent: Option<Parent>| Remediation {
        version: Some(version.clone()),
        via: Via::DirectUpgrade,
        parent,
    };
    let Some(flavor) = flavor(base) else {
        // Go modules, OS packages and ecosystems without a requirement
        // grammar here: the package itself is raised (`go get`, the
        // distribution's upgrade, a managed version).
        return Ok(upgrade(None));
    };
    // The first declaration that refuses the fix decides what must move.
    for &index in &group.indices {
        for &from in parents.of(index) {
            let admitted = match requirement_on(inv, parsed, flavor, from, index) {
                Ok((req, _)) if req.matches(&version) => Ok(()),
                Ok((req, true)) => Err(format!("{req} (assumed: not recorded in the lockfile)")),
                Ok((req, false)) => Err(req.to_string()),
                Err(text) => Err(text),
            };

            let Err(requirement) = admitted else { continue };
            let Node::Package(parent) = from else {
                return Ok(upgrade(None));
            };
            let blocker = &inv.packages[parent];
            let direct = reach
                .paths_to(parent, 1)
                .first()
                .and_then(|(_, path)| path.first().copied())
                .unwrap_or(parent);
            let direct = &inv.packages[direct];
            return Ok(upgrade(Some(Parent {
                name: direct.name.clone(),
                version: direct.version.clone(),
                blocked_by: format!(
                    "{} {} requires {requirement}",
                    blocker.name, blocker.version
                ),
            })));
        }
    }
    let declared_by_root = group
        .indices
        .iter()
        .any(|&i| parents.of(i).iter().any(|n| matches!(n, Node::Root(_))));
    if group.direct && !declared_by_root {
        // A direct dependency whose declaration the inventory does not
        // record: assume compatible updates of the installed version.
        if !Requirement::compatible_with(flavor, group.key.version).matches(&version) {
            return Ok(upgrade(None));
        }
    } else if group.indices.iter().all(|&i| parents.of(i).is_empty()) {
        // Nothing records why the package is there: only raising it works.
        return Ok(upgrade(None));
    }

    Ok(Remediation {
        version: Some(version),
        via: Via::LockfileRefresh,
        parent: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn major_versions_keep_zero_minors_apart_in_semver() {
        assert_eq!(major(Scheme::SemVer, "0.3.1"), (0, Some(3)));
        assert_eq!(major(Scheme::SemVer, "v2.1.0"), (2, None));
        assert_eq!(major(Scheme::Pep440, "0.9"), (0, None));
        assert_eq!(major(Scheme::Dpkg, "1:2.3-1"), (2, None));
    }
}
