//! Matching an inventory against the advisory database: one finding per
//! vulnerability (ids merged across aliases) per package version.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

use foldhash::{HashMap, HashMapExt};
use smallvec::{SmallVec, smallvec};
use std::sync::OnceLock;

use chrono::NaiveDate;
use palisade_inventory::query::Reach;
use palisade_inventory::{Inventory, Package, Scope, VersionStatus};
use palisade_vulndb::{EpssScore, KevEntry, Match, Store};

use crate::error::Result;
use crate::finding::{
    DatabaseInfo, Finding, Location, PackageRef, Remediation, Report, SCHEMA_VERSION, Summary,
};
use crate::policy::{Decision, Policy};
use crate::remediation;

/// Most dependency paths kept per finding.
pub const MAX_PATHS_PER_FINDING: usize = 10;

/// How a package is looked up: OS packages by their source package within
/// their distribution release, others by their own name.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Key<'a> {
    /// The ecosystem to query: `npm`, `Debian:12`, `Alpine:v3.18`.
    pub ecosystem: Cow<'a, str>,
    pub name: &'a str,
    pub version: &'a str,
}

/// The purl `distro` qualifier (`debian-12`, `alpine-3.18.4`) of an OS package.
fn distro_qualifier(purl: &str) -> Option<&str> {
    let query = purl.split_once('?')?.1;
    query.split('&').find_map(|kv| kv.strip_prefix("distro="))
}

/// The OSV release of an OS package's distribution.
fn release(ecosystem: &str, purl: &str) -> Option<String> {
    let qualifier = distro_qualifier(purl)?;
    let (_, version) = qualifier.split_once('-')?;
    let mut parts = version.split('.');
    match ecosystem {
        "Debian" => parts.next().map(str::to_string),
        "Alpine" => {
            let major = parts.next()?;
            let minor = parts.next()?;
            Some(format!("v{major}.{minor}"))
        }
        "Ubuntu" => {
            let year: u32 = parts.next()?.parse().ok()?;
            let month = parts.next()?;
            // OSV names long-term-support releases `22.04:LTS`.
            let lts = year.is_multiple_of(2) && month == "04";
            Some(format!("{year}.{month}{}", if lts { ":LTS" } else { "" }))
        }
        _ => None,
    }
}

pub(crate) fn key_of(p: &Package) -> Key<'_> {
    let is_os = matches!(
        p.ecosystem.as_str(),
        "Debian" | "Ubuntu" | "Alpine" | "Wolfi"
    );
    if !is_os {
        return Key {
            ecosystem: Cow::Borrowed(&p.ecosystem),
            name: &p.name,
            version: &p.version,
        };
    }
    let source = p
        .groups
        .iter()
        .find_map(|g| {
            g.strip_prefix("source:")
                .or_else(|| g.strip_prefix("origin:"))
        })
        .unwrap_or(&p.name);
    let ecosystem = match release(&p.ecosystem, &p.purl) {
        Some(r) => Cow::Owned(format!("{}:{r}", p.ecosystem)),
        None => Cow::Borrowed(p.ecosystem.as_str()),
    };
    Key {
        ecosystem,
        name: source,
        version: &p.version,
    }
}

/// Every place a package version is declared, merged; borrowed from the
/// inventory (a copy of every package was most of a scan's memory).
pub(crate) struct Group<'a> {
    pub key: Key<'a>,
    /// One, almost always: kept inline (a scan of a large inventory has
    /// as many groups as packages).
    pub indices: SmallVec<[usize; 1]>,
    /// The most needed scope among the declarations.
    pub scope: Scope,
    /// Declared by the project itself in at least one place.
    pub direct: bool,
    pub locations: SmallVec<[(&'a str, Option<usize>); 1]>,
}

impl Group<'_> {
    /// The package as a finding names it.
    pub(crate) fn package(&self, inv: &Inventory) -> PackageRef {
        let p = &inv.packages[self.indices[0]];
        PackageRef {
            ecosystem: p.ecosystem.clone(),
            name: p.name.clone(),
            version: p.version.clone(),
            purl: p.purl.clone(),
            direct: self.direct,
            scope: self.scope.as_str().to_string(),
        }
    }

    /// Where it is declared, first place first.
    pub(crate) fn places(&self) -> Vec<Location> {
        self.locations
            .iter()
            .map(|&(file, line)| Location {
                file: file.to_string(),
                line,
            })
            .collect()
    }
}

