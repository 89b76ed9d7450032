//! Queries: affected advisories for a package version (merged across aliases),
//! lookup by id or alias, full-text search and statistics.

use std::collections::{BTreeMap, HashMap};

use std::borrow::Cow;

use palisade_version::{Affected, Range, Scheme, Target};
use rusqlite::{OptionalExtension, Row, params};
use serde::Deserialize;
use serde::Serialize;

/// The stored `versions` column, read without copying the listed versions.
#[derive(Deserialize)]
struct StoredAffected<'a> {
    #[serde(default)]
    ranges: Vec<Range>,
    #[serde(default, borrow)]
    versions: Vec<Cow<'a, str>>,
}

use super::Store;
use crate::error::Result;
use crate::names::{canonical_ecosystem, normalize_name, split_ecosystem};
use crate::osv::Kind;
use crate::severity::{Rating, Severity};

/// One stored advisory, as `db show` prints it.
#[derive(Clone, Debug, Serialize)]
pub struct AdvisoryRecord {
    pub id: String,
    pub kind: Kind,
    pub summary: Option<String>,
    pub severity: Option<Severity>,
    pub aliases: Vec<String>,
    pub published: Option<String>,
    pub modified: String,
    pub withdrawn: Option<String>,
    /// The OSV record.
    pub osv: serde_json::Value,
}

/// An advisory affecting a queried package version. Records that are aliases
/// of each other (a GHSA, a CVE and a PYSEC of one vulnerability) are merged
/// into one match under the most specific id.
#[derive(Clone, Debug, Serialize)]
pub struct Match {
    pub id: String,
    /// Every other id of the vulnerability: aliases and merged records.
    pub aliases: Vec<String>,
    /// The ids of other stored records merged into this match.
    pub merged: Vec<String>,
    pub kind: Kind,
    pub summary: Option<String>,
    pub severity: Option<Severity>,
    /// Versions that fix it, lowest first.
    pub fixed: Vec<String>,
    /// The last affected versions, where the advisory names them instead of a fix.
    pub last_affected: Vec<String>,
    pub published: Option<String>,
    pub modified: String,
}

/// A full-text search result.
#[derive(Clone, Debug, Serialize)]
pub struct SearchHit {
    pub id: String,
    pub kind: Kind,
    pub summary: Option<String>,
    pub severity: Option<Rating>,
    pub withdrawn: bool,
}

/// Per-ecosystem state of mirror updates.
#[derive(Clone, Debug, Serialize)]
pub struct MirrorState {
    pub ecosystem: String,
    pub url: String,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub checked_at: String,
    pub updated_at: Option<String>,
    pub advisories: u64,
}

impl MirrorState {
    /// Reads `ecosystem, url, etag, last_modified, checked_at, updated_at, advisories`.
    pub(crate) fn from_row(r: &Row<'_>) -> rusqlite::Result<MirrorState> {
        Ok(MirrorState {
            ecosystem: r.get(0)?,
            url: r.get(1)?,
            etag: r.get(2)?,
            last_modified: r.get(3)?,
            checked_at: r.get(4)?,
            updated_at: r.get(5)?,
            advisories: r.get::<_, i64>(6)? as u64,
        })
    }
}

/// What the database holds.
#[derive(Clone, Debug, Serialize)]
pub struct Stats {
    pub path: String,
    pub file_size: u64,
    pub schema_version: i64,
    /// Every advisory, withdrawn ones included.
    pub advisories: u64,
    pub withdrawn: u64,
    /// Advisories affecting each ecosystem (one advisory may count in several).
    pub ecosystems: BTreeMap<String, u64>,
    /// Advisories by source database, from the id prefix (`RUSTSEC`, `PYSEC`, `GHSA`, ...).
    pub sources: BTreeMap<String, u64>,
    pub kinds: BTreeMap<String, u64>,
    pub last_import: Option<String>,
    pub last_update: Option<String>,
    pub mirrors: Vec<MirrorState>,
}

