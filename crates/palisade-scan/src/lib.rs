//! Dependency review: an inventory matched against the advisory database,
//! judged by a policy, with a remediation plan per vulnerable package and
//! reports for people (table, Markdown, HTML) and machines (JSON, SARIF,
//! CycloneDX VEX).
//!
//! ```no_run
//! use palisade_scan::{Policy, ScanOptions, scan};
//!
//! let store = palisade_vulndb::Store::open("advisories.db".as_ref())?;
//! let inventory = palisade_inventory::inventory_of("Cargo.lock".as_ref())?;
//! let policy = Policy::default();
//! let options = ScanOptions { policy: &policy, today: chrono::Utc::now().date_naive(), fail_on: None };
//! let report = scan(&store, &inventory, &options)?;
//! for f in &report.findings {
//!     println!("{} {} {}: fixed in {:?}", f.id, f.package.name, f.package.version, f.remediation.version);
//! }
//! # Ok::<(), palisade_scan::Error>(())
//! ```

mod error;
mod finding;
pub mod fix;
pub mod git;
pub mod hook;
mod matcher;
pub mod policy;
mod remediation;

pub use error::{Error, Result};
pub use finding::{
    DatabaseInfo, Finding, Ignored, Location, PackageRef, Parent, Remediation, Report,
    SCHEMA_VERSION, Summary, Via,
};
pub use matcher::{MAX_PATHS_PER_FINDING, ScanOptions, scan};
pub use policy::{Policy, Threshold};
pub mod report;
