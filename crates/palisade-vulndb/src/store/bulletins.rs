//! Bulletins in the store: each source's record of an id is kept as it came
//! (`bulletin_doc`), and the merged view is indexed for search — columns for
//! filters, an FTS5 index over the text, a table of vendor / product entries
//! with their version rules, and aliases.
//!
//! Writes detect change: a record whose normalized form is unchanged costs
//! one lookup; one whose material content changed (anything but its dates and
//! references) gets a new revision. When asked to, writes journal what changed
//! in `bulletin_change`, in the same transaction, which is what watchlists
//! read: a crash between a fetch and the notifications it causes loses
//! nothing.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::Utc;
use rusqlite::{OptionalExtension, Transaction, params};
use serde::Serialize;

use super::{KevEntry, Store, digest};
use crate::bulletin::{Bulletin, ProductEntry, normalize_product};
use crate::cpe::{Cpe, value_matches};
use crate::error::{Error, Location, Result};

/// What writing a record did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PutOutcome {
    Added,
    /// Changed materially: a new revision.
    Updated,
    /// Only dates or references changed, or nothing did.
    Unchanged,
}

/// A change journaled for watchers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Change {
    pub seq: i64,
    pub id: String,
    /// `new`, `changed` or `kev` (added to the KEV catalog).
    pub kind: String,
    pub revision: i64,
    pub source: Option<String>,
    pub at: String,
}

/// A bulletin search: every given filter must hold.
#[derive(Clone, Debug, Default)]
pub struct BulletinQuery {
    /// Words that must all appear (title, summary, id, products); `word*` is a prefix.
    pub text: Option<String>,
    pub vendor: Option<String>,
    pub product: Option<String>,
    /// Only with a vendor, product or CPE: records affecting this version.
    pub version: Option<String>,
    /// A CPE 2.3 formatted string; its version (if any) is matched by range.
    pub cpe: Option<String>,
    pub cwe: Option<String>,
    /// Any of these headline severities (`low` ... `critical`).
    pub severities: Vec<String>,
    pub min_cvss: Option<f64>,
    pub kev: bool,
    pub epss_above: Option<f64>,
    /// Published or modified at or after this time (`YYYY-MM-DD` or RFC 3339).
    pub since: Option<String>,
    pub source: Option<String>,
    /// Most hits returned (0: all).
    pub limit: usize,
}

/// One search result.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BulletinHit {
    pub id: String,
    pub title: Option<String>,
    pub summary: Option<String>,
    pub published: Option<String>,
    pub modified: Option<String>,
    pub score: Option<f64>,
    pub severity: Option<String>,
    pub sources: Vec<String>,
    pub kev: bool,
    pub epss: Option<f64>,
}

/// Search results: the total and the first `limit` hits, newest first.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BulletinSearch {
    pub total: usize,
    pub hits: Vec<BulletinHit>,
}

/// A bulletin with what the store knows about it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BulletinView {
    #[serde(flatten)]
    pub bulletin: Bulletin,
    pub sources: Vec<String>,
    pub revision: i64,
    pub score: Option<f64>,
    pub severity: Option<String>,
    pub kev: Option<KevEntry>,
    pub epss: Option<super::EpssScore>,
    /// OSV advisories that list this id as an alias.
    pub advisories: Vec<String>,
}

/// Sources whose text and dates win when records of one id are merged.
fn source_rank(source: &str) -> u8 {
    match source {
        "cve5" => 0,
        "nvd" => 1,
        "kev" => 3,
        _ => 2,
    }
}

/// A record ready to store: its normalized JSON, compressed, and the
/// digests that tell a re-import (same document) and a material change.
#[derive(Debug)]
pub(crate) struct Prepared {
    pub(crate) bulletin: Bulletin,
    body: Vec<u8>,
    digest: i64,
    material: i64,
}

impl Prepared {
    pub(crate) fn new(bulletin: Bulletin) -> Prepared {
        let json = serde_json::to_string(&bulletin).unwrap_or_default();
        let mut encoder = flate2::write::DeflateEncoder::new(
            Vec::with_capacity(json.len() / 3),
            flate2::Compression::fast(),
        );
        let body = std::io::Write::write_all(&mut encoder, json.as_bytes())
            .and_then(|()| encoder.finish())
            .unwrap_or_default();
        Prepared {
            digest: digest(&json),
            material: material_digest(&bulletin),
            bulletin,
            body,
        }
    }
}

