//! The SQLite store: one file, WAL journal, versioned schema.
//!
//! Advisories are kept as OSV JSON, with the columns queries need beside it:
//! an index of affected packages on (ecosystem, normalized name) holding each
//! entry's ranges, the aliases, where each record came from, and an FTS5 index
//! over id, aliases, summary and details. Every import runs in one transaction,
//! so a crash part-way leaves the previous data as it was.

mod bulletins;
mod exploitation;
mod read;
mod write;

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

pub use bulletins::{BulletinHit, BulletinQuery, BulletinSearch, BulletinView, Change, PutOutcome};
pub(crate) use bulletins::{BulletinWriter, Prepared};
pub(crate) use exploitation::write_epss;
pub use exploitation::{EpssScore, KevEntry};
pub use read::{AdvisoryRecord, Match, MirrorState, PackageAdvisories, SearchHit, Stats};

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
    // Affected entries clustered by package: a lookup reads one contiguous
    // run of the table instead of seeking a row per index entry.
    r#"
CREATE TABLE affected_by_package (
    ecosystem TEXT NOT NULL,
    name TEXT NOT NULL,
    advisory INTEGER NOT NULL REFERENCES advisory(pk) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    release TEXT,
    package TEXT NOT NULL,
    versions TEXT NOT NULL,
    PRIMARY KEY (ecosystem, name, advisory, seq)
) WITHOUT ROWID;
INSERT INTO affected_by_package
    SELECT ecosystem, name, advisory, rowid, release, package, versions FROM affected;
DROP TABLE affected;
ALTER TABLE affected_by_package RENAME TO affected;
CREATE INDEX affected_advisory ON affected(advisory);
INSERT OR REPLACE INTO meta (key, value) VALUES ('advisories', (SELECT COUNT(*) FROM advisory));
"#,
    // Threat feeds: each source's record (normalized JSON, deflated), the merged bulletin's
    // search columns, its vendor / product entries, text index and aliases;
    // the change journal watchers read; and each feed source's state.
    r#"
CREATE TABLE bulletin_doc (
    pk INTEGER PRIMARY KEY,
    id TEXT NOT NULL,
    source TEXT NOT NULL,
    digest INTEGER NOT NULL,
    body BLOB NOT NULL,
    UNIQUE (id, source)
);
CREATE TABLE bulletin (
    pk INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    published TEXT,
    modified TEXT,
    title TEXT,
    score REAL,
    severity TEXT,
    cwes TEXT NOT NULL,
    sources TEXT NOT NULL,
    material INTEGER NOT NULL,
    revision INTEGER NOT NULL,
    fts INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX bulletin_order ON bulletin(fts);
CREATE TABLE bulletin_product (
    vendor TEXT NOT NULL,
    product TEXT NOT NULL,
    bulletin INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    rule TEXT NOT NULL,
    PRIMARY KEY (vendor, product, bulletin, seq)
) WITHOUT ROWID;
CREATE INDEX bulletin_product_product ON bulletin_product(product);
CREATE INDEX bulletin_product_bulletin ON bulletin_product(bulletin);
CREATE TABLE bulletin_alias (
    alias TEXT NOT NULL,
    bulletin INTEGER NOT NULL,
    PRIMARY KEY (alias, bulletin)
) WITHOUT ROWID;
CREATE INDEX bulletin_alias_bulletin ON bulletin_alias(bulletin);
CREATE VIRTUAL TABLE bulletin_fts USING fts5(
    id, title, summary, products, content = '', contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TABLE bulletin_change (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL,
    kind TEXT NOT NULL,
    revision INTEGER NOT NULL,
    source TEXT,
    at TEXT NOT NULL
);
CREATE TABLE feed_source (
    name TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    url TEXT NOT NULL,
    interval_secs INTEGER NOT NULL,
    etag TEXT,
    last_modified TEXT,
    cursor TEXT,
    last_checked TEXT,
    last_success TEXT,
    last_error TEXT,
    items INTEGER NOT NULL DEFAULT 0,
    baselined INTEGER NOT NULL DEFAULT 0
);
"#,
];

/// Settings for every connection: lookups read the file through a memory
/// map rather than a system call per page.
pub(crate) const READ_PRAGMAS: &str = "PRAGMA temp_store = MEMORY;
     PRAGMA cache_size = -32000;
     PRAGMA mmap_size = 1073741824;";

/// Makes the database readable by its owner only (mode 0600): it holds
/// the watch list and its webhook targets. A new file is created so before
/// SQLite opens it (SQLite gives its `-wal` and `-shm` files the database's
/// mode); an existing one, and its `-wal` and `-shm`, lose group and other
/// access where the file system lets us change them.
pub fn keep_private(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        let created = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path);
        match created {
            Ok(_) => return Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e),
        }
        let mut sidecars = [path.as_os_str().to_owned(), path.as_os_str().to_owned()];
        sidecars[0].push("-wal");
        sidecars[1].push("-shm");
        let files = [path.to_path_buf()]
            .into_iter()
            .chain(sidecars.into_iter().map(PathBuf::from));
        for file in files {
            let Ok(meta) = std::fs::metadata(&file) else {
                continue;
            };
            let mode = meta.permissions().mode();
            if meta.is_file() && mode & 0o077 != 0 {
                // Not ours to change (another user's file): left as it is.
                let _ =
                    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(mode & 0o700));
            }
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

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
        keep_private(path).map_err(|e| Error::io(path, e))?;
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

    /// A second, read-only connection to the same file, for reading from
    /// another thread (a connection serves one thread at a time).
    pub fn reader(&self) -> Result<Store> {
        let conn = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| self.db_err(e))?;
        let store = Store {
            conn,
            path: self.path.clone(),
        };
        store
            .conn
            .busy_timeout(Duration::from_secs(10))
            .map_err(|e| store.db_err(e))?;
        store
            .conn
            .execute_batch(READ_PRAGMAS)
            .map_err(|e| store.db_err(e))?;
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
                 PRAGMA foreign_keys = ON;",
            )
            .map_err(|e| self.db_err(e))?;
        self.conn
            .execute_batch(READ_PRAGMAS)
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

    /// Starts a read transaction that lasts until the guard drops: every
    /// query made meanwhile sees one state of the database (an update
    /// committing halfway through a scan cannot mix old and new advisories),
    /// and SQLite takes its file lock once instead of once per statement.
    pub fn snapshot(&self) -> Result<Snapshot<'_>> {
        if !self.conn.is_autocommit() {
            // Already inside a transaction: that one is the snapshot.
            return Ok(Snapshot {
                store: self,
                owned: false,
            });
        }
        self.conn
            .execute_batch("BEGIN DEFERRED")
            .map_err(|e| self.db_err(e))?;
        let guard = Snapshot {
            store: self,
            owned: true,
        };
        // A deferred transaction starts reading at its first query.
        self.conn
            .query_row("SELECT count(*) FROM meta", [], |r| r.get::<_, i64>(0))
            .map_err(|e| self.db_err(e))?;
        Ok(guard)
    }

    /// The schema version of the open database.
    pub fn schema_version(&self) -> Result<i64> {
        self.conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|e| self.db_err(e))
    }
}