fn groups<'a>(inv: &'a Inventory, policy: &Policy, warnings: &mut Vec<String>) -> Vec<Group<'a>> {
    let mut out: Vec<Group<'a>> = Vec::new();
    let mut by_key: HashMap<Key<'a>, usize> = HashMap::with_capacity(inv.packages.len());
    let mut unpinned: BTreeSet<String> = BTreeSet::new();
    for (i, p) in inv.packages.iter().enumerate() {
        if policy.skips_ecosystem(&p.ecosystem) || policy.skips_path(&p.source.file) {
            continue;
        }
        if p.status != VersionStatus::Exact {
            unpinned.insert(format!("{} {} ({})", p.name, p.version, p.source.file));
            continue;
        }
        let key = key_of(p);
        let location = (p.source.file.as_str(), p.source.line);
        match by_key.get(&key) {
            Some(&at) => {
                let g = &mut out[at];
                g.indices.push(i);
                g.direct |= p.direct;
                if p.scope.rank() < g.scope.rank() {
                    g.scope = p.scope;
                }
                if !g.locations.contains(&location) {
                    g.locations.push(location);
                }
            }
            None => {
                by_key.insert(key.clone(), out.len());
                out.push(Group {
                    key,
                    indices: smallvec![i],
                    scope: p.scope,
                    direct: p.direct,
                    locations: smallvec![location],
                });
            }
        }
    }
    if !unpinned.is_empty() {
        let shown: Vec<&str> = unpinned.iter().take(5).map(String::as_str).collect();
        warnings.push(format!(
            "{} package(s) have no exact version and were not checked (pin them or scan the lockfile): {}{}",
            unpinned.len(),
            shown.join(", "),
            if unpinned.len() > shown.len() { ", ..." } else { "" }
        ));
    }
    out
}

/// What a scan needs besides the inventory.
#[derive(Clone, Debug)]
pub struct ScanOptions<'a> {
    pub policy: &'a Policy,
    /// The day ignores are checked against.
    pub today: NaiveDate,
    /// Only findings in non-dev dependencies fail unless the policy says
    /// otherwise; this overrides the policy's threshold (`--fail-on`).
    pub fail_on: Option<crate::policy::Threshold>,
}

/// Below this many packages one thread does all lookups: a second
/// connection and thread cost more than they save.
const PARALLEL_FROM: usize = 512;

/// Most threads looking up packages at once.
const MAX_WORKERS: usize = 4;

/// One advisory on a package, with its exploitation data.
struct Enriched {
    advisory: Match,
    kev: Option<KevEntry>,
    epss: Option<EpssScore>,
}

/// Everything learnt about one vulnerable group, before policy applies.
struct Examined {
    group: usize,
    advisories: Vec<Enriched>,
    plan: Remediation,
    paths: Vec<Vec<String>>,
}

/// What every worker reads and nobody changes.
struct Shared<'a, 'g> {
    inventory: &'a Inventory,
    groups: &'g [Group<'a>],
    reach: OnceLock<Reach>,
    parents: OnceLock<remediation::Parents>,
}

/// Looks up each package (a list of groups: its versions) and works out the
/// fix, paths and exploitation data of every vulnerable one.
fn examine(
    store: &Store,
    shared: &Shared<'_, '_>,
    packages: &[SmallVec<[usize; 2]>],
) -> Result<Vec<Examined>> {
    let _snapshot = store.snapshot()?;
    let mut out = Vec::new();
    let mut parsed = remediation::Parsed::default();
    for members in packages {
        let first = &shared.groups[members[0]].key;
        let versions: Vec<&str> = members
            .iter()
            .map(|&g| shared.groups[g].key.version)
            .collect();
        let mut advisories = store.package_advisories(&first.ecosystem, first.name)?;
        if advisories.is_empty() {
            continue;
        }
        let found = store.affecting(&mut advisories, &versions)?;
        for (&g, matches) in members.iter().zip(found) {
            if matches.is_empty() {
                continue;
            }
            let group = &shared.groups[g];
            let reach = shared.reach.get_or_init(|| Reach::new(shared.inventory));
            let parents = shared
                .parents
                .get_or_init(|| remediation::Parents::new(shared.inventory));
            let plan = remediation::plan(
                store,
                &mut advisories,
                &mut parsed,
                shared.inventory,
                group,
                &matches,
                reach,
                parents,
            )?;
            let paths = paths_of(shared.inventory, group, reach);
            let mut enriched = Vec::with_capacity(matches.len());
            for advisory in matches {
                let ids: Vec<&str> = std::iter::once(advisory.id.as_str())
                    .chain(advisory.aliases.iter().map(String::as_str))
                    .collect();
                let kev = store.kev(&ids)?;
                let epss = store.epss(&ids)?;
                enriched.push(Enriched {
                    advisory,
                    kev,
                    epss,
                });
            }
            out.push(Examined {
                group: g,
                advisories: enriched,
                plan,
                paths,
            });
        }
    }
    Ok(out)
}

