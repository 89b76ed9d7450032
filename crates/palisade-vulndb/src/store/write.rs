//! Imports: every record upserted inside one transaction.
//!
//! A record replaces the stored one with the same id when its `modified` is
//! newer; when it is equally new, when it comes from a more trusted source
//! (OSV over RustSec Markdown) or, from the same kind of source, when its
//! content differs. Re-importing the same data therefore changes nothing.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::Utc;
use rusqlite::{OptionalExtension, Transaction, TransactionBehavior, params};

use super::{Store, digest};
use crate::error::{Error, Result};
use crate::names::{normalize_name, split_ecosystem};
use crate::osv::{Advisory, format_time};
use crate::source::{self, Format, Input};

/// How an import treats bad records.
#[derive(Clone, Debug, Default)]
pub struct ImportOptions {
    /// Skip records that fail to parse (each is reported) instead of aborting
    /// the whole import.
    pub skip_invalid: bool,
}

/// A record left out because it did not parse.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skipped {
    pub origin: String,
    pub error: String,
}

/// What an import did.
#[derive(Clone, Debug, Default)]
pub struct ImportReport {
    /// Files and archives read.
    pub inputs: usize,
    /// Records read and parsed.
    pub records: usize,
    pub added: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// Records deleted because a mirror no longer lists them.
    pub removed: usize,
    pub skipped: Vec<Skipped>,
    pub elapsed: Duration,
}

/// Progress of a running import, for a progress bar.
#[derive(Clone, Copy, Debug)]
pub struct ImportProgress<'a> {
    pub inputs_done: usize,
    pub inputs_total: usize,
    pub records: usize,
    pub origin: &'a str,
}

enum Outcome {
    Added,
    Updated,
    Unchanged,
}

/// Writes records within one transaction, remembering which it has seen.
struct Writer<'t> {
    tx: &'t Transaction<'t>,
    origin: String,
    seen: HashSet<i64>,
}

