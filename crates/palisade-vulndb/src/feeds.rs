//! Threat feeds: importing files (`feeds import`) and keeping named sources
//! up to date over HTTP (`feeds sync`).
//!
//! Files are recognized by content — CVE JSON 5 records, NVD API 2.0
//! responses, the KEV catalog, EPSS CSV (plain or gzip), RSS / Atom — alone,
//! in directories (the cvelistV5 layout) or in zip archives. An import is one
//! transaction: it lands whole or not at all.
//!
//! A source is fetched with conditional GET; its state (validators, cursor,
//! last success, last error) is kept in the store, and a failing source
//! records its error without stopping the others. A source's first
//! successful sync is its baseline: what it holds then is stored without
//! being journaled as news, so a new watch is not flooded with history.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use chrono::{DateTime, SecondsFormat, Utc};
use reqwest::StatusCode;
use reqwest::blocking::Client;
use reqwest::header::{ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED, RETRY_AFTER};
use rusqlite::{TransactionBehavior, params};
use serde::Serialize;

use crate::bulletin::Bulletin;
use crate::error::{Error, Location, Result};
use crate::exploitation::{MAX_EPSS_BYTES, parse_epss, parse_kev};
use crate::feed::parse_feed;
use crate::nvd::parse_nvd;
use crate::store::{BulletinWriter, EpssScore, KevEntry, Prepared, PutOutcome, Skipped, Store};

/// Largest feed file or response body read into memory (EPSS has its own, larger, bound).
pub const MAX_FEED_BYTES: u64 = 64 * 1024 * 1024;
/// Largest RSS / Atom document.
pub const MAX_BULLETIN_FEED_BYTES: u64 = 16 * 1024 * 1024;
/// Largest zip archive of CVE records downloaded.
const MAX_ZIP_BYTES: u64 = 4 * 1024 * 1024 * 1024;
/// The page cache of a feed import, in MiB.
const IMPORT_CACHE_MB: i64 = 256;
/// NVD's documented limit on incremental windows.
const NVD_WINDOW_DAYS: i64 = 120;
/// Most records fetched one by one from a cvelistV5 delta file.
const MAX_DELTA_RECORDS: usize = 20_000;

/// The kinds of feed a source can be.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FeedKind {
    Nvd,
    Cve5,
    Kev,
    Epss,
    Osv,
    Rss,
    Atom,
}

impl FeedKind {
    pub fn parse(name: &str) -> Option<FeedKind> {
        Some(match name.to_ascii_lowercase().as_str() {
            "nvd" => FeedKind::Nvd,
            "cve5" => FeedKind::Cve5,
            "kev" => FeedKind::Kev,
            "epss" => FeedKind::Epss,
            "osv" => FeedKind::Osv,
            "rss" => FeedKind::Rss,
            "atom" => FeedKind::Atom,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            FeedKind::Nvd => "nvd",
            FeedKind::Cve5 => "cve5",
            FeedKind::Kev => "kev",
            FeedKind::Epss => "epss",
            FeedKind::Osv => "osv",
            FeedKind::Rss => "rss",
            FeedKind::Atom => "atom",
        }
    }

    /// The public URL of the kinds that have one well-known home.
    pub fn default_url(self) -> Option<&'static str> {
        Some(match self {
            FeedKind::Nvd => "https://services.nvd.nist.gov/rest/json/cves/2.0",
            FeedKind::Kev => {
                "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json"
            }
            FeedKind::Epss => "https://epss.empiricalsecurity.com/epss_scores-current.csv.gz",
            _ => return None,
        })
    }
}

/// A feed source and its sync state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FeedSource {
    pub name: String,
    pub kind: FeedKind,
    pub url: String,
    pub interval_secs: u64,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    /// NVD: the end of the last window fetched.
    pub cursor: Option<String>,
    pub last_checked: Option<String>,
    pub last_success: Option<String>,
    pub last_error: Option<String>,
    /// Records the last successful sync read.
    pub items: u64,
    pub baselined: bool,
}

impl FeedSource {
    /// When the source is due again.
    pub fn due_at(&self) -> Option<DateTime<Utc>> {
        let checked = self
            .last_checked
            .as_deref()
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())?;
        Some(checked.with_timezone(&Utc) + chrono::Duration::seconds(self.interval_secs as i64))
    }
}

