//! Whether a bulletin concerns a watch. Every criterion a watch gives must
//! hold.
//!
//! - vendor / product (/ version): the bulletin's CVE 5 or CPE entries name
//!   them (and say the version is affected); a bulletin without such entries
//!   (an RSS item) matches through the CVEs it mentions, or else by the
//!   names appearing in its text.
//! - keyword: the words appear in its title, summary, id or products.
//! - inventory: one of the inventory's packages is affected, by name and
//!   version in the bulletin's entries, or because an OSV advisory affecting
//!   the package version lists the bulletin's CVE as an alias.
//! - min severity, KEV only.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use palisade_vulndb::{BulletinView, SEVERITIES, Store, normalize_product};

use crate::store::Watch;
use crate::{Error, Result};

/// What an inventory holds, as matching needs it.
pub(crate) struct InventoryIndex {
    /// Normalized package name -> (display name, versions).
    packages: HashMap<String, Vec<(String, String)>>,
    /// Vulnerability ids (and aliases) of OSV advisories affecting a package,
    /// -> `name@version`.
    advisories: HashMap<String, String>,
}

impl InventoryIndex {
    pub(crate) fn build(path: &Path, store: &Store) -> Result<InventoryIndex> {
        let inventory = palisade_inventory::inventory_of(path).map_err(|e| Error::Inventory {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        let mut packages: HashMap<String, Vec<(String, String)>> = HashMap::new();
        let mut advisories = HashMap::new();
        for p in &inventory.packages {
            let short = p.name.rsplit(['/', ':']).next().unwrap_or(&p.name);
            for key in [normalize_product(&p.name), normalize_product(short)] {
                packages
                    .entry(key)
                    .or_default()
                    .push((p.name.clone(), p.version.clone()));
            }
            for m in store.query(&p.ecosystem, &p.name, &p.version)? {
                let at = format!("{}@{}", p.name, p.version);
                for id in std::iter::once(&m.id).chain(&m.aliases) {
                    advisories.entry(id.clone()).or_insert_with(|| at.clone());
                }
            }
        }
        Ok(InventoryIndex {
            packages,
            advisories,
        })
    }
}

/// Matching state for one pass over the journal: inventories are read once.
pub(crate) struct Matcher<'s> {
    store: &'s Store,
    inventories: HashMap<PathBuf, std::result::Result<InventoryIndex, String>>,
}

fn rank(severity: &str) -> usize {
    SEVERITIES
        .iter()
        .position(|s| s.eq_ignore_ascii_case(severity))
        .unwrap_or(0)
}

impl<'s> Matcher<'s> {
    pub(crate) fn new(store: &'s Store) -> Matcher<'s> {
        Matcher {
            store,
            inventories: HashMap::new(),
        }
    }

    /// Why `view` matches `watch` (`None`: it does not). `event` is the
    /// journal's kind: a KEV addition passes a severity floor by itself.
    pub(crate) fn matches(
        &mut self,
        watch: &Watch,
        view: &BulletinView,
        event: &str,
    ) -> Result<Option<String>> {
        let mut reasons = Vec::new();
        if watch.spec.kev_only && view.kev.is_none() {
            return Ok(None);
        }
        if let Some(min) = &watch.spec.min_severity {
            let severe = view
                .severity
                .as_deref()
                .is_some_and(|s| rank(s) >= rank(min));
            if !severe && event != "kev" {
                return Ok(None);
            }
        }
        if watch.spec.vendor.is_some() || watch.spec.product.is_some() {
            match self.product_match(watch, view)? {
                Some(r) => reasons.push(r),
                None => return Ok(None),
            }
        }
        if let Some(keyword) = &watch.spec.keyword {
            if !self
                .store
                .bulletin_matches_text(&view.bulletin.id, keyword)?
            {
                return Ok(None);
            }
            reasons.push(format!("keyword {keyword:?}"));
        }
        if let Some(path) = &watch.spec.inventory {
            match self.inventory_match(path, view)? {
                Some(r) => reasons.push(r),
                None => return Ok(None),
            }
        }
        if watch.spec.kev_only {
            reasons.push("known exploited".to_string());
        }
        if reasons.is_empty()
            && let Some(min) = &watch.spec.min_severity
        {
            reasons.push(format!("severity {min} or higher"));
        }
        Ok(Some(reasons.join("; ")))
    }

    fn product_match(&self, watch: &Watch, view: &BulletinView) -> Result<Option<String>> {
        let vendor = watch.spec.vendor.as_deref().map(normalize_product);
        let product = watch.spec.product.as_deref().map(normalize_product);
        let described = || {
            [watch.spec.vendor.as_deref(), watch.spec.product.as_deref()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" ")
        };
        let entries = view.bulletin.products();
        let hit = |entries: &[palisade_vulndb::ProductEntry]| {
            entries.iter().any(|e| {
                vendor.as_ref().is_none_or(|v| &e.vendor == v)
                    && product.as_ref().is_none_or(|p| &e.product == p)
                    && watch
                        .spec
                        .version
                        .as_deref()
                        .is_none_or(|v| e.rule.affects(v) == Some(true))
            })
        };
        if !entries.is_empty() {
            return Ok(hit(&entries).then(described));
        }
        // A bulletin without product entries: the CVEs it mentions, then its text.
        for alias in &view.bulletin.aliases {
            if let Some(other) = self.store.bulletin(alias)?
                && hit(&other.bulletin.products())
            {
                return Ok(Some(format!("{} (through {alias})", described())));
            }
        }
        if watch.spec.version.is_none()
            && self
                .store
                .bulletin_matches_text(&view.bulletin.id, &described())?
        {
            return Ok(Some(described()));
        }
        Ok(None)
    }

    fn inventory_match(&mut self, path: &Path, view: &BulletinView) -> Result<Option<String>> {
        let store = self.store;
        let index = self
            .inventories
            .entry(path.to_path_buf())
            .or_insert_with(|| InventoryIndex::build(path, store).map_err(|e| e.to_string()));
        let index = match index {
            Ok(i) => i,
            Err(e) => {
                return Err(Error::Inventory {
                    path: path.to_path_buf(),
                    message: e.clone(),
                });
            }
        };
        let b = &view.bulletin;
        let ids: HashSet<&String> = std::iter::once(&b.id).chain(&b.aliases).collect();
        for id in &ids {
            if let Some(at) = index.advisories.get(*id) {
                return Ok(Some(format!("{at} in {}", path.display())));
            }
        }
        for entry in b.products() {
            if let Some(found) = index.packages.get(&entry.product) {
                for (name, version) in found {
                    if entry.rule.affects(version) == Some(true) {
                        return Ok(Some(format!("{name}@{version} in {}", path.display())));
                    }
                }
            }
        }
        Ok(None)
    }
}