fn severity_from_row(row: &Row<'_>, at: usize) -> rusqlite::Result<Option<Severity>> {
    let rating: Option<String> = row.get(at)?;
    let Some(rating) = rating.as_deref().and_then(Rating::from_label) else {
        return Ok(None);
    };
    Ok(Some(Severity {
        rating,
        score: row.get(at + 1)?,
        vector: row.get(at + 2)?,
    }))
}

/// A stored time (nanosecond precision) as people read it.
fn tidy(stored: Option<String>) -> Option<String> {
    stored.map(|t| match chrono::DateTime::parse_from_rfc3339(&t) {
        Ok(parsed) => crate::osv::display_time(&parsed.with_timezone(&chrono::Utc)),
        Err(_) => t,
    })
}

fn kind_from(text: &str) -> Kind {
    Kind::parse(text).unwrap_or(Kind::Vulnerability)
}

/// Where an id ranks when choosing the name of a merged match: an ecosystem
/// database's own id first, then GHSA, then CVE.
fn id_preference(id: &str) -> u8 {
    if id.starts_with("CVE-") {
        2
    } else if id.starts_with("GHSA-") {
        1
    } else {
        0
    }
}

/// The stored advisory entries of one package; see
/// [`Store::package_advisories`].
#[derive(Clone, Debug)]
pub struct PackageAdvisories {
    scheme: Scheme,
    stored: Vec<(i64, Affected)>,
    /// Advisory rows read so far, `None` for withdrawn ones.
    advisories: HashMap<i64, Option<Hit>>,
}

impl PackageAdvisories {
    /// Whether any advisory names the package at all.
    pub fn is_empty(&self) -> bool {
        self.stored.is_empty()
    }
}

#[derive(Clone, Debug)]
struct Hit {
    id: String,
    aliases: Vec<String>,
    kind: Kind,
    summary: Option<String>,
    severity: Option<Severity>,
    published: Option<String>,
    modified: String,
    fixed: Vec<String>,
    last_affected: Vec<String>,
}

fn find(parent: &mut [usize], mut i: usize) -> usize {
    while parent[i] != i {
        parent[i] = parent[parent[i]];
        i = parent[i];
    }
    i
}

impl Store {
    /// The advisories affecting `version` of package `name` in `ecosystem`
    /// (OSV name or a common alias; `Debian:12` restricts to that release).
    /// Withdrawn advisories are left out.
    pub fn query(&self, ecosystem: &str, name: &str, version: &str) -> Result<Vec<Match>> {
        Ok(self
            .query_many(ecosystem, name, &[version])?
            .pop()
            .unwrap_or_default())
    }

    /// [`Store::query`] for several versions of one package: the package's
    /// advisories are read and decoded once. Returns one list per version, in
    /// the order given.
    pub fn query_many(
        &self,
        ecosystem: &str,
        name: &str,
        versions: &[&str],
    ) -> Result<Vec<Vec<Match>>> {
        let mut package = self.package_advisories(ecosystem, name)?;
        self.affecting(&mut package, versions)
    }