/// The digest of what makes a change news: everything but dates, references and the source.
fn material_digest(b: &Bulletin) -> i64 {
    let mut material = b.clone();
    material.modified = None;
    material.references.clear();
    material.source.clear();
    digest(&serde_json::to_string(&material).unwrap_or_default())
}

/// Largest stored document inflated.
const MAX_DOC_BYTES: u64 = 64 * 1024 * 1024;

/// A stored document back as a record.
fn decode(body: &[u8]) -> Option<Bulletin> {
    let mut json = Vec::new();
    std::io::Read::read_to_end(
        &mut std::io::Read::take(flate2::read::DeflateDecoder::new(body), MAX_DOC_BYTES),
        &mut json,
    )
    .ok()?;
    serde_json::from_slice(&json).ok()
}

/// Bits of an order key holding the bulletin's pk.
const PK_BITS: u32 = 40;
const PK_MASK: i64 = (1 << PK_BITS) - 1;

/// The bulletin's key in the text index, which is also its place in result
/// order: the day it was published (or modified) above its pk. The index
/// returns hits in key order, so "newest first" reads only as many hits as
/// are shown instead of looking up every match.
fn order_key(b: &Bulletin, pk: i64) -> i64 {
    let days = b
        .published
        .as_deref()
        .or(b.modified.as_deref())
        .and_then(|d| d.get(..10))
        .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        .map_or(0, |d| {
            (d - chrono::NaiveDate::default())
                .num_days()
                .clamp(0, (1 << 22) - 1)
        });
    (days << PK_BITS) | (pk & PK_MASK)
}

/// Writes bulletins inside a caller's transaction.
///
/// Text index rows are held back and written in key order: FTS5 flushes its
/// pending terms whenever a rowid arrives below the previous one, which
/// made bulk imports (whose keys follow publication dates, not arrival)
/// several times slower. [`BulletinWriter::finish`] writes the rest.
pub(crate) struct BulletinWriter<'t> {
    tx: &'t Transaction<'t>,
    journal: bool,
    now: String,
    pending_text: BTreeMap<i64, [Option<String>; 4]>,
}

/// Text index rows held back before they are written in key order.
const PENDING_TEXT_ROWS: usize = 20_000;