/// What an import did.
#[derive(Clone, Debug, Default, Serialize)]
pub struct FeedImportReport {
    pub inputs: usize,
    pub cve5: usize,
    pub nvd: usize,
    pub feed_items: usize,
    pub kev: usize,
    pub epss: usize,
    pub added: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub kev_added: usize,
    #[serde(skip)]
    pub skipped: Vec<Skipped>,
    #[serde(skip)]
    pub elapsed: Duration,
}

impl FeedImportReport {
    fn count(&mut self, outcomes: &[PutOutcome]) {
        for o in outcomes {
            match o {
                PutOutcome::Added => self.added += 1,
                PutOutcome::Updated => self.updated += 1,
                PutOutcome::Unchanged => self.unchanged += 1,
            }
        }
    }
}

/// One parsed input.
enum Parsed {
    Bulletins {
        source: String,
        /// Serialized and compressed on the parsing thread.
        bulletins: Vec<Prepared>,
        kev: Vec<KevEntry>,
        counter: Counter,
    },
    Kev(Vec<KevEntry>),
    Epss(Vec<EpssScore>),
    Skipped(Skipped),
    Input,
}

#[derive(Clone, Copy)]
enum Counter {
    Cve5,
    Nvd,
    Feed,
}

/// What a file holds, guessed from its name and first bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum FileKind {
    Cve5,
    Nvd,
    Kev,
    Epss,
    Feed,
    /// cvelistV5's delta.json / deltaLog.json: lists of changes, not records.
    Delta,
}

fn sniff(name: &str, bytes: &[u8]) -> Option<FileKind> {
    let lower = name.to_ascii_lowercase();
    let file = lower.rsplit(['/', '!']).next().unwrap_or(&lower);
    if file == "delta.json" || file == "deltalog.json" {
        return Some(FileKind::Delta);
    }
    if bytes.starts_with(&[0x1f, 0x8b]) || lower.ends_with(".csv") {
        return Some(FileKind::Epss);
    }
    let head = &bytes[..bytes.len().min(4096)];
    let text = String::from_utf8_lossy(head);
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    if trimmed.starts_with('<') {
        return Some(FileKind::Feed);
    }
    if trimmed.starts_with("#model_version") || trimmed.starts_with("cve,epss") {
        return Some(FileKind::Epss);
    }
    if !trimmed.starts_with('{') {
        return None;
    }
    if text.contains("\"$schema\"") && text.contains("\"properties\"") {
        // A JSON Schema describing one of the formats, not data.
        return None;
    }
    if text.contains("\"catalogVersion\"") {
        Some(FileKind::Kev)
    } else if text.contains("\"NVD_CVE\"") || text.contains("\"resultsPerPage\"") {
        Some(FileKind::Nvd)
    } else if text.contains("\"CVE_RECORD\"") || memchr_find(bytes, b"\"cveMetadata\"") {
        Some(FileKind::Cve5)
    } else {
        None
    }
}

fn memchr_find(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Parses one file's bytes (`name` names it in errors; a feed's entries are
/// named after `feed_name`).
fn parse_bytes(
    name: &str,
    bytes: &[u8],
    feed_name: &str,
    explicit: bool,
) -> Result<Option<Parsed>> {
    let Some(kind) = sniff(name, bytes) else {
        if !explicit {
            return Ok(None);
        }
        return Err(Error::Unsupported {
            path: PathBuf::from(name),
            message: "not a feed file: expected a CVE JSON 5 record, an NVD API 2.0 response, \
                      the KEV catalog, EPSS CSV or an RSS / Atom feed"
                .to_string(),
        });
    };
    Ok(Some(match kind {
        FileKind::Delta => return Ok(None),
        FileKind::Cve5 => Parsed::Bulletins {
            source: "cve5".to_string(),
            bulletins: vec![Prepared::new(crate::cve5::parse_cve5(name, bytes)?.into())],
            kev: Vec::new(),
            counter: Counter::Cve5,
        },
        FileKind::Nvd => {
            let page = parse_nvd(name, bytes)?;
            Parsed::Bulletins {
                source: "nvd".to_string(),
                bulletins: page.bulletins.into_iter().map(Prepared::new).collect(),
                kev: page.kev,
                counter: Counter::Nvd,
            }
        }
        FileKind::Kev => Parsed::Kev(parse_kev(name, bytes)?.entries),
        FileKind::Epss => Parsed::Epss(parse_epss(name, bytes)?.scores),
        FileKind::Feed => {
            let doc = parse_feed(name, feed_name, bytes)?;
            Parsed::Bulletins {
                source: feed_name.to_string(),
                bulletins: doc.bulletins.into_iter().map(Prepared::new).collect(),
                kev: Vec::new(),
                counter: Counter::Feed,
            }
        }
    }))
}

/// A feed file's default source name: its stem (`aws-bulletins.xml` -> `aws-bulletins`).
fn feed_name(path: &str) -> String {
    let file = path.rsplit(['/', '!']).next().unwrap_or(path);
    file.split('.').next().unwrap_or(file).to_string()
}

fn read_bounded(path: &Path, limit: u64) -> Result<Vec<u8>> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let len = file.metadata().map_err(|e| Error::io(path, e))?.len();
    if len > limit {
        return Err(Error::TooLarge {
            location: Location::new(path.display().to_string()),
            message: format!("{len} bytes; a feed file may have at most {limit}"),
        });
    }
    let mut bytes = Vec::with_capacity(len as usize);
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io(path, e))?;
    Ok(bytes)
}

