//! The SQLite store: one file, WAL journal, versioned schema.
//!
//! Advisories are kept as OSV JSON, with the columns queries need beside it:
//! an index of affected packages on (ecosystem, normalized name) holding each
//! entry's ranges, the aliases, where each record came from, and an FTS5 index
//! over id, aliases, summary and details. Every import runs in one transaction,
//! so a crash part-way leaves the previous data as it was.

mod exploitation;
mod read;
mod write;

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

pub use exploitation::{EpssScore, KevEntry};
pub use read::{AdvisoryRecord, Match, MirrorState, SearchHit, Stats};

pub use write::{ImportOptions, ImportProgress, ImportReport, Skipped};

use crate::error::{Error, Result};

/// Schema migrations, applied in order; `PRAGMA user_version` counts the applied ones.
const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE advisory (
    pk INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    modified TEXT NOT NULL,
    published TEXT,
    withdrawn TEXT,
    kind TEXT NOT NULL,
    summary TEXT,
    severity_rating TEXT,
    severity_score REAL,
    severity_vector TEXT,
    aliases TEXT NOT NULL,
    rank INTEGER NOT NULL,
    digest INTEGER NOT NULL,
    json TEXT NOT NULL
);
CREATE TABLE alias (
    alias TEXT NOT NULL,
    advisory INTEGER NOT NULL REFERENCES advisory(pk) ON DELETE CASCADE,
    PRIMARY KEY (alias, advisory)
) WITHOUT ROWID;
CREATE INDEX alias_advisory ON alias(advisory);
CREATE TABLE affected (
    advisory INTEGER NOT NULL REFERENCES advisory(pk) ON DELETE CASCADE,
    ecosystem TEXT NOT NULL,
    release TEXT,
    name TEXT NOT NULL,
    package TEXT NOT NULL,
    versions TEXT NOT NULL
);
CREATE INDEX affected_package ON affected(ecosystem, name);
CREATE INDEX affected_advisory ON affected(advisory);
CREATE TABLE origin (
    origin TEXT NOT NULL,
    advisory INTEGER NOT NULL REFERENCES advisory(pk) ON DELETE CASCADE,
    PRIMARY KEY (origin, advisory)
) WITHOUT ROWID;
CREATE INDEX origin_advisory ON origin(advisory);
CREATE VIRTUAL TABLE advisory_fts USING fts5(
    id, aliases, summary, details, tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TABLE mirror_state (
    ecosystem TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    etag TEXT,
    last_modified TEXT,
    checked_at TEXT NOT NULL,
    updated_at TEXT,
    advisories INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"#,
    r#"
CREATE TABLE kev (
    cve TEXT PRIMARY KEY,
    vendor TEXT,
    product TEXT,
    name TEXT,
    date_added TEXT NOT NULL,
    due_date TEXT,
    required_action TEXT,
    ransomware TEXT
) WITHOUT ROWID;
CREATE TABLE epss (
    cve TEXT PRIMARY KEY,
    score REAL NOT NULL,
    percentile REAL NOT NULL,
    date TEXT
) WITHOUT ROWID;
"#,
];

/// The advisory database.
#[derive(Debug)]
pub struct Store {
    pub(crate) conn: Connection,
    path: PathBuf,
}

impl Store {
    /// Opens (creating if needed) the database at `path` and brings its schema
    /// up to date.
    pub fn open(path: &Path) -> Result<Store> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        }
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|source| Error::Database {
            path: path.to_path_buf(),
            source,
        })?;
        let mut store = Store {
            conn,
            path: path.to_path_buf(),
        };
        store.configure()?;
        store.migrate()?;
        Ok(store)
    }

    /// Where the database file is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) fn db_err(&self, source: rusqlite::Error) -> Error {
        Error::Database {
            path: self.path.clone(),
            source,
        }
    }

    fn configure(&mut self) -> Result<()> {
        self.conn
            .busy_timeout(Duration::from_secs(10))
            .map_err(|e| self.db_err(e))?;
        self.conn
            .execute_batch(
                "PRAGMA journal_mode = WAL;
                 PRAGMA synchronous = NORMAL;
                 PRAGMA foreign_keys = ON;
                 PRAGMA temp_store = MEMORY;
                 PRAGMA cache_size = -32000;",
            )
            .map_err(|e| self.db_err(e))
    }

    fn migrate(&mut self) -> Result<()> {
        let known = MIGRATIONS.len() as i64;
        let current: i64 = self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|e| self.db_err(e))?;
        if current > known {
            return Err(Error::SchemaTooNew {
                path: self.path.clone(),
                found: current,
                known,
            });
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
            let path = self.path.clone();
            let err = |source| Error::Database {
                path: path.clone(),
                source,
            };
            let tx = self.conn.transaction().map_err(err)?;
            tx.execute_batch(sql).map_err(err)?;
            tx.pragma_update(None, "user_version", (i + 1) as i64)
                .map_err(err)?;
            tx.commit().map_err(err)?;
        }
        Ok(())
    }

    /// The schema version of the open database.
    pub fn schema_version(&self) -> Result<i64> {
        self.conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|e| self.db_err(e))
    }
}

/// FNV-1a: a stable digest of a record's JSON, to tell a changed record from a
/// re-import of the same one.
pub(crate) fn digest(text: &str) -> i64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash as i64
}
