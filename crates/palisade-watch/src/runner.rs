//! The poll / match / deliver loop of `palisade watch run`.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Utc};
use palisade_vulndb::{Fetcher, Store, SyncReport, sync_source};
use serde::Serialize;

use crate::matcher::Matcher;
use crate::notify::{Notification, Reach, Sender, Smtp, Summary, Target};
use crate::secrets::SecretKey;
use crate::store::{OutboxEntry, Watch, WatchStore};
use crate::{Error, Result};

/// What the runner is doing, for its log.
#[derive(Debug)]
pub enum Event<'a> {
    Synced(&'a SyncReport),
    Queued {
        watch: &'a str,
        bulletin: &'a str,
        target: &'a str,
    },
    Delivered {
        key: &'a str,
        target: &'a str,
        headline: &'a str,
    },
    Retrying {
        key: &'a str,
        target: &'a str,
        error: &'a str,
        at: &'a str,
    },
    GaveUp {
        key: &'a str,
        target: &'a str,
        error: &'a str,
    },
    /// A notification for the `stdout` target: one JSON document.
    Stdout(&'a str),
    Warning(String),
}

/// What one cycle did.
#[derive(Clone, Debug, Default, Serialize)]
pub struct CycleReport {
    pub synced: usize,
    pub failed_sources: usize,
    pub queued: usize,
    pub delivered: usize,
    pub failed_deliveries: usize,
}

/// Polls sources, matches what changed against the watches, delivers.
pub struct Runner {
    store: Store,
    watches: WatchStore,
    fetcher: Fetcher,
    sender: Sender,
}

impl std::fmt::Debug for Runner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runner")
            .field("store", &self.store.path())
            .finish_non_exhaustive()
    }
}

/// Journal changes read per batch.
const BATCH: usize = 500;
/// Longest sleep between checks when nothing is due.
const MAX_SLEEP: Duration = Duration::from_secs(60);

fn key_part(text: &str) -> String {
    let clean: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .take(80)
        .collect();
    if clean == text {
        clean
    } else {
        format!("{clean}.{:08x}", fnv(text) as u32)
    }
}

fn fnv(text: &str) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

/// How notifications leave: the SMTP relay for email targets, the
/// addresses webhooks may reach, and the key webhook secrets are sealed with.
#[derive(Debug, Default)]
pub struct Delivery {
    pub smtp: Option<Smtp>,
    pub reach: Reach,
    pub key: Option<SecretKey>,
}

impl Runner {
    pub fn new(db: &Path, fetcher: Fetcher, delivery: Delivery) -> Result<Runner> {
        let store = Store::open(db)?;
        let mut watches = WatchStore::open(db)?;
        if let Some(key) = delivery.key {
            watches = watches.with_key(key)?;
        }
        Ok(Runner {
            store,
            watches,
            fetcher,
            sender: Sender::new(delivery.smtp.as_ref(), delivery.reach)?,
        })
    }

