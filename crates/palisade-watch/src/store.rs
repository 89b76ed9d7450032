//! Watches and the outbox, in the advisory database's SQLite file (their own
//! tables, their own connection).

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use serde::Serialize;

use crate::notify::Target;
use crate::secrets::{SecretKey, is_sealed};
use crate::{Error, Result};

const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS watch (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    vendor TEXT,
    product TEXT,
    version TEXT,
    keyword TEXT,
    inventory TEXT,
    min_severity TEXT,
    kev_only INTEGER NOT NULL DEFAULT 0,
    notify TEXT NOT NULL,
    secret TEXT,
    digest INTEGER NOT NULL DEFAULT 0,
    cursor INTEGER NOT NULL,
    created TEXT NOT NULL,
    last_digest TEXT
);
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    watch INTEGER NOT NULL,
    target TEXT NOT NULL,
    payload TEXT NOT NULL,
    digest INTEGER NOT NULL DEFAULT 0,
    created TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt TEXT NOT NULL,
    last_error TEXT,
    delivered TEXT,
    failed TEXT
);
CREATE INDEX IF NOT EXISTS outbox_pending ON outbox(next_attempt)
    WHERE delivered IS NULL AND failed IS NULL;
"#;

/// Attempts before a notification is given up (about a day of backoff).
pub(crate) const MAX_ATTEMPTS: i64 = 30;
/// First retry delay; doubled per attempt up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_secs(2);
const MAX_BACKOFF: Duration = Duration::from_secs(3600);

/// A watch as stored: what it looks for and where it tells, its place in
/// the change journal, and when it was added.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Watch {
    pub id: i64,
    #[serde(flatten)]
    pub spec: NewWatch,
    /// The last journaled change it has looked at.
    pub cursor: i64,
    pub created: String,
}

/// What a watch looks for and where it tells.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct NewWatch {
    pub name: String,
    pub vendor: Option<String>,
    pub product: Option<String>,
    pub version: Option<String>,
    pub keyword: Option<String>,
    pub inventory: Option<PathBuf>,
    pub min_severity: Option<String>,
    pub kev_only: bool,
    pub notify: Vec<Target>,
    /// The HMAC key of webhook signatures; generated when a webhook target
    /// needs one and none is given. Never serialized.
    #[serde(skip)]
    pub secret: Option<String>,
    /// Deliver once a day, all matches together.
    pub digest: bool,
}

/// A queued notification.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OutboxEntry {
    pub id: i64,
    pub key: String,
    pub watch: i64,
    pub target: String,
    pub payload: String,
    pub digest: bool,
    pub attempts: i64,
    pub next_attempt: String,
    pub last_error: Option<String>,
    pub delivered: Option<String>,
    pub failed: Option<String>,
}

pub(crate) fn now_text() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true)
}