impl<'t> Writer<'t> {
    fn upsert(&mut self, a: &Advisory) -> rusqlite::Result<Outcome> {
        let json_digest = digest(&a.json);
        let modified = format_time(&a.modified);
        let rank = a.rank as i64;
        let existing: Option<(i64, String, i64, i64)> = self
            .tx
            .prepare_cached("SELECT pk, modified, rank, digest FROM advisory WHERE id = ?1")?
            .query_row([&a.id], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })
            .optional()?;
        let severity = a.severity.as_ref();
        let aliases = serde_json::to_string(&a.aliases).unwrap_or_else(|_| "[]".to_string());
        let values = params![
            a.id,
            modified,
            a.published.as_ref().map(format_time),
            a.withdrawn.as_ref().map(format_time),
            a.kind.as_str(),
            a.headline(),
            severity.map(|s| s.rating.as_str()),
            severity.and_then(|s| s.score),
            severity.and_then(|s| s.vector.clone()),
            aliases,
            rank,
            json_digest,
            a.json,
        ];
        let (pk, outcome) = match existing {
            None => {
                self.tx
                    .prepare_cached(
                        "INSERT INTO advisory (id, modified, published, withdrawn, kind, summary,
                             severity_rating, severity_score, severity_vector, aliases, rank, digest, json)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
                    )?
                    .execute(values)?;
                (self.tx.last_insert_rowid(), Outcome::Added)
            }
            Some((pk, old_modified, old_rank, old_digest)) => {
                let replace = match modified.cmp(&old_modified) {
                    std::cmp::Ordering::Greater => true,
                    std::cmp::Ordering::Less => false,
                    std::cmp::Ordering::Equal => {
                        rank > old_rank || (rank == old_rank && json_digest != old_digest)
                    }
                };
                if !replace {
                    self.record_origin(pk)?;
                    return Ok(Outcome::Unchanged);
                }
                self.tx
                    .prepare_cached(
                        "UPDATE advisory SET id = ?1, modified = ?2, published = ?3, withdrawn = ?4,
                             kind = ?5, summary = ?6, severity_rating = ?7, severity_score = ?8,
                             severity_vector = ?9, aliases = ?10, rank = ?11, digest = ?12, json = ?13
                         WHERE pk = ?14",
                    )?
                    .execute(&[values, &[&pk as &dyn rusqlite::ToSql]].concat()[..])?;
                for sql in [
                    "DELETE FROM alias WHERE advisory = ?1",
                    "DELETE FROM affected WHERE advisory = ?1",
                    "DELETE FROM advisory_fts WHERE rowid = ?1",
                ] {
                    self.tx.prepare_cached(sql)?.execute([pk])?;
                }
                (pk, Outcome::Updated)
            }
        };
        self.insert_children(pk, a)?;
        self.record_origin(pk)?;
        Ok(outcome)
    }

    fn record_origin(&mut self, pk: i64) -> rusqlite::Result<()> {
        self.seen.insert(pk);
        self.tx
            .prepare_cached("INSERT OR IGNORE INTO origin (origin, advisory) VALUES (?1, ?2)")?
            .execute(params![self.origin, pk])?;
        Ok(())
    }

    fn insert_children(&self, pk: i64, a: &Advisory) -> rusqlite::Result<()> {
        let mut alias = self
            .tx
            .prepare_cached("INSERT OR IGNORE INTO alias (alias, advisory) VALUES (?1, ?2)")?;
        for name in &a.aliases {
            alias.execute(params![name, pk])?;
        }
        let mut affected = self.tx.prepare_cached(
            "INSERT INTO affected (advisory, seq, ecosystem, release, name, package, versions)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?;
        for (seq, entry) in a.affected.iter().enumerate() {
            let (base, release) = split_ecosystem(&entry.ecosystem);
            let versions =
                serde_json::to_string(&entry.versions).unwrap_or_else(|_| "{}".to_string());
            affected.execute(params![
                pk,
                seq as i64,
                base,
                release,
                normalize_name(&entry.ecosystem, &entry.name),
                entry.name,
                versions
            ])?;
        }
        self.tx
            .prepare_cached(
                "INSERT INTO advisory_fts (rowid, id, aliases, summary, details) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![pk, a.id, a.aliases.join(" "), a.summary, a.details])?;
        Ok(())
    }

    /// Forgets this origin for records it no longer lists, and deletes records
    /// no origin lists any more. Returns how many records were deleted.
    fn retire_unseen(&self) -> rusqlite::Result<usize> {
        self.tx.execute_batch(
            "CREATE TEMP TABLE IF NOT EXISTS seen (pk INTEGER PRIMARY KEY); DELETE FROM seen;",
        )?;
        {
            let mut insert = self
                .tx
                .prepare_cached("INSERT INTO seen (pk) VALUES (?1)")?;
            for pk in &self.seen {
                insert.execute([pk])?;
            }
        }
        self.tx.execute(
            "DELETE FROM origin WHERE origin = ?1 AND advisory NOT IN (SELECT pk FROM seen)",
            [&self.origin],
        )?;
        let orphans: Vec<i64> = {
            let mut stmt = self
                .tx
                .prepare("SELECT pk FROM advisory WHERE pk NOT IN (SELECT advisory FROM origin)")?;
            stmt.query_map([], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?
        };
        for pk in &orphans {
            self.tx
                .execute("DELETE FROM advisory_fts WHERE rowid = ?1", [pk])?;
            self.tx
                .execute("DELETE FROM advisory WHERE pk = ?1", [pk])?;
        }
        self.tx.execute_batch("DELETE FROM seen;")?;
        Ok(orphans.len())
    }
}

/// The origin label of records imported from local files.
pub(crate) const LOCAL_ORIGIN: &str = "import";

impl Store {
    /// Imports advisory files, directories and zip archives in one transaction.
    ///
    /// On any error (unless `skip_invalid` covers it) nothing is written.
    pub fn import(
        &mut self,
        paths: &[PathBuf],
        options: &ImportOptions,
        progress: &mut dyn FnMut(&ImportProgress<'_>),
    ) -> Result<ImportReport> {
        let inputs = source::discover(paths)?;
        self.import_inputs(&inputs, LOCAL_ORIGIN, options, progress, false, |_| Ok(()))
    }

    /// Replaces everything `origin` contributed with the contents of one zip
    /// archive (an OSV `all.zip`), in one transaction; `finish` runs inside the
    /// same transaction before it commits.
    pub(crate) fn replace_from_zip(
        &mut self,
        zip: &Path,
        origin: &str,
        progress: &mut dyn FnMut(&ImportProgress<'_>),
        finish: impl FnOnce(&Transaction<'_>) -> rusqlite::Result<()>,
    ) -> Result<ImportReport> {
        let inputs = [Input::Zip(zip.to_path_buf())];
        self.import_inputs(
            &inputs,
            origin,
            &ImportOptions::default(),
            progress,
            true,
            finish,
        )
    }

    fn import_inputs(
        &mut self,
        inputs: &[Input],
        origin: &str,
        options: &ImportOptions,
        progress: &mut dyn FnMut(&ImportProgress<'_>),
        retire: bool,
        finish: impl FnOnce(&Transaction<'_>) -> rusqlite::Result<()>,
    ) -> Result<ImportReport> {
        let started = Instant::now();
        let path = self.path.clone();
        let db = |source| Error::Database {
            path: path.clone(),
            source,
        };
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db)?;
        let mut report = ImportReport {
            inputs: inputs.len(),
            ..ImportReport::default()
        };
        {
            let mut writer = Writer {
                tx: &tx,
                origin: origin.to_string(),
                seen: HashSet::new(),
            };
            for (done, input) in inputs.iter().enumerate() {
                let mut handle = |origin: String, format: Format, bytes: Vec<u8>| -> Result<()> {
                    let advisory = match source::parse_record(&origin, format, &bytes) {
                        Ok(a) => a,
                        Err(e) if options.skip_invalid => {
                            report.skipped.push(Skipped {
                                origin,
                                error: e.to_string(),
                            });
                            return Ok(());
                        }
                        Err(e) => return Err(e),
                    };
                    if advisory.id == crate::rustsec::TEMPLATE_ID {
                        return Ok(());
                    }
                    match writer.upsert(&advisory).map_err(db)? {
                        Outcome::Added => report.added += 1,
                        Outcome::Updated => report.updated += 1,
                        Outcome::Unchanged => report.unchanged += 1,
                    }
                    report.records += 1;
                    progress(&ImportProgress {
                        inputs_done: done,
                        inputs_total: inputs.len(),
                        records: report.records,
                        origin: &origin,
                    });
                    Ok(())
                };
                match input {
                    Input::File { path, format } => {
                        let bytes = source::read_file(path)?;
                        handle(path.display().to_string(), *format, bytes)?;
                    }
                    Input::Zip(path) => source::for_each_zip_record(path, &mut handle)?,
                }
            }
            if retire {
                report.removed = writer.retire_unseen().map_err(db)?;
            }
        }
        let now = format_time(&Utc::now());
        tx.execute(
            "INSERT INTO meta (key, value) VALUES ('last_import', ?1)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [&now],
        )
        .map_err(db)?;
        // Kept here so that a scan reports the count without walking 200,000 rows.
        tx.execute(
            "INSERT OR REPLACE INTO meta (key, value)
             VALUES ('advisories', (SELECT COUNT(*) FROM advisory))",
            [],
        )
        .map_err(db)?;
        finish(&tx).map_err(db)?;
        tx.commit().map_err(db)?;
        report.elapsed = started.elapsed();
        Ok(report)
    }
}