    /// Syncs due sources (all when `all_sources`), matches, delivers what is due.
    pub fn cycle(
        &mut self,
        all_sources: bool,
        on: &mut dyn FnMut(Event<'_>),
    ) -> Result<CycleReport> {
        let mut report = CycleReport::default();
        let now = Utc::now();
        for source in self.store.sources()? {
            let due = all_sources || source.due_at().is_none_or(|t| t <= now);
            if !due {
                continue;
            }
            let synced = sync_source(&mut self.store, &self.fetcher, &source)?;
            report.synced += 1;
            if synced.status == "failed" {
                report.failed_sources += 1;
            }
            on(Event::Synced(&synced));
        }
        report.queued = self.match_changes(on)?;
        let (delivered, failed) = self.deliver(on)?;
        report.delivered = delivered;
        report.failed_deliveries = failed;
        Ok(report)
    }

    /// Runs cycles until `stop` says so (or once). Sources are polled on
    /// their intervals; queued notifications are retried when due.
    pub fn run(
        &mut self,
        once: bool,
        stop: &dyn Fn() -> bool,
        on: &mut dyn FnMut(Event<'_>),
    ) -> Result<()> {
        loop {
            self.cycle(once, on)?;
            if once || stop() {
                return Ok(());
            }
            let wake = self.next_wake()?;
            while Utc::now() < wake && !stop() {
                let left = (wake - Utc::now()).to_std().unwrap_or_default();
                std::thread::sleep(left.min(Duration::from_millis(200)));
            }
            if stop() {
                return Ok(());
            }
        }
    }

    /// When something is next due: a source's poll or a retry.
    fn next_wake(&self) -> Result<DateTime<Utc>> {
        let mut wake = Utc::now() + chrono::Duration::from_std(MAX_SLEEP).unwrap_or_default();
        for source in self.store.sources()? {
            match source.due_at() {
                Some(t) => wake = wake.min(t),
                None => return Ok(Utc::now()),
            }
        }
        if let Some(t) = self
            .watches
            .next_due()?
            .and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
        {
            wake = wake.min(t.with_timezone(&Utc));
        }
        Ok(wake)
    }

    /// Turns journaled changes into queued notifications, watch by watch.
    fn match_changes(&mut self, on: &mut dyn FnMut(Event<'_>)) -> Result<usize> {
        let mut queued = 0;
        let mut matcher = Matcher::new(&self.store);
        'watches: for watch in self.watches.list()? {
            let mut cursor = watch.cursor;
            loop {
                let changes = self.store.changes_since(cursor, BATCH)?;
                let Some(last) = changes.last().map(|c| c.seq) else {
                    break;
                };
                let mut entries = Vec::new();
                for change in &changes {
                    let Some(view) = self.store.bulletin(&change.id)? else {
                        continue;
                    };
                    let reason = match matcher.matches(&watch, &view, &change.kind) {
                        Ok(r) => r,
                        Err(e @ Error::Inventory { .. }) => {
                            // Left where it is: the watch catches up once its inventory reads again.
                            on(Event::Warning(format!("watch {}: {e}", watch.spec.name)));
                            continue 'watches;
                        }
                        Err(e) => return Err(e),
                    };
                    let Some(reason) = reason else { continue };
                    for target in &watch.spec.notify {
                        let target_text = target.spec();
                        let shown = target.to_string();
                        let key = format!(
                            "w{}-{}-{}-r{}-{:08x}",
                            watch.id,
                            change.kind,
                            key_part(&change.id),
                            change.revision,
                            fnv(&target_text) as u32
                        );
                        let note = Notification {
                            event: change.kind.clone(),
                            watch: watch.spec.name.clone(),
                            delivery: key.clone(),
                            matched: Some(reason.clone()),
                            bulletin: Some(Summary::of(&view)),
                            items: Vec::new(),
                        };
                        let payload = serde_json::to_string(&note).unwrap_or_default();
                        on(Event::Queued {
                            watch: &watch.spec.name,
                            bulletin: &change.id,
                            target: &shown,
                        });
                        entries.push((key, target_text, payload));
                    }
                }
                queued += self.watches.enqueue(&watch, &entries, last)?;
                cursor = last;
            }
        }
        Ok(queued)
    }

    /// Delivers due notifications; a watch's daily digest goes as one message per target.
    fn deliver(&mut self, on: &mut dyn FnMut(Event<'_>)) -> Result<(usize, usize)> {
        let watches: BTreeMap<i64, Watch> = self
            .watches
            .list()?
            .into_iter()
            .map(|w| (w.id, w))
            .collect();
        let due = self.watches.due(1000)?;
        let mut singles: Vec<OutboxEntry> = Vec::new();
        let mut digests: BTreeMap<(i64, String), Vec<OutboxEntry>> = BTreeMap::new();
        for entry in due {
            if entry.digest {
                digests
                    .entry((entry.watch, entry.target.clone()))
                    .or_default()
                    .push(entry);
            } else {
                singles.push(entry);
            }
        }
        // (outbox ids, target, message, watch, whether it is a digest)
        let mut batches: Vec<(Vec<i64>, String, Notification, i64, bool)> = Vec::new();
        for entry in singles {
            let Ok(note) = serde_json::from_str::<Notification>(&entry.payload) else {
                continue;
            };
            batches.push((vec![entry.id], entry.target, note, entry.watch, false));
        }
        for ((watch, target), entries) in digests {
            let items: Vec<Notification> = entries
                .iter()
                .filter_map(|e| serde_json::from_str(&e.payload).ok())
                .collect();
            let ids: Vec<i64> = entries.iter().map(|e| e.id).collect();
            let name = watches
                .get(&watch)
                .map_or_else(String::new, |w| w.spec.name.clone());
            let note = Notification {
                event: "digest".to_string(),
                watch: name,
                delivery: format!(
                    "w{watch}-digest-{}-{}-{:08x}",
                    ids.first().copied().unwrap_or(0),
                    ids.last().copied().unwrap_or(0),
                    fnv(&target) as u32
                ),
                matched: None,
                bulletin: None,
                items,
            };
            batches.push((ids, target, note, watch, true));
        }
        let (mut delivered, mut failed) = (0, 0);
        for (ids, target_text, note, watch, digest) in batches {
            let Ok(target) = target_text.parse::<Target>() else {
                self.watches.mark_failed(&ids, "unreadable target")?;
                failed += 1;
                continue;
            };
            let shown = target.to_string();
            let secret = watches.get(&watch).and_then(|w| w.spec.secret.clone());
            let result = self
                .sender
                .send(&target, secret.as_deref(), &note, &mut |line| {
                    on(Event::Stdout(line))
                });
            match result {
                Ok(()) => {
                    self.watches.mark_delivered(&ids, digest.then_some(watch))?;
                    delivered += 1;
                    on(Event::Delivered {
                        key: &note.delivery,
                        target: &shown,
                        headline: &note.headline(),
                    });
                }
                Err(error) => {
                    failed += 1;
                    match self.watches.mark_failed(&ids, &error)? {
                        Some(at) => on(Event::Retrying {
                            key: &note.delivery,
                            target: &shown,
                            error: &error,
                            at: &at,
                        }),
                        None => on(Event::GaveUp {
                            key: &note.delivery,
                            target: &shown,
                            error: &error,
                        }),
                    }
                }
            }
        }
        Ok((delivered, failed))
    }

    /// The watch store, for listing what is queued.
    pub fn watches(&self) -> &WatchStore {
        &self.watches
    }
}