impl<'t> BulletinWriter<'t> {
    pub(crate) fn new(tx: &'t Transaction<'t>, journal: bool) -> BulletinWriter<'t> {
        BulletinWriter {
            tx,
            journal,
            now: Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            pending_text: BTreeMap::new(),
        }
    }

    /// Writes the held-back text index rows; call before committing.
    pub(crate) fn finish(mut self) -> rusqlite::Result<()> {
        self.flush_text()
    }

    fn flush_text(&mut self) -> rusqlite::Result<()> {
        let mut put = self.tx.prepare_cached(
            "INSERT INTO bulletin_fts (rowid, id, title, summary, products) VALUES (?1, ?2, ?3, ?4, ?5)",
        )?;
        for (key, [id, title, summary, products]) in std::mem::take(&mut self.pending_text) {
            put.execute(params![key, id, title, summary, products])?;
        }
        Ok(())
    }

    fn delete_text(&mut self, key: i64) -> rusqlite::Result<()> {
        if self.pending_text.remove(&key).is_none() {
            self.tx
                .prepare_cached("DELETE FROM bulletin_fts WHERE rowid = ?1")?
                .execute([key])?;
        }
        Ok(())
    }

    pub(crate) fn put(&mut self, b: &Bulletin) -> rusqlite::Result<PutOutcome> {
        self.put_prepared(&Prepared::new(b.clone()))
    }

    /// Writes a record serialized and compressed beforehand (on another
    /// thread, in a bulk import).
    pub(crate) fn put_prepared(&mut self, p: &Prepared) -> rusqlite::Result<PutOutcome> {
        let b = &p.bulletin;
        let docs: Vec<(String, i64, Vec<u8>)> = self
            .tx
            .prepare_cached("SELECT source, digest, body FROM bulletin_doc WHERE id = ?1")?
            .query_map([&b.id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<rusqlite::Result<_>>()?;
        if docs
            .iter()
            .any(|(source, digest, _)| *source == b.source && *digest == p.digest)
        {
            return Ok(PutOutcome::Unchanged);
        }
        self.tx
            .prepare_cached(
                "INSERT INTO bulletin_doc (id, source, digest, body) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (id, source) DO UPDATE SET digest = excluded.digest, body = excluded.body",
            )?
            .execute(params![b.id, b.source, p.digest, p.body])?;
        let mut sources: Vec<String> = docs
            .iter()
            .map(|(s, _, _)| s.clone())
            .filter(|s| *s != b.source)
            .collect();
        if sources.is_empty() {
            return self.index(b, std::slice::from_ref(&b.source), p.material);
        }
        let mut all: Vec<Bulletin> = docs
            .iter()
            .filter(|(s, _, _)| *s != b.source)
            .filter_map(|(_, _, body)| decode(body))
            .collect();
        all.push(b.clone());
        all.sort_by(|x, y| {
            (source_rank(&x.source), &x.source).cmp(&(source_rank(&y.source), &y.source))
        });
        let mut merged = all.remove(0);
        for other in &all {
            merged.merge(other);
        }
        sources.push(b.source.clone());
        sources.sort();
        let material = material_digest(&merged);
        self.index(&merged, &sources, material)
    }

    fn index(
        &mut self,
        b: &Bulletin,
        sources: &[String],
        material: i64,
    ) -> rusqlite::Result<PutOutcome> {
        let headline = b.headline_cvss();
        let cwes = format!(" {} ", b.cwes.join(" "));
        let sources = format!(" {} ", sources.join(" "));
        let existing: Option<(i64, i64, i64, i64)> = self
            .tx
            .prepare_cached("SELECT pk, material, revision, fts FROM bulletin WHERE id = ?1")?
            .query_row([&b.id], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })
            .optional()?;
        let (pk, revision, outcome) = match existing {
            None => {
                self.tx
                    .prepare_cached(
                        "INSERT INTO bulletin (id, published, modified, title, score, severity,
                             cwes, sources, material, revision)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 1)",
                    )?
                    .execute(params![
                        b.id,
                        b.published,
                        b.modified,
                        b.title,
                        headline.map(|c| c.score),
                        b.severity(),
                        cwes,
                        sources,
                        material
                    ])?;
                let pk = self.tx.last_insert_rowid();
                self.tx
                    .prepare_cached("UPDATE bulletin SET fts = ?2 WHERE pk = ?1")?
                    .execute(params![pk, order_key(b, pk)])?;
                (pk, 1, PutOutcome::Added)
            }
            Some((pk, old_material, old_revision, old_key)) => {
                let changed = old_material != material;
                let revision = old_revision + i64::from(changed);
                self.tx
                    .prepare_cached(
                        "UPDATE bulletin SET published = ?2, modified = ?3, title = ?4, score = ?5,
                             severity = ?6, cwes = ?7, sources = ?8, material = ?9, revision = ?10,
                             fts = ?11
                         WHERE pk = ?1",
                    )?
                    .execute(params![
                        pk,
                        b.published,
                        b.modified,
                        b.title,
                        headline.map(|c| c.score),
                        b.severity(),
                        cwes,
                        sources,
                        material,
                        revision,
                        order_key(b, pk)
                    ])?;
                self.delete_text(old_key)?;
                for sql in [
                    "DELETE FROM bulletin_product WHERE bulletin = ?1",
                    "DELETE FROM bulletin_alias WHERE bulletin = ?1",
                ] {
                    self.tx.prepare_cached(sql)?.execute([pk])?;
                }
                let outcome = if changed {
                    PutOutcome::Updated
                } else {
                    PutOutcome::Unchanged
                };
                (pk, revision, outcome)
            }
        };
        let products = b.products();
        let mut names = BTreeSet::new();
        {
            let mut put = self.tx.prepare_cached(
                "INSERT OR IGNORE INTO bulletin_product (vendor, product, bulletin, seq, rule)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            for (seq, p) in products.iter().enumerate() {
                let rule = serde_json::to_string(p).unwrap_or_default();
                put.execute(params![p.vendor, p.product, pk, seq as i64, rule])?;
                names.insert(p.vendor.replace('_', " "));
                names.insert(p.product.replace('_', " "));
            }
        }
        for a in &b.affected {
            names.extend(a.vendor.iter().chain(&a.product).cloned());
        }
        let product_text = names.into_iter().collect::<Vec<_>>().join(" ");
        self.pending_text.insert(
            order_key(b, pk),
            [
                Some(b.id.clone()),
                b.title.clone(),
                b.summary.clone(),
                Some(product_text),
            ],
        );
        if self.pending_text.len() >= PENDING_TEXT_ROWS {
            self.flush_text()?;
        }
        {
            let mut put = self.tx.prepare_cached(
                "INSERT OR IGNORE INTO bulletin_alias (alias, bulletin) VALUES (?1, ?2)",
            )?;
            for alias in &b.aliases {
                put.execute(params![alias, pk])?;
            }
        }
        if self.journal && outcome != PutOutcome::Unchanged {
            let kind = if outcome == PutOutcome::Added {
                "new"
            } else {
                "changed"
            };
            self.journal(&b.id, kind, revision, Some(&b.source))?;
        }
        Ok(outcome)
    }

    pub(crate) fn journal(
        &self,
        id: &str,
        kind: &str,
        revision: i64,
        source: Option<&str>,
    ) -> rusqlite::Result<()> {
        self.tx
            .prepare_cached(
                "INSERT INTO bulletin_change (id, kind, revision, source, at) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![id, kind, revision, source, self.now])?;
        Ok(())
    }

    /// Stores KEV entries, each also as a bulletin of source `kev`; returns
    /// how many were not listed before (each journaled as a `kev` change when
    /// journaling).
    pub(crate) fn put_kev(
        &mut self,
        entries: &[KevEntry],
        source: &str,
    ) -> rusqlite::Result<(Vec<PutOutcome>, usize)> {
        let mut added = 0;
        let journal = std::mem::replace(&mut self.journal, false);
        let outcomes = entries
            .iter()
            .map(|e| self.put(&Bulletin::from(e)))
            .collect::<rusqlite::Result<Vec<_>>>();
        self.journal = journal;
        let outcomes = outcomes?;
        for e in entries {
            let cve = e.cve.to_ascii_uppercase();
            let known: bool = self
                .tx
                .prepare_cached("SELECT EXISTS (SELECT 1 FROM kev WHERE cve = ?1)")?
                .query_row([&cve], |r| r.get(0))?;
            super::exploitation::write_kev(self.tx, e)?;
            if !known {
                added += 1;
                if self.journal {
                    self.journal(&cve, "kev", 1, Some(source))?;
                }
            }
        }
        Ok((outcomes, added))
    }
}