fn is_zip(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("zip"))
}

fn is_feed_file(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    [
        ".json", ".xml", ".rss", ".atom", ".csv", ".csv.gz", ".gz", ".zip",
    ]
    .iter()
    .any(|ext| lower.ends_with(ext))
}

/// Expands paths into files, walking directories in a stable order
/// (hidden entries and symlinked directories skipped).
fn discover(paths: &[PathBuf]) -> Result<Vec<(PathBuf, bool)>> {
    fn walk(dir: &Path, depth: usize, out: &mut Vec<(PathBuf, bool)>) -> Result<()> {
        for (name, path, file_type) in crate::source::walk_entries(dir, depth)? {
            if file_type.is_dir() {
                walk(&path, depth + 1, out)?;
            } else if file_type.is_file() && is_feed_file(&name) {
                out.push((path, false));
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    for path in paths {
        let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
        if meta.is_dir() {
            walk(path, 0, &mut out)?;
        } else {
            out.push((path.clone(), true));
        }
    }
    Ok(out)
}

/// Reads and parses inputs on its own thread, so parsing overlaps the writes.
fn produce(files: Vec<(PathBuf, bool)>, skip_invalid: bool, tx: &mpsc::SyncSender<Result<Parsed>>) {
    let send_err = |origin: String, e: Error| {
        if skip_invalid {
            tx.send(Ok(Parsed::Skipped(Skipped {
                origin,
                error: e.to_string(),
            })))
            .is_ok()
        } else {
            let _ = tx.send(Err(e));
            false
        }
    };
    for (path, explicit) in files {
        if tx.send(Ok(Parsed::Input)).is_err() {
            return;
        }
        let display = path.display().to_string();
        if is_zip(&path) {
            let result = crate::source::for_each_zip_member(&path, |origin, bytes| {
                if !is_feed_file(&origin) {
                    return Ok(());
                }
                match parse_bytes(&origin, &bytes, &feed_name(&origin), false) {
                    Ok(Some(p)) => {
                        if tx.send(Ok(p)).is_err() {
                            return Err(Error::invalid(Location::new(origin), "import stopped"));
                        }
                    }
                    Ok(None) => {}
                    Err(e) => {
                        if !send_err(origin, e) {
                            return Err(Error::invalid(Location::new(""), "import stopped"));
                        }
                    }
                }
                Ok(())
            });
            if let Err(e) = result
                && !send_err(display, e)
            {
                return;
            }
            continue;
        }
        let limit = if display.to_ascii_lowercase().contains("epss") || display.ends_with(".gz") {
            MAX_EPSS_BYTES
        } else {
            MAX_FEED_BYTES
        };
        let parsed = read_bounded(&path, limit)
            .and_then(|bytes| parse_bytes(&display, &bytes, &feed_name(&display), explicit));
        match parsed {
            Ok(Some(p)) => {
                if tx.send(Ok(p)).is_err() {
                    return;
                }
            }
            Ok(None) => {}
            Err(e) => {
                if !send_err(display, e) {
                    return;
                }
            }
        }
    }
}

impl Store {
    /// Imports feed files, directories and zips in one transaction. Nothing
    /// is journaled: an import loads history, it is not news.
    pub fn import_feeds(
        &mut self,
        paths: &[PathBuf],
        skip_invalid: bool,
        progress: &mut dyn FnMut(usize),
    ) -> Result<FeedImportReport> {
        let started = Instant::now();
        let files = discover(paths)?;
        let path = self.path().to_path_buf();
        let db = |source| Error::Database {
            path: path.clone(),
            source,
        };
        // A bulk import is one transaction larger than the page cache: pages
        // that spill to the WAL are found again through its index, which gets
        // slower as the WAL grows. A larger cache for the import keeps more of
        // the working set (indexes, FTS segments) in memory.
        let cache = std::env::var("PALISADE_IMPORT_CACHE_MB")
            .ok()
            .and_then(|v| v.parse::<i64>().ok())
            .unwrap_or(IMPORT_CACHE_MB);
        self.conn
            .execute_batch(&format!("PRAGMA cache_size = -{}", cache * 1024))
            .map_err(db)?;
        let (send, receive) = mpsc::sync_channel(512);
        let producer = std::thread::spawn(move || produce(files, skip_invalid, &send));
        let mut report = FeedImportReport::default();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db)?;
        let outcome = (|| -> Result<()> {
            let mut writer = BulletinWriter::new(&tx, false);
            for item in receive.iter() {
                match item? {
                    Parsed::Input => report.inputs += 1,
                    Parsed::Skipped(s) => report.skipped.push(s),
                    Parsed::Kev(entries) => {
                        report.kev += entries.len();
                        let (outcomes, added) = writer.put_kev(&entries, "kev").map_err(db)?;
                        report.count(&outcomes);
                        report.kev_added += added;
                    }
                    Parsed::Epss(scores) => {
                        report.epss += scores.len();
                        crate::store::write_epss(&tx, &scores).map_err(db)?;
                    }
                    Parsed::Bulletins {
                        source,
                        bulletins,
                        kev,
                        counter,
                    } => {
                        let n = bulletins.len();
                        match counter {
                            Counter::Cve5 => report.cve5 += n,
                            Counter::Nvd => report.nvd += n,
                            Counter::Feed => report.feed_items += n,
                        }
                        debug_assert!(bulletins.iter().all(|p| p.bulletin.source == source));
                        let outcomes = bulletins
                            .iter()
                            .map(|p| writer.put_prepared(p))
                            .collect::<rusqlite::Result<Vec<_>>>()
                            .map_err(db)?;
                        report.count(&outcomes);
                        let (outcomes, added) = writer.put_kev(&kev, &source).map_err(db)?;
                        report.count(&outcomes);
                        report.kev_added += added;
                        progress(report.cve5 + report.nvd + report.feed_items);
                    }
                }
            }
            writer.finish().map_err(db)
        })();
        drop(receive);
        let _ = producer.join();
        let committed = outcome.and_then(|()| tx.commit().map_err(db));
        let _ = self.conn.execute_batch(crate::store::READ_PRAGMAS);
        committed?;
        report.elapsed = started.elapsed();
        Ok(report)
    }

    /// Adds a source, or changes the kind, URL and interval of one.
    pub fn add_source(
        &mut self,
        name: &str,
        kind: FeedKind,
        url: &str,
        interval: Duration,
    ) -> Result<()> {
        if name.is_empty() || name.contains(char::is_whitespace) || name.contains(':') {
            return Err(Error::invalid(
                Location::new("source name"),
                format!("{name:?}: use letters, digits, - and _ only"),
            ));
        }
        self.conn
            .execute(
                "INSERT INTO feed_source (name, kind, url, interval_secs) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (name) DO UPDATE SET kind = excluded.kind, url = excluded.url,
                     interval_secs = excluded.interval_secs",
                params![name, kind.as_str(), url, interval.as_secs().max(1) as i64],
            )
            .map_err(|e| self.db_err(e))?;
        Ok(())
    }

    /// Removes a source (its records stay). Returns whether it existed.
    pub fn remove_source(&mut self, name: &str) -> Result<bool> {
        self.conn
            .execute("DELETE FROM feed_source WHERE name = ?1", [name])
            .map(|n| n > 0)
            .map_err(|e| self.db_err(e))
    }

    /// Every source, by name.
    pub fn sources(&self) -> Result<Vec<FeedSource>> {
        let db = |e| self.db_err(e);
        self.conn
            .prepare(
                "SELECT name, kind, url, interval_secs, etag, last_modified, cursor, last_checked,
                        last_success, last_error, items, baselined
                 FROM feed_source ORDER BY name",
            )
            .map_err(db)?
            .query_map([], |r| {
                let kind: String = r.get(1)?;
                Ok(FeedSource {
                    name: r.get(0)?,
                    kind: FeedKind::parse(&kind).unwrap_or(FeedKind::Rss),
                    url: r.get(2)?,
                    interval_secs: r.get::<_, i64>(3)? as u64,
                    etag: r.get(4)?,
                    last_modified: r.get(5)?,
                    cursor: r.get(6)?,
                    last_checked: r.get(7)?,
                    last_success: r.get(8)?,
                    last_error: r.get(9)?,
                    items: r.get::<_, i64>(10)? as u64,
                    baselined: r.get(11)?,
                })
            })
            .map_err(db)?
            .collect::<rusqlite::Result<_>>()
            .map_err(db)
    }

    fn record_failure(&mut self, name: &str, now: &str, error: &str) -> Result<()> {
        self.conn
            .execute(
                "UPDATE feed_source SET last_checked = ?2, last_error = ?3 WHERE name = ?1",
                params![name, now, error],
            )
            .map(|_| ())
            .map_err(|e| self.db_err(e))
    }
}

/// What syncing one source did.
#[derive(Clone, Debug, Serialize)]
pub struct SyncReport {
    pub source: String,
    /// `updated`, `not-modified` or `failed`.
    pub status: String,
    pub records: usize,
    pub added: usize,
    pub updated: usize,
    pub kev_added: usize,
    pub requests: usize,
    pub error: Option<String>,
    /// Dates in the source that did not parse (their records are kept).
    pub bad_dates: usize,
}

/// Downloads feeds: one HTTP client, retries with backoff, bounded bodies.
#[derive(Debug, Clone)]
pub struct Fetcher {
    client: Client,
    pub retries: u32,
    pub backoff: Duration,
    /// NVD: the pause between requests (NVD asks for 6 s without an API key).
    pub nvd_delay: Duration,
    pub nvd_api_key: Option<String>,
    pub nvd_page_size: u32,
}

enum Body {
    NotModified,
    Fresh {
        bytes: Vec<u8>,
        etag: Option<String>,
        last_modified: Option<String>,
    },
}

impl Fetcher {
    pub fn new() -> Result<Fetcher> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = Client::builder()
            .user_agent(concat!("palisade/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(20))
            .timeout(Duration::from_secs(300))
            .build()
            .map_err(|e| Error::Download {
                url: String::new(),
                message: e.to_string(),
            })?;
        let nvd_api_key = std::env::var("NVD_API_KEY").ok().filter(|k| !k.is_empty());
        let nvd_delay = Duration::from_millis(if nvd_api_key.is_some() { 600 } else { 6000 });
        Ok(Fetcher {
            client,
            retries: 4,
            backoff: Duration::from_secs(2),
            nvd_delay,
            nvd_api_key,
            nvd_page_size: 2000,
        })
    }

    /// GET with validators, retrying network errors, 429 and 5xx; the body
    /// is refused past `limit` bytes.
    fn get(
        &self,
        url: &str,
        validators: Option<(&Option<String>, &Option<String>)>,
        limit: u64,
        headers: &[(&str, &str)],
    ) -> Result<Body> {
        let mut attempt = 0u32;
        loop {
            let mut request = self.client.get(url);
            if let Some((etag, modified)) = validators {
                if let Some(etag) = etag {
                    request = request.header(IF_NONE_MATCH, etag);
                }
                if let Some(modified) = modified {
                    request = request.header(IF_MODIFIED_SINCE, modified);
                }
            }
            for (name, value) in headers {
                request = request.header(*name, *value);
            }
            let (reason, after) = match request.send() {
                Err(e) => (e.to_string(), None),
                Ok(response) => {
                    let status = response.status();
                    if status == StatusCode::NOT_MODIFIED {
                        return Ok(Body::NotModified);
                    }
                    if status.is_success() {
                        return read_body(url, response, limit);
                    }
                    let retryable = status == StatusCode::TOO_MANY_REQUESTS
                        || status == StatusCode::FORBIDDEN && url.contains("nvd")
                        || status.is_server_error();
                    if !retryable {
                        return Err(Error::Download {
                            url: url.to_string(),
                            message: format!("HTTP {status}"),
                        });
                    }
                    let after = response
                        .headers()
                        .get(RETRY_AFTER)
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.trim().parse::<u64>().ok())
                        .map(|s| Duration::from_secs(s.min(120)));
                    (format!("HTTP {status}"), after)
                }
            };
            if attempt >= self.retries {
                return Err(Error::Download {
                    url: url.to_string(),
                    message: format!("{reason} (gave up after {} attempts)", attempt + 1),
                });
            }
            attempt += 1;
            std::thread::sleep(after.unwrap_or(self.backoff * 2u32.saturating_pow(attempt - 1)));
        }
    }
}

fn read_body(url: &str, response: reqwest::blocking::Response, limit: u64) -> Result<Body> {
    let too_large = |n: u64| Error::TooLarge {
        location: Location::new(url),
        message: format!("response of {n} bytes or more; at most {limit} are read"),
    };
    if let Some(len) = response.content_length()
        && len > limit
    {
        return Err(too_large(len));
    }
    let header = |name| {
        response
            .headers()
            .get(name)
            .and_then(|v: &reqwest::header::HeaderValue| v.to_str().ok())
            .map(str::to_string)
    };
    let etag = header(ETAG);
    let last_modified = header(LAST_MODIFIED);
    let mut bytes = Vec::new();
    response
        .take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::Download {
            url: url.to_string(),
            message: e.to_string(),
        })?;
    if bytes.len() as u64 > limit {
        return Err(too_large(limit + 1));
    }
    Ok(Body::Fresh {
        bytes,
        etag,
        last_modified,
    })
}

fn now_text() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Syncs one source; a failure is recorded on the source and reported, not returned.
pub fn sync_source(
    store: &mut Store,
    fetcher: &Fetcher,
    source: &FeedSource,
) -> Result<SyncReport> {
    let now = now_text();
    let mut report = SyncReport {
        source: source.name.clone(),
        status: "updated".to_string(),
        records: 0,
        added: 0,
        updated: 0,
        kev_added: 0,
        requests: 0,
        error: None,
        bad_dates: 0,
    };
    let result = match source.kind {
        FeedKind::Nvd => sync_nvd(store, fetcher, source, &mut report),
        _ => sync_document(store, fetcher, source, &mut report),
    };
    match result {
        Ok(()) => {
            let warning = (report.bad_dates > 0).then(|| {
                format!(
                    "{} dates did not parse; their entries were kept without them",
                    report.bad_dates
                )
            });
            store
                .conn
                .execute(
                    "UPDATE feed_source SET last_checked = ?2, last_success = ?2, last_error = ?3,
                         items = CASE WHEN ?4 THEN items ELSE ?5 END, baselined = 1
                     WHERE name = ?1",
                    params![
                        source.name,
                        now,
                        warning,
                        report.status == "not-modified",
                        report.records as i64
                    ],
                )
                .map_err(|e| store.db_err(e))?;
            report.error = warning;
        }
        Err(e) => {
            let message = e.to_string();
            store.record_failure(&source.name, &now, &message)?;
            report.status = "failed".to_string();
            report.error = Some(message);
        }
    }
    Ok(report)
}

fn save_validators(
    store: &Store,
    name: &str,
    etag: &Option<String>,
    modified: &Option<String>,
) -> Result<()> {
    store
        .conn
        .execute(
            "UPDATE feed_source SET etag = ?2, last_modified = ?3 WHERE name = ?1",
            params![name, etag, modified],
        )
        .map(|_| ())
        .map_err(|e| store.db_err(e))
}

/// Sources fetched as one document: KEV, EPSS, RSS / Atom, a CVE record,
/// a cvelistV5 delta file, a zip of CVE records, an OSV archive.
fn sync_document(
    store: &mut Store,
    fetcher: &Fetcher,
    source: &FeedSource,
    report: &mut SyncReport,
) -> Result<()> {
    let limit = match source.kind {
        FeedKind::Rss | FeedKind::Atom => MAX_BULLETIN_FEED_BYTES,
        FeedKind::Epss => MAX_EPSS_BYTES,
        FeedKind::Cve5 | FeedKind::Osv => MAX_ZIP_BYTES,
        _ => MAX_FEED_BYTES,
    };
    report.requests += 1;
    let body = fetcher.get(
        &source.url,
        Some((&source.etag, &source.last_modified)),
        limit,
        &[],
    )?;
    let Body::Fresh {
        bytes,
        etag,
        last_modified,
    } = body
    else {
        report.status = "not-modified".to_string();
        return Ok(());
    };
    let url = source.url.as_str();
    let journal = source.baselined;
    match source.kind {
        FeedKind::Kev => {
            let catalog = parse_kev(url, &bytes)?;
            report.records = catalog.entries.len();
            let (_, added) = store.put_bulletins(&source.name, &[], &catalog.entries, journal)?;
            report.kev_added = added;
        }
        FeedKind::Epss => {
            let file = parse_epss(url, &bytes)?;
            report.records = file.scores.len();
            store.put_epss(&file.scores)?;
        }
        FeedKind::Rss | FeedKind::Atom => {
            let doc = parse_feed(url, &source.name, &bytes)?;
            report.records = doc.bulletins.len();
            report.bad_dates = doc.bad_dates;
            write_bulletins(store, source, &doc.bulletins, &[], journal, report)?;
        }
        FeedKind::Osv => {
            let mut temp = tempfile::Builder::new()
                .suffix(".zip")
                .tempfile_in(
                    store
                        .path()
                        .parent()
                        .filter(|p| !p.as_os_str().is_empty())
                        .unwrap_or(Path::new(".")),
                )
                .map_err(|e| Error::io(store.path(), e))?;
            std::io::Write::write_all(&mut temp, &bytes).map_err(|e| Error::io(temp.path(), e))?;
            let imported = store
                .import(
                    &[temp.path().to_path_buf()],
                    &Default::default(),
                    &mut |_| {},
                )
                .map_err(|e| e.relocated(&temp.path().display().to_string(), url))?;
            report.records = imported.records;
            report.added = imported.added;
            report.updated = imported.updated;
        }
        FeedKind::Cve5 => {
            let bulletins = cve5_document(fetcher, url, &bytes, report)?;
            report.records = bulletins.len();
            write_bulletins(store, source, &bulletins, &[], journal, report)?;
        }
        FeedKind::Nvd => unreachable!("NVD is paged"),
    }
    save_validators(store, &source.name, &etag, &last_modified)
}

fn write_bulletins(
    store: &mut Store,
    source: &FeedSource,
    bulletins: &[Bulletin],
    kev: &[KevEntry],
    journal: bool,
    report: &mut SyncReport,
) -> Result<()> {
    let (outcomes, kev_added) = store.put_bulletins(&source.name, bulletins, kev, journal)?;
    report.added += outcomes.iter().filter(|o| **o == PutOutcome::Added).count();
    report.updated += outcomes
        .iter()
        .filter(|o| **o == PutOutcome::Updated)
        .count();
    report.kev_added += kev_added;
    Ok(())
}

/// A CVE 5 source's document: a zip of records, a cvelistV5 `delta.json`
/// (whose records are fetched by their links), or one record.
fn cve5_document(
    fetcher: &Fetcher,
    url: &str,
    bytes: &[u8],
    report: &mut SyncReport,
) -> Result<Vec<Bulletin>> {
    if bytes.starts_with(b"PK") {
        let mut out = Vec::new();
        crate::source::for_each_zip_member_in(url, std::io::Cursor::new(bytes), |origin, data| {
            if origin.to_ascii_lowercase().ends_with(".json")
                && sniff(&origin, &data) == Some(FileKind::Cve5)
            {
                out.push(crate::cve5::parse_cve5(&origin, &data)?.into());
            }
            Ok(())
        })?;
        return Ok(out);
    }
    let value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| Error::json(url, &e, "not JSON"))?;
    if value.get("cveMetadata").is_some() {
        return Ok(vec![crate::cve5::parse_cve5(url, bytes)?.into()]);
    }
    let links: Vec<String> = ["new", "updated"]
        .iter()
        .filter_map(|k| value.get(*k).and_then(|v| v.as_array()))
        .flatten()
        .filter_map(|e| {
            e.get("githubLink")
                .and_then(|l| l.as_str())
                .map(str::to_string)
        })
        .collect();
    if links.is_empty() && value.get("new").is_none() {
        return Err(Error::invalid(
            Location::new(url),
            "neither a CVE JSON 5 record, a cvelistV5 delta file nor a zip of records",
        ));
    }
    if links.len() > MAX_DELTA_RECORDS {
        return Err(Error::TooLarge {
            location: Location::new(url),
            message: format!(
                "{} records listed; at most {MAX_DELTA_RECORDS} are fetched",
                links.len()
            ),
        });
    }
    let mut out = Vec::with_capacity(links.len());
    for link in links {
        report.requests += 1;
        if let Body::Fresh { bytes, .. } =
            fetcher.get(&link, None, crate::source::MAX_RECORD_BYTES, &[])?
        {
            out.push(crate::cve5::parse_cve5(&link, &bytes)?.into());
        }
    }
    Ok(out)
}