/// An open read transaction; see [`Store::snapshot`].
pub struct Snapshot<'a> {
    store: &'a Store,
    owned: bool,
}

impl std::fmt::Debug for Snapshot<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Snapshot")
            .field("owned", &self.owned)
            .finish()
    }
}

impl Drop for Snapshot<'_> {
    fn drop(&mut self) {
        // A read transaction has nothing to lose: ending it cannot fail in a
        // way that matters to the reader.
        if self.owned {
            let _ = self.store.conn.execute_batch("COMMIT");
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A database written by the previous schema keeps its advisories, and
    /// lookups by package still find them.
    #[test]
    fn a_schema_2_database_is_migrated_with_its_affected_rows() -> Result<()> {
        let dir = tempfile::tempdir().map_err(|e| Error::io(Path::new("."), e))?;
        let path = dir.path().join("db.sqlite");
        {
            let conn = Connection::open(&path).map_err(|source| Error::Database {
                path: path.clone(),
                source,
            })?;
            let old = format!(
                "{}{}
                 PRAGMA user_version = 2;
                 INSERT INTO advisory (pk, id, modified, kind, aliases, rank, digest, json)
                 VALUES (7, 'GHSA-old1', '2026-01-01T00:00:00Z', 'vulnerability', '[]', 0, 0, '{{}}');
                 INSERT INTO affected (advisory, ecosystem, release, name, package, versions)
                 VALUES (7, 'npm', NULL, 'left-pad', 'left-pad',
                   '{{\"ranges\":[{{\"type\":\"SEMVER\",\"events\":[{{\"introduced\":\"0\"}},{{\"fixed\":\"1.3.0\"}}]}}],\"versions\":[]}}');",
                MIGRATIONS[0], MIGRATIONS[1]
            );
            conn.execute_batch(&old).map_err(|source| Error::Database {
                path: path.clone(),
                source,
            })?;
        }
        let store = Store::open(&path)?;
        assert_eq!(store.schema_version()?, MIGRATIONS.len() as i64);
        let found = store.query("npm", "left-pad", "1.2.0")?;
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].id, "GHSA-old1");
        assert_eq!(found[0].fixed, vec!["1.3.0".to_string()]);
        assert!(store.query("npm", "left-pad", "1.3.0")?.is_empty());
        assert_eq!(store.freshness()?.0, 1);
        Ok(())
    }
}