    /// Every advisory entry stored for package `name` in `ecosystem`, decoded,
    /// so that any number of its versions (those installed, the candidates
    /// for a fix) are checked without reading the database again.
    pub fn package_advisories(&self, ecosystem: &str, name: &str) -> Result<PackageAdvisories> {
        let canonical = canonical_ecosystem(ecosystem);
        let (base, release) = split_ecosystem(&canonical);
        let scheme = Scheme::for_ecosystem(base);
        let key = normalize_name(base, name);
        let mut affected_rows = self
            .conn
            .prepare_cached(
                "SELECT advisory, release, versions FROM affected WHERE ecosystem = ?1 AND name = ?2",
            )
            .map_err(|e| self.db_err(e))?;
        let mut rows = affected_rows
            .query(params![base, key])
            .map_err(|e| self.db_err(e))?;
        let mut stored: Vec<(i64, Affected)> = Vec::new();
        while let Some(row) = rows.next().map_err(|e| self.db_err(e))? {
            let row_release = row.get_ref(1).map_err(|e| self.db_err(e))?;
            if let (Some(want), Ok(Some(have))) = (release, row_release.as_str_or_null())
                && want != have
            {
                continue;
            }
            let text = row.get_ref(2).map_err(|e| self.db_err(e))?;
            let Ok(text) = text.as_str() else {
                continue;
            };
            let Ok(decoded) = serde_json::from_str::<StoredAffected<'_>>(text) else {
                continue;
            };
            let pk: i64 = row.get(0).map_err(|e| self.db_err(e))?;
            stored.push((
                pk,
                Affected {
                    ranges: decoded.ranges,
                    versions: decoded.versions.into_iter().map(Cow::into_owned).collect(),
                },
            ));
        }
        Ok(PackageAdvisories {
            scheme,
            stored,
            advisories: HashMap::new(),
        })
    }

    /// The advisories of `package` affecting each of `versions`, merged
    /// across aliases, withdrawn ones left out; one list per version.
    pub fn affecting(
        &self,
        package: &mut PackageAdvisories,
        versions: &[&str],
    ) -> Result<Vec<Vec<Match>>> {
        let mut out = Vec::with_capacity(versions.len());
        for version in versions {
            if package.stored.is_empty() {
                out.push(Vec::new());
                continue;
            }
            let target = Target::new(package.scheme, version);
            let mut hits: Vec<Hit> = Vec::new();
            let mut by_pk: HashMap<i64, usize> = HashMap::new();
            for (pk, affected) in &package.stored {
                if !target.is_affected_by(&affected.ranges, &affected.versions) {
                    continue;
                }
                let index = match by_pk.get(pk) {
                    Some(&index) => index,
                    None => {
                        let advisory = match package.advisories.get(pk) {
                            Some(known) => known.clone(),
                            None => {
                                let read = self.advisory_hit(*pk)?;
                                package.advisories.insert(*pk, read.clone());
                                read
                            }
                        };
                        let Some(hit) = advisory else { continue };
                        hits.push(hit);
                        by_pk.insert(*pk, hits.len() - 1);
                        hits.len() - 1
                    }
                };
                let hit = &mut hits[index];
                for v in affected.fixed_versions() {
                    if !hit.fixed.iter().any(|f| f == v) {
                        hit.fixed.push(v.to_string());
                    }
                }
                for v in affected.last_affected_versions() {
                    if !hit.last_affected.iter().any(|f| f == v) {
                        hit.last_affected.push(v.to_string());
                    }
                }
            }
            out.push(merge(&hits, package.scheme));
        }
        Ok(out)
    }

    /// The advisory behind an `affected` row, or `None` when it is withdrawn.
    fn advisory_hit(&self, pk: i64) -> Result<Option<Hit>> {
        let mut advisory_row = self
            .conn
            .prepare_cached(
                "SELECT id, aliases, kind, summary, severity_rating, severity_score, severity_vector,
                        published, modified, withdrawn
                 FROM advisory WHERE pk = ?1",
            )
            .map_err(|e| self.db_err(e))?;
        let read = |row: &Row<'_>| -> rusqlite::Result<Option<Hit>> {
            let withdrawn = row.get_ref(9)?;
            if !matches!(withdrawn, rusqlite::types::ValueRef::Null) {
                return Ok(None);
            }
            let aliases = row.get_ref(1)?.as_str().unwrap_or("[]");
            let kind = row.get_ref(2)?.as_str().unwrap_or("");
            Ok(Some(Hit {
                id: row.get(0)?,
                aliases: serde_json::from_str(aliases).unwrap_or_default(),
                kind: kind_from(kind),
                summary: row.get(3)?,
                severity: severity_from_row(row, 4)?,
                published: tidy(row.get(7)?),
                modified: tidy(row.get(8)?).unwrap_or_default(),
                fixed: Vec::new(),
                last_affected: Vec::new(),
            }))
        };
        Ok(advisory_row
            .query_row([pk], read)
            .optional()
            .map_err(|e| self.db_err(e))?
            .flatten())
    }

    /// The advisory with this id, or else those that list it as an alias
    /// (withdrawn ones included). Ids match case-insensitively.
    pub fn get(&self, id: &str) -> Result<Vec<AdvisoryRecord>> {
        let id = id.trim();
        let select = "SELECT a.id, a.kind, a.summary, a.severity_rating, a.severity_score, a.severity_vector,
                             a.aliases, a.published, a.modified, a.withdrawn, a.json FROM advisory a";
        let read = |row: &Row<'_>| -> rusqlite::Result<AdvisoryRecord> {
            let kind: String = row.get(1)?;
            let aliases: String = row.get(6)?;
            let json: String = row.get(10)?;
            Ok(AdvisoryRecord {
                id: row.get(0)?,
                kind: kind_from(&kind),
                summary: row.get(2)?,
                severity: severity_from_row(row, 3)?,
                aliases: serde_json::from_str(&aliases).unwrap_or_default(),
                published: tidy(row.get(7)?),
                modified: tidy(row.get(8)?).unwrap_or_default(),
                withdrawn: tidy(row.get(9)?),
                osv: serde_json::from_str(&json).unwrap_or(serde_json::Value::Null),
            })
        };
        let queries = [
            format!("{select} WHERE a.id = ?1"),
            format!("{select} WHERE a.id = ?1 COLLATE NOCASE"),
            format!(
                "{select} JOIN alias al ON al.advisory = a.pk WHERE al.alias = ?1 ORDER BY a.id"
            ),
            format!(
                "{select} JOIN alias al ON al.advisory = a.pk WHERE al.alias = ?1 COLLATE NOCASE ORDER BY a.id"
            ),
        ];
        for sql in &queries {
            let mut stmt = self.conn.prepare_cached(sql).map_err(|e| self.db_err(e))?;
            let found: Vec<AdvisoryRecord> = stmt
                .query_map([id], read)
                .map_err(|e| self.db_err(e))?
                .collect::<rusqlite::Result<_>>()
                .map_err(|e| self.db_err(e))?;
            if !found.is_empty() {
                let mut found = found;
                found.sort_by_key(|r| (id_preference(&r.id), r.id.clone()));
                return Ok(found);
            }
        }
        Ok(Vec::new())
    }

    /// Full-text search over id, aliases, summary and details. Words are all
    /// required; a word ending in `*` matches as a prefix.
    pub fn search(&self, text: &str, limit: usize) -> Result<Vec<SearchHit>> {
        let query = fts_query(text);
        if query.is_empty() {
            return Ok(Vec::new());
        }
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT a.id, a.kind, a.summary, a.severity_rating, a.withdrawn
                 FROM advisory_fts JOIN advisory a ON a.pk = advisory_fts.rowid
                 WHERE advisory_fts MATCH ?1 ORDER BY bm25(advisory_fts), a.id LIMIT ?2",
            )
            .map_err(|e| self.db_err(e))?;
        stmt.query_map(params![query, limit as i64], |row| {
            let kind: String = row.get(1)?;
            let rating: Option<String> = row.get(3)?;
            let withdrawn: Option<String> = row.get(4)?;
            Ok(SearchHit {
                id: row.get(0)?,
                kind: kind_from(&kind),
                summary: row.get(2)?,
                severity: rating.as_deref().and_then(Rating::from_label),
                withdrawn: withdrawn.is_some(),
            })
        })
        .map_err(|e| self.db_err(e))?
        .collect::<rusqlite::Result<_>>()
        .map_err(|e| self.db_err(e))
    }

    /// How many advisories the database holds and when it last changed (the
    /// later of the last import and the last mirror update), cheaply: what a
    /// scan report states about its data.
    pub fn freshness(&self) -> Result<(u64, Option<String>)> {
        let db = |e| self.db_err(e);
        let advisories: i64 = self
            .conn
            .query_row(
                "SELECT COALESCE(
                     (SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'advisories'),
                     (SELECT COUNT(*) FROM advisory))",
                [],
                |r| r.get(0),
            )
            .map_err(db)?;
        let updated: Option<String> = self
            .conn
            .query_row(
                "SELECT MAX(t) FROM (
                     SELECT value AS t FROM meta WHERE key = 'last_import'
                     UNION ALL SELECT updated_at FROM mirror_state)",
                [],
                |r| r.get(0),
            )
            .map_err(db)?;
        let updated = updated.map(|t| match chrono::DateTime::parse_from_rfc3339(&t) {
            Ok(parsed) => parsed
                .with_timezone(&chrono::Utc)
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            Err(_) => t,
        });
        Ok((advisories as u64, updated))
    }

    /// Counts by ecosystem, source and kind, and the update history.
    pub fn stats(&self) -> Result<Stats> {
        let db = |e| self.db_err(e);
        let count = |sql: &str| -> Result<u64> {
            self.conn
                .query_row(sql, [], |r| r.get::<_, i64>(0))
                .map(|n| n as u64)
                .map_err(db)
        };
        let grouped = |sql: &str| -> Result<BTreeMap<String, u64>> {
            let mut stmt = self.conn.prepare(sql).map_err(db)?;
            stmt.query_map([], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64))
            })
            .map_err(db)?
            .collect::<rusqlite::Result<_>>()
            .map_err(db)
        };
        let meta = |key: &str| -> Result<Option<String>> {
            self.conn
                .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
                .optional()
                .map_err(db)
        };
        let mirrors = {
            let mut stmt = self
                .conn
                .prepare(
                    "SELECT ecosystem, url, etag, last_modified, checked_at, updated_at, advisories
                     FROM mirror_state ORDER BY ecosystem",
                )
                .map_err(db)?;
            stmt.query_map([], MirrorState::from_row)
                .map_err(db)?
                .collect::<rusqlite::Result<Vec<_>>>()
                .map_err(db)?
        };
        let last_update = mirrors.iter().filter_map(|m| m.updated_at.clone()).max();
        let file_size = ["", "-wal"]
            .iter()
            .filter_map(|suffix| {
                let mut p = self.path.clone().into_os_string();
                p.push(suffix);
                std::fs::metadata(p).ok()
            })
            .map(|m| m.len())
            .sum();
        Ok(Stats {
            path: self.path.display().to_string(),
            file_size,
            schema_version: self.schema_version()?,
            advisories: count("SELECT COUNT(*) FROM advisory")?,
            withdrawn: count("SELECT COUNT(*) FROM advisory WHERE withdrawn IS NOT NULL")?,
            ecosystems: grouped(
                "SELECT ecosystem, COUNT(DISTINCT advisory) FROM affected GROUP BY ecosystem",
            )?,
            sources: grouped(
                "SELECT CASE WHEN instr(id, '-') > 1 THEN substr(id, 1, instr(id, '-') - 1) ELSE id END AS source,
                        COUNT(*) FROM advisory GROUP BY source",
            )?,
            kinds: grouped("SELECT kind, COUNT(*) FROM advisory GROUP BY kind")?,
            last_import: meta("last_import")?,
            last_update,
            mirrors,
        })
    }
}