fn fts_query(text: &str) -> String {
    super::read::fts_query(text)
}

/// A `--since` value as the text stored dates compare against: a date, an
/// RFC 3339 time, or an age (`36h`, `7d`, `2w`) before now.
fn since_bound(since: &str) -> Result<String> {
    let s = since.trim();
    if chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok()
        || chrono::DateTime::parse_from_rfc3339(s).is_ok()
    {
        return Ok(s.to_string());
    }
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (number, unit) = s.split_at(split);
    let hours = match unit {
        "h" => Some(1),
        "d" => Some(24),
        "w" => Some(24 * 7),
        _ => None,
    };
    if let (Ok(n), Some(hours)) = (number.parse::<i64>(), hours)
        && let Some(age) = n.checked_mul(hours).and_then(chrono::Duration::try_hours)
        && let Some(at) = Utc::now().checked_sub_signed(age)
    {
        return Ok(at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
    }
    Err(Error::invalid(
        Location::new("--since"),
        format!("{s:?} is not a date (YYYY-MM-DD), an RFC 3339 time or an age (36h, 7d, 2w)"),
    ))
}

impl Store {
    /// Writes bulletins and KEV entries of one source in one transaction;
    /// `journal` records what changed for watchers.
    pub fn put_bulletins(
        &mut self,
        source: &str,
        bulletins: &[Bulletin],
        kev: &[KevEntry],
        journal: bool,
    ) -> Result<(Vec<PutOutcome>, usize)> {
        let path = self.path.clone();
        let db = |source| Error::Database {
            path: path.clone(),
            source,
        };
        let tx = self.conn.transaction().map_err(db)?;
        let (outcomes, added) = {
            let mut w = BulletinWriter::new(&tx, journal);
            let outcomes = bulletins
                .iter()
                .map(|b| w.put(b))
                .collect::<rusqlite::Result<Vec<_>>>()
                .map_err(db)?;
            let (mut kev_outcomes, added) = w.put_kev(kev, source).map_err(db)?;
            w.finish().map_err(db)?;
            let mut outcomes = outcomes;
            outcomes.append(&mut kev_outcomes);
            (outcomes, added)
        };
        tx.commit().map_err(db)?;
        Ok((outcomes, added))
    }

    /// One bulletin, merged over its sources, by id or alias.
    pub fn bulletin(&self, id: &str) -> Result<Option<BulletinView>> {
        let db = |e| self.db_err(e);
        let wanted = if crate::exploitation::is_cve_id(&id.to_ascii_uppercase()) {
            id.to_ascii_uppercase()
        } else {
            id.to_string()
        };
        let found: Option<(String, i64, Option<f64>, Option<String>)> = self
            .conn
            .query_row(
                "SELECT id, revision, score, severity FROM bulletin WHERE id = ?1
                 UNION ALL
                 SELECT b.id, b.revision, b.score, b.severity FROM bulletin_alias a
                     JOIN bulletin b ON b.pk = a.bulletin WHERE a.alias = ?1
                 LIMIT 1",
                [&wanted],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()
            .map_err(db)?;
        let Some((id, revision, score, severity)) = found else {
            return Ok(None);
        };
        let mut docs = self.docs(&id)?;
        docs.sort_by(|x, y| {
            (source_rank(&x.source), &x.source).cmp(&(source_rank(&y.source), &y.source))
        });
        let sources: Vec<String> = docs.iter().map(|d| d.source.clone()).collect();
        if docs.is_empty() {
            return Ok(None);
        }
        let mut bulletin = docs.remove(0);
        for other in &docs {
            bulletin.merge(other);
        }
        let advisories: Vec<String> = self
            .conn
            .prepare_cached(
                "SELECT DISTINCT a.id FROM alias JOIN advisory a ON a.pk = alias.advisory
                 WHERE alias.alias = ?1 ORDER BY a.id",
            )
            .map_err(db)?
            .query_map([&id], |r| r.get(0))
            .map_err(db)?
            .collect::<rusqlite::Result<_>>()
            .map_err(db)?;
        let mut ids: Vec<&str> = vec![id.as_str()];
        ids.extend(bulletin.aliases.iter().map(String::as_str));
        Ok(Some(BulletinView {
            kev: self.kev(&ids)?,
            epss: self.epss(&ids)?,
            bulletin,
            sources,
            revision,
            score,
            severity,
            advisories,
        }))
    }

    /// Every source's record of `id`, as stored.
    fn docs(&self, id: &str) -> Result<Vec<Bulletin>> {
        let db = |e| self.db_err(e);
        let bodies: Vec<Vec<u8>> = self
            .conn
            .prepare_cached("SELECT body FROM bulletin_doc WHERE id = ?1")
            .map_err(db)?
            .query_map([id], |r| r.get(0))
            .map_err(db)?
            .collect::<rusqlite::Result<_>>()
            .map_err(db)?;
        Ok(bodies.iter().filter_map(|b| decode(b)).collect())
    }

    /// Bulletins matching every filter of `q`, newest first.
    pub fn search_bulletins(&self, q: &BulletinQuery) -> Result<BulletinSearch> {
        let db = |e| self.db_err(e);
        let mut conditions: Vec<String> = Vec::new();
        let mut args: Vec<rusqlite::types::Value> = Vec::new();
        let arg = |v: rusqlite::types::Value, args: &mut Vec<rusqlite::types::Value>| {
            args.push(v);
            format!("?{}", args.len())
        };
        use rusqlite::types::Value as V;
        if let Some(text) = q.text.as_deref().filter(|t| !t.trim().is_empty()) {
            let query = fts_query(text);
            if query.is_empty() {
                return Ok(BulletinSearch {
                    total: 0,
                    hits: Vec::new(),
                });
            }
            let p = arg(V::Text(query), &mut args);
            conditions.push(format!(
                "b.fts IN (SELECT rowid FROM bulletin_fts WHERE bulletin_fts MATCH {p})"
            ));
        }
        if q.vendor.is_some() || q.product.is_some() || q.cpe.is_some() {
            let pks = self.product_matches(q)?;
            let list = serde_json::to_string(&pks).unwrap_or_else(|_| "[]".into());
            let p = arg(V::Text(list), &mut args);
            conditions.push(format!("b.pk IN (SELECT value FROM json_each({p}))"));
        } else if q.version.is_some() {
            return Err(Error::invalid(
                Location::new("--version"),
                "a version needs a --vendor, --product or --cpe to apply to",
            ));
        }
        if let Some(cwe) = &q.cwe {
            let cwe = cwe.trim().to_ascii_uppercase();
            let cwe = if cwe.starts_with("CWE-") {
                cwe
            } else {
                format!("CWE-{cwe}")
            };
            let p = arg(V::Text(format!("% {cwe} %")), &mut args);
            conditions.push(format!("b.cwes LIKE {p}"));
        }
        if !q.severities.is_empty() {
            let list: Vec<String> = q
                .severities
                .iter()
                .map(|s| s.to_ascii_lowercase())
                .collect();
            let p = arg(
                V::Text(serde_json::to_string(&list).unwrap_or_default()),
                &mut args,
            );
            conditions.push(format!("b.severity IN (SELECT value FROM json_each({p}))"));
        }
        if let Some(min) = q.min_cvss {
            let p = arg(V::Real(min), &mut args);
            conditions.push(format!("b.score >= {p}"));
        }
        if q.kev {
            conditions.push("k.cve IS NOT NULL".to_string());
        }
        if let Some(above) = q.epss_above {
            let p = arg(V::Real(above), &mut args);
            conditions.push(format!("e.score > {p}"));
        }
        if let Some(since) = &q.since {
            let p = arg(V::Text(since_bound(since)?), &mut args);
            conditions.push(format!("COALESCE(b.modified, b.published) >= {p}"));
        }
        if let Some(source) = &q.source {
            let p = arg(V::Text(format!("% {} %", source.trim())), &mut args);
            conditions.push(format!("b.sources LIKE {p}"));
        }
        let from =
            "FROM bulletin b LEFT JOIN kev k ON k.cve = b.id LEFT JOIN epss e ON e.cve = b.id";
        let columns =
            "b.fts, b.id, b.title, b.published, b.modified, b.score, b.severity, b.sources,
                    k.cve IS NOT NULL, e.score";
        let limit = if q.limit == 0 { -1 } else { q.limit as i64 };
        let read = |r: &rusqlite::Row<'_>| -> rusqlite::Result<(i64, BulletinHit)> {
            let sources: String = r.get(7)?;
            Ok((
                r.get(0)?,
                BulletinHit {
                    id: r.get(1)?,
                    title: r.get(2)?,
                    summary: None,
                    published: r.get(3)?,
                    modified: r.get(4)?,
                    score: r.get(5)?,
                    severity: r.get(6)?,
                    sources: sources.split_whitespace().map(str::to_string).collect(),
                    kev: r.get(8)?,
                    epss: r.get(9)?,
                },
            ))
        };
        let (total, rows): (i64, Vec<(i64, BulletinHit)>) = if text_only(q) && args.len() == 1 {
            // Words alone: the text index counts and orders the hits itself.
            let total = self
                .conn
                .prepare_cached("SELECT count(*) FROM bulletin_fts WHERE bulletin_fts MATCH ?1")
                .map_err(db)?
                .query_row(rusqlite::params_from_iter(args.iter()), |r| r.get(0))
                .map_err(db)?;
            let keys: Vec<i64> = self
                .conn
                .prepare_cached(
                    "SELECT rowid FROM bulletin_fts WHERE bulletin_fts MATCH ?1
                     ORDER BY rowid DESC LIMIT ?2",
                )
                .map_err(db)?
                .query_map(params![args[0], limit], |r| r.get(0))
                .map_err(db)?
                .collect::<rusqlite::Result<_>>()
                .map_err(db)?;
            let mut one = self
                .conn
                .prepare_cached(&format!("SELECT {columns} {from} WHERE b.fts = ?1"))
                .map_err(db)?;
            let mut rows = Vec::with_capacity(keys.len());
            for key in keys {
                if let Some(row) = one.query_row([key], read).optional().map_err(db)? {
                    rows.push(row);
                }
            }
            (total, rows)
        } else {
            let filter = if conditions.is_empty() {
                String::new()
            } else {
                format!("WHERE {}", conditions.join(" AND "))
            };
            let total = self
                .conn
                .prepare(&format!("SELECT count(*) {from} {filter}"))
                .map_err(db)?
                .query_row(rusqlite::params_from_iter(args.iter()), |r| r.get(0))
                .map_err(db)?;
            let rows = self
                .conn
                .prepare(&format!(
                    "SELECT {columns} {from} {filter} ORDER BY b.fts DESC LIMIT {limit}"
                ))
                .map_err(db)?
                .query_map(rusqlite::params_from_iter(args.iter()), read)
                .map_err(db)?
                .collect::<rusqlite::Result<_>>()
                .map_err(db)?;
            (total, rows)
        };
        let mut hits = Vec::with_capacity(rows.len());
        for (_, mut hit) in rows {
            let mut docs = self.docs(&hit.id)?;
            docs.sort_by_key(|d| source_rank(&d.source));
            hit.summary = docs.into_iter().find_map(|d| d.summary);
            hits.push(hit);
        }
        Ok(BulletinSearch {
            total: total as usize,
            hits,
        })
    }

    /// Bulletins whose vendor / product entries match the query's vendor,
    /// product or CPE, and its version when one is given.
    fn product_matches(&self, q: &BulletinQuery) -> Result<Vec<i64>> {
        let db = |e| self.db_err(e);
        let cpe = q
            .cpe
            .as_deref()
            .map(|c| {
                Cpe::parse(c).map_err(|e| Error::invalid(Location::new("--cpe"), e.to_string()))
            })
            .transpose()?;
        let vendor = q
            .vendor
            .as_deref()
            .map(normalize_product)
            .or_else(|| cpe.as_ref().and_then(|c| c.vendor().map(str::to_string)));
        let product = q
            .product
            .as_deref()
            .map(normalize_product)
            .or_else(|| cpe.as_ref().and_then(|c| c.product().map(str::to_string)));
        let version = q
            .version
            .clone()
            .or_else(|| cpe.as_ref().and_then(|c| c.version().map(str::to_string)));
        let (sql, args): (&str, Vec<String>) = match (&vendor, &product) {
            (Some(v), Some(p)) => (
                "SELECT bulletin, rule FROM bulletin_product WHERE vendor = ?1 AND product = ?2",
                vec![v.clone(), p.clone()],
            ),
            (Some(v), None) => (
                "SELECT bulletin, rule FROM bulletin_product WHERE vendor = ?1",
                vec![v.clone()],
            ),
            (None, Some(p)) => (
                "SELECT bulletin, rule FROM bulletin_product WHERE product = ?1",
                vec![p.clone()],
            ),
            (None, None) => ("SELECT bulletin, rule FROM bulletin_product", vec![]),
        };
        let mut stmt = self.conn.prepare_cached(sql).map_err(db)?;
        let rows = stmt
            .query_map(rusqlite::params_from_iter(args.iter()), |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
            })
            .map_err(db)?;
        let mut verdicts: HashMap<i64, bool> = HashMap::new();
        for row in rows {
            let (pk, rule) = row.map_err(db)?;
            if verdicts.get(&pk) == Some(&true) {
                continue;
            }
            let Ok(entry) = serde_json::from_str::<ProductEntry>(&rule) else {
                continue;
            };
            let hit = entry_matches(&entry, cpe.as_ref(), version.as_deref());
            *verdicts.entry(pk).or_insert(false) |= hit;
        }
        let mut pks: Vec<i64> = verdicts
            .into_iter()
            .filter_map(|(pk, hit)| hit.then_some(pk))
            .collect();
        pks.sort_unstable();
        Ok(pks)
    }

    /// Changes journaled after `seq`, oldest first.
    pub fn changes_since(&self, seq: i64, limit: usize) -> Result<Vec<Change>> {
        let db = |e| self.db_err(e);
        self.conn
            .prepare_cached(
                "SELECT seq, id, kind, revision, source, at FROM bulletin_change
                 WHERE seq > ?1 ORDER BY seq LIMIT ?2",
            )
            .map_err(db)?
            .query_map(params![seq, limit as i64], |r| {
                Ok(Change {
                    seq: r.get(0)?,
                    id: r.get(1)?,
                    kind: r.get(2)?,
                    revision: r.get(3)?,
                    source: r.get(4)?,
                    at: r.get(5)?,
                })
            })
            .map_err(db)?
            .collect::<rusqlite::Result<_>>()
            .map_err(db)
    }

    /// The newest journaled change (0 when none).
    pub fn last_change(&self) -> Result<i64> {
        self.conn
            .query_row(
                "SELECT COALESCE(MAX(seq), 0) FROM bulletin_change",
                [],
                |r| r.get(0),
            )
            .map_err(|e| self.db_err(e))
    }

    /// How many bulletins the store holds, by source.
    pub fn bulletin_counts(&self) -> Result<Vec<(String, u64)>> {
        let db = |e| self.db_err(e);
        self.conn
            .prepare("SELECT source, count(*) FROM bulletin_doc GROUP BY source ORDER BY source")
            .map_err(db)?
            .query_map([], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as u64)))
            .map_err(db)?
            .collect::<rusqlite::Result<_>>()
            .map_err(db)
    }

    /// Whether the bulletin `id` matches `text` (FTS words, as in search).
    pub fn bulletin_matches_text(&self, id: &str, text: &str) -> Result<bool> {
        let query = fts_query(text);
        if query.is_empty() {
            return Ok(false);
        }
        self.conn
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM bulletin b JOIN bulletin_fts f ON f.rowid = b.fts
                     WHERE b.id = ?1 AND bulletin_fts MATCH ?2)",
                params![id, query],
                |r| r.get(0),
            )
            .map_err(|e| self.db_err(e))
    }
}

