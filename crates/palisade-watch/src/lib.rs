//! Watchlists: tell each team, within minutes, when something new touches
//! what they run.
//!
//! A watch names what to look for — a vendor / product (and version), words,
//! a dependency inventory (lockfiles, a function package, an image), a
//! minimum severity, KEV-listed only — and where to say so: a signed
//! webhook, a Slack-compatible webhook, email over SMTP, or stdout.
//!
//! [`Runner`] polls the feed sources on their intervals (through
//! palisade-vulndb, which journals every new or materially changed bulletin
//! and every KEV addition in the same transaction as the data), matches the
//! journal against each watch, and queues notifications in a durable outbox
//! in the same SQLite file. Delivery is at least once: a notification leaves
//! the outbox only after its target accepted it, each carries an
//! idempotency key, failures are retried with exponential backoff, and a
//! restart (even after SIGKILL) picks up exactly where the last run was.

mod matcher;
mod notify;
mod runner;
mod secrets;
mod store;

pub use notify::{Notification, Reach, Smtp, Target, is_link_local_or_metadata, redact_url, sign};
pub use runner::{CycleReport, Delivery, Event, Runner};
pub use secrets::SecretKey;
pub use store::{NewWatch, OutboxEntry, Watch, WatchStore};

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error(transparent)]
    Vulndb(#[from] palisade_vulndb::Error),

    #[error("database {path}: {source}")]
    Database {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },

    /// A watch or target as given cannot work.
    #[error("{0}")]
    Invalid(String),

    #[error("inventory {path}: {message}")]
    Inventory { path: PathBuf, message: String },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