/// Turns free text into an FTS5 query of quoted words (so punctuation in ids
/// such as `CVE-2021-1234` is not read as FTS syntax).
pub(crate) fn fts_query(text: &str) -> String {
    text.split_whitespace()
        .filter_map(|word| {
            let (word, prefix) = match word.strip_suffix('*') {
                Some(w) => (w, true),
                None => (word, false),
            };
            let word = word.replace('"', "");
            if word.is_empty() {
                return None;
            }
            Some(if prefix {
                format!("\"{word}\"*")
            } else {
                format!("\"{word}\"")
            })
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Merges hits that name each other (by id or a shared alias) into one match.
fn merge(hits: &[Hit], scheme: Scheme) -> Vec<Match> {
    let mut parent: Vec<usize> = (0..hits.len()).collect();
    let mut owner: HashMap<&str, usize> = HashMap::new();
    for (i, hit) in hits.iter().enumerate() {
        for name in std::iter::once(&hit.id).chain(&hit.aliases) {
            match owner.get(name.as_str()) {
                Some(&j) => {
                    let (a, b) = (find(&mut parent, i), find(&mut parent, j));
                    parent[a.max(b)] = a.min(b);
                }
                None => {
                    owner.insert(name, i);
                }
            }
        }
    }
    let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for i in 0..hits.len() {
        let root = find(&mut parent, i);
        groups.entry(root).or_default().push(i);
    }
    let mut matches: Vec<Match> = groups
        .into_values()
        .map(|members| {
            let primary = members
                .iter()
                .copied()
                .min_by_key(|&i| (id_preference(&hits[i].id), hits[i].id.as_str()))
                .unwrap_or(members[0]);
            let p = &hits[primary];
            let mut aliases: Vec<String> = members
                .iter()
                .flat_map(|&i| std::iter::once(&hits[i].id).chain(&hits[i].aliases))
                .filter(|a| **a != p.id)
                .cloned()
                .collect();
            aliases.sort();
            aliases.dedup();
            let mut merged: Vec<String> = members
                .iter()
                .filter(|&&i| i != primary)
                .map(|&i| hits[i].id.clone())
                .collect();
            merged.sort();
            let mut fixed: Vec<String> = Vec::new();
            let mut last_affected: Vec<String> = Vec::new();
            for &i in &members {
                for v in &hits[i].fixed {
                    if !fixed.contains(v) {
                        fixed.push(v.clone());
                    }
                }
                for v in &hits[i].last_affected {
                    if !last_affected.contains(v) {
                        last_affected.push(v.clone());
                    }
                }
            }
            palisade_version::sort_versions(scheme, &mut fixed);
            palisade_version::sort_versions(scheme, &mut last_affected);
            let severity =
                crate::severity::highest(members.iter().filter_map(|&i| hits[i].severity.clone()));
            Match {
                id: p.id.clone(),
                aliases,
                merged,
                kind: p.kind,
                summary: p
                    .summary
                    .clone()
                    .or_else(|| members.iter().find_map(|&i| hits[i].summary.clone())),
                severity,
                fixed,
                last_affected,
                published: members
                    .iter()
                    .filter_map(|&i| hits[i].published.clone())
                    .min(),
                modified: members
                    .iter()
                    .map(|&i| hits[i].modified.clone())
                    .max()
                    .unwrap_or_default(),
            }
        })
        .collect();
    matches.sort_by(|a, b| {
        let rank = |m: &Match| {
            m.severity.as_ref().map_or((Rating::None, -1.0), |s| {
                (s.rating, s.score.unwrap_or(-1.0))
            })
        };
        let (ra, rb) = (rank(a), rank(b));
        rb.0.cmp(&ra.0)
            .then_with(|| rb.1.total_cmp(&ra.1))
            .then_with(|| a.id.cmp(&b.id))
    });
    matches
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_text_becomes_quoted_fts_words() {
        assert_eq!(fts_query("CVE-2021-1234"), "\"CVE-2021-1234\"");
        assert_eq!(fts_query("  heap overflow*  "), "\"heap\" \"overflow\"*");
        assert_eq!(fts_query("\"\" *"), "");
    }
}