/// [`examine`] spread over threads, each with its own connection, for large
/// inventories. Each connection reads its own snapshot of the database.
fn examine_all(
    store: &Store,
    shared: &Shared<'_, '_>,
    packages: &[SmallVec<[usize; 2]>],
) -> Result<Vec<Examined>> {
    let workers = if shared.groups.len() < PARALLEL_FROM {
        1
    } else {
        std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(MAX_WORKERS)
    };
    if workers <= 1 {
        return examine(store, shared, packages);
    }
    let size = packages.len().div_ceil(workers);
    let mut parts = packages.chunks(size);
    let first = parts.next().unwrap_or(&[]);
    let readers: Vec<(Store, &[SmallVec<[usize; 2]>])> = parts
        .map(|part| Ok((store.reader()?, part)))
        .collect::<Result<_>>()?;
    let mut examined = std::thread::scope(|scope| -> Result<Vec<Examined>> {
        let handles: Vec<_> = readers
            .into_iter()
            .map(|(reader, part)| scope.spawn(move || examine(&reader, shared, part)))
            .collect();
        let mut all = examine(store, shared, first)?;
        for handle in handles {
            match handle.join() {
                Ok(part) => all.extend(part?),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        Ok(all)
    })?;
    examined.sort_by_key(|e| e.group);
    Ok(examined)
}

/// Matches `inventory` against `store` under `options`.
pub fn scan(store: &Store, inventory: &Inventory, options: &ScanOptions<'_>) -> Result<Report> {
    let policy = options.policy;
    let threshold = options.fail_on.unwrap_or(policy.fail_on);
    let mut warnings: Vec<String> = inventory
        .warnings
        .iter()
        .map(|w| format!("{}: {}", w.origin, w.message))
        .collect();
    let groups = groups(inventory, policy, &mut warnings);
    // Versions of one package are looked up together: its advisories are
    // read once.
    let mut by_package: BTreeMap<(&str, &str), SmallVec<[usize; 2]>> = BTreeMap::new();
    for (g, group) in groups.iter().enumerate() {
        by_package
            .entry((&*group.key.ecosystem, group.key.name))
            .or_default()
            .push(g);
    }
    let packages: Vec<SmallVec<[usize; 2]>> = by_package.into_values().collect();
    let shared = Shared {
        inventory,
        groups: &groups,
        reach: OnceLock::new(),
        parents: OnceLock::new(),
    };
    let examined = examine_all(store, &shared, &packages)?;
    let mut findings = Vec::new();
    let mut expired_seen: BTreeSet<(String, Option<usize>)> = BTreeSet::new();
    for e in examined {
        let group = &groups[e.group];
        let package = group.package(inventory);
        let places = group.places();
        for Enriched {
            advisory: m,
            kev,
            epss,
        } in e.advisories
        {
            let ids: Vec<&str> = std::iter::once(m.id.as_str())
                .chain(m.aliases.iter().map(String::as_str))
                .collect();
            let (ignored, expired) = match policy.decide(&ids, &package, options.today) {
                Decision::Report => (None, None),
                Decision::Ignore(i) => (Some(i), None),
                Decision::Expired(rule) => (None, Some(rule)),
            };
            if let Some(rule) = expired
                && expired_seen.insert((rule.id.clone(), rule.line))
            {
                warnings.push(format!(
                    "the ignore of {} ({}{}) expired on {}: it is reported again",
                    rule.id,
                    policy
                        .origin
                        .as_ref()
                        .map_or("policy".to_string(), |p| p.display().to_string()),
                    rule.line.map(|l| format!(":{l}")).unwrap_or_default(),
                    rule.expires.map(|d| d.to_string()).unwrap_or_default()
                ));
            }
            let mut finding = Finding {
                id: m.id,
                aliases: m.aliases,
                kind: m.kind,
                summary: m.summary,
                severity: m.severity,
                package: package.clone(),
                source: places[0].clone(),
                locations: places.clone(),
                fixed: m.fixed,
                remediation: e.plan.clone(),
                paths: e.paths.clone(),
                kev,
                epss,
                ignored,
                failing: false,
            };
            finding.failing = finding.ignored.is_none()
                && !finding.is_informational()
                && (policy.fail_on_dev || finding.package.scope != "dev")
                && threshold.reached_by(finding.effective_rating());
            findings.push(finding);
        }
    }
    findings.sort_by(|a, b| {
        b.display_rank()
            .cmp(&a.display_rank())
            .then_with(|| a.package.ecosystem.cmp(&b.package.ecosystem))
            .then_with(|| a.package.name.cmp(&b.package.name))
            .then_with(|| a.package.version.cmp(&b.package.version))
            .then_with(|| a.id.cmp(&b.id))
    });
    let mut report = Report {
        schema_version: SCHEMA_VERSION,
        palisade_version: env!("CARGO_PKG_VERSION").to_string(),
        database: database_info(store)?,
        findings,
        summary: Summary {
            packages: groups.len(),
            ..Summary::default()
        },
        warnings,
    };
    report.resummarize();
    Ok(report)
}

fn database_info(store: &Store) -> Result<DatabaseInfo> {
    let (advisories, updated) = store.freshness()?;
    Ok(DatabaseInfo {
        path: store.path().display().to_string(),
        updated,
        advisories,
    })
}

/// Shortest paths from a project to the package, as names.
fn paths_of(inv: &Inventory, group: &Group, reach: &Reach) -> Vec<Vec<String>> {
    let mut seen: HashMap<Vec<String>, ()> = HashMap::new();
    let mut out = Vec::new();
    for &i in &group.indices {
        for (root, path) in reach.paths_to(i, MAX_PATHS_PER_FINDING) {
            let mut names = vec![inv.graph.roots[root].name.clone()];
            names.extend(path.iter().map(|&p| inv.packages[p].name.clone()));
            if seen.insert(names.clone(), ()).is_none() && out.len() < MAX_PATHS_PER_FINDING {
                out.push(names);
            }
        }
    }
    out.sort();
    out
}
