//! palisade's advisory database: every public advisory in one local SQLite
//! file, answering "what affects package P at version V" offline.
//!
//! Records come from OSV JSON and YAML files, directories and zip archives of
//! them (OSV's per-ecosystem `all.zip`), and RustSec's Markdown advisories; a
//! [`Mirror`] keeps ecosystems up to date from OSV's bucket. Records of one
//! vulnerability under several ids (GHSA, CVE, PYSEC, RUSTSEC) are merged when
//! queried.
//!
//! ```no_run
//! use palisade_vulndb::{ImportOptions, Store};
//!
//! let mut store = Store::open("advisories.db".as_ref())?;
//! store.import(&["advisory-db/".into()], &ImportOptions::default(), &mut |_| {})?;
//! for m in store.query("crates.io", "smallvec", "1.6.0")? {
//!     println!("{} {:?} fixed in {:?}", m.id, m.summary, m.fixed);
//! }
//! # Ok::<(), palisade_vulndb::Error>(())
//! ```

mod bulletin;
mod cpe;
mod cve5;
mod error;
mod exploitation;
mod feed;
mod feeds;
mod names;
mod nvd;
mod osv;
mod rustsec;
mod severity;
mod source;
mod store;
mod update;

pub use bulletin::{
    Bulletin, CpeMatch, ProductEntry, SEVERITIES, VersionRule, normalize_product, severity_of,
};
pub use cpe::{Cpe, CpeValue};
pub use cve5::{Affected, CveRecord, Cvss, VersionRange, parse_cve5};
pub use error::{Error, Location, Result};
pub use exploitation::{EpssFile, KevCatalog, MAX_EPSS_BYTES, parse_epss, parse_kev};
pub use feed::{FeedDocument, parse_feed};
pub use feeds::{
    FeedImportReport, FeedKind, FeedSource, Fetcher, MAX_BULLETIN_FEED_BYTES, MAX_FEED_BYTES,
    SyncReport, sync_source,
};
pub use names::{canonical_ecosystem, normalize_name, split_ecosystem};
pub use nvd::{NvdPage, parse_nvd};
pub use osv::{Advisory, AffectedPackage, Kind, SourceRank, display_time};
pub use severity::{Rating, Severity};
pub use source::{
    Format, Input, MAX_RECORD_BYTES, discover, for_each_zip_record, for_each_zip_record_in,
    parse_record,
};
pub use store::{
    AdvisoryRecord, BulletinHit, BulletinQuery, BulletinSearch, BulletinView, Change, EpssScore,
    ImportOptions, ImportProgress, ImportReport, KevEntry, Match, MirrorState, PackageAdvisories,
    PutOutcome, SearchHit, Skipped, Snapshot, Stats, Store, keep_private,
};
pub use update::{
    DEFAULT_ECOSYSTEMS, DEFAULT_MIRROR, EcosystemUpdate, Mirror, UpdateEvent, UpdateOutcome,
};