/// NVD CVE API 2.0: everything on the first sync, then what changed since
/// the cursor in windows of at most 120 days, page by page. Each page is
/// committed as it comes; the cursor moves only when every page is in, so an
/// interrupted sync starts its window again.
fn sync_nvd(
    store: &mut Store,
    fetcher: &Fetcher,
    source: &FeedSource,
    report: &mut SyncReport,
) -> Result<()> {
    let started = Utc::now();
    let windows = nvd_windows(source.cursor.as_deref(), started);
    let journal = source.baselined;
    let key = fetcher.nvd_api_key.clone();
    let headers: Vec<(&str, &str)> = key.as_deref().map(|k| ("apiKey", k)).into_iter().collect();
    let separator = if source.url.contains('?') { '&' } else { '?' };
    for window in windows {
        let mut start = 0u64;
        loop {
            let mut url = format!(
                "{}{separator}resultsPerPage={}&startIndex={start}",
                source.url, fetcher.nvd_page_size
            );
            if let Some((from, to)) = window {
                let fmt = |t: DateTime<Utc>| t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
                url.push_str(&format!(
                    "&lastModStartDate={}&lastModEndDate={}",
                    fmt(from),
                    fmt(to)
                ));
            }
            if report.requests > 0 {
                std::thread::sleep(fetcher.nvd_delay);
            }
            report.requests += 1;
            let Body::Fresh { bytes, .. } = fetcher.get(&url, None, MAX_FEED_BYTES, &headers)?
            else {
                break;
            };
            let page = parse_nvd(&url, &bytes)?;
            let n = page.bulletins.len() as u64;
            report.records += page.bulletins.len();
            write_bulletins(store, source, &page.bulletins, &page.kev, journal, report)?;
            start = page.start_index + n;
            if n == 0 || start >= page.total_results {
                break;
            }
        }
    }
    store
        .conn
        .execute(
            "UPDATE feed_source SET cursor = ?2 WHERE name = ?1",
            params![
                source.name,
                started.to_rfc3339_opts(SecondsFormat::Millis, true)
            ],
        )
        .map_err(|e| store.db_err(e))?;
    Ok(())
}