/// Whether a query has words and no other filter.
fn text_only(q: &BulletinQuery) -> bool {
    q.text.is_some()
        && q.vendor.is_none()
        && q.product.is_none()
        && q.cpe.is_none()
        && q.version.is_none()
        && q.cwe.is_none()
        && q.severities.is_empty()
        && q.min_cvss.is_none()
        && !q.kev
        && q.epss_above.is_none()
        && q.since.is_none()
        && q.source.is_none()
}

/// Whether one vendor / product entry matches a query CPE and version.
pub(crate) fn entry_matches(
    entry: &ProductEntry,
    cpe: Option<&Cpe>,
    version: Option<&str>,
) -> bool {
    if let Some(query) = cpe {
        let criteria = entry.cpe.as_deref().and_then(|c| Cpe::parse(c).ok());
        let names_match = match &criteria {
            Some(criteria) => query.matches(criteria, true),
            None => {
                value_matches(&query.attributes[1], &entry.vendor)
                    && value_matches(&query.attributes[2], &entry.product)
            }
        };
        if !names_match {
            return false;
        }
    }
    match version {
        Some(v) => entry.rule.affects(v) == Some(true),
        None => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_takes_dates_times_and_ages() {
        assert_eq!(
            since_bound("2026-01-31").ok().as_deref(),
            Some("2026-01-31")
        );
        assert!(since_bound("2026-01-31T10:00:00Z").is_ok());
        let week = since_bound("1w").unwrap_or_default();
        let expected = (Utc::now() - chrono::Duration::days(7))
            .date_naive()
            .to_string();
        assert!(week.starts_with(&expected[..8]), "{week} vs {expected}");
        for bad in ["yesterday", "7", "7y", "99999999999999999d"] {
            assert!(since_bound(bad).is_err(), "{bad}");
        }
    }
}
