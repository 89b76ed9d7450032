//! `db update`: download each ecosystem's OSV `all.zip` from a mirror and
//! replace that ecosystem's records with its contents.
//!
//! The URL layout is OSV's public bucket (the one osv-scanner's offline mode
//! uses): `{base}/{ecosystem}/all.zip`. Requests are conditional (`ETag`,
//! `Last-Modified`), so an unchanged ecosystem costs one request. Failed
//! requests (network errors, 429, 5xx) are retried with exponential backoff.
//! The archive is written to a temporary file beside the database and read in
//! one transaction: if any member fails to parse, nothing changes.

use std::io::{Read, Write};
use std::path::Path;
use std::time::Duration;

use chrono::Utc;
use reqwest::StatusCode;
use reqwest::blocking::{Client, Response};
use reqwest::header::{ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED, RETRY_AFTER};
use rusqlite::{OptionalExtension, params};

use crate::error::{Error, Result};
use crate::osv::format_time;
use crate::store::{ImportProgress, ImportReport, MirrorState, Store};

/// OSV's public bucket.
pub const DEFAULT_MIRROR: &str = "https://osv-vulnerabilities.storage.googleapis.com";

/// Ecosystems `db update` fetches when none are named (plus any fetched before).
pub const DEFAULT_ECOSYSTEMS: &[&str] = &[
    "npm",
    "PyPI",
    "crates.io",
    "Go",
    "Maven",
    "RubyGems",
    "NuGet",
    "Packagist",
    "Hex",
    "Pub",
];

/// Largest archive downloaded.
pub const MAX_DOWNLOAD_BYTES: u64 = 8 * 1024 * 1024 * 1024;

/// What an update is doing, for progress display.
#[derive(Clone, Copy, Debug)]
pub enum UpdateEvent<'a> {
    /// A request is about to be sent.
    Request { ecosystem: &'a str, url: &'a str },
    /// A request failed and will be retried after `wait`.
    Retry {
        ecosystem: &'a str,
        attempt: u32,
        wait: Duration,
        reason: &'a str,
    },
    /// Bytes of the archive received so far.
    Download {
        ecosystem: &'a str,
        received: u64,
        total: Option<u64>,
    },
    /// Records imported so far.
    Import { ecosystem: &'a str, records: usize },
}

/// What happened to one ecosystem.
#[derive(Clone, Debug)]
pub enum UpdateOutcome {
    /// The mirror's archive has not changed since the last update.
    NotModified,
    Updated {
        bytes: u64,
        report: ImportReport,
    },
}

#[derive(Clone, Debug)]
pub struct EcosystemUpdate {
    pub ecosystem: String,
    pub url: String,
    pub outcome: UpdateOutcome,
}

/// A mirror of OSV's per-ecosystem archives.
#[derive(Clone, Debug)]
pub struct Mirror {
    base: String,
    client: Client,
    /// Retries after the first attempt.
    pub retries: u32,
    /// Wait before the first retry; doubled for each further one.
    pub backoff: Duration,
}

fn encode_segment(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for b in segment.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b':') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

enum Fetched {
    NotModified,
    Archive {
        file: tempfile::NamedTempFile,
        bytes: u64,
        etag: Option<String>,
        last_modified: Option<String>,
    },
}