pub(crate) fn time_text(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Watches and outbox over one connection.
#[derive(Debug)]
pub struct WatchStore {
    conn: Connection,
    path: PathBuf,
    /// Seals webhook secrets at rest (see `secrets.rs`); without one they
    /// are stored as given.
    key: Option<SecretKey>,
}

impl WatchStore {
    /// Opens the tables in the database at `path` (which the advisory store
    /// created), creating them if needed.
    pub fn open(path: &Path) -> Result<WatchStore> {
        let err = |source| Error::Database {
            path: path.to_path_buf(),
            source,
        };
        palisade_vulndb::keep_private(path)
            .map_err(|e| Error::Invalid(format!("{}: {e}", path.display())))?;
        let conn = Connection::open(path).map_err(err)?;
        conn.busy_timeout(Duration::from_secs(10)).map_err(err)?;
        conn.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;")
            .map_err(err)?;
        conn.execute_batch(SCHEMA).map_err(err)?;
        Ok(WatchStore {
            conn,
            path: path.to_path_buf(),
            key: None,
        })
    }

    /// Seals webhook secrets with `key` from now on, and seals in one
    /// transaction any stored before in the clear.
    pub fn with_key(mut self, key: SecretKey) -> Result<WatchStore> {
        let plain: Vec<(i64, String)> = {
            let mut stmt = self
                .conn
                .prepare("SELECT id, secret FROM watch WHERE secret IS NOT NULL")
                .map_err(|e| self.db(e))?;
            let rows = stmt
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
                .map_err(|e| self.db(e))?;
            rows.collect::<rusqlite::Result<Vec<(i64, String)>>>()
                .map_err(|e| self.db(e))?
                .into_iter()
                .filter(|(_, s)| !is_sealed(s))
                .collect()
        };
        if !plain.is_empty() {
            let tx = self.conn.transaction().map_err(|e| Error::Database {
                path: self.path.clone(),
                source: e,
            })?;
            for (id, secret) in plain {
                tx.execute(
                    "UPDATE watch SET secret = ?1 WHERE id = ?2",
                    params![key.seal(&secret)?, id],
                )
                .map_err(|e| Error::Database {
                    path: self.path.clone(),
                    source: e,
                })?;
            }
            tx.commit().map_err(|e| Error::Database {
                path: self.path.clone(),
                source: e,
            })?;
        }
        self.key = Some(key);
        Ok(self)
    }

    pub(crate) fn db(&self, source: rusqlite::Error) -> Error {
        Error::Database {
            path: self.path.clone(),
            source,
        }
    }

    /// Adds a watch that starts at journal position `cursor` (so it hears
    /// about what happens from now on, not about history).
    pub fn add(&mut self, w: &NewWatch, cursor: i64) -> Result<Watch> {
        if w.name.trim().is_empty() {
            return Err(Error::Invalid("a watch needs a --name".into()));
        }
        if w.vendor.is_none()
            && w.product.is_none()
            && w.keyword.is_none()
            && w.inventory.is_none()
            && !w.kev_only
            && w.min_severity.is_none()
        {
            return Err(Error::Invalid(
                "a watch needs something to watch: --vendor/--product, --keyword, --inventory, --kev-only or --min-severity"
                    .into(),
            ));
        }
        if w.version.is_some() && w.vendor.is_none() && w.product.is_none() {
            return Err(Error::Invalid(
                "--version needs a --vendor or --product to apply to".into(),
            ));
        }
        if w.notify.is_empty() {
            return Err(Error::Invalid(
                "a watch needs at least one --notify target".into(),
            ));
        }
        if let Some(severity) = &w.min_severity
            && !palisade_vulndb::SEVERITIES.contains(&severity.as_str())
        {
            return Err(Error::Invalid(format!(
                "--min-severity {severity:?}: use low, medium, high or critical"
            )));
        }
        if let Some(inventory) = &w.inventory
            && !inventory.exists()
        {
            return Err(Error::Inventory {
                path: inventory.clone(),
                message: "does not exist".into(),
            });
        }
        let secret = match (
            &w.secret,
            w.notify.iter().any(|t| matches!(t, Target::Webhook(_))),
        ) {
            (Some(s), _) => Some(s.clone()),
            (None, true) => Some(crate::notify::new_secret()?),
            (None, false) => None,
        };
        let notify: Vec<String> = w.notify.iter().map(Target::spec).collect();
        let stored_secret = match (&secret, &self.key) {
            (Some(s), Some(key)) => Some(key.seal(s)?),
            (s, _) => s.clone(),
        };
        let inventory = w
            .inventory
            .as_ref()
            .map(|p| std::fs::canonicalize(p).unwrap_or_else(|_| p.clone()));
        let created = now_text();
        self.conn
            .execute(
                "INSERT INTO watch (name, vendor, product, version, keyword, inventory, min_severity,
                     kev_only, notify, secret, digest, cursor, created)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
                params![
                    w.name,
                    w.vendor,
                    w.product,
                    w.version,
                    w.keyword,
                    inventory.as_ref().map(|p| p.display().to_string()),
                    w.min_severity,
                    w.kev_only,
                    serde_json::to_string(&notify).unwrap_or_default(),
                    stored_secret,
                    w.digest,
                    cursor,
                    created
                ],
            )
            .map_err(|e| match e {
                rusqlite::Error::SqliteFailure(f, _)
                    if f.code == rusqlite::ErrorCode::ConstraintViolation =>
                {
                    Error::Invalid(format!("a watch named {:?} exists", w.name))
                }
                e => self.db(e),
            })?;
        let id = self.conn.last_insert_rowid();
        self.get(id)?
            .ok_or_else(|| Error::Invalid("the watch vanished".into()))
    }

    /// Removes a watch (by name or id) and its undelivered notifications.
    pub fn remove(&mut self, name_or_id: &str) -> Result<bool> {
        let Some(watch) = self.find(name_or_id)? else {
            return Ok(false);
        };
        let tx = self.conn.transaction().map_err(|e| Error::Database {
            path: self.path.clone(),
            source: e,
        })?;
        tx.execute(
            "DELETE FROM outbox WHERE watch = ?1 AND delivered IS NULL",
            [watch.id],
        )
        .and_then(|_| tx.execute("DELETE FROM watch WHERE id = ?1", [watch.id]))
        .and_then(|_| tx.commit())
        .map_err(|e| Error::Database {
            path: self.path.clone(),
            source: e,
        })?;
        Ok(true)
    }

    pub fn find(&self, name_or_id: &str) -> Result<Option<Watch>> {
        if let Ok(id) = name_or_id.parse::<i64>()
            && let Some(w) = self.get(id)?
        {
            return Ok(Some(w));
        }
        Ok(self.list()?.into_iter().find(|w| w.spec.name == name_or_id))
    }

    fn get(&self, id: i64) -> Result<Option<Watch>> {
        Ok(self.list()?.into_iter().find(|w| w.id == id))
    }

    /// Every watch, by id.
    pub fn list(&self) -> Result<Vec<Watch>> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT id, name, vendor, product, version, keyword, inventory, min_severity, kev_only,
                        notify, secret, digest, cursor, created
                 FROM watch ORDER BY id",
            )
            .map_err(|e| self.db(e))?;
        let rows = stmt
            .query_map([], |r| {
                let notify: String = r.get(9)?;
                let inventory: Option<String> = r.get(6)?;
                Ok(Watch {
                    id: r.get(0)?,
                    cursor: r.get(12)?,
                    created: r.get(13)?,
                    spec: NewWatch {
                        name: r.get(1)?,
                        vendor: r.get(2)?,
                        product: r.get(3)?,
                        version: r.get(4)?,
                        keyword: r.get(5)?,
                        inventory: inventory.map(PathBuf::from),
                        min_severity: r.get(7)?,
                        kev_only: r.get(8)?,
                        notify: serde_json::from_str::<Vec<String>>(&notify)
                            .unwrap_or_default()
                            .iter()
                            .filter_map(|t| t.parse().ok())
                            .collect(),
                        secret: r.get(10)?,
                        digest: r.get(11)?,
                    },
                })
            })
            .map_err(|e| self.db(e))?;
        let mut watches: Vec<Watch> = rows
            .collect::<rusqlite::Result<_>>()
            .map_err(|e| self.db(e))?;
        for w in &mut watches {
            if let Some(stored) = w.spec.secret.take() {
                w.spec.secret = Some(match &self.key {
                    Some(key) => key.open(&stored)?,
                    None if is_sealed(&stored) => {
                        return Err(Error::Invalid(format!(
                            "the webhook secret of watch {:?} is sealed, and no key was given to open it",
                            w.spec.name
                        )));
                    }
                    None => stored,
                });
            }
        }
        Ok(watches)
    }

    /// Queues notifications and moves the watch's cursor, in one transaction.
    pub(crate) fn enqueue(
        &mut self,
        watch: &Watch,
        entries: &[(String, String, String)],
        cursor: i64,
    ) -> Result<usize> {
        let path = self.path.clone();
        let db = |source| Error::Database {
            path: path.clone(),
            source,
        };
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db)?;
        let now = now_text();
        let first_attempt = if watch.spec.digest {
            let last: Option<String> = tx
                .query_row(
                    "SELECT last_digest FROM watch WHERE id = ?1",
                    [watch.id],
                    |r| r.get(0),
                )
                .optional()
                .map_err(db)?
                .flatten();
            let base = last
                .as_deref()
                .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
                .map(|t| t.with_timezone(&Utc))
                .unwrap_or_else(|| {
                    DateTime::parse_from_rfc3339(&watch.created)
                        .map(|t| t.with_timezone(&Utc))
                        .unwrap_or_else(|_| Utc::now())
                });
            time_text(base + chrono::Duration::days(1))
        } else {
            now.clone()
        };
        let mut queued = 0;
        {
            let mut put = tx
                .prepare_cached(
                    "INSERT OR IGNORE INTO outbox (key, watch, target, payload, digest, created, next_attempt)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                )
                .map_err(db)?;
            for (key, target, payload) in entries {
                queued += put
                    .execute(params![
                        key,
                        watch.id,
                        target,
                        payload,
                        watch.spec.digest,
                        now,
                        first_attempt
                    ])
                    .map_err(db)?;
            }
        }
        tx.execute(
            "UPDATE watch SET cursor = ?2 WHERE id = ?1",
            params![watch.id, cursor],
        )
        .map_err(db)?;
        tx.commit().map_err(db)?;
        Ok(queued)
    }

    /// Notifications due now, oldest first.
    pub fn due(&self, limit: usize) -> Result<Vec<OutboxEntry>> {
        self.entries(
            "WHERE delivered IS NULL AND failed IS NULL AND next_attempt <= ?1 ORDER BY id LIMIT ?2",
            params![now_text(), limit as i64],
        )
    }

    /// Every notification of a watch (delivered or not), oldest first.
    pub fn outbox(&self, watch: i64) -> Result<Vec<OutboxEntry>> {
        self.entries("WHERE watch = ?1 ORDER BY id", params![watch])
    }

    fn entries(&self, filter: &str, args: impl rusqlite::Params) -> Result<Vec<OutboxEntry>> {
        let sql = format!(
            "SELECT id, key, watch, target, payload, digest, attempts, next_attempt, last_error,
                    delivered, failed FROM outbox {filter}"
        );
        let mut stmt = self.conn.prepare_cached(&sql).map_err(|e| self.db(e))?;
        let rows = stmt
            .query_map(args, |r| {
                Ok(OutboxEntry {
                    id: r.get(0)?,
                    key: r.get(1)?,
                    watch: r.get(2)?,
                    target: r.get(3)?,
                    payload: r.get(4)?,
                    digest: r.get(5)?,
                    attempts: r.get(6)?,
                    next_attempt: r.get(7)?,
                    last_error: r.get(8)?,
                    delivered: r.get(9)?,
                    failed: r.get(10)?,
                })
            })
            .map_err(|e| self.db(e))?;
        rows.collect::<rusqlite::Result<_>>()
            .map_err(|e| self.db(e))
    }

    /// When the next queued notification is due.
    pub fn next_due(&self) -> Result<Option<String>> {
        self.conn
            .query_row(
                "SELECT MIN(next_attempt) FROM outbox WHERE delivered IS NULL AND failed IS NULL",
                [],
                |r| r.get(0),
            )
            .map_err(|e| self.db(e))
    }

    pub(crate) fn mark_delivered(&mut self, ids: &[i64], digest_of: Option<i64>) -> Result<()> {
        let path = self.path.clone();
        let db = |source| Error::Database {
            path: path.clone(),
            source,
        };
        let tx = self.conn.transaction().map_err(db)?;
        let now = now_text();
        for id in ids {
            tx.execute(
                "UPDATE outbox SET delivered = ?2, attempts = attempts + 1, last_error = NULL WHERE id = ?1",
                params![id, now],
            )
            .map_err(db)?;
        }
        if let Some(watch) = digest_of {
            tx.execute(
                "UPDATE watch SET last_digest = ?2 WHERE id = ?1",
                params![watch, now],
            )
            .map_err(db)?;
        }
        tx.commit().map_err(db)
    }

    /// Records a failed attempt; returns when the next one is (None: given up).
    pub(crate) fn mark_failed(&mut self, ids: &[i64], error: &str) -> Result<Option<String>> {
        let mut next = None;
        for id in ids {
            let attempts: i64 = self
                .conn
                .query_row("SELECT attempts FROM outbox WHERE id = ?1", [id], |r| {
                    r.get(0)
                })
                .map_err(|e| self.db(e))?;
            let attempts = attempts + 1;
            if attempts >= MAX_ATTEMPTS {
                self.conn
                    .execute(
                        "UPDATE outbox SET attempts = ?2, last_error = ?3, failed = ?4 WHERE id = ?1",
                        params![id, attempts, error, now_text()],
                    )
                    .map_err(|e| self.db(e))?;
                continue;
            }
            let backoff = FIRST_BACKOFF
                .saturating_mul(2u32.saturating_pow((attempts - 1).min(20) as u32))
                .min(MAX_BACKOFF);
            let at =
                time_text(Utc::now() + chrono::Duration::from_std(backoff).unwrap_or_default());
            self.conn
                .execute(
                    "UPDATE outbox SET attempts = ?2, last_error = ?3, next_attempt = ?4 WHERE id = ?1",
                    params![id, attempts, error, at],
                )
                .map_err(|e| self.db(e))?;
            next = Some(at);
        }
        Ok(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn watch(name: &str, secret: &str) -> NewWatch {
        NewWatch {
            name: name.to_string(),
            keyword: Some("lambda".to_string()),
            notify: vec![Target::Webhook("http://127.0.0.1:9/hook".to_string())],
            secret: Some(secret.to_string()),
            ..NewWatch::default()
        }
    }

    fn stored_secrets(path: &Path) -> Vec<String> {
        let conn = Connection::open(path).expect("open");
        let mut stmt = conn
            .prepare("SELECT secret FROM watch ORDER BY id")
            .expect("prepare");
        stmt.query_map([], |r| r.get(0))
            .expect("query")
            .collect::<rusqlite::Result<_>>()
            .expect("rows")
    }

    #[test]
    fn secrets_stored_in_the_clear_are_sealed_once_a_key_is_given() {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = dir.path().join("p.db");
        let key_file = dir.path().join("k");
        let mut plain = WatchStore::open(&db).expect("open");
        plain.add(&watch("old", "legacy-secret"), 0).expect("add");
        drop(plain);
        assert_eq!(stored_secrets(&db), vec!["legacy-secret".to_string()]);

        let key = SecretKey::load_or_create(&key_file).expect("key");
        let mut sealed = WatchStore::open(&db)
            .expect("open")
            .with_key(key)
            .expect("seal");
        sealed.add(&watch("new", "fresh-secret"), 0).expect("add");
        let secrets: Vec<Option<String>> = sealed
            .list()
            .expect("list")
            .into_iter()
            .map(|w| w.spec.secret)
            .collect();
        assert_eq!(
            secrets,
            vec![
                Some("legacy-secret".to_string()),
                Some("fresh-secret".to_string())
            ]
        );
        drop(sealed);
        for stored in stored_secrets(&db) {
            assert!(is_sealed(&stored), "{stored}");
        }
        // Without the key, a sealed secret is an error, not a wrong signature.
        let keyless = WatchStore::open(&db).expect("open");
        assert!(keyless.list().is_err());
    }
}