/// The requests of an NVD sync: everything (`None`) without a cursor, else
/// windows of at most 120 days from the cursor to `now`.
fn nvd_windows(
    cursor: Option<&str>,
    now: DateTime<Utc>,
) -> Vec<Option<(DateTime<Utc>, DateTime<Utc>)>> {
    let Some(from) = cursor.and_then(|c| DateTime::parse_from_rfc3339(c).ok()) else {
        return vec![None];
    };
    let mut from = from.with_timezone(&Utc);
    let mut windows = Vec::new();
    while from < now {
        let to = (from + chrono::Duration::days(NVD_WINDOW_DAYS)).min(now);
        windows.push(Some((from, to)));
        from = to;
    }
    windows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nvd_windows_span_at_most_120_days_without_gaps() {
        let now = DateTime::parse_from_rfc3339("2026-11-26T00:00:00Z")
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default();
        assert_eq!(nvd_windows(None, now), vec![None]);
        let windows = nvd_windows(Some("2026-01-01T00:00:00.000Z"), now);
        assert_eq!(windows.len(), 3);
        let spans: Vec<(DateTime<Utc>, DateTime<Utc>)> = windows.into_iter().flatten().collect();
        assert_eq!(spans[0].0.to_rfc3339(), "2026-01-01T00:00:00+00:00");
        assert_eq!(spans[2].1, now);
        for pair in spans.windows(2) {
            assert_eq!(pair[0].1, pair[1].0);
        }
        assert!(spans.iter().all(|(a, b)| (*b - *a).num_days() <= 120));
        assert!(nvd_windows(Some("2026-11-26T00:00:00Z"), now).is_empty());
    }

    #[test]
    fn files_are_recognized_by_content() {
        assert_eq!(sniff("x/delta.json", b"{}"), Some(FileKind::Delta));
        assert_eq!(
            sniff(
                "a.json",
                b"{\"catalogVersion\": \"1\", \"vulnerabilities\": []}"
            ),
            Some(FileKind::Kev)
        );
        assert_eq!(
            sniff(
                "a.json",
                b"{\"resultsPerPage\": 1, \"format\": \"NVD_CVE\"}"
            ),
            Some(FileKind::Nvd)
        );
        assert_eq!(
            sniff("a.json", b"{\"dataType\": \"CVE_RECORD\"}"),
            Some(FileKind::Cve5)
        );
        assert_eq!(
            sniff("scores", b"#model_version:v1\ncve,epss,percentile\n"),
            Some(FileKind::Epss)
        );
        assert_eq!(
            sniff("scores.gz", &[0x1f, 0x8b, 8, 0]),
            Some(FileKind::Epss)
        );
        assert_eq!(sniff("f.xml", b"\xef\xbb\xbf <rss/>"), Some(FileKind::Feed));
        assert_eq!(
            sniff(
                "s.json",
                b"{\"$schema\": \"x\", \"properties\": {\"catalogVersion\": 1}}"
            ),
            None
        );
        assert_eq!(sniff("a.json", b"[1, 2]"), None);
    }
}