impl Mirror {
    /// A mirror at `base` (e.g. [`DEFAULT_MIRROR`], or `http://127.0.0.1:8000`).
    pub fn new(base: &str) -> Result<Mirror> {
        // reqwest is built without a default TLS provider; install ring's once.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = Client::builder()
            .user_agent(concat!("palisade/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(30))
            .timeout(None)
            .build()
            .map_err(|e| Error::Download {
                url: base.to_string(),
                message: e.to_string(),
            })?;
        Ok(Mirror {
            base: base.trim_end_matches('/').to_string(),
            client,
            retries: 4,
            backoff: Duration::from_millis(500),
        })
    }

    /// The archive URL of an ecosystem.
    pub fn url_for(&self, ecosystem: &str) -> String {
        format!("{}/{}/all.zip", self.base, encode_segment(ecosystem))
    }

    /// Brings one ecosystem up to date.
    pub fn update(
        &self,
        store: &mut Store,
        ecosystem: &str,
        progress: &mut dyn FnMut(UpdateEvent<'_>),
    ) -> Result<EcosystemUpdate> {
        let url = self.url_for(ecosystem);
        let state = store.mirror_state(ecosystem)?.filter(|s| s.url == url);
        let dir = store
            .path()
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let fetched = self.fetch(ecosystem, &url, state.as_ref(), &dir, progress)?;
        let now = format_time(&Utc::now());
        let outcome = match fetched {
            Fetched::NotModified => {
                store.record_check(ecosystem, &url, &now)?;
                UpdateOutcome::NotModified
            }
            Fetched::Archive {
                file,
                bytes,
                etag,
                last_modified,
            } => {
                let origin = format!("osv:{ecosystem}");
                let temp = file.path().display().to_string();
                let report = store.replace_from_zip(
                    file.path(),
                    &origin,
                    &mut |p: &ImportProgress<'_>| progress(UpdateEvent::Import { ecosystem, records: p.records }),
                    |tx| {
                        let count: i64 = tx.query_row(
                            "SELECT COUNT(*) FROM origin WHERE origin = ?1",
                            [&origin],
                            |r| r.get(0),
                        )?;
                        tx.execute(
                            "INSERT INTO mirror_state (ecosystem, url, etag, last_modified, checked_at, updated_at, advisories)
                             VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6)
                             ON CONFLICT (ecosystem) DO UPDATE SET url = excluded.url, etag = excluded.etag,
                                 last_modified = excluded.last_modified, checked_at = excluded.checked_at,
                                 updated_at = excluded.updated_at, advisories = excluded.advisories",
                            params![ecosystem, url, etag, last_modified, now, count],
                        )?;
                        Ok(())
                    },
                );
                let report = report.map_err(|e| e.relocated(&temp, &url))?;
                UpdateOutcome::Updated { bytes, report }
            }
        };
        Ok(EcosystemUpdate {
            ecosystem: ecosystem.to_string(),
            url,
            outcome,
        })
    }

    fn fetch(
        &self,
        ecosystem: &str,
        url: &str,
        state: Option<&MirrorState>,
        dir: &Path,
        progress: &mut dyn FnMut(UpdateEvent<'_>),
    ) -> Result<Fetched> {
        let mut attempt = 0;
        loop {
            progress(UpdateEvent::Request { ecosystem, url });
            let failure = match self.try_fetch(ecosystem, url, state, dir, progress) {
                Ok(fetched) => return Ok(fetched),
                Err(Attempt::Fatal(e)) => return Err(e),
                Err(Attempt::Retry { reason, after }) => (reason, after),
            };
            if attempt >= self.retries {
                return Err(Error::Download {
                    url: url.to_string(),
                    message: format!("{} (gave up after {} attempts)", failure.0, attempt + 1),
                });
            }
            attempt += 1;
            let wait = failure
                .1
                .unwrap_or(self.backoff * 2u32.saturating_pow(attempt - 1));
            progress(UpdateEvent::Retry {
                ecosystem,
                attempt,
                wait,
                reason: &failure.0,
            });
            std::thread::sleep(wait);
        }
    }

    fn try_fetch(
        &self,
        ecosystem: &str,
        url: &str,
        state: Option<&MirrorState>,
        dir: &Path,
        progress: &mut dyn FnMut(UpdateEvent<'_>),
    ) -> std::result::Result<Fetched, Attempt> {
        let mut request = self.client.get(url);
        if let Some(state) = state {
            if let Some(etag) = &state.etag {
                request = request.header(IF_NONE_MATCH, etag);
            }
            if let Some(modified) = &state.last_modified {
                request = request.header(IF_MODIFIED_SINCE, modified);
            }
        }
        let response = request.send().map_err(|e| Attempt::Retry {
            reason: describe(&e),
            after: None,
        })?;
        let status = response.status();
        if status == StatusCode::NOT_MODIFIED {
            return Ok(Fetched::NotModified);
        }
        if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
            return Err(Attempt::Retry {
                reason: format!("server answered {status}"),
                after: retry_after(&response),
            });
        }
        if status == StatusCode::NOT_FOUND {
            return Err(Attempt::Fatal(Error::Download {
                url: url.to_string(),
                message: format!("the mirror has no archive for ecosystem {ecosystem:?} (404)"),
            }));
        }
        if !status.is_success() {
            return Err(Attempt::Fatal(Error::Download {
                url: url.to_string(),
                message: format!("server answered {status}"),
            }));
        }
        let header = |name| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let (etag, last_modified) = (header(ETAG), header(LAST_MODIFIED));
        let total = response.content_length();
        if total.is_some_and(|t| t > MAX_DOWNLOAD_BYTES) {
            return Err(Attempt::Fatal(Error::Download {
                url: url.to_string(),
                message: format!(
                    "archive of {} bytes exceeds the limit of {MAX_DOWNLOAD_BYTES}",
                    total.unwrap_or(0)
                ),
            }));
        }
        let mut file = tempfile::Builder::new()
            .prefix(".palisade-download-")
            .suffix(".zip")
            .tempfile_in(if dir.as_os_str().is_empty() {
                Path::new(".")
            } else {
                dir
            })
            .map_err(|e| Attempt::Fatal(Error::io(dir, e)))?;
        let bytes = copy_with_progress(response, file.as_file_mut(), total, &mut |received| {
            progress(UpdateEvent::Download {
                ecosystem,
                received,
                total,
            })
        })
        .map_err(|e| match e {
            CopyError::TooLarge => Attempt::Fatal(Error::Download {
                url: url.to_string(),
                message: format!("archive exceeds the limit of {MAX_DOWNLOAD_BYTES} bytes"),
            }),
            CopyError::Read(reason) => Attempt::Retry {
                reason: format!("download interrupted: {reason}"),
                after: None,
            },
            CopyError::Write(e) => Attempt::Fatal(Error::io(file.path(), e)),
        })?;
        if total.is_some_and(|t| t != bytes) {
            return Err(Attempt::Retry {
                reason: format!("received {bytes} of {} bytes", total.unwrap_or(0)),
                after: None,
            });
        }
        Ok(Fetched::Archive {
            file,
            bytes,
            etag,
            last_modified,
        })
    }
}

enum Attempt {
    Retry {
        reason: String,
        after: Option<Duration>,
    },
    Fatal(Error),
}

enum CopyError {
    TooLarge,
    Read(String),
    Write(std::io::Error),
}

fn copy_with_progress(
    mut response: Response,
    out: &mut std::fs::File,
    total: Option<u64>,
    progress: &mut dyn FnMut(u64),
) -> std::result::Result<u64, CopyError> {
    let mut buf = vec![0u8; 256 * 1024];
    let mut received: u64 = 0;
    let _ = total;
    loop {
        let n = response
            .read(&mut buf)
            .map_err(|e| CopyError::Read(e.to_string()))?;
        if n == 0 {
            break;
        }
        received += n as u64;
        if received > MAX_DOWNLOAD_BYTES {
            return Err(CopyError::TooLarge);
        }
        out.write_all(&buf[..n]).map_err(CopyError::Write)?;
        progress(received);
    }
    out.flush().map_err(CopyError::Write)?;
    Ok(received)
}

fn retry_after(response: &Response) -> Option<Duration> {
    let secs: u64 = response
        .headers()
        .get(RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    Some(Duration::from_secs(secs.min(120)))
}

fn describe(e: &reqwest::Error) -> String {
    let mut message = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    message
}

impl Store {
    /// The last update state of an ecosystem's mirror archive.
    pub fn mirror_state(&self, ecosystem: &str) -> Result<Option<MirrorState>> {
        self.conn
            .query_row(
                "SELECT ecosystem, url, etag, last_modified, checked_at, updated_at, advisories
                 FROM mirror_state WHERE ecosystem = ?1",
                [ecosystem],
                MirrorState::from_row,
            )
            .optional()
            .map_err(|e| self.db_err(e))
    }

    /// Ecosystems that were updated from a mirror before.
    pub fn mirrored_ecosystems(&self) -> Result<Vec<String>> {
        let mut stmt = self
            .conn
            .prepare("SELECT ecosystem FROM mirror_state ORDER BY ecosystem")
            .map_err(|e| self.db_err(e))?;
        stmt.query_map([], |r| r.get(0))
            .map_err(|e| self.db_err(e))?
            .collect::<rusqlite::Result<_>>()
            .map_err(|e| self.db_err(e))
    }

    fn record_check(&mut self, ecosystem: &str, url: &str, now: &str) -> Result<()> {
        self.conn
            .execute(
                "UPDATE mirror_state SET checked_at = ?3 WHERE ecosystem = ?1 AND url = ?2",
                params![ecosystem, url, now],
            )
            .map(|_| ())
            .map_err(|e| self.db_err(e))
    }
}
